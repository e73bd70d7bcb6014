package io.p2pd.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.p2pd.internal.Channels;
import io.p2pd.net.EventLoops;
import java.net.InetSocketAddress;

/**
 * The same echo endpoints in raw Netty, written as a Netty user would: zero-copy echo (the read buffer is written
 * back), writes flushed once per read burst, the same receive-buffer sizes as a default pipe (adaptive up to 64 KiB
 * for TCP, fixed 64 KiB + 1 for UDP), the same epoll group.
 */
final class NettySide implements Side {

    static IoEventLoopGroup group() {
        return EventLoops.shared();
    }

    static AdaptiveRecvByteBufAllocator streamAllocator() {
        return new AdaptiveRecvByteBufAllocator(64, 2048, 64 * 1024);
    }

    @Override
    public String name() {
        return "netty";
    }

    @Override
    public Open tcpEchoServer() throws Exception {
        return listen(new Echo());
    }

    /** A TCP server on 127.0.0.1 whose every connection gets {@code handler} (which must be sharable). */
    static Open listen(ChannelHandler handler) throws InterruptedException {
        return listenWith(handler, true);
    }

    /** As {@link #listen}, choosing whether accepted channels start reading at once (a relay waits). */
    static Open listenWith(ChannelHandler handler, boolean autoRead) throws InterruptedException {
        Channel ch = new ServerBootstrap()
                .group(group(), group())
                .channelFactory(Channels.tcpServer(group(), SocketProtocolFamily.INET))
                .childOption(ChannelOption.RECVBUF_ALLOCATOR, streamAllocator())
                .childOption(ChannelOption.AUTO_READ, autoRead)
                .childHandler(handler)
                .bind(PipeSide.LOOPBACK).sync().channel();
        return wrap(ch);
    }

    @Override
    public Open udpEchoServer(int regexSubs) throws Exception {
        Channel ch = new Bootstrap()
                .group(group())
                .channelFactory(Channels.udp(group(), SocketProtocolFamily.INET))
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(64 * 1024 + 1))
                .handler(new DatagramEcho())
                .bind(PipeSide.LOOPBACK).sync().channel();
        return wrap(ch);
    }

    @Override
    public Open tcpClient(InetSocketAddress server, EchoFlow flow) throws Exception {
        Channel ch = new Bootstrap()
                .group(group())
                .channelFactory(Channels.tcpClient(group(), SocketProtocolFamily.INET))
                .option(ChannelOption.RECVBUF_ALLOCATOR, streamAllocator())
                .handler(new Counter(flow))
                .connect(server).sync().channel();
        byte[][] batches = Payload.batches(flow.size(), flow.window());
        flow.start(count -> ch.writeAndFlush(Unpooled.wrappedBuffer(batches[count])));
        return wrap(ch);
    }

    @Override
    public Open udpClient(InetSocketAddress server, EchoFlow flow) throws Exception {
        Channel ch = new Bootstrap()
                .group(group())
                .channelFactory(Channels.udp(group(), SocketProtocolFamily.INET))
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(64 * 1024 + 1))
                .handler(new Counter(flow))
                .bind(PipeSide.LOOPBACK).sync().channel();
        byte[] one = Payload.message(flow.size());
        flow.start(count -> {
            for (int i = 0; i < count; i++) {
                ch.write(new DatagramPacket(Unpooled.wrappedBuffer(one), server));
            }
            ch.flush();
        });
        return wrap(ch);
    }

    static Open wrap(Channel ch) {
        return new Open() {
            @Override
            public InetSocketAddress address() {
                return (InetSocketAddress) ch.localAddress();
            }

            @Override
            public void close() {
                ch.close().syncUninterruptibly();
            }
        };
    }

    /** Writes back each read buffer as is; flushes once the read burst is over. */
    @ChannelHandler.Sharable
    static class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a peer that resets at the end of a run, as pipes do on error
        }
    }

    /** Sends each datagram's buffer back to its sender; one flush per burst (epoll then uses sendmmsg). */
    @ChannelHandler.Sharable
    static final class DatagramEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket packet = (DatagramPacket) msg;
            ctx.write(new DatagramPacket(packet.content(), packet.sender()), ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP port unreachable after a client left: nothing to do, as for a pipe
        }
    }

    /** Counts the bytes (of a stream or of datagrams) coming back to an echo client. */
    static final class Counter extends ChannelInboundHandlerAdapter {
        private final EchoFlow flow;

        Counter(EchoFlow flow) {
            this.flow = flow;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = msg instanceof DatagramPacket p ? p.content() : (ByteBuf) msg;
            int n = buf.readableBytes();
            io.netty.util.ReferenceCountUtil.release(msg);
            flow.onBytes(n);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
