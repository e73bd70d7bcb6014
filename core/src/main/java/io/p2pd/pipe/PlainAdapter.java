package io.p2pd.pipe;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What {@link MsgHandler#plain} makes. A record, so that two made from the same handler are equal and
 * {@link Pipe#removeMsgHandler} finds one.
 */
record PlainAdapter(MsgHandler.Plain handler) implements MsgHandler {
    static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    @Override
    public CompletionStage<?> onMessage(Message msg, Pipe pipe) throws Exception {
        handler.onMessage(msg, pipe);
        return DONE;
    }
}
