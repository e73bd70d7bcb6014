package io.p2pd.node.connect.internal;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nic.Nics;
import io.p2pd.node.Node;
import io.p2pd.node.connect.ConnectOptions;
import io.p2pd.node.connect.PeerConnection;
import io.p2pd.node.connect.PeerProof;
import io.p2pd.node.connect.ProvenPipe;
import io.p2pd.node.connect.Strategy;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.id.NodeKey;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How the node's other packages (hole punching) plug a strategy in and hand their connections over. */
class ConnectorHookTest {
    static final MachineId MACHINE = MachineId.fromRawId("connector-hook-test", MachineId.APP_ID);
    static final NodeKey A = NodeKey.fromHex("2a".repeat(32));
    static final NodeKey B = NodeKey.fromHex("2b".repeat(32));

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    static Node start(NodeKey key) throws Exception {
        return await(Node.builder().interfaces(List.of(Nics.byName("lo").orElseThrow())).listenPort(0)
                .machineId(MACHINE).key(key).start());
    }

    @Test
    void aPluggedStrategyWinsAsItselfAndThePeerAcceptsItsSessionAsThatStrategy() throws Exception {
        Node a = start(A);
        Node b = start(B);
        try {
            Connector connector = Connector.of(a).orElseThrow();
            assertThat(a.strategies()).doesNotContain(Strategy.PUNCH);
            // A stand-in for hole punching: it dials B's port and proves the connection with the session it is given.
            connector.register(Strategy.PUNCH, (peer, session, deadline, claim) -> {
                assertThat(session).startsWith("p-");
                InetSocketAddress at = new InetSocketAddress(peer.v4().get(0).nicIp(), peer.v4().get(0).port());
                return Pipes.tcp().dest(at).open().thenCompose(pipe -> PeerProof.runChoosing(pipe, A,
                        peer.nodeId(), session, Duration.ofSeconds(10), claim));
            });
            assertThat(a.strategies()).contains(Strategy.PUNCH);
            CompletableFuture<PeerConnection> accepted = b.accept();
            PeerConnection out = await(a.connect(b.address(), ConnectOptions.of(Strategy.PUNCH)));
            PeerConnection in = await(accepted);
            assertThat(out.strategy()).isEqualTo(Strategy.PUNCH);
            assertThat(in.strategy()).isEqualTo(Strategy.PUNCH);
            assertThat(in.peer()).isEqualTo(A.nodeId());
            out.pipe().close();
            in.pipe().close();
        } finally {
            await(a.close());
            await(b.close());
        }
    }

    @Test
    void aConnectionHandedOverIsProvenAndAcceptedAndOneThatFailsItsProofIsCounted() throws Exception {
        Node b = start(B);
        try (Pipe server = await(Pipes.tcp().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .open())) {
            Connector connector = Connector.of(b).orElseThrow();
            CompletableFuture<Pipe> next = server.accept();
            Pipe dialed = await(Pipes.tcp().dest(server.localAddress()).open());
            CompletableFuture<PeerConnection> handed = connector.handOver(await(next), Optional.of(A.nodeId()),
                    "p-1", Strategy.PUNCH);
            ProvenPipe atA = await(PeerProof.run(dialed, A, Optional.of(B.nodeId()), "p-1", Duration.ofSeconds(10)));
            PeerConnection in = await(b.accept());
            assertThat(await(handed)).isSameAs(in);
            assertThat(in.strategy()).isEqualTo(Strategy.PUNCH);
            await(atA.pipe().send("punched".getBytes(US_ASCII)));
            assertThat(await(in.pipe().recv()).text()).isEqualTo("punched");
            atA.pipe().close();
            in.pipe().close();

            CompletableFuture<Pipe> next2 = server.accept();
            Pipe wrong = await(Pipes.tcp().dest(server.localAddress()).open());
            CompletableFuture<PeerConnection> refused = connector.handOver(await(next2), Optional.of(A.nodeId()),
                    "p-2", Strategy.PUNCH);
            PeerProof.run(wrong, B, Optional.empty(), "p-2", Duration.ofSeconds(10)); // B's key, not A's
            assertThat(refused).failsWithin(Duration.ofSeconds(30));
            assertThat(b.peerStats().proofsFailed()).isEqualTo(1);
            wrong.close();
        } finally {
            await(b.close());
        }
    }
}
