package io.p2pd.stun;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * The thin seam between the STUN client and whatever moves datagrams: the project's UDP pipe
 * ({@link PipeDatagramTransport}), or a hand-driven fake in tests. It must not be connected: one socket sends to several servers and takes replies from any source (change-IP answers
 * come from another address).
 */
interface DatagramTransport extends AutoCloseable {

    /** Receives each datagram (a private copy of its bytes) with its sender. */
    @FunctionalInterface
    interface Receiver {
        void onDatagram(byte[] data, InetSocketAddress sender);
    }

    /** The bound local address. */
    InetSocketAddress localAddress();

    /** Sends one datagram; fails with the I/O error of the transport. */
    CompletableFuture<Void> send(byte[] data, InetSocketAddress to);

    /** Runs {@code task} once after {@code delay}; cancel the returned future to stop it. */
    Future<?> schedule(Runnable task, Duration delay);

    /** Idempotent. */
    @Override
    void close();
}
