package io.p2pd.internal;

import io.netty.channel.Channel;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.PipeConf;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * Makes the library's UDP pipe over a datagram channel of another package's making: how io.p2pd.turn turns a TURN
 * allocation (a channel whose reads and writes go through the relay) into a pipe that behaves like every other UDP
 * pipe, without a public way to hand a pipe any Netty channel. {@link io.p2pd.pipe.Pipes} registers the one
 * implementation when it is loaded.
 */
public final class UdpPipeFactory {

    /** Builds the pipe; called on {@code channel}'s event loop, with the channel registered and active. */
    @FunctionalInterface
    public interface Maker {
        Pipe over(Channel channel, PipeConf conf, Optional<InetSocketAddress> defaultDest);
    }

    private static volatile Maker maker;

    private UdpPipeFactory() {
    }

    /** Set once, by io.p2pd.pipe. */
    public static void register(Maker m) {
        maker = m;
    }

    /**
     * A UDP pipe reading and writing {@code DatagramPacket}s on {@code channel}; with a default destination it is a
     * client pipe (send(data), request and links go there), without one a server-style pipe.
     */
    public static Pipe over(Channel channel, PipeConf conf, Optional<InetSocketAddress> defaultDest) {
        if (maker == null) {
            try {
                Class.forName("io.p2pd.pipe.Pipes", true, UdpPipeFactory.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("io.p2pd.pipe is missing", e);
            }
        }
        return maker.over(channel, conf, defaultDest);
    }
}
