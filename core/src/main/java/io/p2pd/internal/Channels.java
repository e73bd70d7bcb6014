package io.p2pd.internal;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.p2pd.net.EventLoops;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.channels.spi.SelectorProvider;

/**
 * The Netty channel classes, and factories of them, that fit an event-loop group ({@link EventLoops#isEpoll}): how
 * the library makes its channels. Not API: Netty's types stay out of the exported packages.
 */
public final class Channels {

    private Channels() {
    }

    /** The address family of a socket that binds or connects {@code address}. */
    public static SocketProtocolFamily familyOf(InetAddress address) {
        return address instanceof Inet6Address ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
    }

    /** Makes TCP client channels of {@code family} that can register with {@code group}. */
    public static ChannelFactory<SocketChannel> tcpClient(EventLoopGroup group, SocketProtocolFamily family) {
        return EventLoops.isEpoll(group) ? () -> new EpollSocketChannel(family)
                : () -> new NioSocketChannel(SelectorProvider.provider(), family);
    }

    /** Makes TCP server channels of {@code family} that can register with {@code group}. */
    public static ChannelFactory<ServerSocketChannel> tcpServer(EventLoopGroup group, SocketProtocolFamily family) {
        return EventLoops.isEpoll(group) ? () -> new EpollServerSocketChannel(family)
                : () -> new NioServerSocketChannel(SelectorProvider.provider(), family);
    }

    /** Makes UDP channels of {@code family} that can register with {@code group}. */
    public static ChannelFactory<DatagramChannel> udp(EventLoopGroup group, SocketProtocolFamily family) {
        return EventLoops.isEpoll(group) ? () -> new EpollDatagramChannel(family)
                : () -> new NioDatagramChannel(SelectorProvider.provider(), family);
    }

    /** The TCP client channel class that can register with {@code group}. */
    public static Class<? extends SocketChannel> socketChannel(EventLoopGroup group) {
        return EventLoops.isEpoll(group) ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** The TCP server channel class that can register with {@code group}. */
    public static Class<? extends ServerSocketChannel> serverChannel(EventLoopGroup group) {
        return EventLoops.isEpoll(group) ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** The UDP channel class that can register with {@code group}. */
    public static Class<? extends DatagramChannel> datagramChannel(EventLoopGroup group) {
        return EventLoops.isEpoll(group) ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }
}
