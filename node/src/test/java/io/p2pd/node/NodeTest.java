package io.p2pd.node;

import static io.p2pd.node.testing.Original.op;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.nic.Interface;
import io.p2pd.nic.Nics;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerInterface;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.testing.Original;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import io.p2pd.stun.StunServer;
import io.p2pd.stun.StunServerConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeTest {
    static final InetAddress LO1 = ip("127.0.0.1");
    static final InetAddress LO2 = ip("127.0.0.2");
    static final InetAddress LO6 = ip("::1");
    static final MachineId MACHINE = MachineId.fromRawId("node-test-machine", MachineId.APP_ID);
    static final NodeKey KEY = NodeKey.fromHex("0f".repeat(32));

    static StunServer stun;
    static Interface lo;

    @BeforeAll
    static void start() {
        stun = StunServer.start(StunServerConfig.rfc5780(LO1, 0, LO2, 0)).join();
        lo = Nics.byName("lo").orElseThrow();
    }

    @AfterAll
    static void stop() {
        stun.close();
    }

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    static Node.Builder loopback(List<String> progress) {
        return Node.builder().interfaces(List.of(lo)).stunServers(List.of(stun.primaryAddress())).listenPort(0)
                .machineId(MACHINE).key(KEY).progress(progress::add);
    }

    @Test
    void aLoopbackNodeDetectsOpenInternetListensAndItsAddressParsesBackEqual() throws Exception {
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        List<String> onLoop = Collections.synchronizedList(new ArrayList<>());
        Node node = await(loopback(progress).progress(line -> {
            progress.add(line);
            if (LoopSafeFuture.onEventLoop()) {
                onLoop.add(line);
            }
        }).start());
        try {
            // Progress never runs on an event loop, NAT detection's lines included.
            assertThat(onLoop).isEmpty();
            NodeInterface nic = node.interfaces().get(0);
            assertThat(nic.name()).isEqualTo("lo");
            assertThat(nic.measured()).isTrue();
            assertThat(nic.natType()).isEqualTo(NatType.OPEN_INTERNET);
            assertThat(nic.delta().type()).isEqualTo(DeltaType.NOT_APPLICABLE);
            assertThat(nic.detectionError()).isEmpty();

            PeerAddress a = node.address();
            assertThat(a.nodeId()).isEqualTo(KEY.nodeId()).isEqualTo(node.id());
            assertThat(a.machineId()).isEqualTo(MACHINE);
            assertThat(a.signal()).isEmpty();
            assertThat(a.v4()).hasSize(1);
            PeerInterface v4 = a.v4().get(0);
            assertThat(v4.externalIp()).isEqualTo(LO1);
            assertThat(v4.nicIp()).isEqualTo(LO1);
            assertThat(v4.port()).isEqualTo(node.listenPort()).isPositive();
            assertThat(v4.nat()).isEqualTo(NatType.OPEN_INTERNET);
            assertThat(v4.ifIndex()).isZero();
            assertThat(v4.netifaceIndex()).isEqualTo(NodeStart.linkNames().indexOf("lo"));
            assertThat(a.v6()).singleElement().satisfies(r -> {
                assertThat(r.externalIp()).isEqualTo(LO6);
                assertThat(r.nat()).isEqualTo(NatType.OPEN_INTERNET);
                assertThat(r.port()).isEqualTo(node.listenPort());
            });
            assertThat(PeerAddress.parse(a.toString())).isEqualTo(a);
            assertThat(PeerAddress.parse(a.toBytes())).isEqualTo(a);
            assertThat(node.publicKey()).isEqualTo(KEY.publicKey());
            assertThat(progress).anyMatch(l -> l.equals("interface lo: NAT open internet, delta n/a"));

            // The servers accept on both families' loopback addresses at the address's port.
            assertThat(node.listenAddresses()).containsExactly(new InetSocketAddress(LO1, node.listenPort()),
                    new InetSocketAddress(LO6, node.listenPort()));
            for (InetSocketAddress at : node.listenAddresses()) {
                try (Pipe client = await(Pipes.open(Proto.TCP, at))) {
                    assertThat(client.remoteAddress()).hasValue(at);
                }
            }
        } finally {
            await(node.close());
        }
    }

    @Test
    void theAddressIsByteForByteWhatTheOriginalMakesAndTheOriginalReadsIt() throws Exception {
        Node node = await(loopback(new ArrayList<>()).start());
        try {
            PeerAddress a = node.address();
            Map<String, Object> iface = new LinkedHashMap<>();
            iface.put("netiface_name", "lo"); // numbered by the original, not by us
            iface.put("nat", NatType.OPEN_INTERNET.number());
            iface.put("delta_type", DeltaType.NOT_APPLICABLE.number());
            iface.put("delta_value", 0);
            iface.put("v4", Map.of("ext", "127.0.0.1", "nic", "127.0.0.1"));
            // The original prints what its route gives, and its routes hold IPv6 exploded.
            iface.put("v6", Map.of("ext", "0000:0000:0000:0000:0000:0000:0000:0001", "nic", "unused"));
            List<String> answers = Original.run(List.of(
                    op("make_addr_named", "node_id", KEY.nodeId().value(), "machine_id", MACHINE.value(), "signal",
                            List.of(), "port", node.listenPort(), "interfaces", List.of(iface)),
                    op("parse_addr", "addr", a.toString()),
                    op("netifaces")));
            assertThat(a.toString()).isEqualTo(answers.get(0));
            String p = String.valueOf(node.listenPort());
            int netiface = pythonList(answers.get(2)).indexOf("lo");
            assertThat(answers.get(1)).isEqualTo(";" + netiface + ",0,127.0.0.1,127.0.0.1," + p + ",1,1,0;"
                    + netiface + ",0,0000:0000:0000:0000:0000:0000:0000:0001,0000:0000:0000:0000:0000:0000:0000:0001,"
                    + p + ",1,1,0;" + KEY.nodeId().value() + ";" + MACHINE.value());
        } finally {
            await(node.close());
        }
    }

    /** A JSON list of strings, as Python's json.dumps writes the names of links (no escapes in them). */
    static List<String> pythonList(String json) {
        String inner = json.strip().replaceAll("^\\[|\\]$", "").strip();
        return inner.isEmpty() ? List.of() : Stream.of(inner.split(",")).map(String::strip)
                .map(n -> n.substring(1, n.length() - 1)).toList();
    }

    @Test
    void theNetifaceIndexIsThePositionInTheOriginalsListOfLinksWhichHoldsLinksWithoutAnAddress() throws Exception {
        List<String> python = pythonList(Original.run(List.of(op("netifaces"))).get(0));
        assertThat(python).contains("lo");
        assertThat(NodeStart.linkNames()).isEqualTo(python);
        Node node = await(loopback(new ArrayList<>()).start());
        try {
            assertThat(node.interfaces().get(0).netifaceIndex()).isEqualTo(python.indexOf("lo"));
            assertThat(node.address().v4().get(0).netifaceIndex()).isEqualTo(python.indexOf("lo"));
            assertThat(node.address().v6().get(0).netifaceIndex()).isEqualTo(python.indexOf("lo"));
        } finally {
            await(node.close());
        }
    }

    @Test
    void theDefaultListenPortIsTheOnesTheOriginalDerivesFromTheMachineId() throws Exception {
        String raw = "p2pd-java-node-port-test";
        String[] golden = Original.run(List.of(op("machine", "raw", raw))).get(0).split("\\|");
        MachineId machine = MachineId.fromRawId(raw, MachineId.APP_ID);
        assertThat(machine.value()).isEqualTo(golden[0]);
        Node node = await(Node.builder().interfaces(List.of(lo)).machineId(machine).key(KEY).start());
        try {
            assertThat(node.listenPort()).isEqualTo(Integer.parseInt(golden[1]));
            assertThat(node.address().v4().get(0).port()).isEqualTo(Integer.parseInt(golden[1]));
        } finally {
            await(node.close());
        }
    }

    @Test
    void closeIsIdempotentClosesTheServersAndLeavesNoDescriptor() throws Exception {
        // Nodes before it start every shared event loop (each channel registers on the next loop, whichever tests ran
        // before), so the count below is the node's.
        for (int i = 0; i < 4; i++) {
            await(await(loopback(new ArrayList<>()).start()).close());
        }
        long before = io.p2pd.testing.Net.openSockets();
        Node node = await(loopback(new ArrayList<>()).start());
        InetSocketAddress v4 = node.listenAddresses().get(0);
        assertThat(io.p2pd.testing.Net.openSockets()).isGreaterThan(before);
        CompletableFuture<Void> first = node.close();
        assertThat(node.close()).isSameAs(first);
        await(first);
        assertThat(node.isClosed()).isTrue();
        assertThat(node.close()).isSameAs(first);
        assertThatThrownBy(() -> await(Pipes.open(Proto.TCP, v4))).hasCauseInstanceOf(ConnectException.class);
        assertThat(io.p2pd.testing.Net.openSocketsSettled(before, Duration.ofSeconds(10))).isLessThanOrEqualTo(before);
    }

    @Test
    void aTakenListenPortFailsNamingTheOptionAndClosesTheServerAlreadyOpen() throws Exception {
        await(await(loopback(new ArrayList<>()).start()).close());
        // Taken on ::1 only: the IPv4 server opens first, then IPv6 fails, and the IPv4 one must be closed again.
        try (ServerSocket taken = new ServerSocket(0, 1, LO6)) {
            int port = taken.getLocalPort();
            long before = io.p2pd.testing.Net.openSockets();
            assertThatThrownBy(() -> await(loopback(new ArrayList<>()).listenPort(port).start()))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(NodeStartException.class)
                    .hasMessageContaining("listenPort: port " + port + " is taken on [::1]:" + port)
                    .satisfies(e -> assertThat(((NodeStartException) e).option()).isEqualTo("listenPort"));
            assertThat(io.p2pd.testing.Net.openSocketsSettled(before, Duration.ofSeconds(10))).isLessThanOrEqualTo(before);
            assertThatThrownBy(() -> await(Pipes.open(Proto.TCP, new InetSocketAddress(LO1, port))))
                    .hasCauseInstanceOf(ConnectException.class);
        }
    }

    @Test
    void anUnreachableStunServerWithinTheLimitLeavesTheInterfaceUnmeasuredAndTheNodeUp() throws Exception {
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        try (DatagramSocket silent = new DatagramSocket(0, LO1)) {
            Node node = await(Node.builder().interfaces(List.of(lo))
                    .stunServers(List.of((InetSocketAddress) silent.getLocalSocketAddress())).listenPort(0)
                    .machineId(MACHINE).detectionTimeLimit(Duration.ofMillis(300)).progress(progress::add).start());
            try {
                NodeInterface nic = node.interfaces().get(0);
                assertThat(nic.measured()).isFalse();
                assertThat(nic.detectionError()).isPresent();
                assertThat(nic.natType()).isEqualTo(Node.UNMEASURED_NAT).isEqualTo(NatType.PORT_RESTRICTED);
                assertThat(nic.delta()).isEqualTo(Node.UNMEASURED_DELTA);
                PeerInterface v4 = node.address().v4().get(0);
                assertThat(v4.nat()).isEqualTo(NatType.PORT_RESTRICTED);
                assertThat(v4.delta().type()).isEqualTo(DeltaType.RANDOM);
                assertThat(v4.externalIp()).isEqualTo(LO1);
                assertThat(progress).anyMatch(l -> l.startsWith("interface lo: NAT not detected (")
                        && l.endsWith("recorded as port restricted, delta random"));
            } finally {
                await(node.close());
            }
        }
    }

    @Test
    void withoutStunServersNothingIsDetectedAndTheRecordsSayUnmeasured() throws Exception {
        Node node = await(Node.builder().interfaces(List.of(lo)).listenPort(0).machineId(MACHINE).start());
        try {
            assertThat(node.interfaces().get(0).measured()).isFalse();
            assertThat(node.interfaces().get(0).detectionError()).isEmpty();
            assertThat(node.address().v4().get(0).nat()).isEqualTo(Node.UNMEASURED_NAT);
        } finally {
            await(node.close());
        }
    }

    @Test
    void aKeyFileIsCreatedThenReusedSoTheIdStays(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys/node.hex");
        Node first = await(Node.builder().interfaces(List.of(lo)).listenPort(0).machineId(MACHINE).keyFile(file)
                .start());
        await(first.close());
        assertThat(Files.readString(file).strip()).isEqualTo(NodeKey.load(file).toHex());
        Node second = await(Node.builder().interfaces(List.of(lo)).listenPort(0).machineId(MACHINE).keyFile(file)
                .start());
        await(second.close());
        assertThat(second.id()).isEqualTo(first.id());
    }

    @Test
    void aBadKeyFileFailsTheStartNamingIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.hex");
        Files.writeString(file, "not a key");
        assertThatThrownBy(() -> await(Node.builder().interfaces(List.of(lo)).listenPort(0).machineId(MACHINE)
                .keyFile(file).start())).cause().isInstanceOf(NodeStartException.class)
                .hasMessageStartingWith("keyFile: ");
    }

    @Test
    void optionsAreCheckedAtBuildNamingTheOption() {
        assertThatThrownBy(() -> Node.builder().listenPort(65536).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("listenPort:");
        assertThatThrownBy(() -> Node.builder().listenPort(-1).build()).hasMessageStartingWith("listenPort:");
        assertThatThrownBy(() -> Node.builder().interfaces(List.of()).build()).hasMessageStartingWith("interfaces:");
        assertThatThrownBy(() -> Node.builder().detectionTimeLimit(Duration.ZERO).build())
                .hasMessageStartingWith("detectionTimeLimit:");
        assertThatThrownBy(() -> Node.builder().key(KEY).keyFile(Path.of("k")).build())
                .hasMessageStartingWith("key:");
        assertThatThrownBy(() -> Node.builder().stunServers(List.of(InetSocketAddress.createUnresolved("x", 1)))
                .build()).hasMessageStartingWith("stunServers:");
        assertThatThrownBy(() -> Node.builder().brokers(Collections.nCopies(7, MqttBroker.of("127.0.0.1", 1883)))
                .build()).hasMessageStartingWith("brokers:");
        assertThat(Node.builder().listenPort(0).build().listenPort()).contains(0);
        MqttBroker broker = MqttBroker.of("127.0.0.1", 1883);
        assertThatThrownBy(() -> Node.builder().brokers(List.of(broker, MqttBroker.of("127.0.0.1", 1883))).build())
                .hasMessageStartingWith("brokers: the same broker");
        // More interfaces of one family than an address holds would drop out of it silently: refused.
        assertThatThrownBy(() -> Node.builder().interfaces(Collections.nCopies(5, lo)).build())
                .hasMessageStartingWith("interfaces: 5 have v4 routes");
        // The record's own constructor checks as build() does.
        assertThatThrownBy(() -> new Node.Config(Optional.empty(), List.of(), List.of(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.of(70000), Duration.ofSeconds(1), line -> { },
                io.p2pd.node.signal.SignalPolicy.defaults(), r -> { }, Optional.empty(), id -> false))
                .hasMessageStartingWith("listenPort:");
    }
}
