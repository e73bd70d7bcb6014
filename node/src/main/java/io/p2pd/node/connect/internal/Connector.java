package io.p2pd.node.connect.internal;

import io.p2pd.nic.AddressNotLocalException;
import io.p2pd.nic.BoundRoute;
import io.p2pd.nic.Family;
import io.p2pd.nic.Route;
import io.p2pd.node.Node;
import io.p2pd.node.NodeInterface;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerInterface;
import io.p2pd.node.connect.ConnectException;
import io.p2pd.node.connect.ConnectOptions;
import io.p2pd.node.connect.ConnectReport;
import io.p2pd.node.connect.PeerConnection;
import io.p2pd.node.connect.PeerProof;
import io.p2pd.node.connect.PeerStats;
import io.p2pd.node.connect.ProofFailedException;
import io.p2pd.node.connect.ProvenPipe;
import io.p2pd.node.connect.Strategy;
import io.p2pd.node.connect.StrategySkippedException;
import io.p2pd.node.connect.TurnServer;
import io.p2pd.node.id.NodeId;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.signal.SignalMessage;
import io.p2pd.node.signal.SignalReceipt;
import io.p2pd.node.signal.SignalType;
import io.p2pd.node.signal.Signalling;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.PipeClosedException;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.TcpOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's connections with peers: the proof on every connection its servers accept, the accept queue or handler,
 * {@code connect} racing the direct, reverse and relay strategies (punching plugged in with {@link #register}), and
 * the reverse and relayed connections peers ask for by signal.
 *
 * <p>Sessions: every connect names a fresh session id, prefixed by its strategy ({@code d-}, {@code r-}, {@code p-},
 * {@code t-} for a relay), in its proof. A listener learns it from the dialer's hello: a reverse session this node
 * waits for completes that connect; another reverse session (late, or never asked for) is refused; any other is an
 * accepted connection.
 */
public final class Connector {
    private static final Logger LOG = LoggerFactory.getLogger(Connector.class);

    /** Proven connections waiting for {@code accept()}; past it the newest is closed and counted. */
    public static final int ACCEPT_QUEUE = 64;
    /** How long the proof of an accepted connection, and a reverse dial a peer asked for, may take. */
    public static final Duration PROOF_LIMIT = Duration.ofSeconds(10);
    /** Reverse dials a peer asked for that may run at once; further asks are dropped while they run. */
    static final int REVERSE_DIALS = 16;
    /**
     * Live connections with peers, both directions (accepted, connected, dialed back at a peer's ask) and dial-backs
     * under way: past it, accepted connections are closed (counted as overflowed), asks to dial back are dropped and
     * connects fail at once.
     */
    public static final int PEER_CONNECTIONS = 512;
    /**
     * Dial-backs (reverse or relay) one peer may ask for per {@link #DIAL_BACK_WINDOW} that do not reach it; further
     * asks are dropped.
     */
    static final int DIAL_BACKS_PER_PEER = 8;
    static final Duration DIAL_BACK_WINDOW = Duration.ofSeconds(10);
    /** Peers whose dial-back window is remembered at most: past it, asks from new peers are dropped. */
    static final int DIAL_BACK_PEERS = 1024;
    /** How far ahead a connect signal's ttl is set. */
    static final Duration SIGNAL_TTL = Duration.ofSeconds(20);

    private static final Map<Node, Connector> NODES = Collections.synchronizedMap(new WeakHashMap<>());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final NodeKey key;
    private final PeerAddress address;
    private final List<NodeInterface> interfaces;
    private final Optional<Signalling> signalling;
    private final Optional<Consumer<PeerConnection>> handler;
    private final Predicate<NodeId> refused;
    private final Relay relay;
    private final Map<Strategy, StrategyAttempt> plugged = new ConcurrentHashMap<>();
    private final Map<String, Pending> reverseSessions = new ConcurrentHashMap<>();
    private final Semaphore reverseDials = new Semaphore(REVERSE_DIALS);
    private final Object lock = new Object();
    private final ArrayDeque<PeerConnection> ready = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<PeerConnection>> waiting = new ArrayDeque<>();
    private final Set<CompletableFuture<?>> running = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong proofsFailed = new AtomicLong();
    private final AtomicLong raceLosers = new AtomicLong();
    private final AtomicLong refusedCount = new AtomicLong();
    private final AtomicLong overflowed = new AtomicLong();
    private final AtomicInteger live = new AtomicInteger();
    /** {@link #PEER_CONNECTIONS}, lowered by tests. */
    volatile int peerConnectionLimit = PEER_CONNECTIONS;
    /** Per asking peer: when its window started and the dial-backs it asked for in it. */
    private final Map<NodeId, long[]> dialBackWindows = new java.util.HashMap<>();

    /** A reverse connect waiting for the peer to dial back; {@code claim} is its connect's (see {@link #connect}). */
    private record Pending(NodeId peer, CompletableFuture<ProvenPipe> done, BooleanSupplier claim) {
    }

    /**
     * The connector of a started node.
     *
     * @param handler when present, takes every accepted connection (on a virtual thread of its own) instead of the
     *     accept queue
     * @param refused peers whose connections are closed after their proof
     */
    public Connector(NodeKey key, PeerAddress address, List<NodeInterface> interfaces,
            Optional<Signalling> signalling, Optional<Consumer<PeerConnection>> handler, Predicate<NodeId> refused) {
        this(key, address, interfaces, signalling, handler, refused, List.of());
    }

    /**
     * The connector of a started node that may relay through {@code turnServers} (the TCP or TLS ones).
     *
     * @param handler when present, takes every accepted connection (on a virtual thread of its own) instead of the
     *     accept queue
     * @param refused peers whose connections are closed after their proof
     */
    public Connector(NodeKey key, PeerAddress address, List<NodeInterface> interfaces,
            Optional<Signalling> signalling, Optional<Consumer<PeerConnection>> handler, Predicate<NodeId> refused,
            List<TurnServer> turnServers) {
        this.relay = new Relay(key, address, interfaces, turnServers, signalling);
        this.key = key;
        this.address = address;
        this.interfaces = List.copyOf(interfaces);
        this.signalling = signalling;
        this.handler = handler;
        this.refused = refused;
    }

    /** Ties this connector to its node, for {@link #of}. */
    public void attach(Node node) {
        NODES.put(node, this);
    }

    /** The connector of {@code node}: how the node's other packages reach it. */
    public static Optional<Connector> of(Node node) {
        return Optional.ofNullable(NODES.get(node));
    }

    /**
     * Plugs in a strategy this connector does not run itself ({@link Strategy#PUNCH}, {@link Strategy#RELAY}); a
     * connect that chooses one not plugged in reports it as not available.
     */
    public void register(Strategy strategy, StrategyAttempt attempt) {
        if (strategy == Strategy.DIRECT || strategy == Strategy.REVERSE) {
            throw new IllegalArgumentException(strategy.label() + " is built in");
        }
        plugged.put(strategy, attempt);
    }

    /** Whether a connect can use {@code strategy} on this node now. */
    public boolean available(Strategy strategy) {
        return switch (strategy) {
            case DIRECT -> true;
            case REVERSE -> signalling.isPresent();
            case RELAY -> relay.unavailable().isEmpty() || plugged.containsKey(strategy);
            default -> plugged.containsKey(strategy);
        };
    }

    // ---- accepting ----

    /** Takes every connection {@code server} accepts, until it closes: each is proven, then accepted or closed. */
    public void serve(Pipe server) {
        Thread.ofVirtual().name("p2pd-node-accept " + server.localAddress()).start(() -> {
            while (server.isOpen()) {
                Pipe connection;
                try {
                    connection = server.accept().join();
                } catch (CompletionException | CancellationException e) {
                    return; // the server closed
                }
                if (closed.get()) {
                    connection.closeAsync();
                    continue;
                }
                handOver(connection, Optional.empty(), "", Strategy.DIRECT);
            }
        });
    }

    /**
     * Runs the proof on a connection another part of the node opened or accepted (a hole punch's) and, when it
     * passes, hands it to the application as {@link #deliver} does. The session's prefix names the strategy of an
     * inbound connection; {@code strategy} is what it is reported as otherwise.
     *
     * @return the connection as handed over, or the proof's failure (the connection closed)
     */
    public CompletableFuture<PeerConnection> handOver(Pipe pipe, Optional<NodeId> expected, String sessionId,
            Strategy strategy) {
        long start = System.nanoTime();
        CompletableFuture<ProvenPipe> proof;
        try {
            proof = sessionId.isEmpty() ? PeerProof.runAnswering(pipe, key, expected, PROOF_LIMIT, this::claimFor)
                    : PeerProof.run(pipe, key, expected, sessionId, PROOF_LIMIT);
        } catch (RuntimeException misfit) {
            pipe.closeAsync();
            throw misfit;
        }
        return proof.handle((proven, e) -> {
            if (e != null) {
                countFailed(e);
                LOG.debug("connection from {} closed: {}", pipe.remoteAddress().orElse(null), e.getMessage());
                throw e instanceof CompletionException c ? c : new CompletionException(e);
            }
            return inbound(proven, strategy, start);
        }).thenCompose(c -> c);
    }

    /**
     * A dial-back the connect that asked for it chooses (SPEC 6): it is proven only if that connect keeps it, so the
     * peer hands to its application only a connection we keep. A reverse session no connect waits for (late, after
     * another strategy won; or never asked) is never claimed. Other sessions are the dialer's to choose.
     */
    private Optional<BooleanSupplier> claimFor(NodeId peer, String session) {
        if (!session.startsWith(Sessions.REVERSE)) {
            return Optional.empty();
        }
        Pending p = reverseSessions.get(session);
        if (p == null || !p.peer().equals(peer)) {
            return Optional.of(() -> false);
        }
        return Optional.of(() -> !p.done().isDone() && p.claim().getAsBoolean());
    }

    /** Counts a failed proof: a connection this node or the dialer did not choose is a race's loser, not a fault. */
    private void countFailed(Throwable e) {
        if (unwrap(e) instanceof ProofFailedException f && f.reason() == ProofFailedException.Reason.NOT_CHOSEN) {
            raceLosers.incrementAndGet();
        } else {
            proofsFailed.incrementAndGet();
        }
    }

    /** Where a proven inbound connection goes: a reverse connect waiting for it, or the application. */
    private CompletableFuture<PeerConnection> inbound(ProvenPipe proven, Strategy strategy, long start) {
        String session = proven.sessionId();
        if (session.startsWith(Sessions.REVERSE)) {
            Pending p = reverseSessions.get(session);
            if (p != null && p.peer().equals(proven.peer()) && p.done().complete(proven)) {
                return CompletableFuture.completedFuture(connection(proven, Strategy.REVERSE, start));
            }
            raceLosers.incrementAndGet(); // claimed, then the connect ended before it took it: a rare loser
            proven.pipe().closeAsync();
            return CompletableFuture.failedFuture(new IOException("a reverse connection from node " + proven.peer()
                    + " that no connect waits for: closed"));
        }
        Strategy kind = session.startsWith(Sessions.PUNCH) ? Strategy.PUNCH
                : session.startsWith(Sessions.RELAY) ? Strategy.RELAY : strategy;
        return deliver(proven, kind, start);
    }

    /**
     * Hands a proven connection to the application: the handler, else the accept queue. Refused peers, a full queue
     * and a closed node close it.
     */
    public CompletableFuture<PeerConnection> deliver(ProvenPipe proven, Strategy strategy, long startNanos) {
        PeerConnection c = connection(proven, strategy, startNanos);
        if (closed.get()) {
            proven.pipe().closeAsync();
            return CompletableFuture.failedFuture(new PipeClosedException("the node is closed"));
        }
        boolean refuse;
        try {
            refuse = refused.test(proven.peer());
        } catch (RuntimeException e) {
            LOG.warn("refusePeers predicate failed; connection from {} refused", proven.peer(), e);
            refuse = true;
        }
        if (refuse) {
            refusedCount.incrementAndGet();
            proven.pipe().closeAsync();
            return CompletableFuture.failedFuture(new IOException("node " + proven.peer() + " is refused"));
        }
        if (live.get() >= peerConnectionLimit) {
            overflowed.incrementAndGet();
            proven.pipe().closeAsync();
            return CompletableFuture.failedFuture(new IOException(peerConnectionLimit + " peer connections are live: "
                    + "connection from " + proven.peer() + " closed"));
        }
        live(proven.pipe()); // from here, as the application gets it (a full queue's close ends it)
        if (handler.isPresent()) {
            accepted.incrementAndGet();
            Thread.ofVirtual().name("p2pd-peer " + proven.peer()).start(() -> {
                try {
                    handler.get().accept(c);
                } catch (RuntimeException e) {
                    LOG.warn("connection handler failed for {}", c.peer(), e);
                }
            });
            return CompletableFuture.completedFuture(c);
        }
        while (true) {
            CompletableFuture<PeerConnection> taker;
            synchronized (lock) {
                taker = waiting.poll();
                if (taker == null) {
                    if (ready.size() >= ACCEPT_QUEUE) {
                        overflowed.incrementAndGet();
                        proven.pipe().closeAsync();
                        return CompletableFuture.failedFuture(new IOException("accept queue full: connection from "
                                + proven.peer() + " closed"));
                    }
                    ready.add(c);
                    accepted.incrementAndGet();
                    return CompletableFuture.completedFuture(c);
                }
            }
            if (taker.complete(c)) {
                accepted.incrementAndGet();
                return CompletableFuture.completedFuture(c);
            }
        }
    }

    /** Counts {@code pipe} among the live peer connections until it ends (before its close future completes). */
    private void live(Pipe pipe) {
        live.incrementAndGet();
        pipe.addEndHandler(ended -> live.decrementAndGet());
    }

    /** The live peer connections, both directions, and the dial-backs under way (see {@link #PEER_CONNECTIONS}). */
    public int livePeerConnections() {
        return live.get() + REVERSE_DIALS - reverseDials.availablePermits();
    }

    private PeerConnection connection(ProvenPipe p, Strategy strategy, long startNanos) {
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        return new PeerConnection(p.pipe(), p.peer(), strategy, took,
                new ConnectReport(Optional.of(strategy), took, Map.of()));
    }

    /** The next accepted connection; fails with {@link PipeClosedException} once the node closes. */
    public CompletableFuture<PeerConnection> accept() {
        synchronized (lock) {
            PeerConnection c = ready.poll();
            if (c != null) {
                return CompletableFuture.completedFuture(c);
            }
            if (closed.get()) {
                return CompletableFuture.failedFuture(new PipeClosedException("the node is closed"));
            }
            CompletableFuture<PeerConnection> f = new CompletableFuture<>();
            waiting.add(f);
            return f;
        }
    }

    /** Counts so far. */
    public PeerStats stats() {
        return new PeerStats(accepted.get(), proofsFailed.get(), refusedCount.get(), overflowed.get(),
                raceLosers.get());
    }

    // ---- signals ----

    /**
     * Told every accepted signal: a signed connect request makes this node dial the asking node back (a reverse
     * connection), at most {@value #REVERSE_DIALS} at once. Never blocks.
     */
    public void onSignal(SignalReceipt receipt) {
        SignalMessage m = receipt.message();
        if (m.type() == SignalType.TURN && !closed.get()) {
            onRelaySignal(receipt);
            return;
        }
        if (m.type() != SignalType.CONNECT || closed.get()) {
            return;
        }
        if (!receipt.mayDial() || !m.destination().nodeId().equals(key.nodeId())
                || !m.pipeId().startsWith(Sessions.REVERSE)) {
            LOG.debug("connect signal {} ignored: unsigned, not for us, or not a reverse session", m);
            return;
        }
        Optional<String> no = admitDialBack(m.source().nodeId());
        if (no.isPresent()) {
            LOG.debug("connect signal {} dropped: {}", m, no.get());
            return;
        }
        long start = System.nanoTime();
        // The asker chooses among our dials (it may have won another way): only the one it keeps is proven here.
        CompletableFuture<ProvenPipe> dial = direct(m.source(), m.pipeId(), start + PROOF_LIMIT.toNanos(),
                Optional.empty());
        dialedBack(m.source().nodeId(), dial, Strategy.REVERSE, start);
    }

    /**
     * The end of a dial-back admitted by {@link #admitDialBack}: its permit is released, its ask given back when it
     * reached the asker ({@link #dialBackEnded}), and a proven connection handed to the application as {@code as}.
     */
    private void dialedBack(NodeId asker, CompletableFuture<ProvenPipe> dial, Strategy as, long start) {
        track(dial);
        dial.whenComplete((proven, e) -> {
            reverseDials.release();
            dialBackEnded(asker, e);
            if (e != null) {
                LOG.debug("{} dial-back to {} failed: {}", as.label(), asker, e.getMessage());
                return;
            }
            deliver(proven, as, start);
        });
    }

    /**
     * Whether this node dials back (reverse or relay) at {@code asker}'s ask, checked before any socket is opened: not
     * a refused peer, within the live connection limit, within {@value #DIAL_BACKS_PER_PEER} asks per peer per
     * {@link #DIAL_BACK_WINDOW}, and at most {@value #REVERSE_DIALS} dial-backs at once. When admitted (empty), a
     * dial-back permit is taken: release it when the dial ends, and give the ask back ({@link #dialBackReached}) when
     * the dial reached the asking node.
     *
     * @return why not, when not
     */
    Optional<String> admitDialBack(NodeId asker) {
        boolean refuse;
        try {
            refuse = refused.test(asker);
        } catch (RuntimeException e) {
            LOG.warn("refusePeers predicate failed; node {} refused", asker, e);
            refuse = true;
        }
        if (refuse) {
            refusedCount.incrementAndGet();
            return Optional.of("node " + asker + " is refused");
        }
        if (livePeerConnections() >= peerConnectionLimit) {
            return Optional.of(peerConnectionLimit + " peer connections are live");
        }
        long now = System.nanoTime();
        synchronized (dialBackWindows) {
            if (dialBackWindows.size() >= DIAL_BACK_PEERS) {
                dialBackWindows.values().removeIf(w -> now - w[0] >= DIAL_BACK_WINDOW.toNanos());
            }
            long[] w = dialBackWindows.get(asker);
            if (w == null || now - w[0] >= DIAL_BACK_WINDOW.toNanos()) {
                if (w == null && dialBackWindows.size() >= DIAL_BACK_PEERS) {
                    return Optional.of(DIAL_BACK_PEERS + " peers asked within " + DIAL_BACK_WINDOW.toSeconds()
                            + " s");
                }
                w = new long[] {now, 0};
                dialBackWindows.put(asker, w);
            }
            if (w[1] >= DIAL_BACKS_PER_PEER) {
                return Optional.of("node " + asker + " asked for " + DIAL_BACKS_PER_PEER + " dial-backs within "
                        + DIAL_BACK_WINDOW.toSeconds() + " s");
            }
            w[1]++;
        }
        if (!reverseDials.tryAcquire()) {
            return Optional.of(REVERSE_DIALS + " dial-backs already run");
        }
        return Optional.empty();
    }

    /** How many dial-backs (reverse or relay) this node runs now (for tests). */
    int dialBacksUnderWay() {
        return REVERSE_DIALS - reverseDials.availablePermits();
    }

    /**
     * Gives back the ask of a dial-back that reached {@code asker} itself: its connection was proven, or the asker
     * told us it kept another (not chosen, a race it won some other way). The per-peer bound is against a node that
     * points our dials at an address that is not its own, so only dials that found no such node count against it;
     * a peer connecting again and again (each connect asks for a dial-back) is never held back by its own successes.
     */
    void dialBackEnded(NodeId asker, Throwable failure) {
        if (failure != null && !notChosen(failure, 0)) {
            return;
        }
        synchronized (dialBackWindows) {
            long[] w = dialBackWindows.get(asker);
            if (w != null && w[1] > 0) {
                w[1]--;
            }
        }
    }

    /**
     * Whether a failure, or any cause or suppressed failure in it (a dial's several attempts, wrapped), is the peer
     * saying it kept another connection.
     */
    private static boolean notChosen(Throwable t, int depth) {
        if (t == null || depth > 8) {
            return false;
        }
        if (t instanceof ProofFailedException p && p.reason() == ProofFailedException.Reason.NOT_CHOSEN) {
            return true;
        }
        for (Throwable s : t.getSuppressed()) {
            if (notChosen(s, depth + 1)) {
                return true;
            }
        }
        return t.getCause() != t && notChosen(t.getCause(), depth + 1);
    }

    /**
     * A signed TURN signal: the asking node waits on a TCP relay for us; we dial it (at most {@value #REVERSE_DIALS}
     * dials at once with the reverse ones) and hand the proven connection to the application as a relay one.
     */
    private void onRelaySignal(SignalReceipt receipt) {
        SignalMessage m = receipt.message();
        Optional<InetSocketAddress> relayed = Relay.relayOf(m);
        if (!receipt.mayDial() || !m.destination().nodeId().equals(key.nodeId())
                || !m.pipeId().startsWith(Sessions.RELAY) || relayed.isEmpty()) {
            LOG.debug("TURN signal {} ignored: unsigned, not for us, not a relay session, or no relay named", m);
            return;
        }
        Optional<String> no = admitDialBack(m.source().nodeId());
        if (no.isPresent()) {
            LOG.debug("TURN signal {} dropped: {}", m, no.get());
            return;
        }
        long start = System.nanoTime();
        CompletableFuture<ProvenPipe> dial;
        try {
            dial = relay.dial(relayed.get(), m, start + PROOF_LIMIT.toNanos());
        } catch (RuntimeException e) {
            dial = CompletableFuture.failedFuture(e);
        }
        dialedBack(m.source().nodeId(), dial, Strategy.RELAY, start);
    }

    /** Completes once every relay allocation this node made is deleted (at once when none is open). */
    public CompletableFuture<Void> relaysIdle() {
        return relay.idle();
    }

    /** The relay allocations open now (each kept by the relayed connection that won). */
    public int openRelays() {
        return relay.openAllocations();
    }

    // ---- connecting ----

    /**
     * Races the chosen strategies toward {@code peer}; the first proven connection wins and the others are stopped
     * (their sockets closed). Fails with {@link ConnectException} carrying the report when none wins by the deadline.
     */
    public CompletableFuture<PeerConnection> connect(PeerAddress peer, ConnectOptions options) {
        long start = System.nanoTime();
        long deadline = start + options.deadline().toNanos();
        CompletableFuture<PeerConnection> result = new CompletableFuture<>();
        if (closed.get()) {
            result.completeExceptionally(new PipeClosedException("the node is closed"));
            return result;
        }
        if (livePeerConnections() >= peerConnectionLimit) {
            Map<Strategy, Throwable> none = new EnumMap<>(Strategy.class);
            options.strategies().forEach(s -> none.put(s, new IOException(peerConnectionLimit
                    + " peer connections are live, this node's limit")));
            result.completeExceptionally(new ConnectException(peer.nodeId().value(),
                    new ConnectReport(Optional.empty(), Duration.ZERO, none)));
            return result;
        }
        Map<Strategy, CompletableFuture<ProvenPipe>> attempts = new EnumMap<>(Strategy.class);
        Map<Strategy, Throwable> failures = Collections.synchronizedMap(new EnumMap<>(Strategy.class));
        // The relay goes after its delay (and a punch under way, see below), or once every other strategy has failed.
        CompletableFuture<Void> othersFailed = new CompletableFuture<>();
        CompletableFuture<Void> relayGo = new CompletableFuture<>();
        // One claim for every connection of every strategy: this node chooses the one both sides keep, and the peer
        // proves (hands to its application) that one alone. The claim names the strategy holding it: when that
        // strategy fails (its claimed connection reset before the chosen frame went out), the claim is free again.
        // The deadline takes it too, so that no connection is chosen after the connect failed.
        AtomicReference<Object> claimedBy = new AtomicReference<>();
        Function<Strategy, BooleanSupplier> claimAs = s -> () -> !result.isDone()
                && claimedBy.compareAndSet(null, s);
        for (Strategy s : options.strategies()) {
            BooleanSupplier claim = claimAs.apply(s);
            Optional<String> skip = skipped(s, peer);
            if (skip.isPresent()) {
                failures.put(s, new StrategySkippedException(skip.get()));
                continue;
            }
            attempts.put(s, switch (s) {
                case DIRECT, REVERSE -> start(s, peer, deadline, claim);
                case PUNCH -> after(delay(options.punchDelay()), () -> punch(peer, deadline, claim, true));
                case RELAY -> relay.unavailable().isEmpty()
                        ? relay.start(peer, Sessions.fresh(Sessions.RELAY), deadline, relayGo, claim)
                        : after(relayGo, () -> start(s, peer, deadline, claim));
            });
        }
        // A punch under way holds the relay back past its delay until the punch ends, for at most half the deadline
        // (never less than the delay): a punch connects 1-2 s after the connect's start in the lab, when the relay's
        // go comes, and a relay chosen then would cost the TURN server's bandwidth for the pipe's whole life.
        CompletableFuture<ProvenPipe> punching = attempts.get(Strategy.PUNCH);
        CompletableFuture<Object> held = delay(options.relayDelay()).thenApply(v -> null);
        if (punching != null && !options.relayDelay().isZero()) { // zero: the caller wants the relay at once
            held = held.thenCombine(punching.handle((p, e) -> null), (x, y) -> null)
                    .applyToEither(delay(max(options.relayDelay(), options.deadline().dividedBy(2))), v -> null);
        }
        held.applyToEither(othersFailed, v -> null).whenComplete((v, e) -> relayGo.complete(null));
        if (attempts.isEmpty()) {
            result.completeExceptionally(new ConnectException(peer.nodeId().value(),
                    new ConnectReport(Optional.empty(), Duration.ofNanos(System.nanoTime() - start), failures)));
            return result;
        }
        AtomicInteger left = new AtomicInteger(attempts.size());
        AtomicInteger othersLeft = new AtomicInteger((int) attempts.keySet().stream()
                .filter(s -> s != Strategy.RELAY).count());
        if (othersLeft.get() == 0) {
            othersFailed.complete(null);
        }
        Runnable lost = () -> {
            if (left.decrementAndGet() == 0) {
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                result.completeExceptionally(new ConnectException(peer.nodeId().value(),
                        new ConnectReport(Optional.empty(), took, failures)));
            }
        };
        attempts.forEach((s, f) -> f.whenComplete((proven, e) -> {
            if (e != null) {
                failures.put(s, unwrap(e));
                claimedBy.compareAndSet(s, null);
                if (s != Strategy.RELAY && othersLeft.decrementAndGet() == 0) {
                    othersFailed.complete(null);
                }
                lost.run();
                return;
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            Map<Strategy, Throwable> others = new EnumMap<>(Strategy.class);
            synchronized (failures) {
                others.putAll(failures);
            }
            attempts.keySet().stream().filter(o -> o != s && !others.containsKey(o))
                    .forEach(o -> others.put(o, new CancellationException("another strategy won")));
            PeerConnection c = new PeerConnection(proven.pipe(), proven.peer(), s, took,
                    new ConnectReport(Optional.of(s), took, others, Optional.of(proven.pipe().localAddress()),
                            proven.pipe().remoteAddress()));
            live(proven.pipe()); // before the caller has it; a close ends it
            if (!result.complete(c)) {
                proven.pipe().closeAsync(); // a second winner, or the connect was cancelled
            }
        }));
        CompletableFuture.delayedExecutor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
                .execute(() -> {
                    // Whoever holds the claim: an attempt that claimed and never ended must not outlive the deadline.
                    claimedBy.set(DEADLINE_CLAIM);
                    if (!result.isDone()) {
                        attempts.forEach((s, f) -> {
                            if (!f.isDone()) {
                                failures.put(s, StagedAttempt.deadlinePassed(f, options.deadline()));
                            }
                        });
                        Duration took = Duration.ofNanos(System.nanoTime() - start);
                        result.completeExceptionally(new ConnectException(peer.nodeId().value(),
                                new ConnectReport(Optional.empty(), took, failures)));
                    }
                });
        // Whatever ends the connect (a win, the deadline, a cancel) stops the strategies still running.
        result.whenComplete((c, e) -> attempts.values().forEach(f -> f.cancel(false)));
        track(result);
        return result;
    }

    /** Why {@code s} is not started toward {@code peer}, if it is not. */
    private Optional<String> skipped(Strategy s, PeerAddress peer) {
        return switch (s) {
            case DIRECT -> Optional.empty();
            case REVERSE -> signalling.isEmpty() ? Optional.of("this node has no signalling broker") : Optional.empty();
            case PUNCH -> !plugged.containsKey(s) ? Optional.of("hole punching is not available in this version")
                    : plugged.get(s).unusable(peer);
            case RELAY -> plugged.containsKey(s) && relay.unavailable().isPresent() ? Optional.empty()
                    : relay.unavailable();
        };
    }

    /**
     * Hole punching toward {@code peer}; when its window passes with no connection ({@code NO_CONNECTION_IN_WINDOW}:
     * the two sides' SYNs missed each other, one try in five in the lab) it tries once more with a fresh session, if
     * {@code again} and the deadline leaves a punch's time. Cancelling the result stops the try under way.
     */
    private CompletableFuture<ProvenPipe> punch(PeerAddress peer, long deadline, BooleanSupplier claim,
            boolean again) {
        CompletableFuture<ProvenPipe> out = new CompletableFuture<>();
        CompletableFuture<ProvenPipe> a = start(Strategy.PUNCH, peer, deadline, claim);
        out.whenComplete((p, x) -> {
            if (x != null) {
                a.cancel(false);
            }
        });
        a.whenComplete((p, x) -> follow(out, again && !out.isDone() && x != null
                && unwrap(x) instanceof io.p2pd.node.punch.PunchException pe
                && pe.step() == io.p2pd.node.punch.PunchException.Step.NO_CONNECTION_IN_WINDOW
                && deadline - System.nanoTime() > PUNCH_AGAIN_LEFT.toNanos()
                ? punch(peer, deadline, claim, false) : a));
        return out;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** A future completed {@code d} from now (at once for zero). */
    private static CompletableFuture<Void> delay(Duration d) {
        if (d.isZero()) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.runAsync(() -> { },
                CompletableFuture.delayedExecutor(d.toNanos(), TimeUnit.NANOSECONDS));
    }

    /** What holds a connect's claim once its deadline passed. */
    private static final Object DEADLINE_CLAIM = new Object();

    /** The time a second punch needs at least (signalling, the STUN observation, a 2 s window, the proof). */
    static final Duration PUNCH_AGAIN_LEFT = Duration.ofSeconds(3);

    /** {@code attempt} started once {@code go} completes; cancelling the result stops it, started or not. */
    static CompletableFuture<ProvenPipe> after(CompletableFuture<?> go,
            java.util.function.Supplier<CompletableFuture<ProvenPipe>> attempt) {
        CompletableFuture<ProvenPipe> out = new CompletableFuture<>();
        go.whenComplete((v, e) -> {
            if (out.isDone()) {
                return;
            }
            follow(out, attempt.get());
        });
        return out;
    }

    /** {@code out} completes as {@code a} does (a pipe it no longer takes is closed); failing it cancels {@code a}. */
    private static void follow(CompletableFuture<ProvenPipe> out, CompletableFuture<ProvenPipe> a) {
        out.whenComplete((p, x) -> {
            if (x != null) {
                a.cancel(false);
            }
        });
        a.whenComplete((p, x) -> {
            if (x != null) {
                out.completeExceptionally(unwrap(x));
            } else if (!out.complete(p)) {
                p.pipe().closeAsync();
            }
        });
    }

    private CompletableFuture<ProvenPipe> start(Strategy s, PeerAddress peer, long deadline, BooleanSupplier claim) {
        try {
            return switch (s) {
                case DIRECT -> direct(peer, Sessions.fresh(Sessions.DIRECT), deadline, Optional.of(claim));
                case REVERSE -> reverse(peer, Sessions.fresh(Sessions.REVERSE), deadline, claim);
                default -> {
                    StrategyAttempt a = plugged.get(s);
                    yield a == null ? CompletableFuture.failedFuture(new IOException(s.label()
                            + " is not available in this version"))
                            : a.start(peer, Sessions.fresh(s == Strategy.PUNCH ? Sessions.PUNCH : Sessions.RELAY),
                                    deadline, claim);
                }
            };
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Dials every pair of one of our interfaces and one of the peer's records of the same family, in parallel: the
     * peer's NIC address when its external address is one of ours (same NAT, or same host), else its external one.
     * The first connection proven wins; the others are closed.
     *
     * @param claim the connect's claim, when this node chooses (its own connect); empty for a dial-back a peer asked
     *     for, where the peer chooses and proves only the connection it keeps
     */
    CompletableFuture<ProvenPipe> direct(PeerAddress peer, String session, long deadline,
            Optional<BooleanSupplier> claim) {
        List<Dial> dials = dials(peer);
        if (dials.isEmpty()) {
            return CompletableFuture.failedFuture(new IOException("no address of the peer shares a family with "
                    + "ours"));
        }
        List<CompletableFuture<ProvenPipe>> attempts = new ArrayList<>();
        for (Dial d : dials) {
            attempts.add(attempt(d, peer.nodeId(), session, deadline, claim));
        }
        return Race.first(attempts, "direct", claim.isPresent());
    }

    /** One local bind and one destination. */
    record Dial(BoundRoute from, InetSocketAddress to) {
    }

    List<Dial> dials(PeerAddress peer) {
        Set<Dial> out = new LinkedHashSet<>();
        for (NodeInterface mine : interfaces) {
            for (Family family : Family.values()) {
                Optional<Route> route = mine.nic().pool(family).first();
                if (route.isEmpty()) {
                    continue;
                }
                BoundRoute from;
                try {
                    from = route.get().bind(0);
                } catch (AddressNotLocalException e) {
                    continue;
                }
                List<PeerInterface> theirs = family == Family.V4 ? peer.v4() : peer.v6();
                for (PeerInterface r : theirs) {
                    boolean sameNat = ourExternals(family).contains(r.externalIp());
                    // An IPv6 NIC address in a record is a link-local one, which needs a scope to dial.
                    boolean lan = sameNat && family == Family.V4;
                    out.add(new Dial(from, new InetSocketAddress(lan ? r.nicIp() : r.externalIp(), r.port())));
                }
            }
        }
        return List.copyOf(out);
    }

    private Set<java.net.InetAddress> ourExternals(Family family) {
        Set<java.net.InetAddress> out = new LinkedHashSet<>();
        for (PeerInterface r : family == Family.V4 ? address.v4() : address.v6()) {
            out.add(r.externalIp());
        }
        return out;
    }

    /** Opens one dial and proves it; cancelling closes whatever it opened. */
    private CompletableFuture<ProvenPipe> attempt(Dial d, NodeId peer, String session, long deadline,
            Optional<BooleanSupplier> claim) {
        CompletableFuture<ProvenPipe> out = new CompletableFuture<>();
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            out.completeExceptionally(new TimeoutException("deadline passed"));
            return out;
        }
        CompletableFuture<Pipe> open;
        try {
            open = Pipes.tcp().route(d.from()).dest(d.to())
                    .tcp(TcpOptions.builder().conTimeout(Duration.ofNanos(left)).halfClosure(true).build()).open();
        } catch (RuntimeException e) {
            out.completeExceptionally(e);
            return out;
        }
        open.whenComplete((pipe, e) -> {
            if (e != null) {
                out.completeExceptionally(new IOException("dial " + d.to().getAddress().getHostAddress() + " port "
                        + d.to().getPort() + ": " + message(e), unwrap(e)));
                return;
            }
            if (out.isDone()) {
                if (claim.isPresent()) {
                    PeerProof.decline(pipe, key, session); // the peer learns it lost a race, not a broken proof
                } else {
                    pipe.closeAsync();
                }
                return;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                pipe.closeAsync();
                out.completeExceptionally(new TimeoutException("deadline passed"));
                return;
            }
            Duration limit = Duration.ofNanos(remaining);
            CompletableFuture<ProvenPipe> proof = claim.isPresent()
                    ? PeerProof.runChoosing(pipe, key, peer, session, limit,
                            () -> !out.isDone() && claim.get().getAsBoolean())
                    : PeerProof.run(pipe, key, Optional.of(peer), session, limit);
            follow(out, proof);
        });
        return out;
    }

    /**
     * Asks the peer by a signed connect signal to dial us back with {@code session}, and waits for that connection to
     * be proven by our servers.
     */
    CompletableFuture<ProvenPipe> reverse(PeerAddress peer, String session, long deadline, BooleanSupplier claim) {
        if (signalling.isEmpty()) {
            return CompletableFuture.failedFuture(new IOException("this node has no signalling broker"));
        }
        Optional<Family> family = commonFamily(peer);
        if (family.isEmpty()) {
            return CompletableFuture.failedFuture(new IOException("no address family in common with the peer"));
        }
        Family f = family.get();
        StandardProtocolFamily pf = f == Family.V4 ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
        int myIndex = (f == Family.V4 ? address.v4() : address.v6()).get(0).ifIndex();
        int theirIndex = (f == Family.V4 ? peer.v4() : peer.v6()).get(0).ifIndex();
        long ttl = System.currentTimeMillis() / 1000 + SIGNAL_TTL.toSeconds();
        SignalMessage ask = SignalMessage.of(SignalType.CONNECT, ttl, session, address, peer)
                .withInterfaces(pf, myIndex, pf, theirIndex);
        StagedAttempt done = StagedAttempt.signalling("the connect signal");
        reverseSessions.put(session, new Pending(peer.nodeId(), done, claim));
        // Once done (won, failed, cancelled), a dial-back for this session is refused (see inbound).
        done.whenComplete((p, e) -> reverseSessions.remove(session));
        CompletableFuture<Integer> sent;
        try {
            sent = signalling.get().send(ask);
        } catch (IllegalArgumentException e) {
            done.completeExceptionally(new IOException("cannot signal the peer: " + e.getMessage(), e));
            return done;
        }
        sent.whenComplete((broker, e) -> {
            if (e != null) {
                done.completeExceptionally(new IOException("the connect signal did not go out: " + message(e),
                        unwrap(e)));
            } else {
                done.waiting("the connect signal went out (broker " + broker + ") but the peer did not dial back");
            }
        });
        return done;
    }

    private Optional<Family> commonFamily(PeerAddress peer) {
        if (!address.v4().isEmpty() && !peer.v4().isEmpty()) {
            return Optional.of(Family.V4);
        }
        if (!address.v6().isEmpty() && !peer.v6().isEmpty()) {
            return Optional.of(Family.V6);
        }
        return Optional.empty();
    }

    private void track(CompletableFuture<?> f) {
        running.add(f);
        f.whenComplete((x, e) -> running.remove(f));
    }

    // ---- closing ----

    /** Stops connects under way, fails waiting accepts, closes connections not taken yet. Idempotent. */
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<CompletableFuture<PeerConnection>> takers;
        List<PeerConnection> untaken;
        synchronized (lock) {
            takers = List.copyOf(waiting);
            waiting.clear();
            untaken = List.copyOf(ready);
            ready.clear();
        }
        takers.forEach(t -> t.completeExceptionally(new PipeClosedException("the node is closed")));
        untaken.forEach(c -> c.pipe().closeAsync());
        List.copyOf(running).forEach(f -> f.cancel(false));
        reverseSessions.values().forEach(p -> p.done().cancel(false));
    }

    static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    static String message(Throwable e) {
        Throwable t = unwrap(e);
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** Session ids: a strategy prefix and 16 random bytes in hex. */
    static final class Sessions {
        static final String DIRECT = "d-";
        static final String REVERSE = "r-";
        static final String PUNCH = "p-";
        static final String RELAY = "t-";

        private Sessions() {
        }

        static String fresh(String prefix) {
            byte[] b = new byte[16];
            RANDOM.nextBytes(b);
            return prefix + HexFormat.of().formatHex(b);
        }
    }

}
