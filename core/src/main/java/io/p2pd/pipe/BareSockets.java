package io.p2pd.pipe;

import io.p2pd.internal.LoopSafeFuture;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The original's {@code sock_only}: the socket a pipe would have used, opened with the same options and the same
 * errors, but handed over bare (java.nio, blocking mode) for code that does its own I/O. Connecting blocks, so it runs
 * on a virtual thread, never on an event loop.
 */
final class BareSockets {

    private BareSockets() {
    }

    static CompletableFuture<NetworkChannel> open(Pipes.Opener<?> opener, Optional<InetSocketAddress> remote,
            InetSocketAddress bind) {
        CompletableFuture<NetworkChannel> result = new LoopSafeFuture<>();
        PipeConf conf = opener.conf();
        Thread.ofVirtual().name("p2pd-bare-socket").start(() -> {
            try {
                result.complete(opener.proto() == Proto.UDP ? udp(conf, opener.broadcast, bind) : remote.isPresent()
                        ? tcpClient(conf, opener.tcp, remote.get(), bind) : tcpServer(conf, bind));
            } catch (IOException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private static SocketChannel tcpClient(PipeConf conf, TcpOptions tcp, InetSocketAddress remote,
            InetSocketAddress bind)
            throws IOException {
        return prepared(SocketChannel.open(remote.getAddress() instanceof java.net.Inet6Address
                ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET), ch -> {
            common(ch, conf);
            tcp.linger().ifPresent(l -> set(ch, StandardSocketOptions.SO_LINGER, (int) l.toSeconds()));
            if (bind != null) {
                bindOrExplain(ch, bind, Proto.TCP);
            }
            try {
                ch.socket().connect(remote, (int) Math.min(Integer.MAX_VALUE, tcp.conTimeout().toMillis()));
            } catch (SocketTimeoutException e) {
                throw new ConnectTimeoutException("connect to " + Errors.show(remote) + " timed out after "
                        + tcp.conTimeout().toMillis() + " ms");
            } catch (ConnectException e) {
                throw Errors.refused(remote, e);
            }
        });
    }

    private static ServerSocketChannel tcpServer(PipeConf conf, InetSocketAddress bind) throws IOException {
        return prepared(ServerSocketChannel.open(), ch -> {
            common(ch, conf);
            bindOrExplain(ch, orWildcard(bind), Proto.TCP);
        });
    }

    private static DatagramChannel udp(PipeConf conf, boolean broadcast, InetSocketAddress bind)
            throws IOException {
        return prepared(DatagramChannel.open(), ch -> {
            common(ch, conf);
            if (broadcast) {
                ch.setOption(StandardSocketOptions.SO_BROADCAST, true);
            }
            bindOrExplain(ch, orWildcard(bind), Proto.UDP);
        });
    }

    /** Sets a new channel up, closing it when that fails: a failed open leaves no socket behind. */
    private static <T extends NetworkChannel> T prepared(T ch, Setup<T> setup) throws IOException {
        try {
            setup.apply(ch);
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @FunctionalInterface
    private interface Setup<T> {
        void apply(T channel) throws IOException;
    }

    private static InetSocketAddress orWildcard(InetSocketAddress bind) {
        return bind == null ? new InetSocketAddress("0.0.0.0", 0) : bind;
    }

    private static void common(NetworkChannel ch, PipeConf conf) throws IOException {
        if (conf.reuseAddr()) {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (ch.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
        }
    }

    private static void bindOrExplain(NetworkChannel ch, InetSocketAddress local, Proto proto) throws IOException {
        try {
            ch.bind(local);
        } catch (BindException e) {
            throw (BindException) Errors.bind(e, proto, local);
        }
    }

    private static <T> void set(NetworkChannel ch, java.net.SocketOption<T> option, T value) {
        try {
            ch.setOption(option, value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot set " + option + ": " + e.getMessage(), e);
        }
    }
}
