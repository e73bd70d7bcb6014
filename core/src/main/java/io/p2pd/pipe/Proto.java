package io.p2pd.pipe;

/** The transport of a pipe. Reliable UDP comes later. */
public enum Proto {
    /** A byte stream: one pipe per connection, chunks (or frames) in order, never dropped. */
    TCP,
    /** Datagrams: one pipe for every peer, each message carries its sender. */
    UDP
}
