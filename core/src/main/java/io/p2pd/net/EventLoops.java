package io.p2pd.net;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
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
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.channels.spi.SelectorProvider;

/**
 * The event-loop groups pipes run on, and the channel classes that fit each.
 *
 * <p>The shared group uses Linux epoll when its native library loads and NIO otherwise; its threads are daemons so a
 * program ends when its main thread does. Channels made by other code (java.nio) can only be registered with an NIO
 * group, so a second, lazily made NIO group serves those.
 */
public final class EventLoops {

    private static final Object LOCK = new Object();
    private static IoEventLoopGroup shared;
    private static IoEventLoopGroup nio;

    private EventLoops() {
    }

    /** Whether the shared group uses native epoll. */
    public static boolean nativeTransport() {
        return Epoll.isAvailable();
    }

    /** The group every pipe uses unless its options name another. */
    public static IoEventLoopGroup shared() {
        synchronized (LOCK) {
            if (shared == null) {
                shared = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("p2pd", true),
                        Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
            }
            return shared;
        }
    }

    /** An NIO group, for wrapping java.nio channels that were opened elsewhere. */
    public static IoEventLoopGroup nio() {
        synchronized (LOCK) {
            if (nio == null) {
                nio = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("p2pd-nio", true),
                        NioIoHandler.newFactory());
            }
            return nio;
        }
    }

    /** Whether {@code group} runs java.nio channels: the only kind a channel opened elsewhere can join. */
    public static boolean isNio(EventLoopGroup group) {
        return group instanceof IoEventLoopGroup io && io.isIoType(NioIoHandler.class);
    }

    /** Whether {@code group} runs native epoll channels (and so takes epoll-only options). */
    public static boolean isEpoll(EventLoopGroup group) {
        return group instanceof IoEventLoopGroup io && io.isIoType(EpollIoHandler.class);
    }

    /** The address family of a socket that binds or connects {@code address}. */
    public static SocketProtocolFamily familyOf(InetAddress address) {
        return address instanceof Inet6Address ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
    }

    /** Makes TCP client channels of {@code family} that can register with {@code group}. */
    public static ChannelFactory<SocketChannel> tcpClient(EventLoopGroup group, SocketProtocolFamily family) {
        return isEpoll(group) ? () -> new EpollSocketChannel(family)
                : () -> new NioSocketChannel(SelectorProvider.provider(), family);
    }

    /** Makes TCP server channels of {@code family} that can register with {@code group}. */
    public static ChannelFactory<ServerSocketChannel> tcpServer(EventLoopGroup group, SocketProtocolFamily family) {
        return isEpoll(group) ? () -> new EpollServerSocketChannel(family)
                : () -> new NioServerSocketChannel(SelectorProvider.provider(), family);
    }

    /** Makes UDP channels of {@code family} that can register with {@code group}. */
    public static ChannelFactory<DatagramChannel> udp(EventLoopGroup group, SocketProtocolFamily family) {
        return isEpoll(group) ? () -> new EpollDatagramChannel(family)
                : () -> new NioDatagramChannel(SelectorProvider.provider(), family);
    }

    /** The TCP client channel class that can register with {@code group}. */
    public static Class<? extends SocketChannel> socketChannel(EventLoopGroup group) {
        return isEpoll(group) ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** The TCP server channel class that can register with {@code group}. */
    public static Class<? extends ServerSocketChannel> serverChannel(EventLoopGroup group) {
        return isEpoll(group) ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** The UDP channel class that can register with {@code group}. */
    public static Class<? extends DatagramChannel> datagramChannel(EventLoopGroup group) {
        return isEpoll(group) ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }
}
