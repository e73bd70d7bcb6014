package io.p2pd.pipe;

import io.netty.channel.EventLoopGroup;
import io.p2pd.net.EventLoops;
import io.p2pd.net.Resolver;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Per-pipe options: the original library's configuration dictionary as an immutable, validated value. Each option
 * names the original's key it stands for ({@code dns_timeout}, {@code use_ssl}, ...).
 *
 * <p>Defaults are those of the original except {@code maxQsize}, which is bounded here (a flood must not exhaust
 * memory). Every value is checked when built. Some options apply to one transport only ({@code broadcast} to UDP;
 * {@code framing}, {@code linger} and {@code tls} to TCP): opening a pipe of the other kind with one set throws
 * {@link IllegalArgumentException} naming the option, rather than ignoring it.
 *
 * <p>Two keys of the original are not options here. {@code sock_only} (return the bare socket instead of a pipe)
 * is {@link Pipes.Opener#openSocket()}, a method of its own, since it returns something else. {@code use_ssl} is
 * {@link #tls()} being present: setting {@link Builder#tls(Tls)} turns TLS on, with the trust and identity it names.
 *
 * @param dnsTimeout    {@code dns_timeout}: time limit of one name lookup
 * @param sslHandshake  {@code ssl_handshake}: time limit of a TLS handshake
 * @param sockProto     {@code sock_proto}: protocol number of the socket: 0 (the default for the transport) or
 *                      exactly its number (6 for TCP, 17 for UDP); other protocols cannot be opened through Netty's
 *                      channels
 * @param recvTimeout   {@code recv_timeout}: how long {@link Pipe#recv()} waits by default
 * @param conTimeout    {@code con_timeout}: time limit of a TCP connect
 * @param maxQsize      {@code max_qsize}: most messages one subscription queue holds (UDP: the oldest is dropped
 *                      and counted; TCP: reading stops until the queue drains)
 * @param enableMsgIds  {@code enable_msg_ids}: drop a message identical in sender IP and bytes to a recent one
 * @param maxMsgIds     {@code max_msg_ids}: how many recent messages duplicate suppression remembers
 * @param reuseAddr     {@code reuse_addr}: SO_REUSEADDR, and SO_REUSEPORT where the transport has it
 * @param broadcast     {@code broadcast}: SO_BROADCAST (UDP only)
 * @param readerLimit   {@code reader_limit}: largest chunk read at once, largest datagram received, largest frame
 * @param doClose       {@code do_close}: close a wrapped channel when opening fails (off for channels other code
 *                      owns)
 * @param linger        {@code linger}: SO_LINGER in whole seconds, when present (TCP only; 0 resets the connection
 *                      on close)
 * @param sendRetry     {@code send_retry}: retries of request/response helpers when no reply comes
 * @param loop          {@code loop}: the event-loop group that runs the pipe
 * @param resolver      how names are looked up
 * @param framing       how a TCP stream is cut into messages (default: raw chunks, as the original; TCP only)
 * @param tls           {@code use_ssl}: TLS over TCP when present, with its trust (clients) and identity (servers);
 *                      empty, the default, for none (TCP only)
 * @param maxConnections      TCP servers: most connections open at once; one beyond is accepted and closed at once,
 *                            counted in {@link PipeStats#refusedConnections()} (default: unlimited)
 * @param maxConnectionsPerIp TCP servers: most connections open at once from one IP address, refused likewise
 *                            (default: unlimited)
 * @param firstMessageTimeout TCP servers: close a connection that has not delivered one whole message (a chunk, or
 *                            a frame with framing; after the TLS handshake with TLS) this long after it was accepted,
 *                            counted in {@link PipeStats#timedOutConnections()} (default: none; coturn uses 3-8 s)
 * @param idleTimeout         TCP servers: close a connection with no traffic either way for this long (default: none)
 * @param writeStallTimeout   TCP servers: close a connection whose writes stay backed up above the high-water mark
 *                            for this long, such as a client that pipelines requests and never reads the answers; a
 *                            stall ends only when the connection stays writable as long (brief drains while the
 *                            kernel's buffers grow do not), so it suits request/response servers, not bulk
 *                            transfers to slow readers (default: none)
 * @param sendBuffer          SO_SNDBUF in bytes, 0 (the default) for the OS's own sizing; a small one makes a peer
 *                            that does not read back up this pipe's writes soon (TCP servers: each connection)
 * @param receiveBuffer       SO_RCVBUF in bytes, 0 (the default) for the OS's own sizing; a larger one lets a busy
 *                            UDP socket hold a burst (TCP servers: each connection)
 */
public record PipeConf(
        Duration dnsTimeout,
        Duration sslHandshake,
        int sockProto,
        Duration recvTimeout,
        Duration conTimeout,
        int maxQsize,
        boolean enableMsgIds,
        int maxMsgIds,
        boolean reuseAddr,
        boolean broadcast,
        int readerLimit,
        boolean doClose,
        Optional<Duration> linger,
        int sendRetry,
        Optional<EventLoopGroup> loop,
        Resolver resolver,
        Framing framing,
        Optional<Tls> tls,
        int maxConnections,
        int maxConnectionsPerIp,
        Optional<Duration> firstMessageTimeout,
        Optional<Duration> idleTimeout,
        Optional<Duration> writeStallTimeout,
        int sendBuffer,
        int receiveBuffer) {

    /** Default bound of a subscription queue, in messages. */
    public static final int DEFAULT_MAX_QSIZE = 1024;
    /** Largest UDP payload over IPv4 (65535 minus IP and UDP headers); IPv6 allows 8 bytes more, we keep one limit. */
    public static final int MAX_DATAGRAM = 65_507;

    private static final PipeConf DEFAULTS = builder().build();

    public PipeConf {
        positive("dnsTimeout", dnsTimeout);
        positive("sslHandshake", sslHandshake);
        positive("recvTimeout", recvTimeout);
        positive("conTimeout", conTimeout);
        if (sockProto != 0 && sockProto != 6 && sockProto != 17) {
            throw new IllegalArgumentException("sockProto must be 0, 6 (TCP) or 17 (UDP), got " + sockProto);
        }
        atLeast("maxQsize", maxQsize, 1);
        atLeast("maxMsgIds", maxMsgIds, 1);
        atLeast("readerLimit", readerLimit, 64);
        atLeast("sendRetry", sendRetry, 0);
        Objects.requireNonNull(linger, "linger");
        linger.ifPresent(d -> {
            if (d.isNegative() || d.toSeconds() > 0xFFFF) {
                throw new IllegalArgumentException("linger must be 0 to 65535 s, got " + d);
            }
            // SO_LINGER counts whole seconds: 500 ms would become 0, a reset instead of a graceful close.
            if (d.toNanosPart() != 0) {
                throw new IllegalArgumentException("linger must be whole seconds (SO_LINGER counts seconds), got "
                        + d);
            }
        });
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(resolver, "resolver");
        Objects.requireNonNull(framing, "framing");
        Objects.requireNonNull(tls, "tls");
        atLeast("maxConnections", maxConnections, 1);
        atLeast("maxConnectionsPerIp", maxConnectionsPerIp, 1);
        positive("firstMessageTimeout", firstMessageTimeout);
        positive("idleTimeout", idleTimeout);
        positive("writeStallTimeout", writeStallTimeout);
        atLeast("sendBuffer", sendBuffer, 0);
        atLeast("receiveBuffer", receiveBuffer, 0);
    }

    /** The original's defaults, with a bounded queue. */
    public static PipeConf defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from this configuration. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The event-loop group to use: the configured one or the shared one. */
    EventLoopGroup group() {
        return loop.orElseGet(EventLoops::shared);
    }

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    private static void positive(String name, Optional<Duration> d) {
        Objects.requireNonNull(d, name);
        d.ifPresent(v -> positive(name, v));
    }

    private static void atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
        }
    }

    /** Builds a {@link PipeConf}; each setter checks nothing, {@link #build()} checks everything. */
    public static final class Builder {
        private Duration dnsTimeout = Duration.ofSeconds(2);
        private Duration sslHandshake = Duration.ofSeconds(4);
        private int sockProto;
        private Duration recvTimeout = Duration.ofSeconds(2);
        private Duration conTimeout = Duration.ofSeconds(2);
        private int maxQsize = DEFAULT_MAX_QSIZE;
        private boolean enableMsgIds;
        private int maxMsgIds = 1000;
        private boolean reuseAddr;
        private boolean broadcast;
        private int readerLimit = 1 << 16;
        private boolean doClose = true;
        private Optional<Duration> linger = Optional.empty();
        private int sendRetry = 2;
        private Optional<EventLoopGroup> loop = Optional.empty();
        private Resolver resolver = Resolver.system();
        private Framing framing = Framing.raw();
        private Optional<Tls> tls = Optional.empty();
        private int maxConnections = Integer.MAX_VALUE;
        private int maxConnectionsPerIp = Integer.MAX_VALUE;
        private Optional<Duration> firstMessageTimeout = Optional.empty();
        private Optional<Duration> idleTimeout = Optional.empty();
        private Optional<Duration> writeStallTimeout = Optional.empty();
        private int sendBuffer;
        private int receiveBuffer;

        private Builder() {
        }

        private Builder(PipeConf c) {
            dnsTimeout = c.dnsTimeout;
            sslHandshake = c.sslHandshake;
            sockProto = c.sockProto;
            recvTimeout = c.recvTimeout;
            conTimeout = c.conTimeout;
            maxQsize = c.maxQsize;
            enableMsgIds = c.enableMsgIds;
            maxMsgIds = c.maxMsgIds;
            reuseAddr = c.reuseAddr;
            broadcast = c.broadcast;
            readerLimit = c.readerLimit;
            doClose = c.doClose;
            linger = c.linger;
            sendRetry = c.sendRetry;
            loop = c.loop;
            resolver = c.resolver;
            framing = c.framing;
            tls = c.tls;
            maxConnections = c.maxConnections;
            maxConnectionsPerIp = c.maxConnectionsPerIp;
            firstMessageTimeout = c.firstMessageTimeout;
            idleTimeout = c.idleTimeout;
            writeStallTimeout = c.writeStallTimeout;
            sendBuffer = c.sendBuffer;
            receiveBuffer = c.receiveBuffer;
        }

        public Builder dnsTimeout(Duration v) { dnsTimeout = v; return this; }
        public Builder sslHandshake(Duration v) { sslHandshake = v; return this; }
        /** 0, or the transport's own number; any other is refused when built. */
        public Builder sockProto(int v) { sockProto = v; return this; }
        public Builder recvTimeout(Duration v) { recvTimeout = v; return this; }
        public Builder conTimeout(Duration v) { conTimeout = v; return this; }
        public Builder maxQsize(int v) { maxQsize = v; return this; }
        public Builder enableMsgIds(boolean v) { enableMsgIds = v; return this; }
        public Builder maxMsgIds(int v) { maxMsgIds = v; return this; }
        public Builder reuseAddr(boolean v) { reuseAddr = v; return this; }
        /** SO_BROADCAST. UDP only: a TCP pipe opened with it throws {@link IllegalArgumentException}. */
        public Builder broadcast(boolean v) { broadcast = v; return this; }
        public Builder readerLimit(int v) { readerLimit = v; return this; }
        public Builder doClose(boolean v) { doClose = v; return this; }
        /**
         * SO_LINGER in whole seconds; {@code Duration.ZERO} resets the connection on close. TCP only: a UDP pipe
         * opened with it throws {@link IllegalArgumentException}.
         */
        public Builder linger(Duration v) { linger = Optional.of(v); return this; }
        public Builder noLinger() { linger = Optional.empty(); return this; }
        public Builder sendRetry(int v) { sendRetry = v; return this; }
        public Builder loop(EventLoopGroup v) { loop = Optional.of(v); return this; }
        public Builder resolver(Resolver v) { resolver = v; return this; }
        /** TCP only: a UDP pipe opened with framing other than raw throws {@link IllegalArgumentException}. */
        public Builder framing(Framing v) { framing = v; return this; }
        /**
         * Turns TLS on (the original's {@code use_ssl}) with these settings: {@link Tls#verifying()} for a client
         * that trusts the system store, {@link Tls#server} for a server. TCP only: a UDP pipe opened with it
         * throws {@link IllegalArgumentException}, as does a server pipe without an identity.
         */
        public Builder tls(Tls v) { tls = Optional.of(Objects.requireNonNull(v, "tls")); return this; }
        /** Turns TLS off (the default). */
        public Builder noTls() { tls = Optional.empty(); return this; }

        /** TCP servers: most connections open at once; more are accepted and closed at once. */
        public Builder maxConnections(int v) { maxConnections = v; return this; }
        /** TCP servers: most connections open at once from one IP address. */
        public Builder maxConnectionsPerIp(int v) { maxConnectionsPerIp = v; return this; }
        /** TCP servers: close a connection that sent no whole message this long after it was accepted. */
        public Builder firstMessageTimeout(Duration v) { firstMessageTimeout = Optional.of(v); return this; }
        /** TCP servers: close a connection with no traffic either way for this long. */
        public Builder idleTimeout(Duration v) { idleTimeout = Optional.of(v); return this; }
        /** TCP servers: close a connection whose writes stay backed up for this long. */
        public Builder writeStallTimeout(Duration v) { writeStallTimeout = Optional.of(v); return this; }
        /** SO_SNDBUF in bytes (0: the OS's own); for a TCP server, of each connection. */
        public Builder sendBuffer(int v) { sendBuffer = v; return this; }
        /** SO_RCVBUF in bytes (0: the OS's own); for a TCP server, of each connection. */
        public Builder receiveBuffer(int v) { receiveBuffer = v; return this; }

        /** @throws IllegalArgumentException naming the first option whose value is wrong */
        public PipeConf build() {
            return new PipeConf(dnsTimeout, sslHandshake, sockProto, recvTimeout, conTimeout, maxQsize,
                    enableMsgIds, maxMsgIds, reuseAddr, broadcast, readerLimit, doClose, linger,
                    sendRetry, loop, resolver, framing, tls, maxConnections, maxConnectionsPerIp,
                    firstMessageTimeout, idleTimeout, writeStallTimeout, sendBuffer, receiveBuffer);
        }
    }
}
