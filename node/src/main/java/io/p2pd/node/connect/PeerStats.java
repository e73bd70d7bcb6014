package io.p2pd.node.connect;

/**
 * A node's counts of connections from peers.
 *
 * @param accepted proven connections handed to the application (queue or handler)
 * @param proofsFailed connections closed because their proof failed (any {@link ProofFailedException.Reason},
 *     the original P2PD's unproven dialers included, and the connections a dialer racing several address pairs
 *     dropped because another of them won)
 * @param refused proven connections closed because the node refuses that peer, or because they named a reverse
 *     session no connect waits for
 * @param overflowed proven connections closed because the accept queue was full
 */
public record PeerStats(long accepted, long proofsFailed, long refused, long overflowed) {
}
