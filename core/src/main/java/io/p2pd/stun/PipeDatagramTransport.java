package io.p2pd.stun;

import io.p2pd.net.EventLoops;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * {@link DatagramTransport} on a UDP server pipe (no default destination, so replies from any address arrive):
 * STUN rides on the same pipes as everything else. Replies go to a message handler, not a queue.
 */
final class PipeDatagramTransport implements DatagramTransport {

    private final Pipe pipe;

    private PipeDatagramTransport(Pipe pipe) {
        this.pipe = pipe;
    }

    static CompletableFuture<DatagramTransport> open(InetSocketAddress bind, Receiver receiver) {
        return Pipes.opener(Proto.UDP).bind(bind)
                .msgHandler(MsgHandler.plain((msg, p) -> receiver.onDatagram(msg.data(), msg.sender())))
                .open()
                .thenApply(PipeDatagramTransport::new);
    }

    @Override
    public InetSocketAddress localAddress() {
        return pipe.localAddress();
    }

    @Override
    public CompletableFuture<Void> send(byte[] data, InetSocketAddress to) {
        return pipe.send(data, to);
    }

    @Override
    public Future<?> schedule(Runnable task, Duration delay) {
        return EventLoops.shared().next().schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        pipe.closeAsync();
    }
}
