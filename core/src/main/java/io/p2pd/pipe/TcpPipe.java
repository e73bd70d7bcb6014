package io.p2pd.pipe;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.p2pd.net.HostPort;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
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
    /** Pipes (linked ones, or this one with its writes backed up) to wait on before reading again. Event loop only. */
    private int blockedOnWrites;
    /** What send appends (delimited framing) or empty. */
    private final byte[] suffix;

    TcpPipe(Channel channel, PipeConf conf, TcpServerPipe server) {
        super(conf, channel.eventLoop());
        this.channel = channel;
        this.local = (InetSocketAddress) channel.localAddress();
        this.remote = (InetSocketAddress) channel.remoteAddress();
        this.server = server;
        this.dispatcher = new Dispatcher(this, server);
        this.suffix = conf.framing() instanceof Framing.Delimited d ? d.delimiter() : new byte[0];
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
        CompletableFuture<Void> refused = refusal(data.length);
        return refused != null ? refused : write(channel, framed(Unpooled.wrappedBuffer(data)), data.length);
    }

    @Override
    public CompletableFuture<Void> send(ByteBuffer data) {
        int size = data.remaining();
        CompletableFuture<Void> refused = refusal(size);
        return refused != null ? refused : write(channel, framed(directCopy(channel, data)), size);
    }

    /**
     * A closed pipe as a failed future (an I/O outcome); null when the message can go. A message its length prefix
     * cannot carry is a misuse, thrown at once.
     */
    private CompletableFuture<Void> refusal(int size) {
        if (conf.framing() instanceof Framing.LengthPrefixed l && size > l.maxLength()) {
            throw new IllegalArgumentException("message of " + size + " bytes does not fit a " + l.lengthBytes()
                    + "-byte length prefix");
        }
        if (!channel.isActive()) {
            return LoopSafeFuture.failed(closedError());
        }
        return null;
    }

    @Override
    public CompletableFuture<Void> send(byte[] data, InetSocketAddress dest) {
        return dest.equals(remote) ? send(data) : notThePeer(dest);
    }

    @Override
    public CompletableFuture<Void> send(ByteBuffer data, InetSocketAddress dest) {
        return dest.equals(remote) ? send(data) : notThePeer(dest);
    }

    private CompletableFuture<Void> notThePeer(InetSocketAddress dest) {
        throw new IllegalArgumentException(
                "TCP connection " + this + " cannot send to " + HostPort.of(dest) + ", only to its peer");
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
        super.dispatcherIdle();
        updateReading();
    }

    @Override
    boolean deliveryPending() {
        return dispatcher.busy();
    }

    @Override
    void onQueueRoom() {
        loop.execute(this::updateReading);
    }

    /** The message as this pipe's framing writes it: with its length prefix or delimiter, if any. */
    private ByteBuf framed(ByteBuf payload) {
        if (conf.framing() instanceof Framing.LengthPrefixed l) {
            ByteBuf header = channel.alloc().buffer(l.lengthBytes());
            if (l.lengthBytes() == 2) {
                header.writeShort(payload.readableBytes());
            } else {
                header.writeInt(payload.readableBytes());
            }
            return Unpooled.wrappedBuffer(header, payload);
        }
        return suffix.length == 0 ? payload : Unpooled.wrappedBuffer(payload, Unpooled.wrappedBuffer(suffix));
    }

    @Override
    void write(ByteBuf buf) {
        int size = buf.readableBytes();
        if (conf.framing() instanceof Framing.LengthPrefixed l && size > l.maxLength()) {
            buf.release();
            fail(new FrameTooLongException("a forwarded message of " + size + " bytes does not fit a "
                    + l.lengthBytes() + "-byte length prefix"));
            return;
        }
        buf = framed(buf);
        notePending(channel, size);
        sent.incrementAndGet();
        sentBytes.addAndGet(size);
        // No future per chunk on the relay path: a failed write closes this pipe (exceptionCaught).
        channel.write(buf, channel.voidPromise());
    }

    @Override
    void flush() {
        channel.flush();
    }

    @Override
    boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    void waitUntilWritable(Pipe target) {
        blockedOnWrites++;
        pauseReading();
        target.whenWritable(() -> loop.execute(() -> {
            blockedOnWrites--;
            updateReading();
        }));
    }

    /**
     * Reading resumes when nothing holds delivery up: no pending handler stage, no full queue, no pipe it waits to
     * write to (a linked one, or this one after in-place handlers) that cannot take more.
     */
    private void updateReading() {
        if (channel.config().isAutoRead() || blockedOnWrites > 0 || dispatcher.busy()
                || anyQueueFull(subscriptions())
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
            received.incrementAndGet();
            receivedBytes.addAndGet(buf.readableBytes());
            if (dispatcher.forwardsOnly()) {
                dispatcher.forward(buf);
                return;
            }
            byte[] bytes;
            try {
                if (dispatcher.deliverInPlace(buf, remote)) {
                    return;
                }
                bytes = ByteBufUtil.getBytes(buf);
            } finally {
                buf.release();
            }
            dispatcher.deliver(new Message(bytes, remote));
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            dispatcher.flushForwarded();
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (channel.isWritable()) {
                writable();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof TooLongFrameException || cause.getCause() instanceof TooLongFrameException) {
                cause = new FrameTooLongException(HostPort.of(remote) + " sent a frame over the readerLimit of "
                        + conf.readerLimit() + " bytes; connection closed");
            }
            fail(cause);
        }
    }
}
