package io.p2pd.pipe;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/**
 * What {@link MsgHandler#inPlace} makes. A record, so that two made from the same handler are equal and
 * {@link Pipe#removeMsgHandler} finds one; the Dispatcher calls {@link #onView} directly when it skips the copy.
 */
record InPlaceAdapter(MsgHandler.InPlace handler) implements MsgHandler {
    @Override
    public CompletionStage<?> onMessage(Message msg, Pipe pipe) throws Exception {
        handler.onMessage(ByteBuffer.wrap(msg.data()).asReadOnlyBuffer(), msg.sender(), pipe);
        return PlainAdapter.DONE;
    }

    void onView(ByteBuffer view, InetSocketAddress sender, Pipe pipe) throws Exception {
        handler.onMessage(view, sender, pipe);
    }
}
