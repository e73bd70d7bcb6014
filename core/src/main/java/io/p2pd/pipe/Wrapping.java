package io.p2pd.pipe;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.net.EventLoops;
import io.p2pd.net.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Pipes around channels that other code opened (hole punching makes its sockets itself). Netty can adopt a
 * java.nio channel only on an NIO event loop, so these pipes run on {@link EventLoops#nio()} unless the opener asks
 * for another NIO loop.
 */
final class Wrapping {

    private Wrapping() {
    }

    static CompletableFuture<Pipe> wrap(Pipes.Opener<?> opener) {
        Channel channel;
        Optional<InetSocketAddress> udpDest;
        EventLoop loop;
        try {
            loop = opener.wrappedLoop();
            if (opener.wrapped() instanceof ServerSocketChannel listener) {
                return listening(opener, loop, listener);
            }
            udpDest = opener.proto() == Proto.UDP ? destination(opener) : Optional.empty();
            channel = adopt(opener);
            configure(channel, opener.socketOptions(loop));
        } catch (IllegalArgumentException e) {
            // A channel in the wrong state or an option it cannot take: a misuse, thrown at once.
            closeIfOwned(opener);
            throw e;
        } catch (IOException e) {
            closeIfOwned(opener);
            return LoopSafeFuture.failed(e);
        }
        CompletableFuture<Pipe> result = new LoopSafeFuture<>();
        channel.config().setAutoRead(false);
        loop.register(channel).addListener(f -> {
            if (!f.isSuccess()) {
                closeIfOwned(opener);
                result.completeExceptionally(new IOException("cannot register " + channel, f.cause()));
                return;
            }
            if (opener.proto() == Proto.UDP) {
                Pipe pipe = opener.newUdpPipe(channel, udpDest);
                if (!result.complete(pipe)) {
                    pipe.closeAsync();
                }
                return;
            }
            HostPort peer = opener.dest().orElseGet(() -> HostPort.of((InetSocketAddress) channel.remoteAddress()));
            opener.upTcp(channel, Optional.of(peer), false).whenComplete((pipe, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                } else if (!result.complete(pipe)) {
                    pipe.closeAsync();
                }
            });
        });
        return result;
    }

    /** A TCP server pipe on a listening socket other code bound. */
    private static CompletableFuture<Pipe> listening(Pipes.Opener<?> opener, EventLoop loop,
            ServerSocketChannel listener) throws IOException {
        if (opener.dest().isPresent()) {
            throw new IllegalArgumentException("a ServerSocketChannel becomes a TCP server pipe: give no destination");
        }
        if (listener.getLocalAddress() == null) {
            throw new IllegalArgumentException("a TCP server pipe wraps a bound ServerSocketChannel; " + listener
                    + " is not bound");
        }
        return opener.listen(loop, new NioServerSocketChannel(listener)).whenComplete((pipe, e) -> {
            if (e != null) {
                closeIfOwned(opener);
            }
        });
    }

    /** The pipe's options apply to a wrapped socket as to one the pipe made; one it cannot take is an error. */
    @SuppressWarnings("unchecked")
    private static void configure(Channel channel, Map<ChannelOption<?>, Object> options) {
        options.forEach((option, value) -> {
            if (!channel.config().setOption((ChannelOption<Object>) option, value)) {
                throw new IllegalArgumentException("option " + option + " cannot be applied to " + channel);
            }
        });
    }

    private static void closeIfOwned(Pipes.Opener<?> opener) {
        if (opener.conf().doClose()) {
            try {
                opener.wrapped().close();
            } catch (IOException ignored) {
                // the open's own error is the one to report
            }
        }
    }

    private static Channel adopt(Pipes.Opener<?> opener) throws IOException {
        // The typed openers take only their transport's channels: TCP a SocketChannel here, UDP a DatagramChannel.
        if (opener.wrapped() instanceof SocketChannel socket) {
            if (!socket.isConnected()) {
                throw new IllegalArgumentException("a TCP pipe wraps a connected SocketChannel; " + socket
                        + " is not connected");
            }
            return new NioSocketChannel(socket);
        }
        DatagramChannel datagram = (DatagramChannel) opener.wrapped();
        if (datagram.getLocalAddress() == null) {
            throw new IllegalArgumentException("a UDP pipe wraps a bound DatagramChannel; " + datagram
                    + " is not bound");
        }
        return new NioDatagramChannel(datagram);
    }

    /** A wrapped UDP pipe's default destination must be an address: there is no lookup step here. */
    private static Optional<InetSocketAddress> destination(Pipes.Opener<?> opener) {
        return opener.dest().map(d -> new InetSocketAddress(d.literal().orElseThrow(() ->
                new IllegalArgumentException("a wrapped UDP pipe needs an IP literal destination, got " + d)),
                d.port()));
    }
}
