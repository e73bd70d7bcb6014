package io.p2pd.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;

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
}
