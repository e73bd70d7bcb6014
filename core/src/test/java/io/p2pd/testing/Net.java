package io.p2pd.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/** Small socket facts tests need. */
public final class Net {

    private Net() {
    }

    /**
     * A socket bound to an ephemeral loopback port that does not listen: connecting to its address is refused, and
     * while it stays open no other socket takes the port.
     */
    public static Socket boundNotListening() {
        try {
            Socket socket = new Socket();
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The sockets this JVM holds open, from /proc/self/fd: sockets only, since the JVM opens other descriptors (a jar
     * read for its first class, a log file) whenever it likes.
     */
    public static long openSockets() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                } catch (IOException gone) { // the descriptor of the listing itself, or one closed meanwhile
                    return false;
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The open sockets once they are at most {@code limit}, or the count when {@code within} has passed: a channel's
     * descriptor is released on its event loop a moment after its close future completes, and nothing tells when.
     */
    public static long openSocketsSettled(long limit, Duration within) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        long n = openSockets();
        while (n > limit && System.nanoTime() < end) {
            Thread.sleep(10); // bounded poll of a count no event announces
            n = openSockets();
        }
        return n;
    }
}
