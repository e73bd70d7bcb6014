package io.p2pd.pipe;

import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.net.HostPort;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A listening TCP socket; every connection it accepts becomes a {@link TcpPipe} of its own. */
final class TcpServerPipe extends Pipe {

    private static final Logger LOG = LoggerFactory.getLogger(TcpServerPipe.class);
    /**
     * How long accepting pauses after the OS refused an accept (out of descriptors, EMFILE): long enough not to spin
     * on a backlog it cannot take, short enough to serve clients again soon after descriptors free up.
     */
    static final long ACCEPT_PAUSE_MS = 250;
    private static final PipeStats NONE = new PipeStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    private final AtomicLong tlsFailures = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    final AtomicLong timedOut = new AtomicLong();
    private final AtomicLong acceptErrors = new AtomicLong();
    /** When accept errors were last logged as a warning (System.nanoTime, 0 for never); listener's loop only. */
    private long lastAcceptWarning;
    private long pausesUnreported;
    /** Whether an accept error other than running out of descriptors was logged as a warning; listener's loop only. */
    private boolean otherAcceptErrorLogged;
    /** How many times accepting paused (for tests). */
    private final AtomicLong acceptPauses = new AtomicLong();
    /** Admitted channels not yet closed, in all and per peer IP, for the connection limits. */
    private final AtomicInteger open = new AtomicInteger();
    private final Map<InetAddress, Integer> openPerIp = new ConcurrentHashMap<>();
    /** The live connections by peer address, for send(data, dest). */
    private final Map<InetSocketAddress, TcpPipe> byPeer = new ConcurrentHashMap<>();
    /** What connections that ended had counted; guarded by itself being replaced under {@link #totalsLock}. */
    private final Object totalsLock = new Object();
    /** Bounds of this server and its connections. */
    final ServerLimits limits;
    private PipeStats endedTotals = NONE;

    private Channel channel;
    private InetSocketAddress local;
    private final Set<TcpPipe> live = ConcurrentHashMap.newKeySet();
    private final Set<TcpPipe> handshaking = ConcurrentHashMap.newKeySet();
    private final ArrayDeque<Pipe> unclaimed = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Pipe>> claimers = new ArrayDeque<>();

    TcpServerPipe(PipeConf conf, ServerLimits limits, EventLoop loop) {
        super(conf, loop);
        this.limits = limits;
    }

    /** Called once the listening channel is bound. */
    void listening(Channel channel) {
        this.channel = channel;
        this.local = (InetSocketAddress) channel.localAddress();
        channel.closeFuture().addListener(f -> {
            // However the listener closed (close() or an error), its connections go too.
            closeAsync();
            CompletableFuture.allOf(live.stream().map(Pipe::closeFuture).toArray(CompletableFuture[]::new))
                    .whenComplete((ok, e) -> ended());
        });
    }

    /**
     * Whether a channel just accepted may become a connection: within {@code maxConnections} and
     * {@code maxConnectionsPerIp}. One beyond is closed at once and counted. Runs on the channel's loop.
     */
    boolean admit(Channel ch) {
        InetAddress ip = ((InetSocketAddress) ch.remoteAddress()).getAddress();
        if (open.incrementAndGet() > limits.maxConnections()) {
            open.decrementAndGet();
            return refuse(ch, "maxConnections " + limits.maxConnections());
        }
        if (openPerIp.merge(ip, 1, Integer::sum) > limits.maxConnectionsPerIp()) {
            release(ip);
            open.decrementAndGet();
            return refuse(ch, "maxConnectionsPerIp " + limits.maxConnectionsPerIp());
        }
        ch.closeFuture().addListener(f -> {
            open.decrementAndGet();
            release(ip);
        });
        accepted.incrementAndGet();
        return true;
    }

    private void release(InetAddress ip) {
        openPerIp.computeIfPresent(ip, (k, n) -> n == 1 ? null : n - 1);
    }

    private boolean refuse(Channel ch, String limit) {
        refused.incrementAndGet();
        LOG.debug("{} refused a connection from {}: {} reached", this, ch.remoteAddress(), limit);
        ch.close();
        return false;
    }

    /**
     * Handles accept errors on the listening channel, where Netty would log a stack trace per attempt. Out of file
     * descriptors, accepting pauses for {@link #ACCEPT_PAUSE_MS} (retrying at once would spin on a backlog it cannot
     * take) with one line per pause, and resumes by itself, so clients are served again once descriptors free up.
     * Any other error (a client that reset before it was accepted, say) concerns one connection: accepting goes on,
     * and it is logged once as a warning, later ones at debug level.
     */
    ChannelHandler acceptErrors() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                acceptErrors.incrementAndGet();
                if (!Errors.mayBeOutOfDescriptors(cause)) {
                    noteOtherAcceptError(cause);
                    return;
                }
                ChannelConfig config = ctx.channel().config();
                if (config.isAutoRead()) {
                    config.setAutoRead(false);
                    acceptPauses.incrementAndGet();
                    notePause(cause);
                    ctx.channel().eventLoop().schedule(() -> config.setAutoRead(true), ACCEPT_PAUSE_MS,
                            TimeUnit.MILLISECONDS);
                }
            }
        };
    }

    /**
     * Logs a pause of accepting: a warning for the first, then at most one a minute (an attack can last hours, at
     * four pauses a second), the others at debug level. Runs on the listener's loop.
     */
    private void notePause(Throwable cause) {
        long now = System.nanoTime();
        String why = Errors.acceptFailure(cause);
        if (lastAcceptWarning == 0 || now - lastAcceptWarning >= TimeUnit.MINUTES.toNanos(1)) {
            LOG.warn("{} could not accept a connection ({}); accepting again in {} ms{}", this, why, ACCEPT_PAUSE_MS,
                    pausesUnreported == 0 ? "" : "; " + pausesUnreported + " pauses since the last warning");
            lastAcceptWarning = now == 0 ? 1 : now;
            pausesUnreported = 0;
        } else {
            pausesUnreported++;
            LOG.debug("{} could not accept a connection ({})", this, why);
        }
    }

    private void noteOtherAcceptError(Throwable cause) {
        if (!otherAcceptErrorLogged) {
            otherAcceptErrorLogged = true;
            LOG.warn("{} could not accept a connection ({}); accepting goes on (later such errors at debug level)",
                    this, Errors.acceptFailure(cause));
        } else {
            LOG.debug("{} could not accept a connection ({})", this, Errors.acceptFailure(cause));
        }
    }

    /** How many accepts the OS refused (for tests). */
    long acceptErrorCount() {
        return acceptErrors.get();
    }

    /** How many times accepting paused for want of descriptors (for tests). */
    long acceptPauseCount() {
        return acceptPauses.get();
    }

    /** The listening channel's pipeline (for tests). */
    io.netty.channel.ChannelPipeline listenerPipeline() {
        return channel.pipeline();
    }

    /**
     * Takes in a connection, before its first read. A server without handlers or subscriptions gives each
     * connection a queue for everything, so {@code accept().recv()} just works.
     */
    void adopt(TcpPipe connection) {
        if (msgHandlers().length == 0 && subscriptions().length == 0) {
            connection.subscribeImplicitly();
        }
        beforeLive.run();
        live.add(connection);
        // A handler added to the server since the check above walked `live` without this connection: look again,
        // or the catch-all queue would stay for good and, full, stop the connection.
        if (hasHandlers()) {
            connection.handlerAdded();
        }
        byPeer.put(connection.remoteAddress().orElseThrow(), connection);
        // An end handler, not a closeFuture callback: it runs before the connection's closeFuture completes, so
        // whoever waited for that future no longer finds the connection in connections().
        connection.addEndHandler(ended -> {
            // Counted in the totals before it leaves the live set: a stats() in between counts it twice at worst,
            // never not at all.
            synchronized (totalsLock) {
                endedTotals = endedTotals.plus(connection.ownStats());
            }
            live.remove(connection);
            byPeer.remove(connection.remoteAddress().orElseThrow(), connection);
            // A connection that ended before anyone accepted it stays claimable while it holds data, so what it
            // received is not lost; one with nothing left to receive is forgotten.
            if (!connection.hasQueuedMessages()) {
                synchronized (unclaimed) {
                    unclaimed.remove(connection);
                }
            }
        });
        if (!isOpen()) {
            connection.closeAsync();
            return;
        }
        upHandlers().forEach(h -> runUpHandler(h, connection));
        connection.markUp();
        handOut(connection);
    }

    /** Gives the connection to a waiting accept(), or keeps it for the next one. */
    private void handOut(TcpPipe connection) {
        while (true) {
            CompletableFuture<Pipe> claimer;
            synchronized (unclaimed) {
                claimer = claimers.poll();
                if (claimer == null) {
                    unclaimed.add(connection);
                    return;
                }
            }
            // Outside the lock: the claimer's continuations run here. One that gave up (cancelled, timed out)
            // does not take the connection; the next claimer, or the queue, does.
            if (claimer.complete(connection)) {
                return;
            }
        }
    }

    /** A TLS connection in its handshake: closed with the server even before it is adopted. */
    void handshaking(TcpPipe connection) {
        handshaking.add(connection);
        connection.closeFuture().whenComplete((ok, e) -> handshaking.remove(connection));
        if (!isOpen()) {
            connection.closeAsync();
        }
    }

    /** A TLS client that failed its handshake never becomes a connection; its channel is already closing. */
    void handshakeFailed(TcpPipe connection, Throwable cause) {
        tlsFailures.incrementAndGet();
        LOG.debug("TLS handshake of {} failed: {}", connection, cause.toString());
    }

    /** How many clients failed the TLS handshake. */
    long tlsFailures() {
        return tlsFailures.get();
    }

    /** Handlers added to the server take the messages of every connection: their catch-all queues go too. */
    @Override
    void handlerAdded() {
        live.forEach(Pipe::handlerAdded);
    }

    /** Whether a message handler, or a subscription with one, takes the connections' messages. */
    private boolean hasHandlers() {
        if (msgHandlers().length > 0) {
            return true;
        }
        for (Subscription s : subscriptions()) {
            if (s.hasHandler()) {
                return true;
            }
        }
        return false;
    }

    /** For tests: runs in adopt() between deciding on a connection's catch-all queue and making it live. */
    volatile Runnable beforeLive = () -> { };

    @Override
    public CompletableFuture<Pipe> accept() {
        synchronized (unclaimed) {
            Pipe next = unclaimed.poll();
            if (next != null) {
                return LoopSafeFuture.completed(next);
            }
            if (!isOpen()) {
                return LoopSafeFuture.failed(closedError());
            }
            CompletableFuture<Pipe> claimer = new LoopSafeFuture<>();
            claimers.add(claimer);
            return claimer;
        }
    }

    @Override
    public List<Pipe> connections() {
        return List.copyOf(live);
    }

    @Override
    public Proto proto() {
        return Proto.TCP;
    }

    @Override
    public boolean isServer() {
        return true;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public Optional<InetSocketAddress> remoteAddress() {
        return Optional.empty();
    }

    @Override
    public CompletableFuture<Void> send(byte[] data) {
        throw new IllegalStateException(
                "a TCP server pipe sends to one of its connections: use send(data, dest) on " + this);
    }

    @Override
    public CompletableFuture<Void> send(byte[] data, InetSocketAddress dest) {
        TcpPipe connection = connectionFrom(dest);
        return connection != null ? connection.send(data) : noConnection(dest);
    }

    @Override
    public CompletableFuture<Void> send(ByteBuffer data, InetSocketAddress dest) {
        TcpPipe connection = connectionFrom(dest);
        return connection != null ? connection.send(data) : noConnection(dest);
    }

    private TcpPipe connectionFrom(InetSocketAddress peer) {
        return byPeer.get(peer);
    }

    /** The server's counters: the sums over its connections, open or ended, and its connection counts. */
    @Override
    public PipeStats stats() {
        PipeStats sum;
        synchronized (totalsLock) {
            sum = ownStats().plus(endedTotals);
        }
        for (TcpPipe connection : live) {
            sum = sum.plus(connection.ownStats());
        }
        return new PipeStats(sum.received(), sum.receivedBytes(), sum.sent(), sum.sentBytes(), sum.dropped(),
                sum.oversized(), sum.duplicates(), sum.handlerErrors(), sum.peakPendingBytes(), accepted.get(),
                refused.get(), timedOut.get());
    }

    private CompletableFuture<Void> noConnection(InetSocketAddress peer) {
        return LoopSafeFuture.failed(new PipeClosedException("no live connection from " + HostPort.of(peer)
                + " on " + this));
    }

    @Override
    void doClose() {
        channel.close();
        live.forEach(Pipe::closeAsync);
        handshaking.forEach(Pipe::closeAsync);
        List<CompletableFuture<Pipe>> waiting;
        synchronized (unclaimed) {
            waiting = List.copyOf(claimers);
            claimers.clear();
        }
        waiting.forEach(w -> w.completeExceptionally(closedError()));
    }

    @Override
    void onQueueRoom() {
        live.forEach(Pipe::onQueueRoom);
    }

    @Override
    public String toString() {
        return "TCP server " + HostPort.of(local);
    }
}
