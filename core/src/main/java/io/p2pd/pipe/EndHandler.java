package io.p2pd.pipe;

/**
 * Called exactly once when a pipe ends: closed by this side, by the peer, or by an error
 * ({@link Pipe#closeCause()} tells which error). Added to a pipe that has already ended, it runs at once.
 */
@FunctionalInterface
public interface EndHandler {
    void onEnd(Pipe pipe) throws Exception;
}
