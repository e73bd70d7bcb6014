package io.p2pd.node.connect.internal;

import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.connect.ProvenPipe;
import java.util.concurrent.CompletableFuture;

/**
 * One strategy of a connect, as the node's other packages plug it in ({@link Connector#register}): hole punching,
 * later the relay.
 */
@FunctionalInterface
public interface StrategyAttempt {

    /**
     * Starts reaching {@code peer}. The pipe it completes with must have passed {@link
     * io.p2pd.node.connect.PeerProof#run} with the peer's node id expected and {@code sessionId}. It must be done by
     * {@code deadlineNanos} ({@link System#nanoTime()} scale). Cancelling the returned future means another
     * strategy won or the deadline passed: close everything it opened, including a pipe proven after that.
     */
    CompletableFuture<ProvenPipe> start(PeerAddress peer, String sessionId, long deadlineNanos);
}
