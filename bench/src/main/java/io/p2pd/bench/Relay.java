package io.p2pd.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketProtocolFamily;
import io.p2pd.internal.Channels;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A one-way TCP stream from a source, through a relay, into a sink: the relay's MB/s. Source and sink are the same
 * raw Netty code for every relay; only the relay in the middle changes (none, socat, raw Netty, pipes).
 */
final class Relay {

    /** What sits between source and sink; {@link #listen} returns where the source connects. */
    interface Middle {
        Side.Open listen(InetSocketAddress sink) throws Exception;
    }

    private Relay() {
    }

    @SuppressWarnings("try") // the source only has to be open while the sink counts; nothing else reads it
    static Sample run(Middle middle, int chunk, Timing t) throws Exception {
        AtomicLong received = new AtomicLong();
        try (Side.Open sink = NettySide.listen(new Sink(received));
             Side.Open relay = middle.listen(sink.address());
             Side.Open source = Source.connect(relay.address(), chunk)) {
            Timing.sleep(t.warmupMillis());
            long b0 = received.get();
            long t0 = System.nanoTime();
            Timing.sleep(t.measureMillis());
            long bytes = received.get() - b0;
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (bytes == 0) {
                throw new IllegalStateException("no byte reached the sink through the relay");
            }
            return new Sample().put("MB/s", bytes / seconds / 1e6);
        }
    }

    /** No relay: the source connects to the sink itself (the loopback ceiling of this source and sink). */
    static Side.Open direct(InetSocketAddress sink) {
        return new Side.Open() {
            @Override
            public InetSocketAddress address() {
                return sink;
            }

            @Override
            public void close() {
            }
        };
    }

    /** {@code socat TCP-LISTEN:port,fork TCP:sink}: a process per connection, copying with read/write. */
    static Side.Open socat(InetSocketAddress sink) throws Exception {
        int port = Procs.freePort();
        Process p = Procs.start(List.of("socat",
                "TCP-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr,fork",
                "TCP:127.0.0.1:" + sink.getPort()));
        return listening(p, port, 5000);
    }

    /**
     * A relay process listening on 127.0.0.1:{@code port}, once it accepts (waiting at most {@code startMillis});
     * closing stops it and what it forked (socat's per-connection children).
     */
    static Side.Open listening(Process p, int port, long startMillis) throws IOException {
        Procs.awaitListening(port, startMillis);
        return new Side.Open() {
            @Override
            public InetSocketAddress address() {
                return new InetSocketAddress("127.0.0.1", port);
            }

            @Override
            public void close() {
                p.descendants().forEach(ProcessHandle::destroy);
                Procs.stop(p);
            }
        };
    }

    /** Counts what arrives and throws it away. */
    @ChannelHandler.Sharable
    static final class Sink extends ChannelInboundHandlerAdapter {
        private final AtomicLong received;

        Sink(AtomicLong received) {
            this.received = received;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            received.addAndGet(buf.readableBytes());
            buf.release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Writes {@code chunk}-byte buffers for as long as the channel is writable: as fast as the path takes them. */
    static final class Source extends ChannelInboundHandlerAdapter {
        private final ByteBuf data;

        private Source(ByteBuf data) {
            this.data = data;
        }

        static Side.Open connect(InetSocketAddress to, int chunk) throws InterruptedException {
            ByteBuf payload = io.netty.buffer.Unpooled.directBuffer(chunk).writeBytes(Payload.message(chunk));
            ByteBuf data = io.netty.buffer.Unpooled.unreleasableBuffer(payload);
            Channel ch = new Bootstrap()
                    .group(NettySide.group())
                    .channelFactory(Channels.tcpClient(NettySide.group(), SocketProtocolFamily.INET))
                    .handler(new Source(data))
                    .connect(to).sync().channel();
            // Written as duplicates of one buffer; released once the source is done with it.
            ch.closeFuture().addListener(f -> payload.release());
            return NettySide.wrap(ch);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            fill(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            fill(ctx);
        }

        private void fill(ChannelHandlerContext ctx) {
            // Bounded by the write buffer's high-water mark, not by a count: the run's time bounds the whole.
            while (ctx.channel().isActive() && ctx.channel().isWritable()) {
                ctx.write(data.duplicate(), ctx.voidPromise());
                if (!ctx.channel().isWritable()) {
                    break;
                }
                ctx.flush();
            }
            ctx.flush();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /**
     * The raw Netty relay a Netty user writes: read from one side, write to the other, stop reading while the
     * other side is not writable, resume when it is.
     */
    static Side.Open netty(InetSocketAddress sink) throws Exception {
        return NettySide.listenWith(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel front) {
                front.pipeline().addLast(new Front(sink));
            }
        }, false);
    }

    private static final class Front extends ChannelInboundHandlerAdapter {
        private final InetSocketAddress sink;
        private Channel back;

        Front(InetSocketAddress sink) {
            this.sink = sink;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel front = ctx.channel();
            ChannelFuture f = new Bootstrap()
                    .group(front.eventLoop())
                    .channelFactory(Channels.tcpClient(front.eventLoop(), SocketProtocolFamily.INET))
                    .option(ChannelOption.RECVBUF_ALLOCATOR, NettySide.streamAllocator())
                    .handler(new Back(front))
                    .connect(sink);
            back = f.channel();
            f.addListener(done -> {
                if (done.isSuccess()) {
                    front.config().setAutoRead(true);
                } else {
                    front.close();
                }
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            back.write(msg, back.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            back.flush();
            if (!back.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            back.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static final class Back extends ChannelInboundHandlerAdapter {
        private final Channel front;

        Back(Channel front) {
            this.front = front;
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                front.config().setAutoRead(true);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            front.writeAndFlush(msg, front.voidPromise());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            front.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
