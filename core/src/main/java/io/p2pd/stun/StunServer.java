package io.p2pd.stun;

import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.net.EventLoops;
import io.p2pd.pipe.FrameTooLongException;
import io.p2pd.pipe.Framing;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.PipeConf;
import io.p2pd.pipe.ServerLimits;
import io.p2pd.pipe.TcpOptions;
import io.p2pd.pipe.PipeStats;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A STUN server over UDP and TCP, on the project's pipes.
 *
 * <p>With one IP it is a plain RFC 8489 server (XOR-MAPPED-ADDRESS and MAPPED-ADDRESS). With two IPs
 * (see {@link StunServerConfig#hasAlternate()}) it listens on both IPs times both ports and is an RFC 5780
 * server: replies carry OTHER-ADDRESS and RESPONSE-ORIGIN, and a UDP CHANGE-REQUEST is answered from the
 * other IP and/or port. RFC 3489 requests (no magic cookie) get MAPPED-ADDRESS, SOURCE-ADDRESS and
 * CHANGED-ADDRESS. Garbage is counted ({@link #malformedCount()}) and dropped; the server never answers
 * it and never stops because of it.
 *
 * <p>Every listener is a pipe: a UDP pipe, or a TCP server pipe with {@link Framing#stun()} framing. UDP requests
 * up to {@link #MAX_UDP_REQUEST} bytes are answered; larger ones are dropped and counted
 * ({@link #oversizedCount()}); a TCP request over {@link #MAX_TCP_REQUEST} bytes closes its connection. A TCP
 * connection is read only while its answers drain (one that pipelines requests and never reads stops being read;
 * its socket's send buffer is small, {@link #TCP_SEND_BUFFER}, so that happens after a few thousand answers), and is
 * closed when its answers stay backed up ({@link StunServerConfig#writeStallTimeout()}), when no whole request came
 * after it was accepted ({@link StunServerConfig#firstMessageTimeout()}), when it has been quiet
 * ({@link StunServerConfig#idleTimeout()}), or when no whole request came for {@code idleTimeout} although bytes
 * trickle in (a request started and never finished must not hold its buffer for ever). The connection caps
 * {@link StunServerConfig#maxConnections()} and {@link StunServerConfig#maxConnectionsPerIp()} count over the whole
 * server, every TCP listener together (IPv6 clients per /64 prefix). Past {@code maxConnections}, a new connection
 * takes the place of the oldest one that has not delivered a whole request yet (so a flood of idle connections cannot
 * lock out clients that ask at once), and is closed at once only when every open connection has; past
 * {@code maxConnectionsPerIp} it is closed at once. Both count in {@link #refusedConnectionCount()}.
 *
 * <p>The UDP listeners run on an event-loop thread of their own, away from the TCP connections, so that a TCP flood
 * does not delay UDP answers; their sockets ask for a receive buffer of {@link #UDP_RECEIVE_BUFFER} bytes to ride
 * out bursts.
 */
public final class StunServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StunServer.class);
    private static final int BIND_ATTEMPTS = 10;
    /**
     * The largest UDP request answered, in bytes (coturn answers up to 9,000); a larger datagram is dropped and
     * counted in {@link #oversizedCount()}. STUN over UDP should fit the path MTU; this leaves room for jumbo frames.
     */
    public static final int MAX_UDP_REQUEST = 9000;
    /**
     * The largest TCP request read, in bytes, as over UDP: a larger one closes its connection (counted in
     * {@link #oversizedCount()}). With the 16-bit length a request could claim 65,555 bytes; 10,000 connections
     * each holding that much of a partial request would need 655 MB.
     */
    public static final int MAX_TCP_REQUEST = MAX_UDP_REQUEST;
    /**
     * SO_SNDBUF of each TCP connection, in bytes. The OS otherwise grows it to megabytes, which a client that
     * pipelines requests and never reads fills before the server notices (tens of thousands of answers).
     */
    public static final int TCP_SEND_BUFFER = 32 * 1024;
    /** SO_RCVBUF asked for each UDP listener (the OS may cap it, on Linux at net.core.rmem_max). */
    public static final int UDP_RECEIVE_BUFFER = 1 << 20;
    /** At most this many types are listed in a 420 answer's UNKNOWN-ATTRIBUTES (coturn's answer is 332 bytes). */
    static final int MAX_UNKNOWN_LISTED = 16;
    /** Comprehension-required attributes a binding request may carry without a 420 answer. */
    private static final Set<Integer> UNDERSTOOD = Set.of(StunAttribute.MAPPED_ADDRESS,
            StunAttribute.CHANGE_REQUEST, StunAttribute.USERNAME, StunAttribute.MESSAGE_INTEGRITY,
            StunAttribute.REALM, StunAttribute.NONCE, StunAttribute.XOR_MAPPED_ADDRESS,
            0x001C /* MESSAGE-INTEGRITY-SHA256 */, 0x001E /* USERHASH */, 0x0024 /* ICE PRIORITY */,
            0x0025 /* ICE USE-CANDIDATE */, 0x0026 /* PADDING: ignoring it is allowed */,
            StunAttribute.RESPONSE_PORT);
    private static final PipeConf UDP_CONF = PipeConf.builder().readerLimit(MAX_UDP_REQUEST)
            .receiveBuffer(UDP_RECEIVE_BUFFER).build();
    private static final PipeConf TCP_CONF = PipeConf.builder().readerLimit(MAX_TCP_REQUEST)
            .sendBuffer(TCP_SEND_BUFFER).build();
    private static final TcpOptions STUN_FRAMING = TcpOptions.builder().framing(Framing.stun()).build();

    /**
     * The TCP listeners' limits: the pipe's timeouts as the configuration sets them. The connection caps are not the
     * pipe's: each listener would count on its own, so the server counts them ({@link #admit}).
     */
    private static ServerLimits tcpLimits(StunServerConfig config) {
        return ServerLimits.builder().firstMessageTimeout(config.firstMessageTimeout())
                .idleTimeout(config.idleTimeout()).writeStallTimeout(config.writeStallTimeout()).build();
    }

    private final StunServerConfig config;
    private final Pipe[][] udp = new Pipe[2][2]; // [ip index][port index]
    private final Pipe[][] tcp = new Pipe[2][2];
    private final List<Pipe> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong ignored = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong unauthenticated = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** TCP connections open now over every listener, in all and per client (see {@link #clientKey}). */
    private final AtomicInteger open = new AtomicInteger();
    private final Map<Object, Integer> openPerClient = new ConcurrentHashMap<>();
    /** When each open TCP connection last delivered a whole request (or was accepted), System.nanoTime. */
    private final Map<Pipe, AtomicLong> lastRequest = new ConcurrentHashMap<>();
    private final AtomicLong refusedHere = new AtomicLong();
    /**
     * Open TCP connections that have not delivered a whole request yet, oldest first: at {@code maxConnections} a
     * newcomer takes the place of the oldest, so a flood of idle connections cannot lock legitimate clients out.
     * The set says who is still silent (claimed by removing); the queue keeps their order.
     */
    private final Set<Pipe> silent = ConcurrentHashMap.newKeySet();
    private final Queue<Pipe> silentOrder = new ConcurrentLinkedQueue<>();
    private final AtomicLong unfinishedRequests = new AtomicLong();
    private final AtomicLong closedConnections = new AtomicLong();
    private final AtomicLong oversizedTcp = new AtomicLong();
    /**
     * The server's own thread: UDP listeners (apart from the TCP connections on the shared loops, for fairness) and
     * the check for unfinished requests.
     */
    private final IoEventLoopGroup ownLoop = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("p2pd-stun", true),
            EventLoops.nativeTransport() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    private volatile ScheduledFuture<?> unfinishedCheck;
    /** Set once every listener is bound: a reply may need any of them (and this publishes the arrays). */
    private volatile boolean ready;
    private final CompletableFuture<Void> closeFuture = new LoopSafeFuture<>();

    private StunServer(StunServerConfig config) {
        this.config = config;
    }

    /**
     * Binds every listener and completes with the running server, or fails with a {@link BindException}
     * naming the first listener that could not bind (after a few attempts when a port is 0).
     */
    public static CompletableFuture<StunServer> start(StunServerConfig config) {
        CompletableFuture<StunServer> out = new LoopSafeFuture<>();
        // Binding is a short sequence of waits for the listeners, made off the event loop, on a virtual thread.
        Thread.ofVirtual().name("p2pd-stun-server-start").start(() -> {
            try {
                out.complete(bindAll(config));
            } catch (Throwable e) {
                out.completeExceptionally(e);
            }
        });
        return out;
    }

    private static StunServer bindAll(StunServerConfig config) throws Exception {
        boolean anyPort = config.primaryPort() == 0 || (config.hasAlternate() && config.alternatePort() == 0);
        for (int attempt = 1; ; attempt++) {
            StunServer s = new StunServer(config);
            try {
                s.bind();
                return s;
            } catch (Exception e) {
                s.closeAsync();
                // A port picked by the kernel for one listener may be taken for another IP or protocol: retry.
                if (!(e instanceof BindException) || !anyPort || attempt == BIND_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private void bind() throws Exception {
        InetAddress[] ips = {config.primaryIp(), config.alternateIp().orElse(null)};
        int[] ports = {config.primaryPort(), config.alternatePort()};
        int n = config.hasAlternate() ? 2 : 1;
        // Order: both ports on the primary IP first (learning the kernel's choice), then the other IP. TCP before
        // UDP: a port the kernel picks for a TCP listener is free of every TCP conflict, while a number picked for
        // UDP is often taken for TCP after many connections (closed client sockets wait in TIME_WAIT for a minute);
        // UDP ports are seldom contended.
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                InetSocketAddress at = new InetSocketAddress(ips[i], ports[j]);
                if (config.tcp()) {
                    tcp[i][j] = listen(Proto.TCP, at, tcpHandler(i, j));
                    at = tcp[i][j].localAddress();
                }
                if (config.udp()) {
                    udp[i][j] = listen(Proto.UDP, at, udpHandler(i, j));
                    at = udp[i][j].localAddress();
                }
                ports[j] = at.getPort();
            }
        }
        if (config.tcp()) {
            unfinishedCheck = ownLoop.scheduleAtFixedRate(this::closeUnfinished, checkPeriod(), checkPeriod(),
                    TimeUnit.NANOSECONDS);
        }
        ready = true;
    }

    /** Opens one listener; fails with the pipe's {@link BindException}, which names the protocol and address. */
    private Pipe listen(Proto proto, InetSocketAddress at, MsgHandler handler) throws Exception {
        Pipes.Opener<?> opener = proto == Proto.TCP
                ? Pipes.tcp().conf(TCP_CONF).tcp(STUN_FRAMING).limits(tcpLimits(config)).upHandler(this::admit)
                : Pipes.udp().conf(UDP_CONF.toBuilder().loop(ownLoop).build());
        opener.bind(at).msgHandler(handler);
        try {
            Pipe p = opener.open().get();
            listeners.add(p);
            if (closed.get()) { // closed while binding: this one too
                p.closeAsync();
            }
            return p;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /**
     * Takes in a TCP connection a listener accepted, before its first read, or closes it at once (counted) when it
     * is past {@code maxConnections} or {@code maxConnectionsPerIp} over the whole server.
     */
    private void admit(Pipe conn) {
        Object client = clientKey(conn.remoteAddress().orElseThrow().getAddress());
        int fromClient = openPerClient.merge(client, 1, Integer::sum);
        int total = open.incrementAndGet();
        // The per-IP cap first: a newcomer it refuses must not have cost a silent connection its place.
        boolean admitted = fromClient <= config.maxConnectionsPerIp()
                && (total <= config.maxConnections() || evictOldestSilent());
        if (!admitted) {
            release(client);
            open.decrementAndGet();
            refusedHere.incrementAndGet();
            closedConnections.incrementAndGet();
            LOG.debug("refused {}: connection cap reached", conn);
            conn.closeAsync();
            return;
        }
        lastRequest.put(conn, new AtomicLong(System.nanoTime()));
        silent.add(conn);
        silentOrder.add(conn);
        // An end handler runs before the connection's closeFuture completes, so before the server's close completes.
        conn.addEndHandler(ended -> {
            if (ended.closeCause().orElse(null) instanceof FrameTooLongException) {
                oversizedTcp.incrementAndGet();
            }
            lastRequest.remove(conn);
            spoke(conn);
            open.decrementAndGet();
            release(client);
            closedConnections.incrementAndGet();
        });
    }

    /**
     * At {@code maxConnections}: closes the oldest connection that has not delivered a whole request yet, to make
     * room for a newcomer (counted as refused); false when every open connection has spoken.
     */
    private boolean evictOldestSilent() {
        for (Pipe victim = silentOrder.poll(); victim != null; victim = silentOrder.poll()) {
            if (silent.remove(victim)) {
                refusedHere.incrementAndGet();
                LOG.debug("closed {}: silent, and a new connection needed its place", victim);
                victim.closeAsync();
                return true;
            }
        }
        return false;
    }

    /** {@code conn} delivered a whole request, or ended: it is no longer a candidate for eviction. */
    private void spoke(Pipe conn) {
        if (silent.remove(conn)) {
            silentOrder.remove(conn);
        }
    }

    private void release(Object client) {
        openPerClient.computeIfPresent(client, (k, n) -> n == 1 ? null : n - 1);
    }

    /**
     * Whom {@code maxConnectionsPerIp} counts: an IPv4 address, or an IPv6 address's /64 prefix (one host, or one
     * site, commonly holds a whole /64, so counting per address would not bound one client).
     */
    static Object clientKey(InetAddress ip) {
        if (ip instanceof Inet6Address) {
            return new Prefix64(ByteBuffer.wrap(ip.getAddress()).getLong());
        }
        return ip;
    }

    private record Prefix64(long bits) {
    }

    /**
     * Closes TCP connections that delivered no whole request for {@code idleTimeout} although they send bytes (the
     * pipe's idle timeout counts bytes, so a request trickled a byte at a time would hold its buffer for ever).
     */
    private void closeUnfinished() {
        // One period of grace: a connection that went silent altogether is the pipe's own idleTimeout's to close
        // (and count), which fires at idleTimeout sharp; this one must not close, and count, it a second time.
        long limit = config.idleTimeout().toNanos() + checkPeriod();
        long now = System.nanoTime();
        lastRequest.forEach((conn, last) -> {
            if (now - last.get() > limit && conn.isOpen()) {
                unfinishedRequests.incrementAndGet();
                LOG.debug("closed {}: no whole request for {} ms", conn, config.idleTimeout().toMillis());
                conn.closeAsync();
            }
        });
    }

    /** How often {@link #closeUnfinished} looks: a quarter of idleTimeout, within 10 ms and 1 s. */
    private long checkPeriod() {
        return Math.clamp(config.idleTimeout().toNanos() / 4, TimeUnit.MILLISECONDS.toNanos(10),
                TimeUnit.SECONDS.toNanos(1));
    }

    private MsgHandler udpHandler(int i, int j) {
        return MsgHandler.inPlace((data, sender, pipe) -> {
            Outcome o = handle(bytes(data), sender, false, i, j);
            if (o.reply() != null) {
                Pipe out = udp[i ^ ((o.changeFlags() & 4) >> 2)][j ^ ((o.changeFlags() & 2) >> 1)];
                InetSocketAddress to = o.responsePort() < 0 ? sender
                        : new InetSocketAddress(sender.getAddress(), o.responsePort());
                out.send(o.reply().encode(), to);
            }
        });
    }

    /**
     * An in-place handler: the pipe stops reading a connection while the answers it was sent are backed up, so a
     * client that pipelines requests and never reads holds no more than the channel's high-water mark.
     */
    private MsgHandler tcpHandler(int i, int j) {
        return MsgHandler.inPlace((data, sender, conn) -> {
            AtomicLong last = lastRequest.get(conn);
            if (last != null) {
                last.set(System.nanoTime());
            }
            spoke(conn);
            Outcome o = handle(bytes(data), sender, true, i, j);
            if (o.garbage()) {
                conn.closeAsync(); // garbage on a stream: the framing cannot be trusted any more
            } else if (o.reply() != null) {
                conn.send(o.reply().encode());
            }
        });
    }

    private static byte[] bytes(ByteBuffer view) {
        byte[] b = new byte[view.remaining()];
        view.get(b);
        return b;
    }

    /** What to do with one message: nothing (reply null; garbage or not), or send reply, changed as asked. */
    private record Outcome(StunMessage reply, int changeFlags, int responsePort, boolean garbage) {
        static final Outcome GARBAGE = new Outcome(null, 0, -1, true);
        static final Outcome NONE = new Outcome(null, 0, -1, false);

        static Outcome send(StunMessage reply) {
            return new Outcome(reply, 0, -1, false);
        }
    }

    /**
     * The reply to one message; garbage is counted, as are well-formed messages that get no answer
     * (responses, indications).
     */
    private Outcome handle(byte[] bytes, InetSocketAddress sender, boolean overTcp, int i, int j) {
        if (!ready) { // still binding the other listeners: like a datagram that came a moment too early
            ignored.incrementAndGet();
            return Outcome.NONE;
        }
        StunMessage req;
        try {
            req = StunMessage.decode(bytes);
        } catch (StunDecodeException e) {
            malformed.incrementAndGet();
            LOG.debug("malformed STUN message from {}: {}", sender, e.getMessage());
            return Outcome.GARBAGE;
        }
        if (req.hasFingerprint() && !req.checkFingerprint()) {
            malformed.incrementAndGet();
            LOG.debug("bad FINGERPRINT from {}", sender);
            return Outcome.GARBAGE;
        }
        if (req.messageClass() != StunMessage.MessageClass.REQUEST) {
            ignored.incrementAndGet();
            return Outcome.NONE;
        }
        requests.incrementAndGet();
        if (req.method() != StunMessage.METHOD_BINDING) {
            return Outcome.send(error(req, new StunErrorCode(StunErrorCode.BAD_REQUEST, "only Binding is served here")));
        }
        Optional<StunErrorCode> refused = unauthenticated(req);
        if (refused.isPresent()) {
            unauthenticated.incrementAndGet();
            return Outcome.send(error(req, refused.get()));
        }
        List<Integer> unknown = unknownRequired(req.attributes(), this::understood);
        if (!unknown.isEmpty()) { // RFC 5780 section 7.2: a server without alternate answers CHANGE-REQUEST so
            StunMessage.Builder b = StunMessage.responseTo(req, StunMessage.MessageClass.ERROR_RESPONSE)
                    .errorCode(new StunErrorCode(StunErrorCode.UNKNOWN_ATTRIBUTE, "Unknown Attribute"))
                    .unknownAttributes(unknown);
            config.software().ifPresent(b::software);
            if (req.hasFingerprint()) {
                b.fingerprint();
            }
            return Outcome.send(b.build());
        }
        int flags = req.changeRequest().orElse(0);
        if (overTcp && (flags != 0 || req.responsePort().isPresent())) {
            return Outcome.send(error(req, new StunErrorCode(StunErrorCode.BAD_REQUEST,
                    "CHANGE-REQUEST and RESPONSE-PORT need UDP")));
        }
        Pipe[][] listeners = overTcp ? tcp : udp;
        InetSocketAddress origin = listeners[i ^ ((flags & 4) >> 2)][j ^ ((flags & 2) >> 1)].localAddress();
        Optional<InetSocketAddress> other = config.hasAlternate()
                ? Optional.of(listeners[i ^ 1][j ^ 1].localAddress()) : Optional.empty();
        StunMessage.Builder b = StunMessage.responseTo(req, StunMessage.MessageClass.SUCCESS_RESPONSE);
        if (req.hasMagicCookie()) {
            b.xorMappedAddress(sender);
        }
        b.mappedAddress(sender);
        if (!req.hasMagicCookie() || config.rfc3489Attributes()) {
            b.sourceAddress(origin);
            other.ifPresent(b::changedAddress);
        }
        if (req.hasMagicCookie()) {
            other.ifPresent(b::otherAddress);
            if (config.hasAlternate()) {
                b.responseOrigin(origin);
            }
        }
        config.software().ifPresent(b::software);
        config.credentials().ifPresent(c -> b.messageIntegrity(c.key()));
        if (req.hasFingerprint()) {
            b.fingerprint();
        }
        // RFC 5780 section 7.5: RESPONSE-PORT redirects the answer to another port of the same IP.
        return new Outcome(b.build(), flags, req.responsePort().orElse(-1), false);
    }

    /**
     * With credentials, why a request is refused (RFC 8489 section 9.1.3): 400 when USERNAME or
     * MESSAGE-INTEGRITY is missing, 401 when the username is not ours or the signature does not match.
     */
    private Optional<StunErrorCode> unauthenticated(StunMessage req) {
        if (config.credentials().isEmpty()) {
            return Optional.empty();
        }
        StunCredentials ours = config.credentials().get();
        if (req.username().isEmpty() || !req.hasIntegrity()) {
            return Optional.of(new StunErrorCode(StunErrorCode.BAD_REQUEST, "USERNAME and MESSAGE-INTEGRITY needed"));
        }
        if (!req.username().get().equals(ours.username()) || !req.checkIntegrity(ours.key())) {
            return Optional.of(new StunErrorCode(StunErrorCode.UNAUTHORIZED, "Unauthorized"));
        }
        return Optional.empty();
    }

    private boolean understood(int type) {
        return UNDERSTOOD.contains(type) && (type != StunAttribute.CHANGE_REQUEST || config.hasAlternate());
    }

    /**
     * The comprehension-required types among {@code attributes} that {@code understood} refuses, each once, in
     * order, at most {@link #MAX_UNKNOWN_LISTED}: the answer stays small whatever the request holds, and the work is
     * at most that many comparisons per attribute. The scan stops at the last type it can list.
     */
    static List<Integer> unknownRequired(List<StunAttribute> attributes, IntPredicate understood) {
        int[] found = new int[MAX_UNKNOWN_LISTED];
        int n = 0;
        for (StunAttribute a : attributes) {
            if (!a.comprehensionRequired() || understood.test(a.type()) || listed(found, n, a.type())) {
                continue;
            }
            found[n++] = a.type();
            if (n == found.length) {
                break;
            }
        }
        return Arrays.stream(found, 0, n).boxed().toList();
    }

    private static boolean listed(int[] found, int n, int type) {
        for (int k = 0; k < n; k++) {
            if (found[k] == type) {
                return true;
            }
        }
        return false;
    }

    private StunMessage error(StunMessage req, StunErrorCode code) {
        StunMessage.Builder b = StunMessage.responseTo(req, StunMessage.MessageClass.ERROR_RESPONSE).errorCode(code);
        config.software().ifPresent(b::software);
        if (req.hasFingerprint()) {
            b.fingerprint();
        }
        return b.build();
    }

    /** The configuration this server was started with (ports possibly 0: see {@link #localAddresses()}). */
    public StunServerConfig config() {
        return config;
    }

    /** The primary IP and port: where clients send their first request. */
    public InetSocketAddress primaryAddress() {
        return (config.udp() ? udp[0][0] : tcp[0][0]).localAddress();
    }

    /** The alternate IP and port (RFC 5780 OTHER-ADDRESS of the primary), when configured. */
    public Optional<InetSocketAddress> otherAddress() {
        return config.hasAlternate()
                ? Optional.of((config.udp() ? udp[1][1] : tcp[1][1]).localAddress()) : Optional.empty();
    }

    /**
     * Every bound address (each listens on every enabled protocol), in the order primary IP with primary
     * port, primary IP with alternate port, alternate IP with primary port, alternate IP with alternate port.
     */
    public List<InetSocketAddress> localAddresses() {
        Pipe[][] c = config.udp() ? udp : tcp;
        List<InetSocketAddress> out = new ArrayList<>();
        int n = config.hasAlternate() ? 2 : 1;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                out.add(c[i][j].localAddress());
            }
        }
        return List.copyOf(out);
    }

    /** Messages that did not decode (or failed their FINGERPRINT) and were dropped. */
    public long malformedCount() {
        return malformed.get();
    }

    /** Messages dropped unanswered although well-formed: responses, indications, and arrivals during start. */
    public long ignoredCount() {
        return ignored.get();
    }

    /** Requests answered (successes and error responses). */
    public long requestCount() {
        return requests.get();
    }

    /** Requests refused for want of the configured credentials (400 or 401 sent). */
    public long unauthenticatedCount() {
        return unauthenticated.get();
    }

    /**
     * Requests refused for their size: UDP datagrams dropped unanswered because they were larger than
     * {@link #MAX_UDP_REQUEST}, and TCP connections closed because a request was larger than {@link #MAX_TCP_REQUEST}.
     */
    public long oversizedCount() {
        return sum(PipeStats::oversized) + oversizedTcp.get();
    }

    /** TCP connections open now, over every TCP listener. */
    public int connectionCount() {
        int n = 0;
        for (Pipe p : listeners) {
            n += p.connections().size();
        }
        return n;
    }

    /**
     * TCP connections closed at once because {@code maxConnections} or {@code maxConnectionsPerIp} was reached, over
     * the whole server.
     */
    public long refusedConnectionCount() {
        return refusedHere.get();
    }

    /**
     * TCP connections closed by {@code firstMessageTimeout} (no whole request yet), {@code idleTimeout} (no traffic,
     * or no whole request although bytes came) or {@code writeStallTimeout} (answers not read).
     */
    public long timedOutConnectionCount() {
        return sum(PipeStats::timedOutConnections) + unfinishedRequests.get();
    }

    /**
     * TCP connections that ended, for any reason: refused, timed out, closed by the client, or closed for a request
     * over {@link #MAX_TCP_REQUEST} bytes or for garbage.
     */
    public long closedConnectionCount() {
        return closedConnections.get();
    }

    /**
     * The most answer bytes that waited in memory to be written to one TCP connection at once, over every
     * connection so far: bounded by back-pressure, whatever a client that does not read sends.
     */
    public long peakPendingBytes() {
        long peak = 0;
        for (Pipe p : listeners) {
            peak = Math.max(peak, p.stats().peakPendingBytes());
        }
        return peak;
    }

    /** One counter summed over every listener (a TCP listener's counters include its connections'). */
    private long sum(ToLongFunction<PipeStats> counter) {
        long n = 0;
        for (Pipe p : listeners) {
            n += counter.applyAsLong(p.stats());
        }
        return n;
    }

    /**
     * Closes every listener and connection; completes when all have ended (never fails). Idempotent.
     */
    public CompletableFuture<Void> closeAsync() {
        if (closed.compareAndSet(false, true)) {
            ScheduledFuture<?> check = unfinishedCheck;
            if (check != null) {
                check.cancel(false);
            }
            CompletableFuture.allOf(listeners.stream().map(Pipe::closeAsync).toArray(CompletableFuture[]::new))
                    .whenComplete((x, e) -> ownLoop.shutdownGracefully(0, 0, TimeUnit.SECONDS)
                            .addListener(f -> closeFuture.complete(null)));
        }
        return closeFuture.copy();
    }

    /**
     * Closes the server and waits until every listener and connection has ended, as {@link Pipe#close()} does;
     * on an event loop, which must never wait, it only starts closing. Idempotent.
     */
    @Override
    public void close() {
        CompletableFuture<Void> done = closeAsync();
        if (!LoopSafeFuture.onEventLoop()) {
            done.join();
        }
    }

    @Override
    public String toString() {
        return "StunServer" + localAddresses();
    }
}
