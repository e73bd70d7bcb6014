package io.p2pd.node.signal;

/** What {@link SignalInbox#receive(byte[])} made of a message: accepted, or dropped with the reason. */
public sealed interface SignalResult {

    /** The message was accepted. */
    record Accepted(SignalReceipt receipt) implements SignalResult {}

    /**
     * The message was dropped.
     *
     * @param reason the first check it failed
     * @param detail what was wrong, for logs (never more than a short piece of the input)
     */
    record Dropped(SignalDrop reason, String detail) implements SignalResult {}
}
