package io.p2pd.internal;

import io.netty.channel.ChannelHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import java.util.concurrent.CompletableFuture;

/**
 * Opens a TCP client pipe with a handler of another package's making between TLS and the framing: how io.p2pd.turn
 * answers an RFC 6062 ConnectionBind on a data connection before the pipe sees a byte, then hands the rest of the
 * stream (including user bytes that came in the same read as the answer) to the pipe. {@link Pipes} registers the
 * one implementation when it is loaded.
 */
public final class TcpPipeFactory {

    /** Opens {@code opener}'s client pipe with {@code first} in its channel pipeline before the framing. */
    @FunctionalInterface
    public interface Maker {
        CompletableFuture<Pipe> open(Pipes.TcpOpener opener, ChannelHandler first);
    }

    private static volatile Maker maker;

    private TcpPipeFactory() {
    }

    /** Set once, by io.p2pd.pipe. */
    public static void register(Maker m) {
        maker = m;
    }

    /** The pipe {@code opener} opens, with {@code first} seeing its inbound stream first (after TLS). */
    public static CompletableFuture<Pipe> open(Pipes.TcpOpener opener, ChannelHandler first) {
        if (maker == null) {
            try {
                Class.forName("io.p2pd.pipe.Pipes", true, TcpPipeFactory.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("io.p2pd.pipe is missing", e);
            }
        }
        return maker.open(opener, first);
    }
}
