package io.p2pd.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.SocketProtocolFamily;
import io.p2pd.internal.Channels;
import java.net.InetSocketAddress;

/**
 * The UDP echo peer behind the relay: {@link NettySide}'s raw Netty echo behind a handler that counts what it echoes,
 * with the times of the first and the last. A client that prints its own rate only in whole seconds
 * ({@code turnutils_uclient}) is measured here, at the peer.
 */
final class CountingEcho implements AutoCloseable {

    /** What the echo saw since the last {@link #reset()}. */
    record Count(long datagrams, long firstNanos, long lastNanos) {
        /** Datagrams per second between the first and the last; NaN with fewer than two. */
        double rate() {
            return datagrams < 2 || lastNanos == firstNanos ? Double.NaN
                    : (datagrams - 1) / ((lastNanos - firstNanos) / 1e9);
        }
    }

    static final int RECEIVE_BUFFER = 4 << 20;

    private final Channel channel;
    private final Counter counter = new Counter();

    CountingEcho() throws InterruptedException {
        channel = new Bootstrap()
                .group(NettySide.group())
                .channelFactory(Channels.udp(NettySide.group(), SocketProtocolFamily.INET))
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(64 * 1024 + 1))
                // As a busy peer would (and as our client's control socket does): bursts through the relay then wait
                // in the kernel instead of being dropped there (Linux caps it at net.core.rmem_max).
                .option(ChannelOption.SO_RCVBUF, RECEIVE_BUFFER)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(counter, new NettySide.DatagramEcho());
                    }
                })
                .bind(PipeSide.LOOPBACK).sync().channel();
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", ((InetSocketAddress) channel.localAddress()).getPort());
    }

    /** Starts a new count; called between runs, when nothing is in flight. */
    void reset() {
        channel.eventLoop().submit(() -> {
            counter.datagrams = 0;
            counter.first = 0;
            counter.last = 0;
        }).syncUninterruptibly();
    }

    Count count() {
        return channel.eventLoop().submit(() -> new Count(counter.datagrams, counter.first, counter.last))
                .syncUninterruptibly().getNow();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    /** Counts each datagram on its way to the echo; touched on the channel's event loop only. */
    private static final class Counter extends ChannelInboundHandlerAdapter {
        long datagrams;
        long first;
        long last;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            long now = System.nanoTime();
            if (datagrams++ == 0) {
                first = now;
            }
            last = now;
            ctx.fireChannelRead(msg);
        }
    }
}
