package io.p2pd.pipe;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.p2pd.net.EventLoops;
import io.p2pd.net.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Pipes around channels that other code opened (hole punching makes its sockets itself). Netty can adopt a
 * java.nio channel only on an NIO event loop, so these pipes run on {@link EventLoops#nio()}.
 */
final class Wrapping {

    private Wrapping() {
    }

    static CompletableFuture<Pipe> wrap(Pipes.Opener opener) {
        try {
            Channel channel = adopt(opener);
            EventLoop loop = EventLoops.nio().next();
            CompletableFuture<Pipe> result = new CompletableFuture<>();
            channel.config().setAutoRead(false);
            loop.register(channel).addListener(f -> {
                if (!f.isSuccess()) {
                    result.completeExceptionally(new IOException("cannot register " + channel, f.cause()));
                    return;
                }
                if (opener.proto() == Proto.UDP) {
                    result.complete(opener.newUdpPipe(channel, destination(opener)));
                    return;
                }
                HostPort peer = opener.dest().orElseGet(() -> HostPort.of((InetSocketAddress) channel.remoteAddress()));
                opener.upTcp(channel, Optional.of(peer)).whenComplete((pipe, e) -> {
                    if (e == null) {
                        result.complete(pipe);
                    } else {
                        result.completeExceptionally(e);
                    }
                });
            });
            return result;
        } catch (IOException | IllegalArgumentException e) {
            if (opener.conf().doClose()) {
                try {
                    opener.wrapped().close();
                } catch (IOException ignored) {
                    // the open's own error is the one to report
                }
            }
            return CompletableFuture.failedFuture(e);
        }
    }

    private static Channel adopt(Pipes.Opener opener) throws IOException {
        if (opener.proto() == Proto.TCP) {
            if (!(opener.wrapped() instanceof SocketChannel socket)) {
                throw new IllegalArgumentException("a TCP pipe wraps a java.nio.channels.SocketChannel, got "
                        + opener.wrapped().getClass().getName());
            }
            if (!socket.isConnected()) {
                throw new IllegalArgumentException("a TCP pipe wraps a connected SocketChannel; " + socket
                        + " is not connected");
            }
            return new NioSocketChannel(socket);
        }
        if (!(opener.wrapped() instanceof DatagramChannel datagram)) {
            throw new IllegalArgumentException("a UDP pipe wraps a java.nio.channels.DatagramChannel, got "
                    + opener.wrapped().getClass().getName());
        }
        if (datagram.getLocalAddress() == null) {
            throw new IllegalArgumentException("a UDP pipe wraps a bound DatagramChannel; " + datagram
                    + " is not bound");
        }
        return new NioDatagramChannel(datagram);
    }

    /** A wrapped UDP pipe's default destination must be an address: there is no lookup step here. */
    private static Optional<InetSocketAddress> destination(Pipes.Opener opener) {
        return opener.dest().map(d -> new InetSocketAddress(d.literal().orElseThrow(() ->
                new IllegalArgumentException("a wrapped UDP pipe needs an IP literal destination, got " + d)),
                d.port()));
    }
}
