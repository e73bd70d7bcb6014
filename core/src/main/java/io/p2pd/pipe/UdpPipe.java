package io.p2pd.pipe;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.net.HostPort;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A UDP socket: one pipe for every peer. A client pipe also has a default destination. */
final class UdpPipe extends Pipe {

    private static final Logger LOG = LoggerFactory.getLogger(UdpPipe.class);

    private final Channel channel;
    private final InetSocketAddress local;
    private final Optional<InetSocketAddress> defaultDest;
    private final Dispatcher dispatcher;

    UdpPipe(Channel channel, PipeConf conf, Optional<InetSocketAddress> defaultDest) {
        super(conf, channel.eventLoop());
        this.channel = channel;
        this.local = (InetSocketAddress) channel.localAddress();
        this.defaultDest = defaultDest;
        this.dispatcher = new Dispatcher(this, null);
        channel.closeFuture().addListener(f -> ended());
    }

    ChannelInboundHandlerAdapter inbound() {
        return new Inbound();
    }

    @Override
    public Proto proto() {
        return Proto.UDP;
    }

    @Override
    public boolean isServer() {
        return defaultDest.isEmpty();
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public Optional<InetSocketAddress> remoteAddress() {
        return defaultDest;
    }

    @Override
    public CompletableFuture<Void> send(byte[] data) {
        return defaultDest.map(dest -> send(data, dest)).orElseGet(this::noDefaultDest);
    }

    @Override
    public CompletableFuture<Void> send(ByteBuffer data) {
        return defaultDest.map(dest -> send(data, dest)).orElseGet(this::noDefaultDest);
    }

    private CompletableFuture<Void> noDefaultDest() {
        throw new IllegalStateException("UDP pipe " + this + " has no default destination: use send(data, dest)");
    }

    @Override
    public CompletableFuture<Void> send(byte[] data, InetSocketAddress dest) {
        CompletableFuture<Void> refused = refusal(data.length);
        if (refused != null) {
            return refused;
        }
        if (dest.isUnresolved()) {
            // The answer of this socket's family, when the name has both.
            return LoopSafeFuture.of(conf.resolver().resolveAll(dest.getHostString(), conf.dnsTimeout(), loop))
                    .thenCompose(answers -> send(data, new InetSocketAddress(
                            Pipes.Opener.pick(answers, localAddress().getAddress()), dest.getPort())));
        }
        return write(channel, new DatagramPacket(Unpooled.wrappedBuffer(data), dest), data.length);
    }

    @Override
    public CompletableFuture<Void> send(ByteBuffer data, InetSocketAddress dest) {
        int size = data.remaining();
        CompletableFuture<Void> refused = refusal(size);
        if (refused != null) {
            return refused;
        }
        if (dest.isUnresolved()) {
            return send(bytesOf(data), dest); // the copy must outlive the lookup: an array needs no release
        }
        return write(channel, new DatagramPacket(directCopy(channel, data), dest), size);
    }

    /**
     * A closed pipe as a failed future (an I/O outcome); null when the datagram can go. A datagram too large is a
     * misuse, thrown at once.
     */
    private CompletableFuture<Void> refusal(int size) {
        if (size > PipeConf.MAX_DATAGRAM) {
            throw new IllegalArgumentException(
                    "datagram of " + size + " bytes exceeds the UDP limit of " + PipeConf.MAX_DATAGRAM);
        }
        if (!channel.isActive()) {
            return LoopSafeFuture.failed(closedError());
        }
        return null;
    }

    @Override
    void write(ByteBuf buf) {
        int size = buf.readableBytes();
        if (size > PipeConf.MAX_DATAGRAM || defaultDest.isEmpty()) {
            buf.release();
            dropped.incrementAndGet();
            return;
        }
        notePending(channel, size);
        sent.incrementAndGet();
        sentBytes.addAndGet(size);
        channel.writeAndFlush(new DatagramPacket(buf, defaultDest.get()), channel.voidPromise());
    }

    @Override
    boolean deliveryPending() {
        return dispatcher.busy();
    }

    @Override
    boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    void doClose() {
        channel.close();
    }

    @Override
    public String toString() {
        return "UDP " + HostPort.of(local) + defaultDest.map(d -> " -> " + HostPort.of(d)).orElse("");
    }

    private final class Inbound extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket packet = (DatagramPacket) msg;
            byte[] bytes;
            try {
                ByteBuf content = packet.content();
                // The receive buffer is one byte larger than readerLimit, so a datagram that filled it was larger
                // than the limit and arrived cut short: drop it rather than deliver part of it.
                if (content.readableBytes() > conf.readerLimit()) {
                    oversized.incrementAndGet();
                    return;
                }
                received.incrementAndGet();
                receivedBytes.addAndGet(content.readableBytes());
                if (dispatcher.deliverInPlace(content, packet.sender())) {
                    return;
                }
                bytes = ByteBufUtil.getBytes(content);
            } finally {
                packet.release();
            }
            dispatcher.deliver(new Message(bytes, packet.sender()));
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
            // A UDP socket reports ICMP errors (port unreachable) as exceptions; they end nothing.
            LOG.debug("{}: {}", UdpPipe.this, cause.toString());
        }
    }
}
