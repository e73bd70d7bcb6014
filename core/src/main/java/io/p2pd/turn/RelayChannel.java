package io.p2pd.turn;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The Netty channel under a relayed pipe: it reads and writes {@link DatagramPacket}s as a datagram socket would, but
 * a write goes to the {@link Allocation} (ChannelData or a Send indication to the server) and a read is what the
 * allocation took out of ChannelData or a Data indication, with the peer as sender. It has no socket of its own and
 * runs on the control socket's event loop, so the allocation's state has one thread.
 *
 * <p>Closing it first deletes the allocation (Refresh with lifetime 0, bounded by {@link TurnConfig#closeTimeout()}),
 * then closes: a pipe's {@code close()}, which waits for its channel, so waits for the deletion too.
 */
final class RelayChannel extends AbstractChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false);

    private final Allocation allocation;
    private final InetSocketAddress relayed;
    private final DefaultChannelConfig config = new DefaultChannelConfig(this);
    private volatile boolean open = true;
    /** Set when closing begins: sends fail at once from then on, while the allocation is deleted. */
    private volatile boolean closing;
    private boolean reading;

    RelayChannel(Allocation allocation, InetSocketAddress relayed) {
        super(null);
        this.allocation = allocation;
        this.relayed = relayed;
    }

    /** Hands a datagram from {@code peer} to the pipe. On the event loop. */
    void deliver(byte[] data, InetSocketAddress peer) {
        if (!reading || !isActive()) {
            allocation.ignoredOne();
            return;
        }
        pipeline().fireChannelRead(new DatagramPacket(Unpooled.wrappedBuffer(data), relayed, peer));
        pipeline().fireChannelReadComplete();
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new RelayUnsafe();
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return true;
    }

    @Override
    protected SocketAddress localAddress0() {
        return relayed;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return null;
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("a relayed channel is bound by its allocation");
    }

    @Override
    protected void doDisconnect() {
        // nothing: it is never connected
    }

    @Override
    protected void doClose() {
        open = false;
    }

    @Override
    protected void doBeginRead() {
        reading = true;
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof DatagramPacket) {
            return msg;
        }
        throw new UnsupportedOperationException("a relayed channel writes datagrams, not " + msg.getClass());
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        for (Object msg = in.current(); msg != null; msg = in.current()) {
            DatagramPacket packet = (DatagramPacket) msg;
            // Written means handed to the allocation, as a UDP pipe's write means handed to the OS.
            allocation.sendToPeer(ByteBufUtil.getBytes(packet.content()), packet.recipient());
            in.remove();
        }
    }

    @Override
    public ChannelConfig config() {
        return config;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open && !closing && isRegistered();
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    private final class RelayUnsafe extends AbstractUnsafe {
        @Override
        public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            promise.setFailure(new UnsupportedOperationException("a relayed channel is not connected"));
        }

        @Override
        public void close(ChannelPromise promise) {
            if (!open) {
                super.close(promise);
                return;
            }
            closing = true;
            allocation.release().whenComplete((v, e) -> eventLoop().execute(() -> super.close(promise)));
        }
    }
}
