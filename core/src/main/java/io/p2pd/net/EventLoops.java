package io.p2pd.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The event-loop groups pipes run on. (The Netty channel classes that fit each are internal.)
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
}
