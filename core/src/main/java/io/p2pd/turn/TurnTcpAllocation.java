package io.p2pd.turn;

import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.internal.TcpPipeFactory;
import io.p2pd.net.HostPort;
import io.p2pd.pipe.Framing;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.PipeClosedException;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.TcpOptions;
import io.p2pd.stun.StunAttribute;
import io.p2pd.stun.StunMessage;
import io.p2pd.stun.StunMessage.MessageClass;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP relay (RFC 6062) held open on a TURN server: an allocation with REQUESTED-TRANSPORT TCP over a TCP or TLS
 * control connection, refreshed until closed and deleted on close like a UDP one. Each TCP connection between the
 * relayed address and a peer is a connection of its own between this client and the server (a data connection),
 * given to the caller as an ordinary TCP {@link Pipe} once the server bound it to the peer: {@link #connect} dials a
 * peer through the relay, {@link #accept} takes the connections peers dialled to {@link #relayedAddress()} (after
 * {@link #permit} for their IP, as the RFC demands). The pipes have the usual stream semantics (back-pressure, the
 * framing chosen at allocation, every byte in order, {@code shutdownOutput()} over TCP); their
 * {@code remoteAddress()} is the TURN server, {@link #peerOf} says which peer is behind one. Thread-safe.
 */
public final class TurnTcpAllocation implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TurnTcpAllocation.class);
    private static final int TCP = 6;
    /**
     * Incoming connections bound and not yet accepted, or being bound: further ConnectionAttempts are left
     * unanswered (the server drops them after 30 s) and counted, rather than held without bound.
     */
    static final int MAX_UNACCEPTED = 64;

    private final TurnConfig config;
    private final Framing framing;
    private volatile TurnAllocation base;
    private volatile Allocation allocation;
    private volatile boolean closing;
    private final Map<Pipe, InetSocketAddress> peers = new ConcurrentHashMap<>();
    // On the allocation's loop:
    private final ArrayDeque<Pipe> unaccepted = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Pipe>> accepting = new ArrayDeque<>();
    private int binding;
    private final AtomicLong refusedAttempts = new AtomicLong();

    private TurnTcpAllocation(TurnConfig config, Framing framing) {
        this.config = config;
        this.framing = framing;
    }

    static CompletableFuture<TurnTcpAllocation> start(InetSocketAddress server, TurnConfig config, Framing framing) {
        TurnTcpAllocation t = new TurnTcpAllocation(config, framing);
        CompletableFuture<TurnTcpAllocation> result = new LoopSafeFuture<>();
        Allocation.start(server, config, TCP, t::onAttempt).whenComplete((a, e) -> {
            if (e != null) {
                result.completeExceptionally(Allocation.unwrap(e));
                return;
            }
            t.base = a;
            t.allocation = a.allocation();
            // The allocation ending (closed, or lost with its control connection) ends every data connection.
            a.pipe().addEndHandler(ended -> t.allocationEnded());
            if (!result.complete(t)) {
                t.closeAsync(); // the caller gave up: nobody else will delete it
            }
        });
        return result;
    }

    /** The address peers dial: XOR-RELAYED-ADDRESS. */
    public InetSocketAddress relayedAddress() {
        return base.relayedAddress();
    }

    /** This client's address as the server saw it (XOR-MAPPED-ADDRESS), when the server said. */
    public Optional<InetSocketAddress> mappedAddress() {
        return base.mappedAddress();
    }

    /** The TURN server. */
    public InetSocketAddress serverAddress() {
        return base.serverAddress();
    }

    /** The control connection's local address. */
    public InetSocketAddress localAddress() {
        return base.localAddress();
    }

    /** The lifetime the server granted last. */
    public Duration lifetime() {
        return base.lifetime();
    }

    /** The server's SOFTWARE attribute, when it sent one. */
    public Optional<String> serverSoftware() {
        return base.serverSoftware();
    }

    /**
     * Why the allocation ended on its own, if it did: a refresh the server refused or did not answer, or
     * {@link TurnConnectionLostException} when its control connection ended. Its data connections are closed by then.
     */
    public Optional<Throwable> failure() {
        return base.failure();
    }

    /** Whether the allocation is still open (not closed, not lost). */
    public boolean isOpen() {
        return base.pipe().isOpen();
    }

    /**
     * Completes (never exceptionally) once the allocation ended: closed, or lost, when {@link #failure()} says why
     * (set by then). A data connection's end alone does not tell the peer closing from the server dying.
     */
    public CompletableFuture<Void> closeFuture() {
        return base.pipe().closeFuture();
    }

    /** ConnectionAttempts left unanswered because {@link #MAX_UNACCEPTED} connections waited for {@link #accept}. */
    public long refusedAttempts() {
        return refusedAttempts.get();
    }

    /**
     * Installs a permission for {@code peer}'s IP: needed before that peer can dial {@link #relayedAddress()}
     * ({@link #connect} installs it itself). Refreshed until the allocation closes. Fails like
     * {@link TurnAllocation#permit}.
     */
    public CompletableFuture<Void> permit(InetSocketAddress peer) {
        return base.permit(peer);
    }

    /**
     * Opens a TCP connection to {@code peer} through the relay: the permission for its IP, a Connect (the server
     * dials the peer and names the connection), a new data connection to the server (TLS when the control connection
     * is TLS), and a ConnectionBind on it. Completes with the data connection's pipe, which from then on carries
     * exactly the bytes of the peer's connection. Fails with {@link TurnConnectionFailedException} (447: the peer
     * refused or did not answer), {@link TurnConnectionExistsException} (446: a connection to that peer address
     * exists or is being made), {@link TurnForbiddenException} (403), {@link TurnAddressFamilyException} (443: a peer
     * of the other family), {@link TurnTimeoutException}, {@link TurnConnectionLostException} (a data connection
     * closed before it was bound), {@link PipeClosedException} (the allocation is closed), or the data connection's
     * own I/O error.
     *
     * @throws IllegalArgumentException when {@code peer} is unresolved
     */
    public CompletableFuture<Pipe> connect(InetSocketAddress peer) {
        Objects.requireNonNull(peer, "peer");
        if (peer.isUnresolved()) {
            throw new IllegalArgumentException("connect needs an IP address, got " + peer);
        }
        CompletableFuture<Pipe> result = new LoopSafeFuture<>();
        if (closing || !isOpen()) {
            result.completeExceptionally(closed());
            return result;
        }
        permit(peer)
                .thenCompose(v -> allocation.signedRequest(() -> StunMessage.builder(StunMessage.METHOD_CONNECT,
                        MessageClass.REQUEST).xorPeerAddress(peer), "Connect to " + HostPort.of(peer)))
                .thenCompose(response -> {
                    Optional<Integer> id = connectionId(response);
                    if (id.isEmpty()) {
                        return LoopSafeFuture.<Pipe>failed(new TurnProtocolException("TURN server "
                                + HostPort.of(serverAddress()) + " answered Connect without CONNECTION-ID"));
                    }
                    return openData(id.get(), peer);
                })
                .whenComplete((pipe, e) -> {
                    if (e != null) {
                        result.completeExceptionally(Allocation.unwrap(e));
                    } else if (!result.complete(pipe)) {
                        pipe.closeAsync();
                    }
                });
        return result;
    }

    /**
     * The next connection a peer dialled to {@link #relayedAddress()}, once bound (a ConnectionAttempt, then a
     * ConnectionBind on a new data connection). Only peers with a {@link #permit permission} can dial. Fails with
     * {@link PipeClosedException} when the allocation closes first, or with its {@link #failure()}.
     */
    public CompletableFuture<Pipe> accept() {
        CompletableFuture<Pipe> result = new LoopSafeFuture<>();
        allocation.loop().execute(() -> {
            if (closing || !isOpen()) {
                result.completeExceptionally(failure().orElseGet(this::closed));
                return;
            }
            Pipe ready = unaccepted.poll();
            if (ready != null) {
                result.complete(ready);
            } else {
                // Accepts their callers gave up on would pile up while no peer dials: drop them here too.
                accepting.removeIf(CompletableFuture::isDone);
                accepting.add(result);
            }
        });
        return result;
    }

    /** The peer at the other end of a data connection of this allocation, while it is open. */
    public Optional<InetSocketAddress> peerOf(Pipe pipe) {
        return Optional.ofNullable(peers.get(pipe));
    }

    /** The allocation's counters (its refreshes, of the allocation and of its permissions). */
    TurnStats stats() {
        return base.stats();
    }

    /** Completes once the counters satisfy {@code condition}, checked after each refresh (tests). */
    CompletableFuture<TurnStats> statsReach(java.util.function.Predicate<TurnStats> condition) {
        return base.statsReach(condition);
    }

    /** The data connections open now. */
    public List<Pipe> connections() {
        return List.copyOf(peers.keySet());
    }

    /** A ConnectionAttempt indication: binds it at once (the server waits 30 s at most) and queues its pipe. */
    private void onAttempt(StunMessage m) {
        Optional<InetSocketAddress> peer = m.xorPeerAddress();
        Optional<Integer> id = connectionId(m);
        if (allocation == null || closing) {
            return; // before the allocation is handed out, or while it closes: nobody to give it to
        }
        if (peer.isEmpty() || id.isEmpty()) {
            allocation.ignoredOne();
            return;
        }
        if (binding + unaccepted.size() >= MAX_UNACCEPTED) {
            refusedAttempts.incrementAndGet();
            return;
        }
        binding++;
        openData(id.get(), peer.get()).whenComplete((pipe, e) -> allocation.loop().execute(() -> {
            binding--;
            if (e != null) {
                LOG.debug("incoming TCP connection from {} via {} not bound: {}", peer.get(), serverAddress(),
                        Allocation.unwrap(e).toString());
                return;
            }
            handOver(pipe, accepting, unaccepted);
            pipe.addEndHandler(ended -> allocation.loop().execute(() -> unaccepted.remove(ended)));
        }));
    }

    /**
     * Gives {@code connection} to the first waiting accept that still takes it, or queues it when none does. Accepts
     * already done (timed out or cancelled by their caller) are dropped on the way: the live one behind them gets it.
     */
    static <T> void handOver(T connection, Queue<CompletableFuture<T>> waiting, Queue<T> ready) {
        for (CompletableFuture<T> next; (next = waiting.poll()) != null; ) {
            if (next.complete(connection)) {
                return;
            }
        }
        ready.add(connection);
    }

    /** A new data connection to the server, bound to {@code connectionId}: the pipe to {@code peer}. */
    private CompletableFuture<Pipe> openData(int connectionId, InetSocketAddress peer) {
        Duration limit = config.timeLimit();
        TcpOptions.Builder tcp = TcpOptions.builder().framing(framing).conTimeout(limit).sslHandshake(limit);
        if (config.transport() == TurnTransport.TLS) {
            tcp.tls(config.tls());
        }
        // On the allocation's loop: the binder signs with the allocation's credentials without crossing threads.
        Pipes.TcpOpener opener = Pipes.tcp().dest(serverAddress()).conf(config.pipeConf()).tcp(tcp.build())
                .eventLoopOf(base.pipe());
        config.bind().ifPresent(b -> opener.bind(new InetSocketAddress(b.getAddress(), 0)));
        Allocation signer = allocation;
        ConnectionBinder binder = new ConnectionBinder(new ConnectionBinder.Signer() {
            @Override
            public StunMessage sign(StunMessage.Builder request, Optional<String> nonce, Optional<String> realm) {
                return signer.signedElsewhere(request, nonce, realm);
            }

            @Override
            public boolean signedByUs(StunMessage m, Optional<String> realm) {
                return signer.signedByUs(m, realm);
            }
        }, serverAddress(), connectionId, peer, limit);
        CompletableFuture<Pipe> result = new LoopSafeFuture<>();
        TcpPipeFactory.open(opener, binder).whenComplete((pipe, e) -> {
            if (e != null) {
                result.completeExceptionally(Allocation.unwrap(e));
                return;
            }
            binder.bind().whenComplete((v, x) -> {
                if (x != null) {
                    pipe.closeAsync();
                    result.completeExceptionally(Allocation.unwrap(x));
                    return;
                }
                peers.put(pipe, peer);
                pipe.addEndHandler(ended -> peers.remove(ended));
                if (closing || !isOpen()) {
                    pipe.closeAsync();
                    result.completeExceptionally(closed());
                    return;
                }
                result.complete(pipe);
            });
        });
        return result;
    }

    private static Optional<Integer> connectionId(StunMessage m) {
        return m.attribute(StunAttribute.CONNECTION_ID).filter(a -> a.value().length == 4)
                .map(a -> java.nio.ByteBuffer.wrap(a.value()).getInt());
    }

    /** The allocation ended (closed or lost): its data connections and waiting accepts end with it. On the loop. */
    private void allocationEnded() {
        allocation.loop().execute(() -> {
            Throwable why = failure().orElseGet(this::closed);
            for (CompletableFuture<Pipe> f; (f = accepting.poll()) != null; ) {
                f.completeExceptionally(why);
            }
            unaccepted.clear();
            List.copyOf(peers.keySet()).forEach(Pipe::closeAsync);
        });
    }

    private PipeClosedException closed() {
        return new PipeClosedException("TCP relay " + HostPort.of(relayedAddress()) + " via "
                + HostPort.of(serverAddress()) + " is closed");
    }

    /**
     * Closes every data connection, then deletes the allocation on the server (a Refresh with lifetime 0, waited for
     * at most {@link TurnConfig#closeTimeout()}) and closes the control connection. Never fails; idempotent.
     */
    public CompletableFuture<Void> closeAsync() {
        closing = true;
        List<CompletableFuture<Void>> closes = new ArrayList<>();
        peers.keySet().forEach(p -> closes.add(p.closeAsync()));
        CompletableFuture<Void> result = new LoopSafeFuture<>();
        CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new))
                .handle((v, e) -> base.closeAsync())
                .thenCompose(f -> f)
                .whenComplete((v, e) -> result.complete(null));
        return result;
    }

    /** {@link #closeAsync()}, waiting for it except on an event loop (which must never wait). */
    @Override
    public void close() {
        CompletableFuture<Void> done = closeAsync();
        if (!LoopSafeFuture.onEventLoop()) {
            done.join();
        }
    }

    @Override
    public String toString() {
        return "TURN TCP relay " + HostPort.of(relayedAddress()) + " via " + HostPort.of(serverAddress());
    }
}
