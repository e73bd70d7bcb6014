package io.p2pd.stun;

import io.p2pd.internal.Descriptors;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link StunServer} listens on and how it answers.
 *
 * @param primaryIp        the first (or only) IP
 * @param primaryPort      the first port; 0 picks a free one
 * @param alternateIp      a second IP: with it the server is an RFC 5780 server listening on both IPs
 *                         times both ports (and the RFC 3489 CHANGE-REQUEST target)
 * @param alternatePort    the second port, used only with {@code alternateIp}; 0 picks a free one
 * @param udp              listen on UDP
 * @param tcp              listen on TCP (one or more requests per connection, framed by the STUN length)
 * @param software         a SOFTWARE attribute for every reply
 * @param rfc3489Attributes also put SOURCE-ADDRESS and CHANGED-ADDRESS in replies to RFC 5389+ requests
 *                         (requests without the magic cookie always get them)
 * @param credentials      short-term credentials every request must be signed with (400 when unsigned, 401 when
 *                         the username or signature is wrong); replies are then signed too
 * @param firstMessageTimeout a TCP connection that has not sent one whole request this long after it was accepted is
 *                         closed: silent, or trickling a request byte by byte (default 3 s; coturn: 3 to 8 s)
 * @param idleTimeout      a TCP connection with no traffic either way for this long is closed (default 10 s)
 * @param writeStallTimeout a TCP connection whose answers stay backed up this long (a client that pipelines requests
 *                         and never reads them; it is not read meanwhile) is closed (default 3 s)
 * @param maxConnections   most TCP connections at once, over every TCP listener together; a new one past it takes
 *                         the place of the oldest connection that has sent no whole request yet, or is closed when
 *                         all have (default {@link #DEFAULT_MAX_CONNECTIONS}: half the process's descriptor limit,
 *                         at most 10,000)
 * @param maxConnectionsPerIp most TCP connections at once from one IPv4 address, or one IPv6 /64 prefix, over every
 *                         TCP listener together (default 200)
 */
public record StunServerConfig(InetAddress primaryIp, int primaryPort, Optional<InetAddress> alternateIp,
                               int alternatePort, boolean udp, boolean tcp, Optional<String> software,
                               boolean rfc3489Attributes, Optional<StunCredentials> credentials,
                               Duration firstMessageTimeout, Duration idleTimeout, Duration writeStallTimeout,
                               int maxConnections, int maxConnectionsPerIp) {

    /** Default of {@link #firstMessageTimeout()}. */
    public static final Duration DEFAULT_FIRST_MESSAGE_TIMEOUT = Duration.ofSeconds(3);
    /** Default of {@link #idleTimeout()}. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(10);
    /** Default of {@link #writeStallTimeout()}. */
    public static final Duration DEFAULT_WRITE_STALL_TIMEOUT = Duration.ofSeconds(3);
    /**
     * Default of {@link #maxConnections()}: half the process's limit of open descriptors (the other half for UDP,
     * files and clients' sockets), between 16 and 10,000; 10,000 where the limit cannot be read. Past the
     * descriptor limit a server can accept no one, legitimate or not.
     */
    public static final int DEFAULT_MAX_CONNECTIONS = Descriptors.halfTheLimit(10_000);
    /** Default of {@link #maxConnectionsPerIp()}. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 200;

    public StunServerConfig {
        Objects.requireNonNull(primaryIp, "primaryIp");
        Objects.requireNonNull(alternateIp, "alternateIp");
        Objects.requireNonNull(software, "software");
        Objects.requireNonNull(credentials, "credentials");
        positive("firstMessageTimeout", firstMessageTimeout);
        positive("idleTimeout", idleTimeout);
        positive("writeStallTimeout", writeStallTimeout);
        if (maxConnections < 1 || maxConnectionsPerIp < 1) {
            throw new IllegalArgumentException("maxConnections and maxConnectionsPerIp must be at least 1, got "
                    + maxConnections + " and " + maxConnectionsPerIp);
        }
        checkPort(primaryPort);
        checkPort(alternatePort);
        if (!udp && !tcp) {
            throw new IllegalArgumentException("neither UDP nor TCP enabled");
        }
        if (alternateIp.isPresent() && alternateIp.get().equals(primaryIp)) {
            throw new IllegalArgumentException("alternate IP equals the primary IP " + primaryIp.getHostAddress());
        }
        if (alternateIp.isPresent() && primaryPort != 0 && primaryPort == alternatePort) {
            throw new IllegalArgumentException("alternate port equals the primary port " + primaryPort);
        }
        if (alternateIp.isPresent() && alternateIp.get().getClass() != primaryIp.getClass()) {
            throw new IllegalArgumentException("primary and alternate IPs are of different families");
        }
    }

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port out of range 0-65535: " + port);
        }
    }

    /** A plain RFC 8489 server on one IP and port (0 = any free port), UDP and TCP. */
    public static StunServerConfig of(InetAddress ip, int port) {
        return builder(ip).port(port).build();
    }

    /** An RFC 5780 server on two IPs and two ports (0 = any free port), UDP and TCP. */
    public static StunServerConfig rfc5780(InetAddress ip, int port, InetAddress otherIp, int otherPort) {
        return builder(ip).port(port).alternate(otherIp, otherPort).build();
    }

    public static Builder builder(InetAddress primaryIp) {
        return new Builder(primaryIp);
    }

    /** True when the server has an alternate IP and port (RFC 5780 / RFC 3489 CHANGE-REQUEST). */
    public boolean hasAlternate() {
        return alternateIp.isPresent();
    }

    public static final class Builder {
        private final InetAddress primaryIp;
        private int primaryPort;
        private InetAddress alternateIp;
        private int alternatePort;
        private boolean udp = true;
        private boolean tcp = true;
        private String software;
        private boolean rfc3489Attributes;
        private StunCredentials credentials;
        private Duration firstMessageTimeout = DEFAULT_FIRST_MESSAGE_TIMEOUT;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private Duration writeStallTimeout = DEFAULT_WRITE_STALL_TIMEOUT;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxConnectionsPerIp = DEFAULT_MAX_CONNECTIONS_PER_IP;

        private Builder(InetAddress primaryIp) {
            this.primaryIp = Objects.requireNonNull(primaryIp, "primaryIp");
        }

        public Builder port(int port) {
            this.primaryPort = port;
            return this;
        }

        public Builder alternate(InetAddress ip, int port) {
            this.alternateIp = Objects.requireNonNull(ip, "ip");
            this.alternatePort = port;
            return this;
        }

        public Builder udp(boolean on) {
            this.udp = on;
            return this;
        }

        public Builder tcp(boolean on) {
            this.tcp = on;
            return this;
        }

        public Builder software(String name) {
            this.software = Objects.requireNonNull(name, "name");
            return this;
        }

        public Builder rfc3489Attributes(boolean on) {
            this.rfc3489Attributes = on;
            return this;
        }

        public Builder credentials(StunCredentials c) {
            this.credentials = Objects.requireNonNull(c, "credentials");
            return this;
        }

        /** See {@link StunServerConfig#firstMessageTimeout()}. */
        public Builder firstMessageTimeout(Duration d) {
            this.firstMessageTimeout = Objects.requireNonNull(d, "firstMessageTimeout");
            return this;
        }

        /** See {@link StunServerConfig#idleTimeout()}. */
        public Builder idleTimeout(Duration d) {
            this.idleTimeout = Objects.requireNonNull(d, "idleTimeout");
            return this;
        }

        /** See {@link StunServerConfig#writeStallTimeout()}. */
        public Builder writeStallTimeout(Duration d) {
            this.writeStallTimeout = Objects.requireNonNull(d, "writeStallTimeout");
            return this;
        }

        /** See {@link StunServerConfig#maxConnections()}. */
        public Builder maxConnections(int n) {
            this.maxConnections = n;
            return this;
        }

        /** See {@link StunServerConfig#maxConnectionsPerIp()}. */
        public Builder maxConnectionsPerIp(int n) {
            this.maxConnectionsPerIp = n;
            return this;
        }

        public StunServerConfig build() {
            return new StunServerConfig(primaryIp, primaryPort, Optional.ofNullable(alternateIp), alternatePort,
                    udp, tcp, Optional.ofNullable(software), rfc3489Attributes, Optional.ofNullable(credentials),
                    firstMessageTimeout, idleTimeout, writeStallTimeout, maxConnections, maxConnectionsPerIp);
        }
    }
}
