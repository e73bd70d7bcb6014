package io.p2pd.pipe;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.p2pd.net.HostPort;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A listening TCP socket; every connection it accepts becomes a {@link TcpPipe} of its own. */
final class TcpServerPipe extends Pipe {

    private static final Logger LOG = LoggerFactory.getLogger(TcpServerPipe.class);
    private final AtomicLong tlsFailures = new AtomicLong();

    private Channel channel;
    private InetSocketAddress local;
    private final Set<TcpPipe> live = ConcurrentHashMap.newKeySet();
    private final Set<TcpPipe> handshaking = ConcurrentHashMap.newKeySet();
    private final ArrayDeque<Pipe> unclaimed = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Pipe>> claimers = new ArrayDeque<>();

    TcpServerPipe(PipeConf conf, EventLoop loop) {
        super(conf, loop);
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
     * Takes in a connection, before its first read. A server without handlers or subscriptions gives each
     * connection a queue for everything, so {@code accept().recv()} just works.
     */
    void adopt(TcpPipe connection) {
        if (msgHandlers().length == 0 && subscriptions().length == 0) {
            connection.subscribeImplicitly();
        }
        live.add(connection);
        // An end handler, not a closeFuture callback: it runs before the connection's closeFuture completes, so
        // whoever waited for that future no longer finds the connection in connections().
        connection.addEndHandler(ended -> {
            live.remove(connection);
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

    @Override
    public CompletableFuture<Pipe> accept() {
        synchronized (unclaimed) {
            Pipe next = unclaimed.poll();
            if (next != null) {
                return CompletableFuture.completedFuture(next);
            }
            if (!isOpen()) {
                return CompletableFuture.failedFuture(closedError());
            }
            CompletableFuture<Pipe> claimer = new CompletableFuture<>();
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
        for (TcpPipe connection : live) {
            if (connection.remoteAddress().orElseThrow().equals(peer)) {
                return connection;
            }
        }
        return null;
    }

    private CompletableFuture<Void> noConnection(InetSocketAddress peer) {
        return CompletableFuture.failedFuture(new PipeClosedException("no live connection from " + HostPort.of(peer)
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
