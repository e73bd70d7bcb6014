package io.p2pd.pipe;

/**
 * Called once when a pipe is up: a client when connected (TCP) or bound (UDP), a UDP server when bound, and for a TCP
 * server once per accepted connection, with that connection's pipe. Runs on the pipe's event loop; must not block.
 */
@FunctionalInterface
public interface UpHandler {
    void onUp(Pipe pipe) throws Exception;
}
