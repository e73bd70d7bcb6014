package io.p2pd.node.punch;

import static io.p2pd.testing.Net.openSockets;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.nic.Nics;
import io.p2pd.node.Node;
import io.p2pd.node.connect.PeerConnection;
import io.p2pd.node.connect.Strategy;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.testing.Mosquitto;
import io.p2pd.pipe.Pipe;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes in one JVM on loopback punch to each other through a Mosquitto on 127.0.0.1. No NAT: each side is told
 * it has none, so its predicted external ports are its local ones, and a connection is a TCP simultaneous open between
 * two sockets bound to those ports (neither listens).
 */
class HolePunchTest {
    static final MachineId MACHINE = MachineId.fromRawId("hole-punch-test", MachineId.APP_ID);
    static final NatBehaviour NO_NAT = NatBehaviour.of(NatType.OPEN_INTERNET, DeltaType.NOT_APPLICABLE);

    @TempDir
    Path dir;
    Mosquitto mosquitto;
    Node a;
    Node b;
    /** Sockets holding the ports named as wrong mappings: bound, not listening, closed after the test. */
    final List<java.nio.channels.SocketChannel> held = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        mosquitto = Mosquitto.start(dir);
        MqttBroker broker = MqttBroker.of(mosquitto.host(), mosquitto.port());
        a = node(broker);
        b = node(broker);
        a.holePunch().orElseThrow().ours(NO_NAT);
        b.holePunch().orElseThrow().ours(NO_NAT);
    }

    @AfterEach
    void stop() throws Exception {
        for (Node n : new Node[] {a, b}) {
            if (n != null) {
                n.close().get(30, TimeUnit.SECONDS);
            }
        }
        mosquitto.close();
        for (var s : held) {
            s.close();
        }
    }

    static Node node(MqttBroker broker) throws Exception {
        return await(Node.builder().interfaces(List.of(Nics.byName("lo").orElseThrow())).listenPort(0)
                .machineId(MACHINE).brokers(List.of(broker)).start());
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aPunchCarriesOneMegabyteBothWaysOverASimultaneousOpen() throws Exception {
        CompletableFuture<PeerConnection> accepted = b.accept();
        Punched ours = await(a.punch(b.address()));
        PeerConnection theirs = await(accepted);
        try {
            assertThat(ours.initiator()).isTrue();
            // the peer's node hands its end to its accept(), proven to be from a
            assertThat(theirs.strategy()).isEqualTo(Strategy.PUNCH);
            assertThat(theirs.peer()).isEqualTo(a.id());
            // Each end is the socket bound to its own predicted port, connected to the other's: no listening socket
            // was involved (the nodes' servers listen on other ports).
            int aPort = ours.ours().get(0).localPort();
            int bPort = ours.theirs().get(0).localPort();
            assertThat(ours.pipe().localAddress().getPort()).isEqualTo(aPort);
            assertThat(ours.pipe().remoteAddress().orElseThrow().getPort()).isEqualTo(bPort);
            assertThat(theirs.pipe().localAddress().getPort()).isEqualTo(bPort);
            assertThat(theirs.pipe().remoteAddress().orElseThrow().getPort()).isEqualTo(aPort);
            assertThat(List.of(aPort, bPort)).doesNotContain(a.listenPort(), b.listenPort());

            byte[] one = random(1 << 20, 1);
            byte[] two = random(1 << 20, 2);
            ours.pipe().send(one);
            theirs.pipe().send(two);
            assertThat(digest(readFully(theirs.pipe(), one.length))).isEqualTo(digest(one));
            assertThat(digest(readFully(ours.pipe(), two.length))).isEqualTo(digest(two));
        } finally {
            ours.pipe().close();
            theirs.pipe().close();
        }
        assertThat(a.holePunch().orElseThrow().underWay()).isZero();
        assertThat(b.holePunch().orElseThrow().underWay()).isZero();
    }

    @Test
    void aConnectWithThePunchStrategyPunches() throws Exception {
        connectByPunchOnly(b.address());
    }

    /** a connects to {@code peer} (b) with the punch strategy only; returns the local address of a's end. */
    private InetSocketAddress connectByPunchOnly(io.p2pd.node.addr.PeerAddress peer) throws Exception {
        CompletableFuture<PeerConnection> accepted = b.accept();
        PeerConnection ours = await(a.connect(peer,
                new io.p2pd.node.connect.ConnectOptions(java.util.Set.of(Strategy.PUNCH), Duration.ofSeconds(10))));
        PeerConnection theirs = await(accepted);
        try {
            assertThat(ours.strategy()).isEqualTo(Strategy.PUNCH);
            assertThat(ours.peer()).isEqualTo(b.id());
            assertThat(theirs.strategy()).isEqualTo(Strategy.PUNCH);
            assertThat(theirs.peer()).isEqualTo(a.id());
            assertThat(theirs.pipe().remoteAddress()).contains(ours.pipe().localAddress());
            ours.pipe().send(new byte[] {7});
            assertThat(readFully(theirs.pipe(), 1)).containsExactly(7);
            return ours.pipe().localAddress();
        } finally {
            ours.pipe().close();
            theirs.pipe().close();
        }
    }

    @Test
    void ofTwoCandidatesInParallelTheRightOneWins() throws Exception {
        HolePunch pa = a.holePunch().orElseThrow();
        candidates(2);
        // a's first mapping names an external port nobody holds: b's first candidate connects there in vain
        int wrong = heldPort();
        pa.advertised = list -> List.of(new PortMapping(list.get(0).localPort(), wrong), list.get(1));
        CompletableFuture<PeerConnection> accepted = b.accept();
        Punched ours = await(a.punch(b.address()));
        PeerConnection theirs = await(accepted);
        try {
            assertThat(ours.ours()).hasSize(2);
            assertThat(ours.winner().getPort()).isEqualTo(ours.theirs().get(1).externalPort());
            assertThat(theirs.pipe().remoteAddress().orElseThrow().getPort())
                    .isEqualTo(ours.ours().get(1).externalPort());
            ours.pipe().send(new byte[] {42});
            assertThat(readFully(theirs.pipe(), 1)).containsExactly(42);
        } finally {
            ours.pipe().close();
            theirs.pipe().close();
        }
    }

    @Test
    void aPeerThatNeverAnswersFailsWithNoSignalAnswer() throws Exception {
        HolePunch pa = a.holePunch().orElseThrow();
        pa.answerLimit = Duration.ofMillis(500);
        var gone = b.address();
        b.close().get(30, TimeUnit.SECONDS);
        b = null;
        assertThatThrownBy(() -> await(a.punch(gone))).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOfSatisfying(PunchException.class,
                        e -> assertThat(e.step()).isEqualTo(PunchException.Step.NO_SIGNAL_ANSWER))
                .hasMessageContaining("no answer by signal within 500 ms");
        assertThat(pa.underWay()).isZero();
    }

    @Test
    void aRandomPairFailsAtPredictionWithTheReasonAndSignalsNothing() throws Exception {
        a.holePunch().orElseThrow().ours(NatBehaviour.of(NatType.SYMMETRIC, DeltaType.RANDOM));
        long sent = a.signalling().orElseThrow().stats().sent();
        assertThatThrownBy(() -> await(a.punch(b.address()))).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOfSatisfying(PunchException.class,
                        e -> assertThat(e.step()).isEqualTo(PunchException.Step.PREDICTION_IMPOSSIBLE))
                .hasMessageContaining("symmetric NAT with random ports");
        assertThat(a.signalling().orElseThrow().stats().sent()).isEqualTo(sent);
    }

    @Test
    void theIndependentStepPredictsFromTheObservedMappingAndTheDependentOneIsRefusedOppositeANat() throws Exception {
        HolePunch pa = a.holePunch().orElseThrow();
        List<InetSocketAddress> asked = observe(pa, from -> new InetSocketAddress("198.51.100.1", 40000));
        // one mapping per local port: the punch from the same port gets the observed port again
        pa.ours(NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.INDEPENDENT, 3));
        List<PortMapping> independent = signalledBy(pa);
        assertThat(asked).hasSize(1).allMatch(from -> from.getAddress().isLoopbackAddress());
        assertThat(independent).containsExactly(new PortMapping(asked.get(0).getPort(), 40000));
        // a new mapping one step on for every connection, opposite a NAT (b's record: unmeasured, port restricted),
        // which refuses early SYNs: refused at once, nothing observed or signalled (PunchFeasibility)
        pa.ours(NatBehaviour.of(NatType.SYMMETRIC, DeltaType.DEPENDENT, 3));
        long sent = a.signalling().orElseThrow().stats().sent();
        assertThatThrownBy(() -> await(a.punch(b.address()))).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOfSatisfying(PunchException.class,
                        e -> assertThat(e.step()).isEqualTo(PunchException.Step.PREDICTION_IMPOSSIBLE))
                .hasMessageContaining("gets a new port, one step on, for every connection");
        assertThat(asked).hasSize(1);
        assertThat(a.signalling().orElseThrow().stats().sent()).isEqualTo(sent);
    }

    /**
     * For every NAT of ours, with and without an observer, opposite a firewalled peer and a masq one: unpunchable
     * (what a connect skips punching by) says no exactly where the punch fails at its prediction, with its reason.
     */
    @Test
    void unpunchableRefusesExactlyWhereThePunchFailsAtPrediction() throws Exception {
        List<io.p2pd.node.addr.PeerAddress> peers = List.of(
                withNat(b.address(), NatBehaviour.of(NatType.UDP_FIREWALL, DeltaType.NOT_APPLICABLE)),
                withNat(b.address(), NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.EQUAL)));
        long sent = a.signalling().orElseThrow().stats().sent();
        List<String> passed = new ArrayList<>();
        for (NatBehaviour nat : PunchFeasibilityTest.sides()) {
            for (boolean observing : new boolean[] {false, true}) {
                for (var peer : peers) {
                    HolePunch p = HolePunch.of(a.signalling().orElseThrow(), io.p2pd.node.id.NodeKey.generate(),
                            a.address(), java.net.InetAddress.getLoopbackAddress(), nat, (x, proven) -> { });
                    if (observing) {
                        p.observer(from -> CompletableFuture.completedFuture(
                                new InetSocketAddress("198.51.100.1", 40000)));
                    }
                    // a punch past its prediction is closed before it signals anything
                    p.advertised = list -> {
                        p.close();
                        return list;
                    };
                    Optional<String> verdict = p.unpunchable(peer);
                    ExecutionException failed = catchThrowableOfType(ExecutionException.class,
                            () -> await(p.punch(peer)));
                    String which = nat + (observing ? " observed" : "") + " <-> " + peer.v4().get(0).nat();
                    assertThat(failed).as(which).isNotNull().cause().isInstanceOf(PunchException.class);
                    PunchException e = (PunchException) failed.getCause();
                    if (verdict.isPresent()) {
                        assertThat(e.step()).as(which).isEqualTo(PunchException.Step.PREDICTION_IMPOSSIBLE);
                        assertThat(e.getMessage()).as(which).isEqualTo("PREDICTION_IMPOSSIBLE: " + verdict.get());
                    } else {
                        assertThat(e.step()).as(which).isEqualTo(PunchException.Step.CLOSED);
                        passed.add(which);
                    }
                }
            }
        }
        assertThat(a.signalling().orElseThrow().stats().sent()).isEqualTo(sent);
        // the reviewer's case, and the random delta reusing a kept mapping, punch only through the observer
        assertThat(passed).contains("port restricted, delta independent +1 observed <-> PORT_RESTRICTED",
                        "port restricted, delta random observed <-> PORT_RESTRICTED")
                .doesNotContain("port restricted, delta independent +1 <-> PORT_RESTRICTED",
                        "port restricted, delta random <-> PORT_RESTRICTED");
    }

    @Test
    void aConnectWithOnlyThePunchStrategyPunchesForAnIndependentDeltaThroughTheObserver() throws Exception {
        HolePunch pa = a.holePunch().orElseThrow();
        // loopback: a connection's mapping is its own address
        List<InetSocketAddress> asked = observe(pa, java.util.function.UnaryOperator.identity());
        pa.ours(NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.INDEPENDENT, 3));
        var peer = withNat(b.address(), NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.EQUAL));
        assertThat(pa.unpunchable(peer)).isEmpty();
        assertThat(asked).contains(connectByPunchOnly(peer)); // punched from the port whose mapping was observed
    }

    @Test
    void aPeerThatCannotPredictRefusesAndThePunchFailsAtPredictionWithItsReason() throws Exception {
        HolePunch pa = a.holePunch().orElseThrow();
        HolePunch pb = b.holePunch().orElseThrow();
        pa.answerLimit = Duration.ofSeconds(20); // a refusal, not the limit, ends it
        pb.ours(NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.RANDOM)); // no observer: b cannot predict
        assertThat(pa.unpunchable(b.address())).isEmpty(); // only b knows
        assertThatThrownBy(() -> await(a.punch(b.address()))).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOfSatisfying(PunchException.class,
                        e -> assertThat(e.step()).isEqualTo(PunchException.Step.PREDICTION_IMPOSSIBLE))
                .hasMessage("PREDICTION_IMPOSSIBLE: the peer: its side (port restricted, delta random): random delta:"
                        + " a new local port gets a port nobody can predict; only a mapping kept open can be reused");
        assertThat(pa.underWay()).isZero();
        assertThat(pb.underWay()).isZero();
        assertThat(pa.opens).hasValue(0);
        assertThat(pb.opens).hasValue(0);
    }

    @Test
    void aRefusalEndsOnlyTheInitiatorsExchangeOfItsPipeBeforeAnAnswer() throws Exception {
        HolePunch pb = b.holePunch().orElseThrow();
        pb.window = Duration.ofMillis(300);
        // b answered a's request: a late refusal of the same pipe, from a, does not end b's side
        pb.handle(fromA(request(Optional.empty()), "answered", true));
        assertThat(pb.underWay()).isEqualTo(1);
        pb.handle(fromA(PunchPayload.refusal(3, "changed its mind"), "answered", true));
        assertThat(pb.underWay()).isEqualTo(1);
        pb.handle(fromA(PunchPayload.refusal(3, "no such pipe"), "unknown", true));
        assertThat(pb.underWay()).isEqualTo(1);
    }

    @Test
    void aRefusalsReasonIsCutAndPrintableOnTheWire() {
        String sent = "x\u0007y".repeat(200);
        PunchPayload read = PunchPayload.of(PunchPayload.refusal(2, sent).toMap());
        assertThat(read.state()).isEqualTo(PunchPayload.REFUSED);
        assertThat(read.mappings()).isEmpty();
        assertThat(read.reason().orElseThrow()).hasSize(PunchPayload.MAX_REASON).startsWith("x?yx?y")
                .matches("[ -~]*");
        // a request carries no reason: the original's fields alone, and ours
        assertThat(new PunchPayload(PunchPayload.REQUEST, 2, List.of(), Optional.empty(), 0, 0, false).toMap())
                .doesNotContainKey("reason");
    }

    /** Gives {@code pa} an observer that sees {@code mapping} of each local address; returns the addresses asked. */
    private static List<InetSocketAddress> observe(HolePunch pa,
            java.util.function.UnaryOperator<InetSocketAddress> mapping) {
        List<InetSocketAddress> asked = new CopyOnWriteArrayList<>();
        pa.observer(from -> {
            asked.add(from);
            return CompletableFuture.completedFuture(mapping.apply(from));
        });
        return asked;
    }

    /** {@code address} with its IPv4 record saying {@code nat} (what a punch to it decides by). */
    static io.p2pd.node.addr.PeerAddress withNat(io.p2pd.node.addr.PeerAddress address, NatBehaviour nat) {
        var i = address.v4().get(0);
        var record = new io.p2pd.node.addr.PeerInterface(i.netifaceIndex(), i.ifIndex(), i.externalIp(), i.nicIp(),
                i.port(), nat.type(), nat.delta());
        return new io.p2pd.node.addr.PeerAddress(address.signal(), List.of(record), address.v6(), address.nodeId(),
                address.machineId());
    }

    @Test
    void aMappingThatCannotBeObservedFailsAtPredictionAndSignalsNothing() throws Exception {
        HolePunch pa = a.holePunch().orElseThrow();
        pa.observer(from -> CompletableFuture.failedFuture(new java.io.IOException("no STUN answer")));
        pa.ours(NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.PRESERVING, -20000));
        long sent = a.signalling().orElseThrow().stats().sent();
        assertThatThrownBy(() -> await(a.punch(b.address()))).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOfSatisfying(PunchException.class,
                        e -> assertThat(e.step()).isEqualTo(PunchException.Step.PREDICTION_IMPOSSIBLE))
                .hasMessageContaining("could not be observed");
        assertThat(a.signalling().orElseThrow().stats().sent()).isEqualTo(sent);
        assertThat(pa.underWay()).isZero();
    }

    /** The mappings {@code pa} signals for one punch, which then fails (b connects to no one there). */
    private List<PortMapping> signalledBy(HolePunch pa) throws Exception {
        HolePunch pb = b.holePunch().orElseThrow();
        List<List<PortMapping>> signalled = new CopyOnWriteArrayList<>();
        pa.window = Duration.ofMillis(300);
        pb.window = Duration.ofMillis(300);
        pa.advertised = list -> {
            signalled.add(list);
            return list;
        };
        ExecutionException failed = catchThrowableOfType(ExecutionException.class, () -> await(a.punch(b.address())));
        assertThat(failed).isNotNull().cause().isInstanceOf(PunchException.class);
        await(pa.settled());
        await(pb.settled());
        assertThat(signalled).hasSize(1);
        return signalled.get(0);
    }

    @Test
    void noConnectionInTheWindowWhenThePeerPredictsWrong() throws Exception {
        assertThat(punchAndFail().step()).isEqualTo(PunchException.Step.NO_CONNECTION_IN_WINDOW);
        assertThat(a.holePunch().orElseThrow().underWay()).isZero();
        assertThat(b.holePunch().orElseThrow().underWay()).isZero();
    }

    @Test
    void everyAttemptAndLosingConnectionIsSettledAfterASuccessOrAFailure() throws Exception {
        candidates(3);
        punchAndClose(); // two losing candidates, their attempts pending or proving when the first wins
        punchAndFail();
        punchAndClose();
        punchAndFail();
        assertThat(a.holePunch().orElseThrow().underWay()).isZero();
        assertThat(b.holePunch().orElseThrow().underWay()).isZero();
    }

    @Test
    void aLosingAttemptCancelledAtTheWinLeavesNoSocketOpen() throws Exception {
        candidates(2);
        // a's first mapping names a port nobody holds: b's attempt there stays pending (the signed SYN's resets are
        // dropped) until the second candidate wins and the open cancels it
        int wrong = heldPort();
        a.holePunch().orElseThrow().advertised = list -> List.of(new PortMapping(list.get(0).localPort(), wrong),
                list.get(1));
        long before = openSockets();
        punchAndClose(); // waits for both sides' settled()
        assertThat(openSockets()).isEqualTo(before);
    }

    @Test
    void cancellingAPunchAsTheConnectorDoesWhenAnotherStrategyWinsStopsItsOpen() throws Exception {
        HolePunch pa = a.holePunch().orElseThrow();
        // A window longer than the waits below: only stopping the open can end it in time.
        pa.window = Duration.ofSeconds(60);
        CompletableFuture<Pipe> connected = new CompletableFuture<>();
        pa.proof = (tcp, peer, session, limit, claim) -> {
            connected.complete(tcp);
            return new CompletableFuture<>(); // a proof still running when another strategy wins
        };
        CompletableFuture<io.p2pd.node.connect.ProvenPipe> punch = pa.punchProven(b.address(), "p-cancelled",
                () -> true);
        Pipe underProof = await(connected);
        assertThat(punch.cancel(false)).isTrue();

        assertThat(underProof.closeFuture()).succeedsWithin(Duration.ofSeconds(10));
        assertThat(pa.settled()).succeedsWithin(Duration.ofSeconds(10));
        assertThat(pa.underWay()).isZero();
    }

    @Test
    void theMd5KeyIsSharedByTheTwoNodeKeysAloneAndDependsOnThePipeId() {
        var one = io.p2pd.node.id.NodeKey.generate();
        var two = io.p2pd.node.id.NodeKey.generate();
        var third = io.p2pd.node.id.NodeKey.generate();
        byte[] key = HolePunch.md5Key(one, two.publicKey(), "pipe");
        assertThat(HolePunch.md5Key(two, one.publicKey(), "pipe")).isEqualTo(key);
        // who knows the pipe id and one public key (a broker's observer) derives another key
        assertThat(HolePunch.md5Key(third, two.publicKey(), "pipe")).isNotEqualTo(key);
        assertThat(HolePunch.md5Key(third, one.publicKey(), "pipe")).isNotEqualTo(key);
        assertThat(HolePunch.md5Key(one, two.publicKey(), "other pipe")).isNotEqualTo(key);
        assertThat(key).hasSize(32);
    }

    @Test
    void requestsPastTheCapAreDropped() throws Exception {
        HolePunch pb = b.holePunch().orElseThrow();
        for (int i = 0; i < HolePunch.MAX_EXCHANGES + 5; i++) {
            pb.handle(fromA(request(Optional.empty()), "cap-" + i, true));
        }
        assertThat(pb.underWay()).isEqualTo(HolePunch.MAX_EXCHANGES);
    }

    @Test
    void aRequestNamingAnIpOutsideThePeersSignedAddressIsDropped() throws Exception {
        HolePunch pb = b.holePunch().orElseThrow();
        pb.handle(fromA(request(Optional.of(java.net.InetAddress.getByName("127.0.0.99"))), "stranger-ip", true));
        assertThat(pb.underWay()).isZero();
        // the same with an IP of a's signed address is answered
        pb.handle(fromA(request(Optional.of(a.address().v4().get(0).externalIp())), "own-ip", true));
        assertThat(pb.underWay()).isEqualTo(1);
    }

    @Test
    void unsignedAndRefusedRequestsAreDropped() throws Exception {
        HolePunch pb = b.holePunch().orElseThrow();
        pb.handle(fromA(request(Optional.empty()), "unsigned", false));
        pb.refusing(id -> id.equals(a.id()));
        pb.handle(fromA(request(Optional.empty()), "refused", true));
        assertThat(pb.underWay()).isZero();
    }

    @Test
    void anExchangeOpensOnceAndAStartBeforeItsRequestIsIgnored() throws Exception {
        HolePunch pb = b.holePunch().orElseThrow();
        pb.window = Duration.ofMillis(300);
        pb.handle(fromA(startPayload(), "early", true));
        assertThat(pb.underWay()).isZero();
        assertThat(pb.opens).hasValue(0);

        pb.handle(fromA(request(Optional.empty()), "twice", true));
        pb.handle(fromA(startPayload(), "twice", true));
        pb.handle(fromA(startPayload(), "twice", true));
        assertThat(pb.opens).hasValue(1);
        await(pb.settled());
    }

    /** A signed (or not) TCP_PUNCH from a to b, as b's inbox would hand it over. */
    private io.p2pd.node.signal.SignalReceipt fromA(PunchPayload payload, String pipeId, boolean signed) {
        var m = io.p2pd.node.signal.SignalMessage.of(io.p2pd.node.signal.SignalType.TCP_PUNCH,
                System.currentTimeMillis() / 1000 + 30, pipeId, a.address(), b.address()).withPayload(payload.toMap());
        return new io.p2pd.node.signal.SignalReceipt(m, false, signed, pipeId);
    }

    private static PunchPayload request(Optional<java.net.InetAddress> ip) throws Exception {
        return new PunchPayload(PunchPayload.REQUEST, 3, List.of(new PortMapping(freePort(), freePort())), ip, 0, 0,
                false);
    }

    private static PunchPayload startPayload() {
        return new PunchPayload(PunchPayload.START, 3, List.of(), Optional.empty(), 0, 0, false);
    }

    private void candidates(int n) {
        a.holePunch().orElseThrow().candidates = n;
        b.holePunch().orElseThrow().candidates = n;
    }

    /** A punch to which a says wrong external ports for all its candidates, with 300 ms windows: it fails. */
    private PunchException punchAndFail() throws Exception {
        HolePunch pa = a.holePunch().orElseThrow();
        HolePunch pb = b.holePunch().orElseThrow();
        Duration window = pa.window;
        var advertised = pa.advertised;
        pa.window = Duration.ofMillis(300);
        pb.window = Duration.ofMillis(300);
        int wrong = heldPort();
        pa.advertised = list -> list.stream().map(m -> new PortMapping(m.localPort(), wrong)).toList();
        try {
            ExecutionException failed = catchThrowableOfType(ExecutionException.class, () -> await(a.punch(b.address())));
            assertThat(failed).isNotNull().cause().isInstanceOf(PunchException.class);
            await(pa.settled());
            await(pb.settled());
            return (PunchException) failed.getCause();
        } finally {
            pa.window = window;
            pb.window = window;
            pa.advertised = advertised;
        }
    }

    private void punchAndClose() throws Exception {
        CompletableFuture<PeerConnection> accepted = b.accept();
        Punched ours = await(a.punch(b.address()));
        PeerConnection theirs = await(accepted);
        await(ours.pipe().closeAsync());
        await(theirs.pipe().closeAsync());
        await(a.holePunch().orElseThrow().settled());
        await(b.holePunch().orElseThrow().settled());
    }

    /**
     * A port held by a bound, not listening socket until the test ends: a SYN there is reset, and no socket of the
     * punch can be given it (a port found free and let go could be handed to one of the punch's own sockets, which
     * would make the "wrong" mapping right).
     */
    int heldPort() throws Exception {
        var s = java.nio.channels.SocketChannel.open();
        held.add(s);
        s.bind(new InetSocketAddress("127.0.0.1", 0));
        return ((InetSocketAddress) s.getLocalAddress()).getPort();
    }

    static int freePort() throws Exception {
        try (var s = java.nio.channels.ServerSocketChannel.open()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return ((InetSocketAddress) s.getLocalAddress()).getPort();
        }
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] digest(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    static byte[] readFully(Pipe pipe, int n) throws Exception {
        byte[] out = new byte[n];
        int have = 0;
        List<Integer> chunks = new ArrayList<>();
        while (have < n) {
            byte[] chunk = pipe.recv(Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS).data();
            assertThat(have + chunk.length).isLessThanOrEqualTo(n);
            System.arraycopy(chunk, 0, out, have, chunk.length);
            have += chunk.length;
            chunks.add(chunk.length);
        }
        return out;
    }
}
