package io.p2pd.node.punch;

import io.p2pd.pipe.Pipe;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Proves that a punched connection is with the peer of this punch, before it is used: both sides run it on every
 * connection that completes. The node-key proof of SPEC 6 ({@code io.p2pd.node.connect.PeerProof}) is meant to take
 * this place; until it is merged, {@link SessionProof} stands in.
 */
@FunctionalInterface
interface PunchProof {

    /**
     * Runs the proof on {@code tcp}, a connection opened without handlers, before anyone else reads it.
     *
     * @param session the punch's pipe id, which both sides know from the signalling exchange
     * @return the connection, with bytes the peer sent past the proof given back to it; or a failed future (the
     *     connection then is closed)
     */
    CompletableFuture<Pipe> prove(Pipe tcp, String session, Duration limit);
}
