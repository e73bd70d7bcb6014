package io.p2pd.stun;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** {@link DatagramTransport} on an unconnected Netty datagram channel. */
final class NettyDatagramTransport implements DatagramTransport {
    private final Channel channel;

    private NettyDatagramTransport(Channel channel) {
        this.channel = channel;
    }

    static CompletableFuture<DatagramTransport> open(InetSocketAddress bind, Receiver receiver) {
        Bootstrap b = new Bootstrap().group(StunLoops.group()).channel(StunLoops.datagramChannel())
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() { // releases the packet
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                        receiver.onDatagram(ByteBufUtil.getBytes(p.content()), p.sender());
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        // ICMP errors (port unreachable) surface here on some transports: a lost
                        // datagram to STUN, which retransmits or times out. Keep the socket.
                    }
                });
        var f = b.bind(bind);
        return StunLoops.toCompletable(f).thenApply(x -> new NettyDatagramTransport(f.channel()));
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public CompletableFuture<Void> send(byte[] data, InetSocketAddress to) {
        return StunLoops.toCompletable(channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(data), to)));
    }

    @Override
    public Future<?> schedule(Runnable task, Duration delay) {
        return channel.eventLoop().schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        channel.close();
    }
}
