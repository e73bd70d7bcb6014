package io.p2pd.node.connect;

/**
 * A node's counts of connections from peers.
 *
 * @param accepted proven connections handed to the application (queue or handler)
 * @param proofsFailed connections closed because their proof failed ({@link ProofFailedException.Reason}s other than
 *     {@link ProofFailedException.Reason#NOT_CHOSEN}; the original P2PD's unproven dialers included)
 * @param refused proven connections closed, and asks to dial back dropped, because the node refuses that peer
 *     ({@code refusePeers})
 * @param overflowed proven connections closed because the accept queue was full or the node's live peer connections
 *     were at their limit
 * @param raceLosers connections closed because a connect chose another one: a dialer racing several address pairs
 *     or strategies keeps one, and a peer's dial-back this node asked for arrives after another strategy won. A
 *     normal connect may add to it; it is not a fault.
 */
public record PeerStats(long accepted, long proofsFailed, long refused, long overflowed, long raceLosers) {
}
