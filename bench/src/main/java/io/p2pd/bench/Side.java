package io.p2pd.bench;

import java.net.InetSocketAddress;

/**
 * One side of a comparison: the same echo servers and clients written once with pipes and once with raw Netty.
 * Both run on the library's shared epoll group ({@link io.p2pd.net.EventLoops#shared()}), so threads and transport
 * are the same and only the code on top differs.
 */
interface Side {

    /** Something listening or connected, to close after a run. */
    interface Open extends AutoCloseable {
        InetSocketAddress address();

        @Override
        void close();
    }

    String name();

    /** A TCP server on 127.0.0.1 that writes back what it reads. */
    Open tcpEchoServer() throws Exception;

    /**
     * A UDP server on 127.0.0.1 that sends every datagram back to its sender; {@code regexSubs} extra subscriptions
     * that never match are checked for every datagram (pipes only: raw Netty has no such thing, it gets none).
     */
    Open udpEchoServer(int regexSubs) throws Exception;

    /** A TCP client of {@code server} driving {@code flow}; started before it returns. */
    Open tcpClient(InetSocketAddress server, EchoFlow flow) throws Exception;

    /** A UDP client of {@code server} driving {@code flow}; started before it returns. */
    Open udpClient(InetSocketAddress server, EchoFlow flow) throws Exception;

    /** Pipes with in-place handlers, pipes with {@code Message} handlers, raw Netty. */
    static Side[] all() {
        return new Side[] {new PipeSide(true), new PipeSide(false), new NettySide()};
    }
}
