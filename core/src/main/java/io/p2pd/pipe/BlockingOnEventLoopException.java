package io.p2pd.pipe;

/**
 * {@code join()} or {@code get()} on a pipe's future that is not done yet, called on an event loop thread. It would
 * wait forever: the future completes on an event loop, most often the very one that is waiting. Compose instead
 * ({@code thenCompose}), or hand the work to another executor ({@code thenApplyAsync(f, executor)}).
 */
public final class BlockingOnEventLoopException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** Thrown by the library's futures (shared by its pipe, STUN and NAT packages); {@code message} says which call. */
    public BlockingOnEventLoopException(String message) {
        super(message);
    }
}
