package io.p2pd.node.punch;

import io.p2pd.node.connect.PeerProof;
import io.p2pd.node.connect.ProvenPipe;
import io.p2pd.node.id.NodeId;
import io.p2pd.node.id.NodeKey;
import io.p2pd.pipe.Pipe;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * The node-key proof ({@link PeerProof}, SPEC 6) on a punched connection, with the punch's pipe id as session: both
 * sides run it on every connection that completes. The initiator chooses ({@link PeerProof#runChoosing}): it checks
 * the peer's proof, then claims the win, and sends its own proof on the first connection that claims it only, so the
 * answering side proves that one connection alone and both keep the same one.
 */
interface PunchProof {

    /**
     * Runs the proof on {@code tcp}, a connection opened without handlers, before anyone else reads it.
     *
     * @param claim for the initiator: asked once the peer's proof checks, whether this connection wins; empty for the
     *     answering side
     * @return the proven connection, with bytes the peer sent past the proof given back to it; or a failed future
     *     (the connection then is closed)
     */
    CompletableFuture<ProvenPipe> prove(Pipe tcp, NodeId peer, String session, Duration limit,
            Optional<BooleanSupplier> claim);

    /** The proof with this node's key. */
    static PunchProof nodeKey(NodeKey me) {
        Objects.requireNonNull(me, "me");
        return (tcp, peer, session, limit, claim) -> (claim.isPresent()
                ? PeerProof.runChoosing(tcp, me, peer, session, limit, claim.get())
                : PeerProof.run(tcp, me, Optional.of(peer), session, limit));
    }
}
