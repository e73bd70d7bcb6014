package io.p2pd.pipe;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.p2pd.net.HostPort;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** One TCP connection: a client's, or one a server accepted. */
final class TcpPipe extends Pipe {

    private final Channel channel;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    /** The server that accepted this connection, or null for a client. */
    private final TcpServerPipe server;
    private final Dispatcher dispatcher;

    TcpPipe(Channel channel, PipeConf conf, TcpServerPipe server) {
        super(conf, channel.eventLoop());
        this.channel = channel;
        this.local = (InetSocketAddress) channel.localAddress();
        this.remote = (InetSocketAddress) channel.remoteAddress();
        this.server = server;
        this.dispatcher = new Dispatcher(this, server);
        channel.closeFuture().addListener(f -> ended());
    }

    /** The handler that feeds this pipe; last in the channel's pipeline. */
    ChannelInboundHandlerAdapter inbound() {
        return new Inbound();
    }

    @Override
    public Proto proto() {
        return Proto.TCP;
    }

    @Override
    public boolean isServer() {
        return false;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public Optional<InetSocketAddress> remoteAddress() {
        return Optional.of(remote);
    }

    @Override
    public CompletableFuture<Void> send(byte[] data) {
        if (!channel.isActive()) {
            return CompletableFuture.failedFuture(closedError());
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        channel.writeAndFlush(Unpooled.wrappedBuffer(data)).addListener(f -> {
            if (f.isSuccess()) {
                sent.incrementAndGet();
                sentBytes.addAndGet(data.length);
                done.complete(null);
            } else {
                done.completeExceptionally(channel.isActive() ? f.cause()
                        : new PipeClosedException("pipe closed while sending: " + this, f.cause()));
            }
        });
        return done;
    }

    @Override
    public CompletableFuture<Void> send(byte[] data, InetSocketAddress dest) {
        if (!dest.equals(remote)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "TCP connection " + this + " cannot send to " + HostPort.of(dest) + ", only to its peer"));
        }
        return send(data);
    }

    @Override
    void doClose() {
        channel.close();
    }

    @Override
    void pauseReading() {
        channel.config().setAutoRead(false);
    }

    @Override
    void dispatcherIdle() {
        updateReading();
    }

    @Override
    void onQueueRoom() {
        loop.execute(this::updateReading);
    }

    /** Reading resumes when nothing holds delivery up: no pending handler stage, no full queue. */
    private void updateReading() {
        if (channel.config().isAutoRead() || dispatcher.busy() || anyQueueFull(subscriptions())
                || (server != null && anyQueueFull(server.subscriptions()))) {
            return;
        }
        channel.config().setAutoRead(true);
    }

    private static boolean anyQueueFull(Subscription[] subs) {
        for (Subscription s : subs) {
            if (!s.hasHandler() && s.queue().isFull()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "TCP " + HostPort.of(local) + " -> " + HostPort.of(remote);
    }

    private final class Inbound extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            byte[] bytes;
            try {
                bytes = ByteBufUtil.getBytes(buf);
            } finally {
                buf.release();
            }
            received.incrementAndGet();
            receivedBytes.addAndGet(bytes.length);
            dispatcher.deliver(new Message(bytes, remote));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause);
        }
    }
}
