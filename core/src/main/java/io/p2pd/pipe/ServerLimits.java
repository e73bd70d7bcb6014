package io.p2pd.pipe;

import java.time.Duration;
import java.util.Optional;

/**
 * Bounds of a TCP server facing the open network, given to {@link Pipes.TcpOpener#limits}: only a TCP opener takes
 * them, and opening a client with them throws {@link IllegalArgumentException}. All are off by default, so library
 * pipes are unlimited; servers set them.
 *
 * @param maxConnections      most connections open at once; one beyond is accepted and closed at once, counted in
 *                            {@link PipeStats#refusedConnections()} (default: unlimited)
 * @param maxConnectionsPerIp most connections open at once from one IP address, refused likewise (default: unlimited)
 * @param firstMessageTimeout close a connection that has not delivered one whole message (a chunk, or a frame with
 *                            framing; after the TLS handshake with TLS) this long after it was accepted, counted in
 *                            {@link PipeStats#timedOutConnections()} (default: none; coturn uses 3-8 s)
 * @param idleTimeout         close a connection with no traffic either way for this long (default: none)
 * @param writeStallTimeout   close a connection whose writes stay backed up above the high-water mark for this long,
 *                            such as a client that pipelines requests and never reads the answers; a stall ends only
 *                            when the connection stays writable as long (brief drains while the kernel's buffers grow
 *                            do not), so it suits request/response servers, not bulk transfers to slow readers
 *                            (default: none)
 */
public record ServerLimits(
        int maxConnections,
        int maxConnectionsPerIp,
        Optional<Duration> firstMessageTimeout,
        Optional<Duration> idleTimeout,
        Optional<Duration> writeStallTimeout) {

    private static final ServerLimits NONE = builder().build();

    public ServerLimits {
        PipeConf.atLeast("maxConnections", maxConnections, 1);
        PipeConf.atLeast("maxConnectionsPerIp", maxConnectionsPerIp, 1);
        PipeConf.positive("firstMessageTimeout", firstMessageTimeout);
        PipeConf.positive("idleTimeout", idleTimeout);
        PipeConf.positive("writeStallTimeout", writeStallTimeout);
    }

    /** No bounds: unlimited connections, no timeouts (the default). */
    public static ServerLimits none() {
        return NONE;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from these limits. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds {@link ServerLimits}; {@link #build()} checks every value. */
    public static final class Builder {
        private int maxConnections = Integer.MAX_VALUE;
        private int maxConnectionsPerIp = Integer.MAX_VALUE;
        private Optional<Duration> firstMessageTimeout = Optional.empty();
        private Optional<Duration> idleTimeout = Optional.empty();
        private Optional<Duration> writeStallTimeout = Optional.empty();

        private Builder() {
        }

        private Builder(ServerLimits l) {
            maxConnections = l.maxConnections;
            maxConnectionsPerIp = l.maxConnectionsPerIp;
            firstMessageTimeout = l.firstMessageTimeout;
            idleTimeout = l.idleTimeout;
            writeStallTimeout = l.writeStallTimeout;
        }

        /** Most connections open at once; more are accepted and closed at once. */
        public Builder maxConnections(int v) { maxConnections = v; return this; }
        /** Most connections open at once from one IP address. */
        public Builder maxConnectionsPerIp(int v) { maxConnectionsPerIp = v; return this; }
        /** Close a connection that sent no whole message this long after it was accepted. */
        public Builder firstMessageTimeout(Duration v) { firstMessageTimeout = Optional.of(v); return this; }
        /** Close a connection with no traffic either way for this long. */
        public Builder idleTimeout(Duration v) { idleTimeout = Optional.of(v); return this; }
        /** Close a connection whose writes stay backed up for this long. */
        public Builder writeStallTimeout(Duration v) { writeStallTimeout = Optional.of(v); return this; }

        /** @throws IllegalArgumentException naming the first option whose value is wrong */
        public ServerLimits build() {
            return new ServerLimits(maxConnections, maxConnectionsPerIp, firstMessageTimeout, idleTimeout,
                    writeStallTimeout);
        }
    }
}
