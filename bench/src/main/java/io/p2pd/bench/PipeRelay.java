package io.p2pd.bench;

import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Relays made of pipes: the {@code p2pd forward} command in its own JVM, the same linking in this JVM, and a relay
 * written by hand with a forwarding message handler.
 */
final class PipeRelay {

    private PipeRelay() {
    }

    /** The command-line jar; bench/run.sh builds it with the bench module. */
    private static final Path CLI_JAR = Path.of("cli", "target", "p2pd-cli.jar");

    static boolean cliBuilt() {
        return Files.isRegularFile(CLI_JAR);
    }

    /**
     * {@code p2pd forward 127.0.0.1:PORT SINK}, started as the {@code p2pd} launcher starts it, in a JVM of its own:
     * the relay a user runs. Its JIT warms up in the run's warm-up second, as socat needs none.
     */
    static Side.Open forwardCommand(InetSocketAddress sink) throws Exception {
        int port = Procs.freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = Procs.start(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", CLI_JAR + File.pathSeparator + CLI_JAR.resolveSibling("lib").resolve("*"),
                "io.p2pd.cli.Main", "forward", "127.0.0.1:" + port, "127.0.0.1:" + sink.getPort()));
        return Relay.listening(p, port, 20_000);
    }

    /**
     * A server pipe whose every accepted connection opens a client pipe to the sink on its own event loop and is
     * linked to it both ways: what `p2pd forward` does. Bytes that arrive before the link wait in the connection's
     * catch-all queue and go first once linked.
     */
    static Side.Open link(InetSocketAddress sink) throws Exception {
        Pipe server = Pipes.tcp().bind(PipeSide.LOOPBACK)
                .upHandler(conn -> Pipes.tcp().dest(sink).eventLoopOf(conn).open()
                        .thenAccept(out -> {
                            conn.link(out);
                            out.link(conn);
                            conn.addEndHandler(c -> out.closeAsync());
                            out.addEndHandler(o -> conn.closeAsync());
                        }))
                .open().get(5, TimeUnit.SECONDS);
        return PipeSide.wrap(server);
    }

    /**
     * The relay a user writes without {@code Pipe.link}: each accepted connection opens a client pipe to the sink,
     * and a message handler forwards every chunk. The handler returns the send's future, so the pipe stops reading
     * until the chunk is written: back-pressure, as the spec requires of a relay.
     */
    static Side.Open handlers(InetSocketAddress sink) throws Exception {
        Map<Pipe, CompletableFuture<Pipe>> outs = new ConcurrentHashMap<>();
        Pipe server = Pipes.tcp().bind(PipeSide.LOOPBACK)
                .upHandler(conn -> {
                    CompletableFuture<Pipe> out = Pipes.open(Proto.TCP, sink);
                    outs.put(conn, out);
                    conn.addEndHandler(c -> out.thenAccept(Pipe::closeAsync));
                })
                .msgHandler((msg, conn) -> outs.get(conn).thenCompose(out -> out.send(msg.data())))
                .open().get(5, TimeUnit.SECONDS);
        return PipeSide.wrap(server);
    }
}
