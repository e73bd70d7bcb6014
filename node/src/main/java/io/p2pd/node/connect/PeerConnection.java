package io.p2pd.node.connect;

import io.p2pd.node.id.NodeId;
import io.p2pd.pipe.Pipe;
import java.time.Duration;
import java.util.Objects;

/**
 * A TCP connection with a peer node whose key was proven ({@link PeerProof}): one the node made
 * ({@code Node.connect}) or one a peer made to it ({@code Node.accept}). The user owns the pipe and closes it.
 *
 * <p>A {@link Strategy#RELAY} connection's end is abortive at the TURN server (coturn): a
 * {@link Pipe#shutdownOutput()} or a close by either side resets both sides and drops what the relay still holds. Do
 * not half-close it; the side that sends last should close only after the peer ended (it has read everything).
 *
 * @param pipe the connection; the first thing it receives is the first byte the peer sent after its proof
 * @param peer the peer's node id, proven
 * @param strategy how the connection was made
 * @param took from the connect call (or the accept) until the proof ended
 * @param report for a connection this node made: what each strategy did; for an accepted one: the strategy alone
 */
public record PeerConnection(Pipe pipe, NodeId peer, Strategy strategy, Duration took, ConnectReport report) {

    public PeerConnection {
        Objects.requireNonNull(pipe, "pipe");
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(took, "took");
        Objects.requireNonNull(report, "report");
    }
}
