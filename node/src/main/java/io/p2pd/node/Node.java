package io.p2pd.node;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.nat.PortDelta;
import io.p2pd.nic.Interface;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.connect.ConnectOptions;
import io.p2pd.node.connect.PeerConnection;
import io.p2pd.node.connect.PeerStats;
import io.p2pd.node.connect.Strategy;
import io.p2pd.node.connect.TurnServer;
import io.p2pd.node.connect.internal.Connector;
import io.p2pd.node.connect.internal.StrategyAttempt;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.id.NodeId;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.id.NodePublicKey;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.punch.HolePunch;
import io.p2pd.node.punch.NatBehaviour;
import io.p2pd.node.punch.PunchException;
import io.p2pd.node.punch.Punched;
import io.p2pd.node.signal.SignalReceipt;
import io.p2pd.node.signal.SignalPolicy;
import io.p2pd.node.signal.Signalling;
import io.p2pd.nic.Family;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.ServerLimits;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A P2PD node: its interfaces with their measured NAT, a listening TCP server on each, a key pair that names it,
 * and its subscriptions at signalling brokers. Its {@link #address()} is what another node needs to reach it, in
 * the original P2PD's text format.
 *
 * <pre>{@code
 * Node node = Node.builder().stunServers(List.of(stun)).listenPort(0).build().start().join();
 * System.out.println(node.address());
 * node.close().join();
 * }</pre>
 *
 * <p>What {@link Builder#start()} does, in order:
 * <ol>
 *   <li>takes the interfaces (given, or those holding a default route), sorted by name as the original sorts
 *       them, the machine id, the listen port and the key;</li>
 *   <li>opens a TCP server on each address the records name, on the listen port: each interface's first address of
 *       each family, and for IPv6 also its first link-local (the records' NIC IP), so a peer on the same link
 *       reaches it there too. The servers are bounded by {@link #SERVER_LIMITS}. Every connection they accept runs the
 *       node-key proof ({@link io.p2pd.node.connect.PeerProof}) once the node is up; a proven one goes to
 *       {@link #accept()} or the {@link Builder#connectionHandler}, a failed one is closed and counted
 *       ({@link #peerStats()}). A taken port fails
 *       the start with a {@link NodeStartException} naming {@code listenPort}: the port is derived from the machine
 *       id so that a restarted node keeps the address peers know, and silently moving to another port would break
 *       that; pass {@code listenPort(0)} for any free port (then a port found taken on one of the addresses is
 *       given up for another free one, a few times). The servers open before detection, so a taken port
 *       fails at once rather than after seconds of STUN;</li>
 *   <li>detects each interface's NAT type and delta, all interfaces in parallel, each bounded by the detection
 *       time limit. An interface whose detection fails (time limit, broken servers) is kept, not dropped as the
 *       original drops it: it stays reachable from its LAN and by reverse connections, and its records carry the
 *       original's "not measured" defaults {@link #UNMEASURED_NAT} and {@link #UNMEASURED_DELTA} with its NIC IP as
 *       external IP. The failure is reported to the progress listener and in {@link NodeInterface#detectionError()}.
 *       No STUN servers at all means no detection: every interface is recorded the same way. No answer from any
 *       server is a result, not a failure: {@link NatType#BLOCKED};</li>
 *   <li>connects to the brokers, all at once, and subscribes at each to the node id (the original's topic). A
 *       broker that cannot be reached or refuses is reported and left out of the address; the start fails (naming
 *       {@code brokers}) only when brokers were given and none could be used;</li>
 *   <li>makes the peer address: its signalling indexes are the positions, in the broker list, of the brokers
 *       used. Nothing is published.</li>
 * </ol>
 * If any step fails, everything opened so far is closed before the future fails.
 */
public final class Node {

    /** STUN over TCP right before a punch: one request, bounded well inside the peer's wait for our answer. */
    private static final io.p2pd.stun.StunClientConfig PUNCH_STUN = io.p2pd.stun.StunClientConfig.builder()
            .timeLimit(Duration.ofSeconds(2)).build();
    /** The NAT type an interface's records carry when it was not measured: the original's default. */
    public static final NatType UNMEASURED_NAT = NatType.PORT_RESTRICTED;
    /** The delta an interface's records carry when it was not measured: the original's default. */
    public static final PortDelta UNMEASURED_DELTA = PortDelta.of(DeltaType.RANDOM);
    /**
     * The bounds of the node's TCP servers, which face the open network: at most 128 connections at once, 8 from
     * one IP address, the first message within 10 s, and none idle for more than 60 s until it is proven (a proven
     * peer connection stays however long it is quiet: {@link io.p2pd.pipe.Pipe#liftIdleTimeout()}).
     */
    public static final ServerLimits SERVER_LIMITS = ServerLimits.builder().maxConnections(128)
            .maxConnectionsPerIp(8).firstMessageTimeout(Duration.ofSeconds(10)).idleTimeout(Duration.ofSeconds(60))
            .build();

    private final NodeKey key;
    private final MachineId machineId;
    private final PeerAddress address;
    private final List<NodeInterface> interfaces;
    private final List<Pipe> servers;
    private final Optional<Signalling> signalling;
    private final Connector connector;
    /** Also asked by hole punching, before it binds a port for a peer's request. */
    private final Predicate<NodeId> refusePeers;
    private final AtomicReference<CompletableFuture<Void>> closing = new AtomicReference<>();
    private final AtomicReference<HolePunch> holePunch = new AtomicReference<>();
    /** The STUN servers punches observe their mappings with (over TCP). */
    private final List<InetSocketAddress> stunServers;

    Node(NodeKey key, MachineId machineId, PeerAddress address, List<NodeInterface> interfaces, List<Pipe> servers,
            Optional<Signalling> signalling, Connector connector, Predicate<NodeId> refusePeers,
            List<InetSocketAddress> stunServers) {
        this.stunServers = List.copyOf(stunServers);
        this.key = key;
        this.refusePeers = refusePeers;
        this.machineId = machineId;
        this.address = address;
        this.interfaces = List.copyOf(interfaces);
        this.servers = List.copyOf(servers);
        this.signalling = signalling;
        this.connector = connector;
        connector.attach(this);
        signalling.ifPresent(s -> holePunchMade());
    }

    /** A builder with the defaults documented on each option. */
    public static Builder builder() {
        return new Builder();
    }

    /** The node's peer address. */
    public PeerAddress address() {
        return address;
    }

    /** The node's id (its signalling topic). */
    public NodeId id() {
        return key.nodeId();
    }

    /** The public half of the node's key, which peers check its signatures with. */
    public NodePublicKey publicKey() {
        return key.publicKey();
    }

    /** The id of the machine the node runs on. */
    public MachineId machineId() {
        return machineId;
    }

    /** The interfaces the node uses, in the order of its address records (by name). */
    public List<NodeInterface> interfaces() {
        return interfaces;
    }

    /** The port the node's TCP servers listen on (the one picked when the listen port was 0). */
    public int listenPort() {
        return servers.get(0).localAddress().getPort();
    }

    /** Where the node's TCP servers listen, one per interface and family. */
    public List<InetSocketAddress> listenAddresses() {
        return servers.stream().map(Pipe::localAddress).toList();
    }

    /** The node's TCP servers, in the order of {@link #listenAddresses()} (for tests). */
    List<Pipe> servers() {
        return servers;
    }

    /** The brokers the node is subscribed at, as their indexes in the builder's list (the address's signal field). */
    public List<Integer> brokerIndexes() {
        return signalling.map(Signalling::listening).orElse(List.of());
    }

    /**
     * The node's signalling channel, to send messages to peers and read its counts (messages accepted, dropped by
     * reason); empty when the node has no brokers. The node closes it.
     */
    public Optional<Signalling> signalling() {
        return signalling;
    }

    /**
     * The next connection a peer opened to this node, proven ({@link PeerConnection#peer()} is the peer's node id):
     * made by the peer dialing us (direct), or by us dialing a peer that asked (reverse). Up to
     * {@value Connector#ACCEPT_QUEUE} proven connections wait for a taker; past that the newest is closed and counted
     * ({@link PeerStats#overflowed()}). Fails with {@link io.p2pd.pipe.PipeClosedException} once the node closes.
     * With a {@link Builder#connectionHandler} the handler takes every connection and this never completes.
     */
    public CompletableFuture<PeerConnection> accept() {
        return connector.accept();
    }

    /**
     * A proven TCP connection to the node at {@code peer}: the chosen strategies race as {@link ConnectOptions} says
     * (direct and reverse at once, punching after its delay, the relay after its delay or once all else failed), the
     * first connection whose peer proves the address's node id wins, and the others are stopped (their sockets
     * closed, a relay allocation deleted). Strategies the node cannot use are reported as skipped. Fails with
     * {@link io.p2pd.node.connect.ConnectException}, whose report says why each strategy failed, when none wins by
     * the deadline. Cancelling the future stops every strategy.
     */
    public CompletableFuture<PeerConnection> connect(PeerAddress peer, ConnectOptions options) {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(options, "options");
        return connector.connect(peer, options);
    }

    /** {@link #connect(PeerAddress, ConnectOptions)} with {@link ConnectOptions#defaults()} (every strategy). */
    public CompletableFuture<PeerConnection> connect(PeerAddress peer) {
        return connect(peer, ConnectOptions.defaults());
    }

    /**
     * The strategies {@link #connect} can use on this node now: direct always, reverse and hole punching with a
     * signalling broker; relay once it is plugged in (not in this version).
     */
    public Set<Strategy> strategies() {
        EnumSet<Strategy> out = EnumSet.noneOf(Strategy.class);
        for (Strategy s : Strategy.values()) {
            if (connector.available(s)) {
                out.add(s);
            }
        }
        return Collections.unmodifiableSet(out);
    }

    /** Counts of the connections peers opened to this node: accepted, failed proofs, refused, overflowed. */
    public PeerStats peerStats() {
        return connector.stats();
    }

    /**
     * Closes everything the node opened and completes when all of it is closed. Idempotent: later calls return the
     * same future.
     */
    public CompletableFuture<Void> close() {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        if (!closing.compareAndSet(null, mine)) {
            return closing.get();
        }
        connector.close();
        holePunch().ifPresent(HolePunch::close);
        CompletableFuture.allOf(closeAll(servers), closeSignalling(signalling))
                .whenComplete((v, e) -> mine.complete(null));
        return mine;
    }

    /**
     * Punches a TCP connection to {@code peer} through both sides' NATs ({@link HolePunch}): completes with the
     * connection and its timing, or fails with a {@link PunchException} naming the step that failed. The peer's node
     * answers by itself and hands its end to its {@link #accept()}, as a connection of strategy punch.
     *
     * @throws IllegalStateException when the node has no brokers to signal through
     */
    public CompletableFuture<Punched> punch(PeerAddress peer) {
        return holePunch().orElseThrow(() -> new IllegalStateException("punch: the node has no signalling brokers"))
                .punch(peer);
    }

    /** The node's hole punching (empty without brokers), e.g. to set the NAT it predicts from. */
    public Optional<HolePunch> holePunch() {
        return Optional.ofNullable(holePunch.get());
    }

    /** A signalling message, for hole punching (made on the first). */
    void punchSignal(SignalReceipt receipt) {
        if (receipt.message().type() != io.p2pd.node.signal.SignalType.TCP_PUNCH || signalling.isEmpty()
                || isClosed()) {
            return;
        }
        holePunchMade().handle(receipt);
    }

    private HolePunch holePunchMade() {
        HolePunch made = holePunch.get();
        if (made != null) {
            return made;
        }
        InetAddress local = listenAddresses().stream().map(InetSocketAddress::getAddress)
                .filter(a -> a instanceof java.net.Inet4Address).findFirst()
                .orElse(listenAddresses().get(0).getAddress());
        NodeInterface first = interfaces.get(0);
        HolePunch fresh = HolePunch.of(signalling.get(), key, address, local,
                new NatBehaviour(first.natType(), first.delta()), (p, proven) -> connector.deliver(proven, io.p2pd.node.connect.Strategy.PUNCH, System.nanoTime()
                        - p.startToConnect().toNanos()));
        fresh.refusing(refusePeers);
        if (!stunServers.isEmpty()) {
            InetSocketAddress stun = stunServers.get(0);
            fresh.observer(from -> io.p2pd.stun.StunClient.binding(io.p2pd.pipe.Proto.TCP, from, stun, PUNCH_STUN)
                    .thenApply(io.p2pd.stun.StunResult::mappedAddress));
        }
        if (!holePunch.compareAndSet(null, fresh)) {
            return holePunch.get();
        }
        connector.register(io.p2pd.node.connect.Strategy.PUNCH, new StrategyAttempt() {
            @Override
            public CompletableFuture<io.p2pd.node.connect.ProvenPipe> start(PeerAddress peer, String session,
                    long deadline, java.util.function.BooleanSupplier claim) {
                return fresh.punchProven(peer, session, claim);
            }

            @Override
            public Optional<String> unusable(PeerAddress peer) {
                return fresh.unpunchable(peer); // punching's own verdict, not a second opinion
            }
        });
        return fresh;
    }

    /** True once {@link #close()} was called. */
    public boolean isClosed() {
        return closing.get() != null;
    }

    static CompletableFuture<Void> closeSignalling(Optional<Signalling> signalling) {
        return signalling.map(Signalling::closeAsync).orElseGet(() -> CompletableFuture.completedFuture(null));
    }

    static CompletableFuture<Void> closeAll(List<Pipe> pipes) {
        return CompletableFuture.allOf(pipes.stream().map(Pipe::closeAsync).toArray(CompletableFuture[]::new));
    }

    @Override
    public String toString() {
        return "Node " + id().value() + " " + address;
    }

    /** The options of a node: immutable once built, checked at {@link #build()}. */
    public static final class Builder {
        private List<Interface> interfaces;
        private List<InetSocketAddress> stunServers = List.of();
        private List<MqttBroker> brokers = List.of();
        private SignalPolicy signalPolicy = SignalPolicy.defaults();
        private Consumer<SignalReceipt> signalListener = receipt -> { };
        private NodeKey key;
        private Path keyFile;
        private MachineId machineId;
        private Integer listenPort;
        private Duration detectionTimeLimit = Duration.ofSeconds(5);
        private Consumer<String> progress = line -> { };
        private Consumer<PeerConnection> connectionHandler;
        private Predicate<NodeId> refusePeers = id -> false;
        private List<TurnServer> turnServers = List.of();

        private Builder() {
        }

        /**
         * The interfaces to use, with their route pools (e.g. the loopback interface from {@code Nics.byName("lo")}
         * in tests). Default: the interfaces holding the IPv4 or IPv6 default route, as {@code io.p2pd.nic.Nics}
         * decides. More than {@value PeerAddress#MAX_INTERFACES_PER_FAMILY} with routes of one family are refused at
         * {@link #build()}, as an address holds no more.
         */
        public Builder interfaces(List<Interface> interfaces) {
            this.interfaces = List.copyOf(interfaces);
            return this;
        }

        /**
         * STUN servers (their primary addresses) that detect each interface's NAT; an interface uses those of the
         * family it is measured in (IPv4 when it has an IPv4 route). They need an alternate address (RFC 5780
         * OTHER-ADDRESS or RFC 3489 CHANGED-ADDRESS). Default: none, so nothing is detected (see {@link Node}).
         */
        public Builder stunServers(List<InetSocketAddress> servers) {
            this.stunServers = List.copyOf(servers);
            return this;
        }

        /**
         * MQTT brokers for signalling, in order: a broker's position is its index in the address; the same host and
         * port twice is refused at {@link #build()}. Default: none (the address lists no broker, written
         * {@code None}).
         */
        public Builder brokers(List<MqttBroker> brokers) {
            this.brokers = List.copyOf(brokers);
            return this;
        }

        /** How received signalling messages are checked. Default: {@link SignalPolicy#defaults()} (signed only). */
        public Builder signalPolicy(SignalPolicy policy) {
            this.signalPolicy = Objects.requireNonNull(policy, "signalPolicy");
            return this;
        }

        /**
         * Told each signalling message accepted (signed, fresh, not seen before, from any broker). Called on the
         * signalling's own thread, one message at a time: work that waits belongs elsewhere. Default: nothing.
         */
        public Builder signalListener(Consumer<SignalReceipt> listener) {
            this.signalListener = Objects.requireNonNull(listener, "signalListener");
            return this;
        }

        /** The node's key. Default: the one in {@link #keyFile}, else a new key for this run only. */
        public Builder key(NodeKey key) {
            this.key = Objects.requireNonNull(key, "key");
            return this;
        }

        /**
         * A file holding the node's key (the original's hex, or PEM), created with a new key in hex when it does
         * not exist, so the node keeps its id across runs.
         */
        public Builder keyFile(Path file) {
            this.keyFile = Objects.requireNonNull(file, "keyFile");
            return this;
        }

        /**
         * The machine id. Default: this machine's ({@link MachineId#ofThisMachine()}, else the original's fallback);
         * a start fails naming {@code machineId} when there is neither.
         */
        public Builder machineId(MachineId id) {
            this.machineId = Objects.requireNonNull(id, "machineId");
            return this;
        }

        /**
         * The TCP port to listen on, 1 to 65535, or 0 for any free port. Default: derived from the machine id as the
         * original derives it ({@link MachineId#defaultListenPort()}), 10000 to 60000.
         */
        public Builder listenPort(int port) {
            this.listenPort = port;
            return this;
        }

        /** How long the NAT detection of each interface may take (they run in parallel). Default: 5 s. */
        public Builder detectionTimeLimit(Duration limit) {
            this.detectionTimeLimit = Objects.requireNonNull(limit, "detectionTimeLimit");
            return this;
        }

        /**
         * Told one line per step of the start, e.g. {@code "interface eth0: NAT restricted, delta independent +1"};
         * called from start threads (never an event loop); must not block. Default: nothing.
         */
        public Builder progress(Consumer<String> listener) {
            this.progress = Objects.requireNonNull(listener, "progress");
            return this;
        }

        /**
         * Takes every proven connection peers open to the node, each on a virtual thread of its own (so it may
         * block), instead of {@link Node#accept()}. The handler owns the connection and closes it. Default: none
         * (connections wait for {@code accept()}).
         */
        public Builder connectionHandler(Consumer<PeerConnection> handler) {
            this.connectionHandler = Objects.requireNonNull(handler, "connectionHandler");
            return this;
        }

        /**
         * Peers whose connections are closed once their proof names them (counted in {@link PeerStats#refused()}).
         * Called on an event loop: must not block. Default: none refused.
         */
        public Builder refusePeers(Predicate<NodeId> refuse) {
            this.refusePeers = Objects.requireNonNull(refuse, "refusePeers");
            return this;
        }

        /**
         * TURN servers the node may relay through ({@link io.p2pd.node.connect.Strategy#RELAY}), tried in order
         * until one allocates. Only those reached over TCP or TLS give the TCP relay (RFC 6062) a pipe needs; a
         * connect reports UDP-only ones as skipped. The peer needs none: it dials the relayed address. Default:
         * none (relay skipped).
         */
        public Builder turnServers(List<TurnServer> servers) {
            this.turnServers = List.copyOf(servers);
            return this;
        }

        /**
         * Checks the options and freezes them.
         *
         * @throws IllegalArgumentException naming the option at fault
         */
        public Config build() {
            return new Config(Optional.ofNullable(interfaces), stunServers, brokers, Optional.ofNullable(key),
                    Optional.ofNullable(keyFile), Optional.ofNullable(machineId), Optional.ofNullable(listenPort),
                    detectionTimeLimit, progress, signalPolicy, signalListener,
                    Optional.ofNullable(connectionHandler), refusePeers, turnServers);
        }

        /** {@code build().start()}. */
        public CompletableFuture<Node> start() {
            return build().start();
        }
    }

    /**
     * A node's checked options (see {@link Builder} for each).
     *
     * @param interfaces empty: the default interfaces
     * @param listenPort empty: derived from the machine id
     * @param connectionHandler empty: connections wait for {@link Node#accept()}
     * @param turnServers the TURN servers to relay through, in order
     */
    public record Config(Optional<List<Interface>> interfaces, List<InetSocketAddress> stunServers,
            List<MqttBroker> brokers, Optional<NodeKey> key, Optional<Path> keyFile, Optional<MachineId> machineId,
            Optional<Integer> listenPort, Duration detectionTimeLimit, Consumer<String> progress,
            SignalPolicy signalPolicy, Consumer<SignalReceipt> signalListener,
            Optional<Consumer<PeerConnection>> connectionHandler, Predicate<NodeId> refusePeers,
            List<TurnServer> turnServers) {

        /** The options without TURN servers. */
        public Config(Optional<List<Interface>> interfaces, List<InetSocketAddress> stunServers,
                List<MqttBroker> brokers, Optional<NodeKey> key, Optional<Path> keyFile, Optional<MachineId> machineId,
                Optional<Integer> listenPort, Duration detectionTimeLimit, Consumer<String> progress,
                SignalPolicy signalPolicy, Consumer<SignalReceipt> signalListener,
                Optional<Consumer<PeerConnection>> connectionHandler, Predicate<NodeId> refusePeers) {
            this(interfaces, stunServers, brokers, key, keyFile, machineId, listenPort, detectionTimeLimit, progress,
                    signalPolicy, signalListener, connectionHandler, refusePeers, List.of());
        }

        /**
         * Checks the options as {@link Builder#build()} does.
         *
         * @throws IllegalArgumentException naming the option at fault
         */
        public Config {
            interfaces = interfaces.map(List::copyOf);
            stunServers = List.copyOf(stunServers);
            brokers = List.copyOf(brokers);
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(keyFile, "keyFile");
            Objects.requireNonNull(machineId, "machineId");
            Objects.requireNonNull(listenPort, "listenPort");
            Objects.requireNonNull(detectionTimeLimit, "detectionTimeLimit");
            Objects.requireNonNull(progress, "progress");
            Objects.requireNonNull(signalPolicy, "signalPolicy");
            Objects.requireNonNull(signalListener, "signalListener");
            Objects.requireNonNull(connectionHandler, "connectionHandler");
            Objects.requireNonNull(refusePeers, "refusePeers");
            turnServers = List.copyOf(turnServers);
            if (interfaces.isPresent() && interfaces.get().isEmpty()) {
                throw new IllegalArgumentException("interfaces: an empty list; leave it unset for the default ones");
            }
            for (Family family : Family.values()) {
                long n = interfaces.orElse(List.of()).stream().filter(i -> !i.pool(family).isEmpty()).count();
                if (n > PeerAddress.MAX_INTERFACES_PER_FAMILY) {
                    throw new IllegalArgumentException("interfaces: " + n + " have " + family.key()
                            + " routes, at most " + PeerAddress.MAX_INTERFACES_PER_FAMILY + " per family fit in an "
                            + "address");
                }
            }
            if (listenPort.isPresent() && (listenPort.get() < 0 || listenPort.get() > 65535)) {
                throw new IllegalArgumentException("listenPort: " + listenPort.get() + " is outside 0..65535");
            }
            if (detectionTimeLimit.isNegative() || detectionTimeLimit.isZero()) {
                throw new IllegalArgumentException("detectionTimeLimit: must be positive, not " + detectionTimeLimit);
            }
            if (key.isPresent() && keyFile.isPresent()) {
                throw new IllegalArgumentException("key: give a key or a key file, not both");
            }
            if (brokers.size() > PeerAddress.MAX_SIGNALS) {
                throw new IllegalArgumentException("brokers: " + brokers.size() + " given, at most "
                        + PeerAddress.MAX_SIGNALS + " fit in an address");
            }
            if (brokers.stream().map(MqttBroker::hostPort).distinct().count() < brokers.size()) {
                throw new IllegalArgumentException("brokers: the same broker is given twice");
            }
            if (stunServers.stream().anyMatch(s -> s.isUnresolved() || s.getPort() == 0)) {
                throw new IllegalArgumentException("stunServers: each needs a resolved IP and a port");
            }
        }

        /**
         * Starts a node with these options (see {@link Node} for the steps). Fails with a {@link NodeStartException}
         * naming the option at fault; whatever was opened is closed first. Cancelling the future does not stop a
         * start under way, but a node that finishes starting after that is closed at once.
         */
        public CompletableFuture<Node> start() {
            return NodeStart.start(this);
        }
    }
}
