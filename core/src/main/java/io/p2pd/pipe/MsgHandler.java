package io.p2pd.pipe;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/**
 * Called for every message a pipe receives, with the pipe it arrived on (for a TCP server: the connection's pipe).
 *
 * <p>A handler runs on the pipe's event loop and must not block. It may return a stage for work that takes time: the
 * pipe then waits for that stage before it hands the next message of the same connection to any handler, which keeps
 * arrival order and, for TCP, stops reading meanwhile (back-pressure). Returning {@code null} means done. A handler
 * that throws, or whose stage fails, is logged and counted in {@link PipeStats#handlerErrors()}; the pipe carries on.
 * A stage that never completes holds the connection's delivery for good: bound work that may hang, for example with
 * {@code CompletableFuture.orTimeout}, whose failure is then counted like any other.
 *
 * <p>Handlers that do not return anything are written with {@link #plain}; handlers that read the bytes where they
 * were received, without a copy, with {@link #inPlace}.
 */
@FunctionalInterface
public interface MsgHandler {

    CompletionStage<?> onMessage(Message msg, Pipe pipe) throws Exception;

    /** A handler that finishes its work before it returns. */
    static MsgHandler plain(Plain handler) {
        return new PlainAdapter(handler);
    }

    /** The shape of a handler that returns nothing. */
    @FunctionalInterface
    interface Plain {
        void onMessage(Message msg, Pipe pipe) throws Exception;
    }

    /**
     * A handler that reads each message in place, from a read-only view of the receive buffer. The view is valid only
     * until the handler returns: copy what you keep, and pass it to {@link Pipe#send(ByteBuffer)} (which copies) to
     * echo or forward it. When every handler of a pipe is of this kind and nothing else needs the bytes (no
     * subscription, link or duplicate filter), a pipe skips the copy into {@link Message#data()}; otherwise the view
     * wraps that array. Each handler gets a view of its own, positioned at the message's start, in network order.
     *
     * <p>An in-place handler returns nothing to wait on, so a TCP pipe running one stops reading while its own writes
     * are backed up past the channel's high-water mark, and reads on once they drain: an echo keeps its memory
     * bounded. Sends to other pipes are not watched; relay with {@link Pipe#link}.
     */
    static MsgHandler inPlace(InPlace handler) {
        return new InPlaceAdapter(handler);
    }

    /** The shape of an {@link #inPlace} handler. */
    @FunctionalInterface
    interface InPlace {
        void onMessage(ByteBuffer data, InetSocketAddress sender, Pipe pipe) throws Exception;
    }
}
