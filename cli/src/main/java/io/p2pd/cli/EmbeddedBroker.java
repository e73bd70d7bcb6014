package io.p2pd.cli;

import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An MQTT 3.1.1 broker in this process, for one machine and the demo: Moquette, an existing broker from Maven
 * Central, run on the project's Netty 4.2 (its own Netty 4.1 is excluded by the build). In memory only: no
 * persistence, no files, no telemetry, no websocket or TLS port, anonymous clients allowed, packets up to
 * {@value #MAX_MESSAGE_BYTES} bytes; it is meant for loopback and a LAN, not the Internet.
 *
 * <p>It lives in the CLI, not the node module, so that no library user gets a broker and its dependency; the node's
 * tests run Mosquitto as a separate process instead.
 */
final class EmbeddedBroker implements AutoCloseable {

    static {
        // No library text reaches the user: Moquette logs each start, bind and stop at INFO, a failed bind as an
        // ERROR with a stack trace (the command reports both itself, in one line), and a WARN for every MQTT 5
        // CONNECT it refuses, which our own client sends first. slf4j-simple reads this when Moquette's loggers are
        // made (at class loading), so it is set before; a level the user set on the command line is kept.
        quiet("io.moquette", "off");
    }

    private static final Duration LISTENER_LIMIT = Duration.ofSeconds(10);
    /** The largest MQTT packet a client may send, 256 KiB. */
    static final int MAX_MESSAGE_BYTES = 256 * 1024;

    private final Server server;
    private final InetSocketAddress address;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    private EmbeddedBroker(Server server, InetSocketAddress address) {
        this.server = server;
        this.address = address;
    }

    /**
     * Starts a broker listening on {@code bind} (port 0 for any free port) and returns once it accepts clients.
     *
     * @throws IOException when the address cannot be listened on (in use, not local)
     */
    static EmbeddedBroker start(InetSocketAddress bind) throws IOException {
        if (bind.isUnresolved()) {
            throw new IllegalArgumentException("the broker binds to an IP address, not a name: " + bind);
        }
        Properties p = new Properties();
        p.setProperty("host", bind.getAddress().getHostAddress());
        p.setProperty("port", Integer.toString(bind.getPort()));
        p.setProperty("websocket_port", "disabled");
        p.setProperty("persistence_enabled", "false");
        // Moquette 0.17 otherwise reports to its authors' server, through a public what-is-my-IP service.
        p.setProperty("telemetry_enabled", "false");
        p.setProperty("allow_anonymous", "true");
        // MQTT 3.1.1 lets a clean-session client leave its id to the broker; mosquitto's clients do by default.
        p.setProperty("allow_zero_byte_client_id", "true");
        p.setProperty("netty.epoll", "false");
        // Moquette's default limit is 8092 bytes a message; a signalling message with a peer address (up to 4 KiB)
        // in an encrypted envelope can come near it. Still bounded: a client's unfinished message is held whole.
        p.setProperty("netty.mqtt.message_size", Integer.toString(MAX_MESSAGE_BYTES));
        Server server = new Server();
        try {
            server.startServer(new MemoryConfig(p));
        } catch (RuntimeException e) {
            stopQuietly(server);
            throw new IOException("cannot listen on " + Addresses.show(bind) + ": " + whyNotBound(rootOf(e)), e);
        }
        return new EmbeddedBroker(server, new InetSocketAddress(bind.getAddress(), boundPort(server)));
    }

    /**
     * The port Moquette bound. It records it from a listener on its bind future, which Netty runs later on the
     * server's event loop, so {@link Server#getPort()} right after the start may still say 0 (the port asked).
     * Each event loop runs its tasks in order: once a task has run on every loop of Moquette's acceptor group, that
     * listener has run. The group is a private field of Moquette 0.17 (open to us, as Moquette is an automatic
     * module); EmbeddedBrokerTest fails if a new version moves it.
     */
    private static int boundPort(Server server) {
        try {
            Field acceptorField = Server.class.getDeclaredField("acceptor");
            acceptorField.setAccessible(true);
            Object acceptor = acceptorField.get(server);
            Field bossField = acceptor.getClass().getDeclaredField("bossGroup");
            bossField.setAccessible(true);
            for (EventExecutor loop : (EventLoopGroup) bossField.get(acceptor)) {
                if (!loop.submit(() -> { }).awaitUninterruptibly(LISTENER_LIMIT.toMillis())) {
                    throw new IllegalStateException("the broker's event loop did not answer in " + LISTENER_LIMIT);
                }
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this Moquette version is not the one p2pd embeds (0.17)", e);
        }
        return server.getPort();
    }

    /** The address clients connect to: the bound IP and port (the port chosen when 0 was asked). */
    InetSocketAddress address() {
        return address;
    }

    /** Completes when {@link #close()} has stopped the broker. */
    CompletableFuture<Void> closeFuture() {
        return closed;
    }

    /**
     * Stops the broker: closes the port and every client connection, drops all sessions and messages. Idempotent;
     * returns once stopped (Moquette's event loops take a quiet period of about two seconds to end).
     */
    @Override
    public void close() {
        if (closing.compareAndSet(false, true)) {
            try {
                stopQuietly(server);
            } finally {
                closed.complete(null);
            }
        }
        closed.join();
    }

    private static void stopQuietly(Server server) {
        try {
            server.stopServer();
        } catch (RuntimeException e) {
            // Half-started (a failed bind) or already stopping: nothing left that the caller can act on.
        }
    }

    private static Throwable rootOf(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    /** The JDK's bind failure in the words the core's pipes use; the JDK's own text is not shown. */
    private static String whyNotBound(Throwable root) {
        String message = root.getMessage() == null ? "" : root.getMessage().toLowerCase(Locale.ROOT);
        if (!(root instanceof BindException)) {
            return "the broker did not start (" + root.getClass().getSimpleName() + ")";
        } else if (message.contains("in use")) {
            return "address already in use";
        } else if (message.contains("assign")) {
            return "address not on this machine";
        } else if (message.contains("permission")) {
            return "permission denied (a port below 1024 needs privileges)";
        }
        return "the OS refused it";
    }

    private static void quiet(String logger, String level) {
        String key = "org.slf4j.simpleLogger.log." + logger;
        if (System.getProperty(key) == null) {
            System.setProperty(key, level);
        }
    }
}
