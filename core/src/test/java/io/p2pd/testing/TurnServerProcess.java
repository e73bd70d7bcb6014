package io.p2pd.testing;

import io.p2pd.turn.Coturn;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * The core tests' coturn runner ({@code io.p2pd.turn.Coturn}: long-term credentials, loopback peers allowed) for the
 * node module's tests, which cannot see the core module's {@code io.p2pd.turn} test classes when compiled against
 * the module.
 */
public final class TurnServerProcess implements AutoCloseable {
    /** The user name it accepts. */
    public static final String USER = Coturn.USER;
    /** That user's password. */
    public static final String PASSWORD = Coturn.PASSWORD;

    private final Coturn coturn;

    private TurnServerProcess(Coturn coturn) {
        this.coturn = coturn;
    }

    /** Whether turnserver is installed. */
    public static boolean installed() {
        return Coturn.installed();
    }

    /** A TURN server on 127.0.0.1 with its files in {@code dir}, and {@code extra} options. */
    public static TurnServerProcess start(Path dir, String... extra) throws Exception {
        return new TurnServerProcess(Coturn.start(dir, extra));
    }

    /** Where it listens (UDP and TCP). */
    public InetSocketAddress address() {
        return coturn.address();
    }

    /** Its log so far. */
    public String log() throws java.io.IOException {
        return coturn.log();
    }

    @Override
    public void close() {
        coturn.close();
    }
}
