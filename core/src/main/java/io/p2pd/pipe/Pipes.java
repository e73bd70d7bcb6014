package io.p2pd.pipe;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.handler.ssl.SslHandler;
import io.p2pd.internal.Channels;
import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.net.EventLoops;
import io.p2pd.net.HostPort;
import io.p2pd.nic.BoundRoute;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;

/**
 * Opens pipes: the original {@code pipe_open(proto, dest, route, sock, msg_cb, up_cb, conf)}.
 *
 * <pre>{@code
 * Pipe server = Pipes.open(Proto.TCP, PipeConf.defaults(), (msg, pipe) -> pipe.send(msg.data(), msg.sender())).join();
 * Pipe client = Pipes.open(Proto.TCP, server.localAddress()).join();
 * }</pre>
 *
 * <p>With a destination the pipe is a client, without one a server. Opening never does slow network work: without
 * a local address it binds the wildcard address (of the destination's family for clients, IPv4 for servers) on a
 * free port; a host name is looked up once, within {@code dnsTimeout}. A client opened without a message handler
 * queues everything, so {@code open} then {@code recv} just works.
 *
 * <p>Options of one transport are set on its own opener, so they cannot be given to the other:
 * <pre>{@code
 * Pipe server = Pipes.tcp().bind(local).tcp(TcpOptions.framed(Framing.lines()))
 *         .limits(ServerLimits.builder().maxConnectionsPerIp(8).build()).open().join();
 * Pipe udp = Pipes.udp().bind(local).broadcast(true).open().join();
 * }</pre>
 *
 * <p>Still checked at open, with {@link IllegalArgumentException}, is what depends on the role the pipe ends up in,
 * which one TCP opener decides only from its other arguments (a destination, or the kind of wrapped channel): server
 * limits on a client, TLS on a server without an identity, and TLS, framing or limits on {@link Opener#openSocket()}.
 * Typing these too would need an opener per role, a larger change than they are worth while opening refuses them.
 */
public final class Pipes {

    /** Bootstraps need a handler; pipes add theirs once the channel is connected or bound. */
    private static final ChannelInitializer<Channel> NO_HANDLER = new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {
        }
    };

    static {
        // io.p2pd.turn's relayed pipes are UDP pipes over a channel of its own (see UdpPipeFactory).
        io.p2pd.internal.UdpPipeFactory.register((ch, conf, dest) -> udp().conf(conf).newUdpPipe(ch, dest));
        // io.p2pd.turn's RFC 6062 data connections answer a ConnectionBind before the pipe sees a byte.
        io.p2pd.internal.TcpPipeFactory.register((opener, first) -> opener.firstHandler(first).open());
    }

    private Pipes() {
    }

    /** A client pipe to {@code dest} with default options. */
    public static CompletableFuture<Pipe> open(Proto proto, InetSocketAddress dest) {
        return opener(proto).dest(dest).open();
    }

    /** A client pipe to {@code host:port} (a name or an IP literal) with default options. */
    public static CompletableFuture<Pipe> open(Proto proto, String host, int port) {
        return opener(proto).dest(new HostPort(host, port)).open();
    }

    /** A server pipe on a free port of every IPv4 address, with {@code handler} installed before it starts. */
    public static CompletableFuture<Pipe> open(Proto proto, PipeConf conf, MsgHandler handler) {
        return opener(proto).conf(conf).msgHandler(handler).open();
    }

    /**
     * Every argument of the original {@code pipe_open}, each optional but the protocol, with the options every
     * transport takes. For TCP-only or UDP-only options, open with {@link #tcp()} or {@link #udp()}.
     */
    public static Opener<?> opener(Proto proto) {
        return Objects.requireNonNull(proto, "proto") == Proto.TCP ? tcp() : udp();
    }

    /**
     * A TCP opener: the shared options plus {@link TcpOptions} and, for servers, {@link ServerLimits}. Its sockets
     * are TCP ones: the original's {@code sock_proto} 6 is this choice of opener.
     */
    public static TcpOpener tcp() {
        return new TcpOpener();
    }

    /**
     * A UDP opener: the shared options plus {@code broadcast}. Its sockets are UDP ones: the original's
     * {@code sock_proto} 17 is this choice of opener.
     */
    public static UdpOpener udp() {
        return new UdpOpener();
    }

    /**
     * A TCP opener's own options. A client of {@code dest} connects within {@code conTimeout}; without a destination
     * the pipe is a server, which {@link #limits} may bound.
     */
    public static final class TcpOpener extends Opener<TcpOpener> {
        private TcpOpener() {
            super(Proto.TCP);
        }

        /** Connect and TLS time limits, framing, TLS ({@code use_ssl}) and SO_LINGER; replaces those given before. */
        public TcpOpener tcp(TcpOptions options) {
            this.tcp = Objects.requireNonNull(options, "options");
            return this;
        }

        /** Internal (see TcpPipeFactory): a handler between TLS and framing, for a client pipe. */
        TcpOpener firstHandler(ChannelHandler handler) {
            this.firstHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * A TCP-MD5 signature key (RFC 2385, at most 80 bytes) for the segments of a client connection with
         * {@code peer}: the connection then takes only segments signed with it. A hole punch between hosts that no NAT
         * stands between uses it, so that the reset the peer's stack sends to a SYN that came early is dropped, and
         * that SYN stays pending until the peer's crosses it. Native (epoll) transport only: opening on another fails
         * the future with {@link UnsupportedOperationException}.
         */
        public TcpOpener md5Key(InetAddress peer, byte[] key) {
            Objects.requireNonNull(peer, "peer");
            if (key.length < 1 || key.length > 80) {
                throw new IllegalArgumentException("md5Key: 1 to 80 bytes, got " + key.length);
            }
            this.md5 = Map.of(peer, key.clone());
            return this;
        }

        /**
         * For a client (one with a destination): completes once the socket of the latest {@link #open()} is closed,
         * or at once when that open failed before it made one. A cancelled or failed open's socket closes a moment
         * after its future completes; code that counts its sockets (a hole punch's attempts) waits for this.
         */
        public CompletableFuture<Void> socketClosed() {
            return socketClosed.copy();
        }

        /**
         * Bounds of a server pipe: connection caps and timeouts. A client (a destination, or a wrapped connected
         * socket) opened with them throws {@link IllegalArgumentException}.
         */
        public TcpOpener limits(ServerLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * Wraps a connected TCP socket other code opened (a hole punch's) instead of making one: the pipe is a client
         * of its peer. It runs on an NIO event loop (see {@link Opener#eventLoopOf}); opening throws
         * {@link IllegalArgumentException} when the socket is not connected.
         */
        public TcpOpener channel(SocketChannel connected) {
            wrap(connected);
            return this;
        }

        /**
         * Wraps a listening socket other code bound instead of making one: the pipe is a TCP server on it. It runs,
         * with its connections, on an NIO event loop; opening throws {@link IllegalArgumentException} when the socket
         * is not bound or a destination is given.
         */
        public TcpOpener channel(ServerSocketChannel listening) {
            wrap(listening);
            return this;
        }
    }

    /** A UDP opener's own option. */
    public static final class UdpOpener extends Opener<UdpOpener> {
        private UdpOpener() {
            super(Proto.UDP);
        }

        /** The original's {@code broadcast}: SO_BROADCAST. */
        public UdpOpener broadcast(boolean on) {
            this.broadcast = on;
            return this;
        }

        /**
         * Wraps a UDP socket other code opened and bound instead of making one (with a destination, it becomes the
         * default one). It runs on an NIO event loop (see {@link Opener#eventLoopOf}); opening throws
         * {@link IllegalArgumentException} when the socket is not bound.
         */
        public UdpOpener channel(DatagramChannel bound) {
            wrap(bound);
            return this;
        }
    }

    /**
     * Collects what a pipe is opened with; {@link #open()} may be called more than once. {@code O} is the opener's
     * own type, {@link TcpOpener} or {@link UdpOpener}, so each setter returns it for chaining.
     */
    public abstract static sealed class Opener<O extends Opener<O>> permits TcpOpener, UdpOpener {
        private final Proto proto;
        private HostPort dest;
        private InetSocketAddress bind;
        private NetworkChannel wrapped;
        private final List<MsgHandler> msgHandlers = new ArrayList<>();
        private final List<UpHandler> upHandlers = new ArrayList<>();
        private PipeConf conf = PipeConf.defaults();
        private EventLoop sameLoop;
        /** TCP only; the subclass sets them. */
        TcpOptions tcp = TcpOptions.defaults();
        Map<InetAddress, byte[]> md5;
        /** Completes once the socket of a client's latest open is closed, or that open failed before making one. */
        final CompletableFuture<Void> socketClosed = new CompletableFuture<>();
        /** TCP servers only; null when not given (unbounded). */
        ServerLimits limits;
        /** UDP only. */
        boolean broadcast;
        /** TCP clients only, internal: sees the stream (after TLS) before the framing and the pipe do. */
        ChannelHandler firstHandler;

        private Opener(Proto proto) {
            this.proto = proto;
        }

        @SuppressWarnings("unchecked")
        private O self() {
            return (O) this;
        }

        /** Makes the pipe a client of {@code dest}. */
        public O dest(HostPort dest) {
            this.dest = Objects.requireNonNull(dest, "dest");
            return self();
        }

        public O dest(InetSocketAddress dest) {
            return dest(HostPort.of(dest));
        }

        /**
         * The local address (and port, 0 for any) to bind: a route's bind address. Binding an address this machine
         * lacks fails the open with a {@link java.net.BindException}.
         */
        public O bind(InetSocketAddress local) {
            this.bind = Objects.requireNonNull(local, "local");
            return self();
        }

        /** Binds the address of a bound route: the original's {@code route} argument. */
        public O route(BoundRoute route) {
            return bind(route.bindAddress());
        }

        /**
         * Wraps a channel other code opened: the typed {@code channel} of {@link TcpOpener} or {@link UdpOpener}.
         * Such channels run on an NIO event loop: the library's NIO group, or the NIO loop that {@link #eventLoopOf}
         * or {@code conf.loop} asks for (a loop of another kind is refused).
         */
        void wrap(NetworkChannel channel) {
            this.wrapped = Objects.requireNonNull(channel, "channel");
        }

        /** A message handler installed before the pipe starts, so no message arrives unhandled. */
        public O msgHandler(MsgHandler handler) {
            msgHandlers.add(Objects.requireNonNull(handler, "handler"));
            return self();
        }

        /** Run when the pipe is up (for a TCP server: for each accepted connection). */
        public O upHandler(UpHandler handler) {
            upHandlers.add(Objects.requireNonNull(handler, "handler"));
            return self();
        }

        /**
         * Runs the new pipe on the event loop of {@code other}. Pipes that will be linked hand data over without
         * crossing threads when they share a loop: how a relay should open its outgoing pipe.
         */
        public O eventLoopOf(Pipe other) {
            this.sameLoop = Objects.requireNonNull(other, "other").loop;
            return self();
        }

        /**
         * The loop a wrapped java.nio channel runs on: the one {@link #eventLoopOf} or {@code conf.loop} asks for
         * when it runs NIO channels, the library's NIO group when neither asks. Asking for a loop that cannot adopt
         * the channel is an {@link IllegalArgumentException}, not a silent change of loop.
         */
        EventLoop wrappedLoop() {
            if (sameLoop != null) {
                if (!EventLoops.isNio(sameLoop)) {
                    throw new IllegalArgumentException("eventLoopOf: a wrapped java.nio channel runs on an NIO event "
                            + "loop, and that pipe's loop is not one");
                }
                return sameLoop;
            }
            if (conf.loop().isPresent() && !EventLoops.isNio(conf.loop().get())) {
                throw new IllegalArgumentException("loop: a wrapped java.nio channel runs on an NIO event loop group "
                        + "(NioIoHandler), and the one given is not one");
            }
            return conf.loop().orElseGet(EventLoops::nio).next();
        }

        /** The options every transport takes. */
        public O conf(PipeConf conf) {
            this.conf = Objects.requireNonNull(conf, "conf");
            return self();
        }

        /**
         * Opens the pipe. Fails with {@link java.net.UnknownHostException} (or its
         * {@link io.p2pd.net.LookupTimeoutException}) when the destination cannot be looked up,
         * {@link java.net.ConnectException} (or {@link ConnectTimeoutException}) when a TCP connect fails,
         * {@link java.net.BindException} when the local address cannot be bound.
         *
         * <p>A destination that is a wildcard address ({@code 0.0.0.0}, {@code ::}, as a server's
         * {@link Pipe#localAddress()} shows when it bound the wildcard) is dialled at the loopback address of its
         * family, as Go's dialer does.
         *
         * @throws IllegalArgumentException when server limits are given to a client, TLS on a server lacks an identity, or when the bind address and an IP-literal
         *     destination are of different families (IPv4 and IPv6); a host name that resolves to the
         *     other family fails the future with the same exception, since that is only known after the lookup
         */
        public CompletableFuture<Pipe> open() {
            try {
                checkOptions();
            } catch (IllegalArgumentException e) {
                closeWrappedOnFailure();
                throw e;
            }
            if (wrapped != null) {
                return Wrapping.wrap(this);
            }
            EventLoop loop = sameLoop != null ? sameLoop : conf.group().next();
            if (dest == null) {
                return proto == Proto.TCP ? listenTcp(loop) : openUdp(loop, Optional.empty());
            }
            dest.literal().ifPresent(this::remoteFor); // a family mismatch known now is thrown now
            CompletableFuture<Pipe> out = new LoopSafeFuture<>();
            AtomicReference<CompletableFuture<Pipe>> opening = new AtomicReference<>();
            // Cancelling the open the caller holds cancels the one under way, which closes its socket: a pipe that
            // completed after its caller gave up would have no owner.
            out.whenComplete((p, e) -> {
                CompletableFuture<Pipe> inner = opening.get();
                if (out.isCancelled() && inner != null) {
                    inner.cancel(false);
                }
            });
            LoopSafeFuture.of(conf.resolver().resolveAll(dest.host(), conf.dnsTimeout(), loop))
                    .thenCompose(answers -> {
                        InetSocketAddress remote = remoteFor(answers);
                        CompletableFuture<Pipe> inner = proto == Proto.TCP ? connectTcp(loop, remote)
                                : openUdp(loop, Optional.of(remote));
                        opening.set(inner);
                        if (out.isCancelled()) {
                            inner.cancel(false);
                        }
                        return inner;
                    })
                    .whenComplete((pipe, e) -> {
                        if (e != null) {
                            if (opening.get() == null) {
                                socketClosed.complete(null); // the lookup failed: no socket was made
                            }
                            out.completeExceptionally(e);
                        } else if (!out.complete(pipe)) {
                            pipe.closeAsync(); // given up on as it completed
                        }
                    });
            return out;
        }

        /** The address to dial among a name's answers: the first of the bind address's family (see {@link #pick}). */
        private InetSocketAddress remoteFor(List<InetAddress> answers) {
            return remoteFor(pick(answers, bind == null ? null : bind.getAddress()));
        }

        /**
         * The address to dial for {@code ip}: loopback for a wildcard. Refuses a destination the bind address cannot
         * reach for its family, which the OS would refuse with bare errno text (EAFNOSUPPORT).
         */
        private InetSocketAddress remoteFor(InetAddress ip) {
            InetAddress to = ip.isAnyLocalAddress() ? loopbackLike(ip) : ip;
            if (bind != null && (bind.getAddress() instanceof Inet6Address) != (to instanceof Inet6Address)) {
                throw new IllegalArgumentException("cannot reach " + HostPort.of(new InetSocketAddress(to, dest.port()))
                        + " from " + HostPort.of(bind) + ": the bind address is " + familyName(bind.getAddress())
                        + " and the destination " + familyName(to) + "; bind an address of the destination's family");
            }
            return new InetSocketAddress(to, dest.port());
        }

        /**
         * A name's first answer of {@code local}'s family (a socket bound to one family can reach only that one), or
         * its first answer when {@code local} is null or none fits, for the caller to refuse in its own words.
         */
        static InetAddress pick(List<InetAddress> answers, InetAddress local) {
            if (local != null) {
                for (InetAddress answer : answers) {
                    if ((answer instanceof Inet6Address) == (local instanceof Inet6Address)) {
                        return answer;
                    }
                }
            }
            return answers.get(0);
        }

        private static String familyName(InetAddress ip) {
            return ip instanceof Inet6Address ? "IPv6" : "IPv4";
        }

        private static InetAddress loopbackLike(InetAddress wildcard) {
            try {
                return wildcard instanceof Inet6Address ? InetAddress.getByName("::1")
                        : InetAddress.getByName("127.0.0.1");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /**
         * The original's {@code sock_only}: opens the socket this opener describes and returns it bare, in blocking
         * mode, instead of a pipe: a connected {@link java.nio.channels.SocketChannel} for a TCP client, a bound
         * {@link java.nio.channels.ServerSocketChannel} for a TCP server, a bound (not connected, as a UDP pipe's)
         * {@link java.nio.channels.DatagramChannel} for UDP. Fails like {@link #open()}, including for options the
         * socket cannot take; TLS and framing are refused (they belong to a pipe), handlers are not called.
         */
        public CompletableFuture<NetworkChannel> openSocket() {
            if (wrapped != null) {
                throw new IllegalArgumentException("openSocket() opens a socket; this opener wraps one already");
            }
            if (tcp.tls().isPresent() || !(tcp.framing() instanceof Framing.Raw) || limits != null) {
                throw new IllegalArgumentException("tls, framing and server limits apply to pipes, not to a bare "
                        + "socket");
            }
            EventLoop loop = conf.group().next();
            if (dest == null) {
                return BareSockets.open(this, Optional.empty(), bind);
            }
            dest.literal().ifPresent(this::remoteFor);
            return LoopSafeFuture.of(conf.resolver().resolveAll(dest.host(), conf.dnsTimeout(), loop))
                    .thenCompose(answers -> BareSockets.open(this, Optional.of(remoteFor(answers)), bind));
        }

        /** What types cannot say: which role the pipe has, and what the opener was given in values. */
        private void checkOptions() {
            boolean server = dest == null && !(wrapped instanceof SocketChannel);
            if (limits != null && !server) {
                throw new IllegalArgumentException("limits apply to TCP servers; this pipe is a client");
            }
            if (tcp.tls().isPresent() && server && !tcp.tls().get().canServe()) {
                throw new IllegalArgumentException("tls on a server pipe needs an identity: "
                        + "TcpOptions.builder().tls(Tls.server(...))");
            }
        }

        private void closeWrappedOnFailure() {
            if (wrapped != null && conf.doClose()) {
                try {
                    wrapped.close();
                } catch (IOException ignored) {
                    // already failing; the open's own error is the one to report
                }
            }
        }

        private CompletableFuture<Pipe> connectTcp(EventLoop loop, InetSocketAddress remote) {
            CompletableFuture<Pipe> result = new LoopSafeFuture<>();
            // The pipe is made once connected; reading waits for it so no byte reaches a pipeline without it.
            Bootstrap b = new Bootstrap()
                    .group(loop)
                    .channelFactory(Channels.tcpClient(loop, Channels.familyOf(remote.getAddress())))
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                            tcp.conTimeout().toMillis()))
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(NO_HANDLER);
            applyTo(b, loop);
            if (conf.reuseAddr() && EventLoops.isEpoll(loop)) {
                // Netty's epoll client channels take no SO_REUSEPORT option (they log it as unknown and skip it):
                // set the socket option itself, as a hole punch binding a port held by other sockets needs it.
                b.option(EpollChannelOption.SO_REUSEPORT, null);
                b.option(CLIENT_REUSEPORT, 1);
            }
            if (md5 != null) {
                if (!EventLoops.isEpoll(loop)) {
                    socketClosed.complete(null);
                    return LoopSafeFuture.failed(new UnsupportedOperationException("TCP-MD5 keys need the native "
                            + "transport"));
                }
                b.option(EpollChannelOption.TCP_MD5SIG, md5);
            }
            ChannelFuture connect = bind == null ? b.connect(remote) : b.connect(remote, bind);
            connect.channel().closeFuture().addListener(f -> socketClosed.complete(null));
            // Cancelling an open under way closes its socket (a SYN left pending would otherwise run to its time limit).
            result.whenComplete((p, e) -> {
                if (result.isCancelled()) {
                    connect.channel().close();
                }
            });
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    result.completeExceptionally(Errors.connect(f.cause(), remote, bind, tcp.conTimeout()));
                    return;
                }
                upTcp(connect.channel(), Optional.of(dest), true).whenComplete((pipe, e) -> {
                    if (e != null) {
                        result.completeExceptionally(e);
                    } else if (!result.complete(pipe)) {
                        // The caller gave up on the open (cancelled, timed out): nobody will close this pipe.
                        pipe.closeAsync();
                    }
                });
            });
            return result;
        }

        /**
         * Makes the client pipe of a connected channel, with this opener's handlers in place before its first read,
         * and brings it up: at once, or after the TLS handshake when {@code tls} is set.
         */
        CompletableFuture<Pipe> upTcp(Channel ch, Optional<HostPort> dialled, boolean own) {
            // A channel other code owns is closed on failure only when doClose says so.
            boolean closeOnFailure = own || conf.doClose();
            Optional<SslHandler> tls;
            try {
                tls = StreamSetup.install(ch, conf, tcp, dialled);
            } catch (SSLException e) {
                if (closeOnFailure) {
                    ch.close();
                }
                return LoopSafeFuture.failed(e);
            }
            if (firstHandler != null) {
                if (tls.isPresent()) {
                    ch.pipeline().addAfter("p2pd-tls", "p2pd-first", firstHandler);
                } else {
                    ch.pipeline().addFirst("p2pd-first", firstHandler);
                }
            }
            TcpPipe pipe = new TcpPipe(ch, conf, tcp, null);
            install(pipe);
            ch.pipeline().addLast("p2pd-inbound", pipe.inbound());
            if (tls.isEmpty()) {
                pipe.markUp();
                ch.config().setAutoRead(true);
                return LoopSafeFuture.completed(pipe);
            }
            CompletableFuture<Pipe> result = new LoopSafeFuture<>();
            tls.get().handshakeFuture().addListener(f -> {
                if (f.isSuccess()) {
                    pipe.markUp();
                    result.complete(pipe);
                } else {
                    result.completeExceptionally(Errors.tls(f.cause(), (InetSocketAddress) ch.remoteAddress()));
                    if (closeOnFailure) {
                        ch.close();
                    }
                }
            });
            // The handshake needs reads; the pipe's handlers are in place, so reading may start now.
            ch.config().setAutoRead(true);
            return result;
        }

        /** Makes the pipe of a connection a server accepted; the server adopts it once it is up. */
        private void acceptTcp(Channel ch, TcpServerPipe server) throws SSLException {
            if (!server.admit(ch)) {
                return;
            }
            Optional<SslHandler> tls = StreamSetup.install(ch, conf, tcp, Optional.empty());
            TcpPipe connection = new TcpPipe(ch, conf, tcp, server);
            ch.pipeline().addLast("p2pd-inbound", connection.inbound());
            if (tls.isEmpty()) {
                server.adopt(connection);
                return;
            }
            server.handshaking(connection);
            tls.get().handshakeFuture().addListener(f -> {
                if (f.isSuccess()) {
                    server.adopt(connection);
                } else {
                    server.handshakeFailed(connection, f.cause());
                }
            });
        }

        private void install(Pipe pipe) {
            msgHandlers.forEach(pipe::addMsgHandler);
            upHandlers.forEach(pipe::addUpHandler);
            if (msgHandlers.isEmpty() && !(pipe instanceof TcpServerPipe)) {
                pipe.subscribeImplicitly();
            }
        }

        private CompletableFuture<Pipe> listenTcp(EventLoop loop) {
            return listen(loop, null);
        }

        /**
         * A TCP server pipe on a new listener, or on {@code adopted}: a listening socket other code opened and
         * bound, which runs (with its connections) on {@code loop}'s NIO group.
         */
        CompletableFuture<Pipe> listen(EventLoop loop, ServerChannel adopted) {
            CompletableFuture<Pipe> result = new LoopSafeFuture<>();
            TcpServerPipe server = new TcpServerPipe(conf, limits != null ? limits : ServerLimits.none(), loop);
            install(server);
            InetSocketAddress local = bind != null ? bind : new InetSocketAddress("0.0.0.0", 0);
            ServerBootstrap b = new ServerBootstrap()
                    .group(loop, adopted == null ? conf.group() : loop.parent())
                    .channelFactory(adopted == null
                            ? Channels.tcpServer(loop, Channels.familyOf(local.getAddress())) : () -> adopted)
                    .handler(server.acceptErrors())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) throws SSLException {
                            acceptTcp(ch, server);
                        }
                    });
            if (conf.reuseAddr()) {
                b.option(ChannelOption.SO_REUSEADDR, true);
                b.option(reusePort(loop), true);
            }
            tcp.linger().ifPresent(l -> b.childOption(ChannelOption.SO_LINGER, (int) l.toSeconds()));
            if (tcp.halfClosure()) {
                b.childOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            }
            b.childOption(ChannelOption.RECVBUF_ALLOCATOR, streamAllocator());
            if (conf.sendBuffer() > 0) {
                b.childOption(ChannelOption.SO_SNDBUF, conf.sendBuffer());
            }
            if (conf.receiveBuffer() > 0) {
                b.childOption(ChannelOption.SO_RCVBUF, conf.receiveBuffer());
            }
            ChannelFuture bound = adopted == null ? b.bind(local) : b.register();
            bound.addListener(f -> {
                if (!f.isSuccess()) {
                    result.completeExceptionally(adopted == null ? Errors.bind(f.cause(), Proto.TCP, local)
                            : new IOException("cannot register " + adopted, f.cause()));
                    return;
                }
                server.listening(bound.channel());
                if (!result.complete(server)) {
                    server.closeAsync();
                }
            });
            return result;
        }

        private CompletableFuture<Pipe> openUdp(EventLoop loop, Optional<InetSocketAddress> remote) {
            CompletableFuture<Pipe> result = new LoopSafeFuture<>();
            InetSocketAddress local = bind != null ? bind : remote
                    .map(r -> new InetSocketAddress(wildcard(r.getAddress()), 0))
                    .orElseGet(() -> new InetSocketAddress("0.0.0.0", 0));
            Bootstrap b = new Bootstrap()
                    .group(loop)
                    .channelFactory(Channels.udp(loop, Channels.familyOf(local.getAddress())))
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(NO_HANDLER);
            applyTo(b, loop);
            ChannelFuture bound = b.bind(local);
            bound.addListener(f -> {
                if (!f.isSuccess()) {
                    result.completeExceptionally(Errors.bind(f.cause(), Proto.UDP, local));
                    return;
                }
                UdpPipe pipe = newUdpPipe(bound.channel(), remote);
                if (!result.complete(pipe)) {
                    pipe.closeAsync();
                }
            });
            return result;
        }

        /** Makes the pipe of a bound datagram channel and marks it up. Runs on its event loop. */
        UdpPipe newUdpPipe(Channel ch, Optional<InetSocketAddress> remote) {
            UdpPipe pipe = new UdpPipe(ch, conf, remote);
            install(pipe);
            ch.pipeline().addLast("p2pd-inbound", pipe.inbound());
            pipe.markUp();
            ch.config().setAutoRead(true);
            return pipe;
        }

        /** The socket options this opener's options ask for, for a channel of {@code loop}'s kind. */
        Map<ChannelOption<?>, Object> socketOptions(EventLoopGroup loop) {
            Map<ChannelOption<?>, Object> options = new LinkedHashMap<>();
            if (conf.sendBuffer() > 0) {
                options.put(ChannelOption.SO_SNDBUF, conf.sendBuffer());
            }
            if (conf.receiveBuffer() > 0) {
                options.put(ChannelOption.SO_RCVBUF, conf.receiveBuffer());
            }
            if (conf.reuseAddr()) {
                options.put(ChannelOption.SO_REUSEADDR, true);
                options.put(reusePort(loop), true);
            }
            if (proto == Proto.UDP) {
                if (broadcast) {
                    options.put(ChannelOption.SO_BROADCAST, true);
                }
                // One byte over the limit: a datagram that fills the buffer was too large (see UdpPipe).
                options.put(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(conf.readerLimit() + 1));
            } else {
                tcp.linger().ifPresent(l -> options.put(ChannelOption.SO_LINGER, (int) l.toSeconds()));
                options.put(ChannelOption.RECVBUF_ALLOCATOR, streamAllocator());
                if (tcp.halfClosure()) {
                    // The peer's FIN then ends only our input (TcpPipe: ChannelInputShutdownEvent).
                    options.put(ChannelOption.ALLOW_HALF_CLOSURE, true);
                }
            }
            return options;
        }

        @SuppressWarnings("unchecked")
        private void applyTo(Bootstrap b, EventLoop loop) {
            socketOptions(loop).forEach((option, value) -> b.option((ChannelOption<Object>) option, value));
        }

        /** SO_REUSEPORT (Linux: SOL_SOCKET 1, option 15) as a raw option, for epoll client channels. */
        private static final ChannelOption<Integer> CLIENT_REUSEPORT =
                new io.netty.channel.unix.IntegerUnixChannelOption("P2PD_CLIENT_SO_REUSEPORT", 1, 15);

        private static ChannelOption<Boolean> reusePort(EventLoopGroup loop) {
            return EventLoops.isEpoll(loop) ? EpollChannelOption.SO_REUSEPORT
                    : NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT);
        }

        private AdaptiveRecvByteBufAllocator streamAllocator() {
            int max = conf.readerLimit();
            return new AdaptiveRecvByteBufAllocator(Math.min(64, max), Math.min(2048, max), max);
        }

        private static InetAddress wildcard(InetAddress like) {
            try {
                return like instanceof Inet6Address ? InetAddress.getByName("::") : InetAddress.getByName("0.0.0.0");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        Proto proto() {
            return proto;
        }

        Optional<HostPort> dest() {
            return Optional.ofNullable(dest);
        }

        NetworkChannel wrapped() {
            return wrapped;
        }

        PipeConf conf() {
            return conf;
        }
    }
}
