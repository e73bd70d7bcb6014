package io.p2pd.pipe;

import io.netty.channel.EventLoopGroup;
import io.p2pd.net.EventLoops;
import io.p2pd.net.Resolver;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Per-pipe options every transport takes: the original library's configuration dictionary as an immutable,
 * validated value. Each option names the original's key it stands for ({@code dns_timeout}, {@code recv_timeout},
 * ...).
 *
 * <p>Defaults are those of the original except {@code maxQsize}, which is bounded here (a flood must not exhaust
 * memory). Every value is checked when built.
 *
 * <p>Options of one transport are not here but on that transport's opener, so a wrong combination does not
 * compile: {@link TcpOptions} ({@code con_timeout}, {@code ssl_handshake}, {@code use_ssl}, {@code linger}, and
 * framing) and {@link ServerLimits} (connection caps and timeouts of TCP servers) go to
 * {@link Pipes.TcpOpener#tcp} and {@link Pipes.TcpOpener#limits}; {@code broadcast} is
 * {@link Pipes.UdpOpener#broadcast}. {@code sock_only} (return the bare socket instead of a pipe) is
 * {@link Pipes.Opener#openSocket()}, a method of its own, since it returns something else. {@code sock_proto}
 * (the socket's protocol number, 6 or 17) is the choice of opener: {@link Pipes#tcp()} or {@link Pipes#udp()}.
 *
 * @param dnsTimeout    {@code dns_timeout}: time limit of one name lookup
 * @param recvTimeout   {@code recv_timeout}: how long {@link Pipe#recv()} waits by default
 * @param maxQsize      {@code max_qsize}: most messages one subscription queue holds (UDP: the oldest is dropped
 *                      and counted; TCP: reading stops until the queue drains)
 * @param enableMsgIds  {@code enable_msg_ids}: drop a message identical in sender IP and bytes to a recent one
 * @param maxMsgIds     {@code max_msg_ids}: how many recent messages duplicate suppression remembers
 * @param reuseAddr     {@code reuse_addr}: SO_REUSEADDR, and SO_REUSEPORT where the transport has it
 * @param readerLimit   {@code reader_limit}: largest chunk read at once, largest datagram received, largest frame
 * @param doClose       {@code do_close}: close a wrapped channel when opening fails (off for channels other code
 *                      owns)
 * @param sendRetry     {@code send_retry}: retries of request/response helpers when no reply comes
 * @param loop          {@code loop}: the event-loop group that runs the pipe
 * @param resolver      how names are looked up
 * @param sendBuffer    SO_SNDBUF in bytes, 0 (the default) for the OS's own sizing; a small one makes a peer that
 *                      does not read back up this pipe's writes soon (TCP servers: each connection)
 * @param receiveBuffer SO_RCVBUF in bytes, 0 (the default) for the OS's own sizing; a larger one lets a busy UDP
 *                      socket hold a burst (TCP servers: each connection)
 */
public record PipeConf(
        Duration dnsTimeout,
        Duration recvTimeout,
        int maxQsize,
        boolean enableMsgIds,
        int maxMsgIds,
        boolean reuseAddr,
        int readerLimit,
        boolean doClose,
        int sendRetry,
        Optional<EventLoopGroup> loop,
        Resolver resolver,
        int sendBuffer,
        int receiveBuffer) {

    /** Default bound of a subscription queue, in messages. */
    public static final int DEFAULT_MAX_QSIZE = 1024;
    /** Largest UDP payload over IPv4 (65535 minus IP and UDP headers); IPv6 allows 8 bytes more, we keep one limit. */
    public static final int MAX_DATAGRAM = 65_507;

    private static final PipeConf DEFAULTS = builder().build();

    public PipeConf {
        positive("dnsTimeout", dnsTimeout);
        positive("recvTimeout", recvTimeout);
        atLeast("maxQsize", maxQsize, 1);
        atLeast("maxMsgIds", maxMsgIds, 1);
        atLeast("readerLimit", readerLimit, 64);
        atLeast("sendRetry", sendRetry, 0);
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(resolver, "resolver");
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

    static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    static void positive(String name, Optional<Duration> d) {
        Objects.requireNonNull(d, name);
        d.ifPresent(v -> positive(name, v));
    }

    static void atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
        }
    }

    /** Builds a {@link PipeConf}; each setter checks nothing, {@link #build()} checks everything. */
    public static final class Builder {
        private Duration dnsTimeout = Duration.ofSeconds(2);
        private Duration recvTimeout = Duration.ofSeconds(2);
        private int maxQsize = DEFAULT_MAX_QSIZE;
        private boolean enableMsgIds;
        private int maxMsgIds = 1000;
        private boolean reuseAddr;
        private int readerLimit = 1 << 16;
        private boolean doClose = true;
        private int sendRetry = 2;
        private Optional<EventLoopGroup> loop = Optional.empty();
        private Resolver resolver = Resolver.system();
        private int sendBuffer;
        private int receiveBuffer;

        private Builder() {
        }

        private Builder(PipeConf c) {
            dnsTimeout = c.dnsTimeout;
            recvTimeout = c.recvTimeout;
            maxQsize = c.maxQsize;
            enableMsgIds = c.enableMsgIds;
            maxMsgIds = c.maxMsgIds;
            reuseAddr = c.reuseAddr;
            readerLimit = c.readerLimit;
            doClose = c.doClose;
            sendRetry = c.sendRetry;
            loop = c.loop;
            resolver = c.resolver;
            sendBuffer = c.sendBuffer;
            receiveBuffer = c.receiveBuffer;
        }

        public Builder dnsTimeout(Duration v) { dnsTimeout = v; return this; }
        public Builder recvTimeout(Duration v) { recvTimeout = v; return this; }
        public Builder maxQsize(int v) { maxQsize = v; return this; }
        public Builder enableMsgIds(boolean v) { enableMsgIds = v; return this; }
        public Builder maxMsgIds(int v) { maxMsgIds = v; return this; }
        public Builder reuseAddr(boolean v) { reuseAddr = v; return this; }
        public Builder readerLimit(int v) { readerLimit = v; return this; }
        public Builder doClose(boolean v) { doClose = v; return this; }
        public Builder sendRetry(int v) { sendRetry = v; return this; }
        public Builder loop(EventLoopGroup v) { loop = Optional.of(v); return this; }
        public Builder resolver(Resolver v) { resolver = v; return this; }
        /** SO_SNDBUF in bytes (0: the OS's own); for a TCP server, of each connection. */
        public Builder sendBuffer(int v) { sendBuffer = v; return this; }
        /** SO_RCVBUF in bytes (0: the OS's own); for a TCP server, of each connection. */
        public Builder receiveBuffer(int v) { receiveBuffer = v; return this; }

        /** @throws IllegalArgumentException naming the first option whose value is wrong */
        public PipeConf build() {
            return new PipeConf(dnsTimeout, recvTimeout, maxQsize, enableMsgIds, maxMsgIds, reuseAddr,
                    readerLimit, doClose, sendRetry, loop, resolver, sendBuffer, receiveBuffer);
        }
    }
}
