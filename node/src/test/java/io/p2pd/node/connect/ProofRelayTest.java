package io.p2pd.node.connect;

import static io.p2pd.node.connect.ConnectTest.A;
import static io.p2pd.node.connect.ConnectTest.B;
import static io.p2pd.node.connect.ConnectTest.await;
import static io.p2pd.node.connect.ConnectTest.node;
import static io.p2pd.node.connect.ConnectTest.withNodes;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A party without a node key that reaches two nodes' listeners cannot present one to the other. */
class ProofRelayTest {

    @Test
    void aPartyRelayingBetweenTwoListenersGetsNoSignatureAndNeitherNodeAcceptsIt() throws Exception {
        withNodes(node(A, List.of()), node(B, List.of()), (a, b) -> {
            CompletableFuture<PeerConnection> accepted = a.accept();
            try (Pipe toA = await(Pipes.tcp().dest(a.listenAddresses().get(0)).open());
                    Pipe toB = await(Pipes.tcp().dest(b.listenAddresses().get(0)).open())) {
                // A's hello to B as a chooser's ("A is dialing"), B's hello to A likewise ("B is dialing").
                byte[] helloA = PeerProofTest.readFrame(toA, new ByteArrayOutputStream());
                helloA[1] = PeerProof.CHOOSES;
                await(toB.send(PeerProof.frame(helloA)));
                ByteArrayOutputStream afterB = new ByteArrayOutputStream();
                byte[] helloB = PeerProofTest.readFrame(toB, afterB);
                helloB[1] = PeerProof.CHOOSES;
                await(toA.send(PeerProof.frame(helloB)));
                // B waits for A's proof and signs nothing: the party has only a made-up signature to offer.
                await(toB.send(PeerProof.frame(new byte[64])));
                assertThat(PeerProofTest.readToEnd(toB, afterB)).isEmpty();
                await(toA.send(PeerProof.frame(new byte[64])));
                assertThat(PeerProofTest.readToEnd(toA, new ByteArrayOutputStream())).isEmpty();
                assertThat(accepted).isNotDone();
                // The count is taken by the listener the connector attaches to the proof's future, which may be
                // attached only after the proof failed and closed the connection (both frames can arrive before
                // the proof's start returns): the end seen above may come first, so wait for the count, bounded.
                assertThat(failedProofsOf(a)).isEqualTo(1);
                assertThat(failedProofsOf(b)).isEqualTo(1);
                assertThat(a.peerStats().accepted()).isZero();
            }
        });
    }

    /** The node's failed-proof count once it is non-zero, or zero after 10 s. */
    private static long failedProofsOf(io.p2pd.node.Node n) {
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (n.peerStats().proofsFailed() == 0 && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        return n.peerStats().proofsFailed();
    }
}
