package io.p2pd.node.signal;

/**
 * A snapshot of a {@link Signalling}'s counts. Immutable.
 *
 * @param inbox what the inbox did with the messages it checked
 * @param received messages the brokers delivered to our topic (every copy)
 * @param overloaded messages dropped unchecked because the queue to the checking thread was full
 * @param sent messages sent (each once, however many brokers carried it)
 * @param published copies acknowledged by a broker (PUBACK)
 * @param publishFailed copies a broker refused or could not take
 */
public record SignallingStats(SignalStats inbox, long received, long overloaded, long sent, long published,
        long publishFailed) {
}
