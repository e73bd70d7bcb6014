package io.p2pd.cli;

import io.p2pd.internal.Json;
import io.p2pd.net.HostPort;
import io.p2pd.nic.Family;
import io.p2pd.pipe.Message;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.RecvTimeoutException;
import io.p2pd.pipe.Tls;
import io.p2pd.turn.TurnAllocation;
import io.p2pd.turn.TurnClient;
import io.p2pd.turn.TurnConfig;
import io.p2pd.turn.TurnTcpAllocation;
import io.p2pd.turn.TurnTransport;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A UDP relay on a TURN server (RFC 8656) used like {@code connect --proto udp}, or with {@code --tcp} a TCP relay
 * (RFC 6062) used like {@code connect}: standard input goes to the peer through the relay, what the peer sends goes
 * to standard output. The password comes from the environment, never from the command line, where {@code ps} would
 * show it. Over UDP the peer is permitted at once, so it may send first; the command ends once standard input ended
 * and {@code --linger} passed with nothing received, or with exit 1 when the allocation is lost (a TCP or TLS control
 * connection ended).
 */
@Command(name = "turn", mixinStandardHelpOptions = true,
        description = {"Allocate a relay on a TURN server (UDP, or TCP with --tcp) and talk to PEER_HOST PEER_PORT "
                + "through it: stdin to the peer, the peer to stdout. Prints 'relayed address: IP:PORT' on stderr.",
            "The password is read from the environment variable " + TurnCommand.PASSWORD_VARIABLE + "."})
final class TurnCommand implements Callable<Integer> {

    static final String PASSWORD_VARIABLE = "P2PD_TURN_PASSWORD";
    private static final int CHUNK = 1400;
    /**
     * With --tcp, how long a data connection's end waits for the allocation to say whether it was lost: the server
     * dying closes the data and the control connection at once, and the data connection's end alone looks like the
     * peer closing.
     */
    private static final Duration SETTLE = Duration.ofMillis(500);

    @Spec
    CommandSpec spec;

    @Option(names = "--server", required = true, paramLabel = "HOST[:PORT]",
            description = "the TURN server (port 3478 by default; 5349 is TLS's usual port)")
    String server;

    @Option(names = "--user", required = true, paramLabel = "NAME", description = "the long-term credentials' user "
            + "name (the password is in $" + PASSWORD_VARIABLE + ")")
    String user;

    @Option(names = "--transport", paramLabel = "udp|tcp|tls",
            description = "how to reach the server (--control is the older name); the relay to the peer is UDP, "
                    + "or TCP with --tcp (default: udp, tcp with --tcp; --tcp takes tcp or tls only)")
    String transport;

    /** The older name of --transport, kept working but not shown (the synopsis showed it instead of --transport). */
    @Option(names = "--control", hidden = true, paramLabel = "udp|tcp|tls")
    String control;

    @Option(names = "--trust", paramLabel = "PEM",
            description = "with --transport tls: trust only the certificates in this PEM file (default: the "
                    + "system's trust store)")
    Path trust;

    @Option(names = "--tcp", description = "a TCP relay (RFC 6062): connect to the peer's TCP port through the server "
            + "(over a TCP control connection unless tls is chosen); after stdin ends, keep the connection open for "
            + "the peer's answer and end when the peer closes")
    boolean tcpRelay;

    @Option(names = "--half-close", description = "with --tcp: half-close the connection when stdin ends (coturn then "
            + "resets the peer's connection, so what the peer answers after that is lost)")
    boolean halfClose;

    @Option(names = "--linger", defaultValue = "1", paramLabel = "SECONDS",
            description = "after stdin ends, end once this long passed with nothing received (default: "
                    + "${DEFAULT-VALUE})")
    BigDecimal linger;

    @Option(names = "--timeout-ms", defaultValue = "5000",
            description = "time limit of each request to the server (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = "--json", description = "print the allocation as one JSON object, the first line on stdout")
    boolean json;

    @Parameters(index = "0", paramLabel = "PEER_HOST", description = "the peer's host name or IP")
    String peerHost;

    @Parameters(index = "1", paramLabel = "PEER_PORT", description = "the peer's UDP port (TCP port with --tcp)")
    String peerPort;

    @Override
    public Integer call() throws Exception {
        return Main.jsonOnFailure(spec.commandLine(), json, this::relay);
    }

    private int relay() throws IOException {
        TurnConfig config = config();
        InetSocketAddress turn = Addresses.resolve(Addresses.hostPort(spec, server, 3478));
        InetSocketAddress peer = config.peer().orElseThrow();
        if (tcpRelay) {
            return relayTcp(config, turn, peer);
        }
        PrintStream out = System.out;
        Semaphore received = new Semaphore(0);
        try (TurnAllocation a = TurnClient.allocate(turn, config).join()) {
            Thread hook = new Thread(a::close);
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                return relay(a, config, peer, out, received);
            } finally {
                removeShutdownHook(hook);
            }
        }
    }

    /** Ended normally: the allocation is closed by the caller, the hook would only close it again at exit. */
    private static void removeShutdownHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting (a signal): the hook runs
        }
    }

    private int relay(TurnAllocation a, TurnConfig config, InetSocketAddress peer, PrintStream out,
            Semaphore received)
            throws IOException {
        // The handler first: nothing the peer sends may land in the pipe's queue before it is there. The JSON
        // line goes out before the permission, so no datagram can come before it.
        Pipe pipe = a.pipe();
        pipe.addMsgHandler(MsgHandler.plain((msg, p) -> {
            if (msg.sender().equals(peer)) {
                out.write(msg.data());
                out.flush();
                received.release();
            }
        }));
        if (json) {
            out.println(Json.write(JsonFields.of(
                    "relayed", Addresses.show(a.relayedAddress()),
                    "mapped", a.mappedAddress().map(Addresses::show).orElse(null),
                    "lifetime", a.lifetime().toSeconds(),
                    "serverSoftware", a.serverSoftware().orElse(null),
                    "server", Addresses.show(a.serverAddress()),
                    "control", config.transport().name().toLowerCase(Locale.ROOT),
                    "peer", Addresses.show(peer))));
            out.flush();
        }
        // The peer may send first: permit it before telling anyone the relayed address, as coturn drops what a
        // peer sends before its permission is installed.
        a.permit(peer).join();
        System.err.println("relayed address: " + Addresses.show(a.relayedAddress()));
        System.err.flush();
        if (sendAll(System.in, pipe) && lingerUntilQuiet(pipe, received)) {
            return 0;
        }
        throw new IllegalStateException(a.failure().map(Main::describe)
                .orElse("the relayed pipe closed"));
    }

    private TurnConfig config() {
        if (transport != null && control != null && !transport.equalsIgnoreCase(control)) {
            throw new ParameterException(spec.commandLine(), "--transport " + transport + " and --control " + control
                    + " disagree (--control is the older name of --transport): give one");
        }
        String given = transport != null ? transport : control;
        // RFC 6062 relays have TCP or TLS control connections only: TCP unless told otherwise.
        String name = given != null ? given : tcpRelay ? "tcp" : "udp";
        TurnTransport chosen = switch (name.toLowerCase(Locale.ROOT)) {
            case "udp" -> TurnTransport.UDP;
            case "tcp" -> TurnTransport.TCP;
            case "tls" -> TurnTransport.TLS;
            default -> throw new ParameterException(spec.commandLine(), "bad --transport '" + name
                    + "', give udp, tcp or tls");
        };
        if (tcpRelay && chosen == TurnTransport.UDP) {
            throw new ParameterException(spec.commandLine(), "--tcp needs --transport tcp or tls: a TCP relay (RFC "
                    + "6062) is reached over a TCP or TLS connection to the server, not UDP");
        }
        if (halfClose && !tcpRelay) {
            throw new ParameterException(spec.commandLine(), "--half-close needs --tcp");
        }
        if (trust != null && chosen != TurnTransport.TLS) {
            throw new ParameterException(spec.commandLine(), "--trust needs --transport tls");
        }
        if (linger.signum() < 0) {
            throw new ParameterException(spec.commandLine(), "bad --linger " + linger + ", give 0 or more seconds");
        }
        if (timeoutMs <= 0) {
            throw new ParameterException(spec.commandLine(), "bad --timeout-ms " + timeoutMs + ", give more than 0");
        }
        String password = System.getenv(PASSWORD_VARIABLE);
        if (password == null) {
            throw new ParameterException(spec.commandLine(), "--user needs the password in the environment "
                    + "variable " + PASSWORD_VARIABLE);
        }
        InetSocketAddress peer = Addresses.resolve(new HostPort(peerHost, Addresses.port(spec, peerPort)));
        TurnConfig.Builder b;
        try {
            b = TurnConfig.builder(user, password);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--user: " + e.getMessage());
        }
        b.transport(chosen).peer(peer).timeLimit(Duration.ofMillis(timeoutMs))
                .family(peer.getAddress() instanceof Inet6Address ? Family.V6 : Family.V4);
        if (trust != null) {
            b.tls(Tls.trusting(certificates(trust)));
        }
        return b.build();
    }

    /**
     * {@code --tcp}: a TCP relay (RFC 6062) used like {@code connect}: stdin to the peer, the peer to stdout; ends
     * when the peer's connection ends, with exit 1 when the allocation was lost. The end of stdin leaves the
     * connection open for the peer's answer (coturn answers a half-close by resetting the peer's connection, which
     * loses that answer); with {@code --half-close} it half-closes (a TLS connection has no half-close: it stays open).
     */
    private int relayTcp(TurnConfig config, InetSocketAddress turn, InetSocketAddress peer) {
        try (TurnTcpAllocation relay = TurnClient.allocateTcp(turn, config).join()) {
            Thread hook = new Thread(relay::close);
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                return relayTcp(relay, config, peer);
            } finally {
                removeShutdownHook(hook);
            }
        }
    }

    private int relayTcp(TurnTcpAllocation relay, TurnConfig config, InetSocketAddress peer) {
        PrintStream out = System.out;
        System.err.println("relayed address: " + Addresses.show(relay.relayedAddress()));
        System.err.flush();
        if (json) {
            out.println(Json.write(JsonFields.of(
                    "relayed", Addresses.show(relay.relayedAddress()),
                    "mapped", relay.mappedAddress().map(Addresses::show).orElse(null),
                    "lifetime", relay.lifetime().toSeconds(),
                    "serverSoftware", relay.serverSoftware().orElse(null),
                    "server", Addresses.show(relay.serverAddress()),
                    "relay", "tcp",
                    "peer", Addresses.show(peer))));
            out.flush();
        }
        Pipe pipe = relay.connect(peer).join();
        boolean shutdownOutput = halfClose && config.transport() == TurnTransport.TCP;
        // Stdin is read aside, so the peer closing ends the command even while stdin stays open.
        Thread.ofPlatform().daemon().name("p2pd-stdin").start(() -> {
            if (ConnectCommand.pump(System.in, pipe, 16 * 1024) && shutdownOutput) {
                pipe.shutdownOutput();
            }
        });
        // Read in order from the pipe's queue, which holds what the peer sent before anyone read.
        while (true) {
            Message m;
            try {
                m = pipe.recv(Duration.ofDays(1)).join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof RecvTimeoutException) {
                    continue;
                }
                break; // the pipe closed: the peer's connection ended
            }
            out.write(m.data(), 0, m.data().length);
            out.flush();
        }
        Optional<Throwable> lost = settled(relay);
        if (lost.isPresent()) {
            throw new IllegalStateException(Main.describe(lost.get()));
        }
        return 0;
    }

    /**
     * The allocation's failure, once it had {@link #SETTLE} to notice one: the data connection ends first as often as
     * not when the server dies, and its end alone says nothing about why.
     */
    private static Optional<Throwable> settled(TurnTcpAllocation relay) {
        try {
            relay.closeFuture().get(SETTLE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException stillOpen) {
            return Optional.empty(); // the allocation lives: the peer closed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // the allocation's end never fails: its failure() says why it ended
        }
        return relay.failure();
    }

    private X509Certificate[] certificates(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            X509Certificate[] all = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
            if (all.length == 0) {
                throw new CertificateException("no certificate in it");
            }
            return all;
        } catch (IOException | CertificateException e) {
            throw new ParameterException(spec.commandLine(), "--trust " + pem + ": " + Main.describe(e));
        }
    }

    /**
     * Sends stdin to the peer in datagrams of at most CHUNK bytes until it ends (true) or the pipe closed (false: the
     * allocation's failure, not the failed send, says why).
     */
    private static boolean sendAll(InputStream in, Pipe pipe) throws IOException {
        byte[] buffer = new byte[CHUNK];
        int n;
        try {
            while ((n = in.read(buffer)) >= 0) {
                if (!pipe.isOpen()) {
                    return false;
                }
                if (n > 0) {
                    pipe.send(Arrays.copyOf(buffer, n)).join();
                }
            }
        } catch (CompletionException e) {
            if (pipe.isOpen()) {
                throw e;
            }
            return false;
        }
        return pipe.isOpen();
    }

    /** Waits until a whole linger passed with nothing received (true), or the pipe closed (false). */
    private boolean lingerUntilQuiet(Pipe pipe, Semaphore received) {
        long millis = linger.movePointRight(3).longValue();
        received.drainPermits();
        try {
            while (received.tryAcquire(millis, TimeUnit.MILLISECONDS)) {
                received.drainPermits();
                if (!pipe.isOpen()) {
                    return false;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return pipe.isOpen();
    }
}
