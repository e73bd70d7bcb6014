package io.p2pd.stun;

import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.p2pd.internal.Channels;
import io.p2pd.net.EventLoops;
import java.util.concurrent.CompletableFuture;

/**
 * The event loops STUN runs on: the project's shared group (io.p2pd.net.EventLoops), so STUN adds no threads of
 * its own, and the channel classes that fit it.
 */
final class StunLoops {

    private StunLoops() {
    }

    static EventLoopGroup group() {
        return EventLoops.shared();
    }

    static Class<? extends DatagramChannel> datagramChannel() {
        return Channels.datagramChannel(group());
    }

    static Class<? extends SocketChannel> socketChannel() {
        return Channels.socketChannel(group());
    }

    static Class<? extends ServerSocketChannel> serverSocketChannel() {
        return Channels.serverChannel(group());
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
