package io.p2pd.node.connect.internal;

import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.connect.ProvenPipe;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * One strategy of a connect, as the node's other packages plug it in ({@link Connector#register}): hole punching,
 * later the relay.
 */
@FunctionalInterface
public interface StrategyAttempt {

    /**
     * Starts reaching {@code peer}. The pipe it completes with must have passed the node-key proof with the peer's
     * node id expected and {@code sessionId}, this side choosing ({@link io.p2pd.node.connect.PeerProof#runChoosing})
     * with {@code claim}: the connect's one claim, shared by every strategy, so that the peer hands to its application
     * only the connection this node keeps (whatever strategy or address pair made it). A connection whose claim fails
     * is closed. It must be done by {@code deadlineNanos} ({@link System#nanoTime()} scale). Cancelling the returned
     * future means another strategy won or the deadline passed: close everything it opened, including a pipe proven
     * after that.
     */
    CompletableFuture<ProvenPipe> start(PeerAddress peer, String sessionId, long deadlineNanos, BooleanSupplier claim);

    /**
     * Why {@link #start} toward {@code peer} would fail before trying, if it would: a connect then skips this
     * strategy with that reason instead of starting it. The strategy's own verdict, so the race and the strategy
     * never disagree; none by default.
     */
    default Optional<String> unusable(PeerAddress peer) {
        return Optional.empty();
    }
}
