package io.p2pd.node.signal;

/**
 * Hears what {@link Signalling} receives. Called on signalling's own thread, one message at a time: it may take a
 * little time, but work that waits belongs elsewhere (messages queue behind it, and past the queue's bound are
 * dropped as overload).
 */
public interface SignalListener {

    /** A message was accepted (once, however many brokers brought it). */
    void accepted(SignalReceipt receipt);

    /** A message was dropped; {@code detail} is for logs. Does nothing unless overridden. */
    default void dropped(SignalDrop reason, String detail) {
    }
}
