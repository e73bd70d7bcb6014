package io.p2pd.stun;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A STUN server on Netty, over UDP and TCP.
 *
 * <p>With one IP it is a plain RFC 8489 server (XOR-MAPPED-ADDRESS and MAPPED-ADDRESS). With two IPs
 * (see {@link StunServerConfig#hasAlternate()}) it listens on both IPs times both ports and is an RFC 5780
 * server: replies carry OTHER-ADDRESS and RESPONSE-ORIGIN, and a UDP CHANGE-REQUEST is answered from the
 * other IP and/or port. RFC 3489 requests (no magic cookie) get MAPPED-ADDRESS, SOURCE-ADDRESS and
 * CHANGED-ADDRESS. Garbage is counted ({@link #malformedCount()}) and dropped; the server never answers
 * it and never stops because of it.
 */
public final class StunServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StunServer.class);
    private static final int BIND_ATTEMPTS = 10;
    /** Comprehension-required attributes a binding request may carry without a 420 answer. */
    private static final Set<Integer> UNDERSTOOD = Set.of(StunAttribute.MAPPED_ADDRESS,
            StunAttribute.CHANGE_REQUEST, StunAttribute.USERNAME, StunAttribute.MESSAGE_INTEGRITY,
            StunAttribute.REALM, StunAttribute.NONCE, StunAttribute.XOR_MAPPED_ADDRESS,
            0x001C /* MESSAGE-INTEGRITY-SHA256 */, 0x001E /* USERHASH */, 0x0024 /* ICE PRIORITY */,
            0x0025 /* ICE USE-CANDIDATE */, 0x0026 /* PADDING: ignoring it is allowed */,
            StunAttribute.RESPONSE_PORT);

    private final StunServerConfig config;
    private final Channel[][] udp = new Channel[2][2]; // [ip index][port index]
    private final Channel[][] tcp = new Channel[2][2];
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong ignored = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong unauthenticated = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set once every listener is bound: a reply may need any of them (and this publishes the arrays). */
    private volatile boolean ready;
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();

    private StunServer(StunServerConfig config) {
        this.config = config;
    }

    /**
     * Binds every listener and completes with the running server, or fails with a {@link BindException}
     * naming the first listener that could not bind (after a few attempts when a port is 0).
     */
    public static CompletableFuture<StunServer> start(StunServerConfig config) {
        CompletableFuture<StunServer> out = new CompletableFuture<>();
        // Binding is a short sequence of blocking calls made off the event loop, on a virtual thread.
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
        // UDP is often taken for TCP after many connections (closed client sockets wait in TIME_WAIT for a minute,
        // without SO_REUSEADDR); UDP ports are seldom contended.
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                InetSocketAddress at = new InetSocketAddress(ips[i], ports[j]);
                if (config.tcp()) {
                    tcp[i][j] = bindTcp(at, i, j);
                    at = local(tcp[i][j]);
                }
                if (config.udp()) {
                    udp[i][j] = bindUdp(at, i, j);
                    at = local(udp[i][j]);
                }
                ports[j] = at.getPort();
            }
        }
        ready = true;
    }

    private Channel bindUdp(InetSocketAddress at, int i, int j) throws InterruptedException, BindException {
        var ch = new Bootstrap().group(StunLoops.group()).channel(StunLoops.datagramChannel())
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                        onUdp(i, j, ByteBufUtil.getBytes(p.content()), p.sender());
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        LOG.debug("STUN UDP listener {}: {}", ctx.channel().localAddress(), cause.toString());
                    }
                }).bind(at).await();
        return bound(ch, "UDP", at);
    }

    /**
     * The bound channel, or a {@link BindException} naming the protocol and address: the native transports
     * report only "bind(..) failed" in an exception of their own.
     */
    private Channel bound(io.netty.channel.ChannelFuture f, String proto, InetSocketAddress at) throws BindException {
        if (!f.isSuccess()) {
            BindException e = new BindException("cannot listen on " + proto + " " + at + ": "
                    + f.cause().getMessage());
            e.initCause(f.cause());
            throw e;
        }
        channels.add(f.channel());
        return f.channel();
    }

    private Channel bindTcp(InetSocketAddress at, int i, int j) throws InterruptedException, BindException {
        // SO_REUSEADDR: a port given in the config may still be in TIME_WAIT from an old TCP connection, which
        // would refuse a plain bind (what java.net.ServerSocket sets by default too; it allows no second listener).
        var ch = new ServerBootstrap().group(StunLoops.group()).channel(StunLoops.serverSocketChannel())
                .option(io.netty.channel.ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        channels.add(c);
                        c.pipeline().addLast(new ReadTimeoutHandler(30), tcpFramer(), new TcpHandler(i, j));
                    }
                }).bind(at).await();
        return bound(ch, "TCP", at);
    }

    /** STUN over TCP: the 16-bit length at offset 2 counts the bytes after the 20-byte header (16 after it). */
    static LengthFieldBasedFrameDecoder tcpFramer() {
        return new LengthFieldBasedFrameDecoder(StunMessage.HEADER_LENGTH + 0xFFFF, 2, 2, 16, 0);
    }

    private final class TcpHandler extends SimpleChannelInboundHandler<ByteBuf> {
        private final int i;
        private final int j;

        TcpHandler(int i, int j) {
            this.i = i;
            this.j = j;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            byte[] bytes = ByteBufUtil.getBytes(frame);
            InetSocketAddress sender = (InetSocketAddress) ctx.channel().remoteAddress();
            Outcome o = handle(bytes, sender, true, i, j);
            if (o.garbage()) {
                ctx.close(); // garbage on a stream: the framing cannot be trusted any more
            } else if (o.reply() != null) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(o.reply().encode()));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("STUN TCP connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /** What to do with one message: nothing (reply null; garbage or not), or send reply, changed as asked. */
    private record Outcome(StunMessage reply, int changeFlags, int responsePort, boolean garbage) {
        static final Outcome GARBAGE = new Outcome(null, 0, -1, true);
        static final Outcome NONE = new Outcome(null, 0, -1, false);

        static Outcome send(StunMessage reply) {
            return new Outcome(reply, 0, -1, false);
        }
    }

    private void onUdp(int i, int j, byte[] bytes, InetSocketAddress sender) {
        Outcome o = handle(bytes, sender, false, i, j);
        if (o.reply() != null) {
            Channel out = udp[i ^ ((o.changeFlags() & 4) >> 2)][j ^ ((o.changeFlags() & 2) >> 1)];
            InetSocketAddress to = o.responsePort() < 0 ? sender : new InetSocketAddress(sender.getAddress(), o.responsePort());
            out.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(o.reply().encode()), to));
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
        List<Integer> unknown = new ArrayList<>();
        for (StunAttribute a : req.attributes()) {
            boolean understood = UNDERSTOOD.contains(a.type())
                    && (a.type() != StunAttribute.CHANGE_REQUEST || config.hasAlternate());
            if (a.comprehensionRequired() && !understood && !unknown.contains(a.type())) {
                unknown.add(a.type());
            }
        }
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
        Channel[][] listeners = overTcp ? tcp : udp;
        InetSocketAddress origin = local(listeners[i ^ ((flags & 4) >> 2)][j ^ ((flags & 2) >> 1)]);
        Optional<InetSocketAddress> other = config.hasAlternate()
                ? Optional.of(local(listeners[i ^ 1][j ^ 1])) : Optional.empty();
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

    private StunMessage error(StunMessage req, StunErrorCode code) {
        StunMessage.Builder b = StunMessage.responseTo(req, StunMessage.MessageClass.ERROR_RESPONSE).errorCode(code);
        config.software().ifPresent(b::software);
        if (req.hasFingerprint()) {
            b.fingerprint();
        }
        return b.build();
    }

    private static InetSocketAddress local(Channel ch) {
        return (InetSocketAddress) ch.localAddress();
    }

    /** The configuration this server was started with (ports possibly 0: see {@link #localAddresses()}). */
    public StunServerConfig config() {
        return config;
    }

    /** The primary IP and port: where clients send their first request. */
    public InetSocketAddress primaryAddress() {
        return local(config.udp() ? udp[0][0] : tcp[0][0]);
    }

    /** The alternate IP and port (RFC 5780 OTHER-ADDRESS of the primary), when configured. */
    public Optional<InetSocketAddress> otherAddress() {
        return config.hasAlternate() ? Optional.of(local(config.udp() ? udp[1][1] : tcp[1][1])) : Optional.empty();
    }

    /**
     * Every bound address (each listens on every enabled protocol), in the order primary IP with primary
     * port, primary IP with alternate port, alternate IP with primary port, alternate IP with alternate port.
     */
    public List<InetSocketAddress> localAddresses() {
        Channel[][] c = config.udp() ? udp : tcp;
        List<InetSocketAddress> out = new ArrayList<>();
        int n = config.hasAlternate() ? 2 : 1;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                out.add(local(c[i][j]));
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

    /** Closes every listener and connection; completes when all are closed. Idempotent. */
    public CompletableFuture<Void> closeAsync() {
        if (closed.compareAndSet(false, true)) {
            channels.close().addListener(f -> closeFuture.complete(null));
        }
        return closeFuture;
    }

    /** Starts closing (see {@link #closeAsync()}) without waiting. Idempotent. */
    @Override
    public void close() {
        closeAsync();
    }

    @Override
    public String toString() {
        return "StunServer" + localAddresses();
    }
}
