package io.p2pd.node.punch;

import io.p2pd.net.EventLoops;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerInterface;
import io.p2pd.node.connect.ProvenPipe;
import io.p2pd.node.id.NodeId;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.punch.PortPrediction.Impossible;
import io.p2pd.node.punch.PortPrediction.Ports;
import io.p2pd.node.punch.PunchException.Step;
import io.p2pd.node.signal.SignalMessage;
import io.p2pd.node.signal.SignalReceipt;
import io.p2pd.node.signal.SignalType;
import io.p2pd.node.signal.Signalling;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * TCP hole punching between two nodes over their signalling: the exchange, then the open ({@link PunchOpen}).
 *
 * <p>The exchange, in {@link SignalType#TCP_PUNCH} messages of one pipe id (signed, and encrypted once the peer's key
 * is known): the initiator sends a <em>request</em> with its predicted mappings (local port to bind, predicted
 * external port) and external IP; the peer predicts its own and <em>answers</em> at once, saying how long it held the
 * request; the initiator takes the round trip from that (less the hold), sends <em>start</em> with a margin, and
 * starts at its send time + round trip / 2 + margin, while the peer starts at the start message's arrival + margin.
 * No wall-clock agreement is needed. The original P2PD instead meets at an NTP time (its {@code ntp} field); we send
 * "0" there, which makes a Python node punch at once; its reply has no {@code state} field and is dropped, so a punch
 * with the original fails with {@link Step#NO_SIGNAL_ANSWER}: interop with the original's punch is not done.
 *
 * <p>Before anything is signalled, {@link PunchFeasibility} and {@link PortPredictor} decide whether this side can
 * predict its ports and whether the peer's address says it can: if not, the punch fails at once with
 * {@link Step#PREDICTION_IMPOSSIBLE}. Without a NAT or with the equal delta our external port is the reserved local
 * port's own ({@link PortPredictor#forFreshPort}). With the preserving, step (independent, dependent) and random
 * deltas, the {@link #observer} (STUN over TCP) first sees the mapping of a connection from the reserved port itself,
 * and the punch binds that port again ({@link PortPredictor#reusing}): the same external port where the NAT keeps one
 * mapping per local port, the next step where it maps per destination. Without an observer those deltas fall back to
 * {@link PortPredictor#forFreshPort} (the preserving delta's measured offset; the others fail with its reason).
 * A peer asked that cannot predict (or reserve) its ports answers with a refusal and its reason, and the initiator
 * fails at once with {@link Step#PREDICTION_IMPOSSIBLE} "the peer: ...".
 *
 * <p>The side asked hands each punched connection to the consumer given at {@link #of}.
 */
public final class HolePunch implements AutoCloseable {
    /** How long connect attempts go on from the start. */
    public static final Duration WINDOW = Duration.ofSeconds(2);
    /** How long the initiator waits for the answer to its request. */
    public static final Duration ANSWER_LIMIT = Duration.ofSeconds(5);
    /** The start margin past the agreed moment, for the start message's jitter. */
    static final Duration MARGIN = Duration.ofMillis(50);
    /**
     * The most exchanges under way at once; a request past it is dropped. Each holds local ports and sends SYNs, and
     * any signed stranger can ask for one, so they are capped as the connector caps its reverse dials.
     */
    static final int MAX_EXCHANGES = 16;
    private static final long TTL_SECONDS = 30;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Signalling signalling;
    private final NodeKey key;
    private final PeerAddress self;
    private final InetAddress localIp;
    private final BiConsumer<Punched, ProvenPipe> accepted;
    private final Map<String, Exchange> exchanges = new ConcurrentHashMap<>();
    private final java.util.Set<CompletableFuture<Void>> unsettled = ConcurrentHashMap.newKeySet();
    private final java.util.Set<String> answering = ConcurrentHashMap.newKeySet();
    /** The connector's claims, by pipe id, of the punches it runs ({@link #punchProven}): it chooses among all. */
    private final Map<String, BooleanSupplier> connectClaims = new ConcurrentHashMap<>();
    private volatile NatBehaviour ours;
    private volatile java.util.function.Predicate<NodeId> refused = id -> false;
    private volatile Function<InetSocketAddress, CompletableFuture<InetSocketAddress>> observer;
    private volatile boolean closed;
    // for tests
    volatile int candidates = 1;
    volatile UnaryOperator<List<PortMapping>> advertised = UnaryOperator.identity();
    volatile PunchProof proof;
    volatile Duration window = WINDOW;
    volatile Duration answerLimit = ANSWER_LIMIT;
    /** How many opens were started (for tests). */
    final java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();

    private HolePunch(Signalling signalling, NodeKey key, PeerAddress self, InetAddress localIp, NatBehaviour ours,
            BiConsumer<Punched, ProvenPipe> accepted) {
        this.proof = PunchProof.nodeKey(key);
        this.key = key;
        this.signalling = signalling;
        this.self = self;
        this.localIp = localIp;
        this.ours = ours;
        this.accepted = accepted;
    }

    /**
     * Hole punching for the node of {@code self}, whose key is {@code key} (its connections prove it).
     *
     * @param localIp the interface address connections are made from
     * @param ours this side's NAT as measured
     * @param accepted told each connection a peer punched to us, with its proof (on a Netty thread: hand it off)
     */
    public static HolePunch of(Signalling signalling, NodeKey key, PeerAddress self, InetAddress localIp,
            NatBehaviour ours, BiConsumer<Punched, ProvenPipe> accepted) {
        return new HolePunch(Objects.requireNonNull(signalling, "signalling"), Objects.requireNonNull(key, "key"),
                Objects.requireNonNull(self, "self"),
                Objects.requireNonNull(localIp, "localIp"), Objects.requireNonNull(ours, "ours"),
                Objects.requireNonNull(accepted, "accepted"));
    }

    /** This side's NAT, as punches predict from it. */
    public NatBehaviour ours() {
        return ours;
    }

    /** Replaces this side's NAT as measured (a NAT known by other means, or none, as in loopback tests). */
    public void ours(NatBehaviour nat) {
        this.ours = Objects.requireNonNull(nat, "nat");
    }

    /**
     * Peers whose requests are dropped before any port is bound (the node's {@code refusePeers}); a predicate that
     * throws refuses.
     */
    public void refusing(java.util.function.Predicate<NodeId> refuse) {
        this.refused = Objects.requireNonNull(refuse, "refuse");
    }

    /**
     * How this side sees the external address of a TCP connection made from a local address (STUN over TCP from
     * it), so the preserving, step and random deltas predict from the reserved port's own mapping. The observation
     * must bind the local address with SO_REUSEADDR and SO_REUSEPORT: the punch holds it reserved meanwhile.
     */
    public void observer(Function<InetSocketAddress, CompletableFuture<InetSocketAddress>> observer) {
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /** One punch under way, by pipe id. */
    private final class Exchange {
        final String pipeId;
        final PeerAddress peer;
        final boolean initiator;
        final List<PortMapping> mine;
        final List<SocketChannel> reserved;
        final CompletableFuture<Punched> result = new CompletableFuture<>();
        /** The result, once the exchange has ended (its reservations closed, it is no longer under way). */
        final CompletableFuture<Punched> outcome;
        volatile ProvenPipe proven;
        volatile long sentNanos;
        volatile List<PortMapping> theirs = List.of();
        volatile InetAddress theirIp;
        volatile Duration rtt = Duration.ZERO;
        volatile boolean md5;
        /** The peer's key, from its signed message: with ours it keys the TCP-MD5 signatures. */
        volatile Optional<io.p2pd.node.id.NodePublicKey> theirKey = Optional.empty();
        /** The open, once started: an exchange opens once, and its end stops the open. */
        private PunchOpen open;
        private boolean opened;
        private boolean ended;

        Exchange(String pipeId, PeerAddress peer, boolean initiator, List<PortMapping> mine,
                List<SocketChannel> reserved) {
            this.pipeId = pipeId;
            this.peer = peer;
            this.initiator = initiator;
            this.mine = mine;
            this.reserved = reserved;
            outcome = result.whenComplete((p, e) -> end());
        }

        void end() {
            exchanges.remove(key(peer.nodeId(), pipeId));
            reserved.forEach(HolePunch::closeQuietly);
            PunchOpen running;
            synchronized (this) {
                ended = true;
                running = open;
            }
            if (running != null) {
                // won: a no-op; cancelled or closed: its attempts and connections are closed
                running.stop(new PunchException(Step.CLOSED, "the punch was given up"));
            }
        }

        /** Whether this call is the exchange's first to open (a repeated start is ignored). */
        private synchronized boolean opening() {
            if (opened || ended) {
                return false;
            }
            opened = true;
            return true;
        }

        void open(long startNanos) {
            if (!opening()) {
                return;
            }
            int n = Math.min(mine.size(), theirs.size());
            List<PunchOpen.Pair> pairs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                pairs.add(new PunchOpen.Pair(new InetSocketAddress(localIp, mine.get(i).localPort()),
                        new InetSocketAddress(theirIp, theirs.get(i).externalPort())));
            }
            if (pairs.isEmpty()) {
                result.completeExceptionally(new PunchException(Step.NO_CONNECTION_IN_WINDOW, "no mapping to try"));
                return;
            }
            Optional<byte[]> md5Key = md5 ? theirKey.map(k -> md5Key(key, k, pipeId)) : Optional.empty();
            CompletableFuture<Void> settled = new CompletableFuture<>();
            unsettled.add(settled);
            settled.thenRun(() -> unsettled.remove(settled));
            opens.incrementAndGet();
            // The connect's claim is asked after the punch's own: a punched connection is kept only if both take it.
            BooleanSupplier connect = connectClaims.getOrDefault(pipeId, () -> true);
            PunchProof joined = (tcp, who, session, limit, claim) -> proof.prove(tcp, who, session, limit,
                    claim.map(c -> () -> c.getAsBoolean() && connect.getAsBoolean()));
            PunchOpen started = PunchOpen.run(settled, pairs, initiator, joined, pipeId, startNanos, window, md5Key,
                    peer.nodeId());
            boolean stopNow;
            synchronized (this) {
                open = started;
                stopNow = ended;
            }
            if (stopNow) {
                started.stop(new PunchException(Step.CLOSED, "the punch was given up"));
            }
            started.result().whenComplete((won, e) -> opened(won, e, startNanos));
        }

        private void opened(PunchOpen.Won won, Throwable e, long startNanos) {
            if (e != null) {
                result.completeExceptionally(e instanceof PunchException ? e
                        : new PunchException(Step.NO_CONNECTION_IN_WINDOW, PunchOpen.message(e), e));
                return;
            }
            proven = won.proven();
            Punched p = new Punched(won.pipe(), initiator, mine, theirs, won.pair().remote(), rtt,
                    Duration.ofNanos(Math.max(0, won.connectedNanos() - startNanos)));
            if (!result.complete(p)) {
                won.pipe().closeAsync();
            }
        }
    }

    /**
     * Punches a TCP connection to {@code peer}: completes with it, or fails with a {@link PunchException} saying
     * which step failed.
     */
    public CompletableFuture<Punched> punch(PeerAddress peer) {
        return punch(peer, randomPipeId()).thenCompose(x -> x.outcome);
    }

    /**
     * A punch as a strategy of the node's connector: {@code sessionId} (1 to 64 printable ASCII characters) is its pipe
     * id and the proof's session; completes with the proven connection. Cancelling it gives the punch up.
     *
     * @param claim the connect's claim, asked after the punch's own: a punched connection is kept (and proven to the
     *     peer) only if the connect takes it
     */
    public CompletableFuture<ProvenPipe> punchProven(PeerAddress peer, String sessionId, BooleanSupplier claim) {
        Objects.requireNonNull(claim, "claim");
        CompletableFuture<ProvenPipe> out = new CompletableFuture<>();
        connectClaims.put(sessionId, claim);
        out.whenComplete((p, e) -> connectClaims.remove(sessionId));
        punch(peer, sessionId).whenComplete((x, e) -> {
            if (e != null) {
                out.completeExceptionally(e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e);
            } else {
                out.whenComplete((v, f) -> x.result.cancel(false));
                x.outcome.whenComplete((p, f) -> {
                    if (f != null) {
                        out.completeExceptionally(f);
                    } else if (!out.complete(x.proven)) {
                        p.pipe().closeAsync();
                    }
                });
            }
        });
        return out;
    }

    /**
     * Why a punch to {@code peer} would fail before anything is signalled ({@link Step#PREDICTION_IMPOSSIBLE}), if
     * it would: the verdict a connect skips punching by, the same checks {@link #punch} makes (with the
     * {@link #observer}, when one is set and our delta needs it, as the punch predicts). Only an observation that
     * fails when the punch makes it is not foreseen here.
     */
    public Optional<String> unpunchable(PeerAddress peer) {
        Objects.requireNonNull(peer, "peer");
        if (peer.v4().isEmpty()) {
            return Optional.of("the peer's address has no IPv4 interface record to punch to");
        }
        PeerInterface record = peer.v4().get(0);
        NatBehaviour nat = ours;
        PunchDecision decision = PunchFeasibility.decide(nat, new NatBehaviour(record.nat(), record.delta()));
        if (!decision.punchable()) {
            return Optional.of(decision.reason());
        }
        // What predict makes of any port, by the same choice: the delta and the observer decide, not the port, nor
        // the observed mapping (its port stands in for it). An observation that fails is known only when it is made.
        int port = PortRange.UNPRIVILEGED.first();
        PortPrediction prediction = observing(nat, observer)
                ? PortPredictor.reusing(nat, new PortMapping(port, port), 1)
                : PortPredictor.forFreshPort(nat, port);
        return prediction instanceof Impossible impossible
                ? Optional.of("our side (" + nat + "): " + impossible.reason()) : Optional.empty();
    }

    /** Starts a punch; completes with its exchange once signalled (the exchange's result says how it ends). */
    private CompletableFuture<Exchange> punch(PeerAddress peer, String pipeId) {
        Objects.requireNonNull(peer, "peer");
        if (closed) {
            return CompletableFuture.failedFuture(new PunchException(Step.CLOSED, "hole punching is closed"));
        }
        if (peer.v4().isEmpty()) {
            throw new IllegalArgumentException("peer: the address has no IPv4 interface record to punch to");
        }
        PeerInterface record = peer.v4().get(0);
        PunchDecision decision = PunchFeasibility.decide(ours, new NatBehaviour(record.nat(), record.delta()));
        if (!decision.punchable()) {
            return CompletableFuture.failedFuture(new PunchException(Step.PREDICTION_IMPOSSIBLE, decision.reason()));
        }
        return prepare(pipeId, peer, true).thenApply(x -> request(x, record));
    }

    private Exchange request(Exchange x, PeerInterface record) {
        PeerAddress peer = x.peer;
        if (closed) { // closed while the mapping was observed
            x.result.completeExceptionally(new PunchException(Step.CLOSED, "hole punching was closed"));
            return x;
        }
        x.theirIp = record.externalIp();
        exchanges.put(key(peer.nodeId(), x.pipeId), x);
        x.sentNanos = System.nanoTime();
        send(x, new PunchPayload(PunchPayload.REQUEST, punchMode(record.externalIp()), x.mine, externalIp(), 0, 0,
                canSign()))
                .whenComplete((v, e) -> {
                    if (e != null) {
                        x.result.completeExceptionally(new PunchException(Step.NO_SIGNAL_ANSWER,
                                "the request could not be signalled: " + PunchOpen.message(e), e));
                    }
                });
        EventLoops.shared().next().schedule(() -> {
            if (x.theirs.isEmpty()) {
                x.result.completeExceptionally(new PunchException(Step.NO_SIGNAL_ANSWER, "no answer by signal within "
                        + answerLimit.toMillis() + " ms"));
            }
        }, answerLimit.toNanos(), TimeUnit.NANOSECONDS);
        return x;
    }

    /**
     * Takes a {@link SignalType#TCP_PUNCH} receipt: answers a request, or moves an exchange under way on. Returns
     * false for other messages. Called on the signalling thread; waits for nothing.
     */
    public boolean handle(SignalReceipt receipt) {
        SignalMessage m = receipt.message();
        if (m.type() != SignalType.TCP_PUNCH) {
            return false;
        }
        long arrived = System.nanoTime();
        if (closed || !receipt.mayDial()) {
            return true;
        }
        PunchPayload p;
        try {
            p = PunchPayload.of(m.payload());
        } catch (IllegalArgumentException e) {
            return true;
        }
        Exchange x = exchanges.get(key(m.source().nodeId(), m.pipeId()));
        switch (p.state()) {
            case PunchPayload.REQUEST -> {
                if (x == null && !p.mappings().isEmpty() && !m.source().v4().isEmpty() && !refuses(m.source())
                        && p.ip().map(ip -> signedIp(m.source(), ip)).orElse(true)
                        && exchanges.size() + answering.size() < MAX_EXCHANGES // those being predicted count too
                        && answering.add(key(m.source().nodeId(), m.pipeId()))) {
                    answer(m, p, arrived);
                }
            }
            case PunchPayload.ANSWER -> {
                if (x != null && x.initiator && x.theirs.isEmpty() && !p.mappings().isEmpty()
                        && p.ip().map(ip -> signedIp(x.peer, ip)).orElse(true)) {
                    x.theirs = p.mappings();
                    x.theirKey = m.senderKey();
                    x.md5 = p.md5() && canSign() && x.theirKey.isPresent();
                    p.ip().ifPresent(ip -> x.theirIp = ip);
                    long rtt = Math.max(0, arrived - x.sentNanos - TimeUnit.MILLISECONDS.toNanos(p.holdMs()));
                    x.rtt = Duration.ofNanos(rtt);
                    long startSent = System.nanoTime();
                    send(x, new PunchPayload(PunchPayload.START, punchMode(x.theirIp), List.of(), Optional.empty(), 0,
                            MARGIN.toMillis(), x.md5));
                    x.open(startSent + rtt / 2 + MARGIN.toNanos());
                }
            }
            case PunchPayload.REFUSED -> {
                // the peer cannot take part: fail at once with its reason rather than wait out the answer limit
                if (x != null && x.initiator && x.theirs.isEmpty()) {
                    x.result.completeExceptionally(new PunchException(Step.PREDICTION_IMPOSSIBLE,
                            "the peer: " + p.reason().orElse("no reason given")));
                }
            }
            default -> {
                if (x != null && !x.initiator && !x.theirs.isEmpty()) {
                    x.open(arrived + TimeUnit.MILLISECONDS.toNanos(p.delayMs()));
                }
            }
        }
        return true;
    }

    /**
     * Whether {@code ip} is one of the IPs {@code peer}'s signed address names for itself: the only ones a payload
     * may point our SYNs at (any other would let a peer aim them at a third party).
     */
    static boolean signedIp(PeerAddress peer, InetAddress ip) {
        return peer.interfaces().stream().anyMatch(i -> i.externalIp().equals(ip) || i.nicIp().equals(ip));
    }

    private boolean refuses(PeerAddress peer) {
        try {
            return refused.test(peer.nodeId());
        } catch (RuntimeException e) {
            return true;
        }
    }

    private void answer(SignalMessage m, PunchPayload p, long arrived) {
        String k = key(m.source().nodeId(), m.pipeId());
        prepare(m.pipeId(), m.source(), false).whenComplete((x, e) -> {
            answering.remove(k);
            if (e == null) {
                answer(m, p, arrived, x);
            } else if (!closed) {
                refuse(m, e);
            }
        });
    }

    /**
     * Tells the peer of a request that this side cannot take part ({@code failed}: it cannot predict or reserve its
     * ports), so its punch fails at once with the reason. One refusal per request, so bounded as requests are.
     */
    private void refuse(SignalMessage request, Throwable failed) {
        Throwable cause = failed instanceof CompletionException c && c.getCause() != null ? c.getCause() : failed;
        String reason = cause instanceof PunchException pe ? pe.detail().replaceFirst("^our side ", "its side ")
                : "its ports could not be predicted";
        PeerAddress peer = request.source();
        send(request.pipeId(), peer, PunchPayload.refusal(punchMode(peer.v4().get(0).externalIp()), reason));
    }

    private void answer(SignalMessage m, PunchPayload p, long arrived, Exchange x) {
        if (closed) {
            x.result.completeExceptionally(new PunchException(Step.CLOSED, "hole punching was closed"));
            return;
        }
        x.theirs = p.mappings();
        x.theirKey = m.senderKey();
        x.md5 = p.md5() && canSign() && x.theirKey.isPresent();
        x.theirIp = p.ip().orElse(m.source().v4().get(0).externalIp());
        exchanges.put(key(m.source().nodeId(), m.pipeId()), x);
        x.outcome.thenAccept(punched -> accepted.accept(punched, x.proven));
        long hold = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - arrived);
        send(x, new PunchPayload(PunchPayload.ANSWER, punchMode(x.theirIp), x.mine, externalIp(), hold, 0, x.md5));
        // the start must come within the answer limit, else the exchange is given up
        EventLoops.shared().next().schedule(() -> {
            x.result.completeExceptionally(new PunchException(Step.NO_SIGNAL_ANSWER, "no start by signal"));
        }, answerLimit.plus(window).plus(PunchOpen.PROOF_LIMIT).toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Reserves local ports and predicts their external ports (observing their mappings first where the delta needs
     * it); fails with a {@link PunchException} when this side cannot predict.
     */
    private CompletableFuture<Exchange> prepare(String pipeId, PeerAddress peer, boolean initiator) {
        NatBehaviour nat = ours;
        Function<InetSocketAddress, CompletableFuture<InetSocketAddress>> observe = observer;
        List<SocketChannel> reserved = new ArrayList<>();
        List<CompletableFuture<PortMapping>> predicted = new ArrayList<>();
        try {
            for (int i = 0; i < candidates; i++) {
                SocketChannel ch = reserve();
                reserved.add(ch);
                predicted.add(predict(nat, ((InetSocketAddress) ch.getLocalAddress()).getPort(), observe));
            }
        } catch (IOException e) {
            reserved.forEach(HolePunch::closeQuietly);
            return CompletableFuture.failedFuture(
                    new PunchException(Step.NO_CONNECTION_IN_WINDOW, "no local port could be reserved", e));
        }
        return CompletableFuture.allOf(predicted.toArray(CompletableFuture[]::new)).handle((v, e) -> {
            if (e != null) {
                reserved.forEach(HolePunch::closeQuietly);
                throw e instanceof CompletionException c ? c : new CompletionException(e);
            }
            List<PortMapping> mine = predicted.stream().map(CompletableFuture::join).toList();
            return new Exchange(pipeId, peer, initiator, advertised.apply(mine), reserved);
        });
    }

    /** The mapping a connection from {@code local} is expected to get. */
    private CompletableFuture<PortMapping> predict(NatBehaviour nat, int local,
            Function<InetSocketAddress, CompletableFuture<InetSocketAddress>> observe) {
        if (!observing(nat, observe)) {
            PortPrediction fresh = PortPredictor.forFreshPort(nat, local);
            return fresh instanceof Ports p ? CompletableFuture.completedFuture(new PortMapping(local, p.first()))
                    : CompletableFuture.failedFuture(impossible(nat, ((Impossible) fresh).reason()));
        }
        return observe.apply(new InetSocketAddress(localIp, local)).handle((external, e) -> {
            if (e != null) {
                throw new CompletionException(impossible(nat, "the mapping of local port " + local
                        + " could not be observed: " + PunchOpen.message(e)));
            }
            PortPrediction p = PortPredictor.reusing(nat, new PortMapping(local, external.getPort()), 1);
            if (p instanceof Impossible i) {
                throw new CompletionException(impossible(nat, i.reason()));
            }
            return new PortMapping(local, ((Ports) p).first());
        });
    }

    /**
     * Whether a punch predicts through {@code observe} ({@link PortPredictor#reusing}) rather than from the fresh port
     * alone ({@link PortPredictor#forFreshPort}): {@link #predict} and {@link #unpunchable} both choose by this.
     */
    private static boolean observing(NatBehaviour nat,
            Function<InetSocketAddress, CompletableFuture<InetSocketAddress>> observe) {
        return observe != null && observed(nat);
    }

    /** Whether the delta makes a fresh port's mapping depend on more than the port: then it is observed first. */
    private static boolean observed(NatBehaviour nat) {
        return !nat.untranslated() && switch (nat.delta().type()) {
            case PRESERVING, INDEPENDENT, DEPENDENT, RANDOM -> true;
            case EQUAL, NOT_APPLICABLE -> false;
        };
    }

    private static PunchException impossible(NatBehaviour nat, String reason) {
        return new PunchException(Step.PREDICTION_IMPOSSIBLE, "our side (" + nat + "): " + reason);
    }

    /**
     * A bound, unconnected socket holding a free local port (with SO_REUSEADDR and SO_REUSEPORT, so the attempts bind
     * it too) until the punch ends, so nothing else takes it meanwhile.
     */
    private SocketChannel reserve() throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            ch.bind(new InetSocketAddress(localIp, 0));
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private CompletableFuture<Integer> send(Exchange x, PunchPayload payload) {
        return send(x.pipeId, x.peer, payload);
    }

    private CompletableFuture<Integer> send(String pipeId, PeerAddress peer, PunchPayload payload) {
        long ttl = System.currentTimeMillis() / 1000 + TTL_SECONDS;
        SignalMessage m = SignalMessage.of(SignalType.TCP_PUNCH, ttl, pipeId, self, peer)
                .withPayload(payload.toMap());
        try {
            return signalling.send(m);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private Optional<InetAddress> externalIp() {
        return self.v4().isEmpty() ? Optional.empty()
                : Optional.of(self.v4().get(0).externalIp());
    }

    /** Whether this side can sign its SYNs with TCP-MD5: it has no NAT, and the native transport. */
    private boolean canSign() {
        return ours.untranslated() && EventLoops.nativeTransport();
    }

    /**
     * The TCP-MD5 key of a punch: a digest of the ECDH secret of the two node keys and the pipe id. The pipe id alone
     * would not do: it travels on the broker, and a punch's first request may go in plaintext.
     */
    static byte[] md5Key(NodeKey ours, io.p2pd.node.id.NodePublicKey theirs, String pipeId) {
        byte[] secret = ours.sharedSecret(theirs);
        try {
            var digest = java.security.MessageDigest.getInstance("SHA-256");
            digest.update("p2pd punch md5 ".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            digest.update(secret);
            return digest.digest(pipeId.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        } finally {
            java.util.Arrays.fill(secret, (byte) 0);
        }
    }

    /** The original's punch mode for a peer IP: 3 same machine, 1 LAN, 2 remote. */
    static int punchMode(InetAddress peer) {
        if (peer.isLoopbackAddress()) {
            return 3;
        }
        return peer.isSiteLocalAddress() || peer.isLinkLocalAddress() ? 1 : 2;
    }

    private static String key(NodeId peer, String pipeId) {
        return peer.value() + ' ' + pipeId;
    }

    private static String randomPipeId() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // a reservation: nothing was sent on it
        }
    }

    /** Completes once every open so far has closed all it opened but its winner (for tests). */
    CompletableFuture<Void> settled() {
        return CompletableFuture.allOf(unsettled.toArray(CompletableFuture[]::new));
    }

    /** How many punches are under way (for tests). */
    int underWay() {
        return exchanges.size();
    }

    /** Fails every punch under way with {@link Step#CLOSED}; later punches fail the same way. */
    @Override
    public void close() {
        closed = true;
        for (Exchange x : List.copyOf(exchanges.values())) {
            x.result.completeExceptionally(new PunchException(Step.CLOSED, "hole punching was closed"));
        }
    }
}
