package io.p2pd.stun;

import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.CompletableFuture;

/**
 * The event-loop group STUN runs on: epoll where available, NIO elsewhere. One lazily created group of
 * daemon threads for the whole process; when io.p2pd.net gets the project's shared group, this class
 * is the single place to point at it.
 */
final class StunLoops {
    static final boolean EPOLL = Epoll.isAvailable();
    private static volatile EventLoopGroup group;

    private StunLoops() {
    }

    static EventLoopGroup group() {
        EventLoopGroup g = group;
        if (g == null) {
            synchronized (StunLoops.class) {
                g = group;
                if (g == null) {
                    g = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("p2pd-stun", true),
                            EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
                    group = g;
                }
            }
        }
        return g;
    }

    static Class<? extends DatagramChannel> datagramChannel() {
        return EPOLL ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    static Class<? extends SocketChannel> socketChannel() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    static Class<? extends ServerSocketChannel> serverSocketChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** Adapts a Netty future; the cause is Netty's (e.g. {@link java.net.BindException}). */
    static CompletableFuture<Void> toCompletable(ChannelFuture f) {
        CompletableFuture<Void> out = new CompletableFuture<>();
        f.addListener(x -> {
            if (x.isSuccess()) {
                out.complete(null);
            } else if (x.isCancelled()) {
                out.cancel(false);
            } else {
                out.completeExceptionally(x.cause());
            }
        });
        return out;
    }
}
