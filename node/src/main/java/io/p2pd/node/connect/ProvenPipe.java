package io.p2pd.node.connect;

import io.p2pd.node.id.NodeId;
import io.p2pd.node.id.NodePublicKey;
import io.p2pd.pipe.Pipe;
import java.util.Objects;

/**
 * A TCP connection whose peer proved its node key ({@link PeerProof}).
 *
 * @param pipe the connection; what the peer sent after its proof is the first thing it receives
 * @param peerKey the key the peer proved
 * @param sessionId the session both sides named (empty when neither did)
 */
public record ProvenPipe(Pipe pipe, NodePublicKey peerKey, String sessionId) {

    public ProvenPipe {
        Objects.requireNonNull(pipe, "pipe");
        Objects.requireNonNull(peerKey, "peerKey");
        Objects.requireNonNull(sessionId, "sessionId");
    }

    /** The peer's node id (that of {@link #peerKey()}). */
    public NodeId peer() {
        return peerKey.nodeId();
    }
}
