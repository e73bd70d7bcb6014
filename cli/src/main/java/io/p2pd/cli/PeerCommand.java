package io.p2pd.cli;

import io.p2pd.internal.Json;
import io.p2pd.node.Node;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerAddressException;
import io.p2pd.node.connect.ConnectException;
import io.p2pd.node.connect.ConnectOptions;
import io.p2pd.node.connect.ConnectReport;
import io.p2pd.node.connect.PeerConnection;
import io.p2pd.node.connect.Strategy;
import io.p2pd.pipe.Message;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.RecvTimeoutException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code p2pd peer listen} and {@code p2pd peer connect}: a node that takes connections from peers, and a node that
 * connects to one, each bridging the connection to standard input and output.
 */
@Command(name = "peer", mixinStandardHelpOptions = true,
        description = "Connect two nodes: 'peer listen' prints its address and serves, 'peer connect ADDRESS' "
                + "connects to it; both bridge the connection to standard input and output.",
        subcommands = {PeerCommand.Listen.class, PeerCommand.Connect.class})
final class PeerCommand {
    /** How long closing the node may take at exit. */
    static final Duration CLOSE_LIMIT = Duration.ofSeconds(5);
    /** A recv's wait: long, as a bridge waits for the peer however long it is quiet (it ends when the pipe ends). */
    private static final Duration QUIET = Duration.ofHours(1);
    /**
     * On a relayed connection, which cannot half-close: how long the peer must be quiet, once standard input went out,
     * before the bridge takes its answer as complete and ends.
     */
    static final Duration RELAY_LINGER = Duration.ofSeconds(2);
    private static final Duration POLL = Duration.ofMillis(200);

    private PeerCommand() {
    }

    /** Serves connections from peers. */
    @Command(name = "listen", mixinStandardHelpOptions = true,
            description = {"Run a node that takes connections from peers: its address is the first line of output.",
                "With --echo every connection is echoed until the peer ends it; otherwise the first connection "
                    + "is bridged to standard input and output, and the command ends when the peer closes it "
                    + "(exit 1 when the connection failed instead, a reset: what was under way may be lost). "
                    + "Through a TURN relay the end of standard input is not passed on (the relay would reset "
                    + "the connection and lose what it still holds): the peer must close."})
    static final class Listen implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        NodeOptions node;

        @Option(names = "--echo", description = "echo every connection instead of bridging the first one")
        boolean echo;

        @Option(names = "--quiet", description = "no progress lines")
        boolean quiet;

        @Override
        public Integer call() throws Exception {
            PrintWriter err = spec.commandLine().getErr();
            Node.Builder builder = node.builder(spec).progress(line -> note(err, quiet, line));
            if (echo) {
                builder.connectionHandler(c -> {
                    note(err, quiet, "echoing " + describe(c));
                    echo(c.pipe()).ifPresent(problem -> note(err, false, problem)); // shown even when quiet
                    note(err, quiet, "connection from " + c.peer().value() + " ended");
                });
            }
            Node n = builder.start().join();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> close(n, err, quiet), "p2pd-peer-close"));
            PrintWriter out = spec.commandLine().getOut();
            out.println(n.address());
            out.flush();
            if (echo) {
                note(err, quiet, "echoing every connection until interrupted (Ctrl-C, SIGTERM)");
                parkUntilSignal(); // the shutdown hook closes the node
                return 0;
            }
            note(err, quiet, "waiting for a peer to connect");
            PeerConnection c = n.accept().join();
            note(err, quiet, "bridging " + describe(c));
            Optional<String> failed = bridge(c.pipe(), System.in, System.out, c.strategy() != Strategy.RELAY);
            failed.ifPresent(problem -> note(err, false, problem)); // shown even when quiet
            close(n, err, quiet);
            return failed.isPresent() ? 1 : 0;
        }
    }

    /** Connects to a peer. */
    @Command(name = "connect", mixinStandardHelpOptions = true,
            description = {"Connect to the node at ADDRESS (as 'p2pd peer listen' or 'p2pd node' prints it) and "
                + "bridge the connection to standard input and output: when standard input ends the connection "
                + "half-closes, and the command ends when the peer closes it (exit 1 when the connection failed "
                + "instead, a reset: what was under way may be lost). Through a TURN relay (strategy relay) the "
                + "connection does not half-close, as the relay would reset it and lose what it still holds: the "
                + "command ends when the peer closes, or once the peer has been quiet for 2 s after standard input "
                + "went out.",
                "What each strategy did goes to standard error (with --json, as one JSON object line whose "
                    + "'strategy' field names the winner: direct, reverse, punch or relay)."})
    static final class Connect implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        NodeOptions node;

        @Parameters(index = "0", paramLabel = "ADDRESS", description = "the peer's address")
        String address;

        @Option(names = "--strategies", paramLabel = "NAME[,...]",
                description = "strategies to race: direct, reverse, punch, relay (default: every one the node can "
                        + "use: reverse needs --broker; punch needs --broker and --stun, on both peers: without "
                        + "--stun the NAT is not measured and punching is skipped or refused; relay needs --turn and "
                        + "a broker)")
        String strategies;

        @Option(names = "--punch-delay-ms", defaultValue = "250",
                description = "when punching starts (default: ${DEFAULT-VALUE})")
        long punchDelayMs;

        @Option(names = "--relay-delay-ms", defaultValue = "2000",
                description = "when the relay is used unless all else failed before (default: ${DEFAULT-VALUE})")
        long relayDelayMs;

        @Option(names = "--deadline-ms", defaultValue = "10000",
                description = "how long connecting may take (default: ${DEFAULT-VALUE})")
        long deadlineMs;

        @Option(names = "--json", description = "the report as one JSON object line on standard error")
        boolean json;

        @Option(names = "--quiet", description = "no progress lines")
        boolean quiet;

        @Override
        public Integer call() throws Exception {
            PeerAddress peer;
            try {
                peer = PeerAddress.parse(address.strip());
            } catch (PeerAddressException e) {
                throw new ParameterException(spec.commandLine(), "ADDRESS: " + e.getMessage());
            }
            List<Strategy> named = strategies == null ? List.of() : strategies(spec, strategies);
            if (deadlineMs <= 0) {
                throw new ParameterException(spec.commandLine(), "--deadline-ms must be positive");
            }
            if (punchDelayMs < 0 || relayDelayMs < 0) {
                throw new ParameterException(spec.commandLine(), "--punch-delay-ms and --relay-delay-ms must not be "
                        + "negative");
            }
            PrintWriter err = spec.commandLine().getErr();
            Node n = node.builder(spec).progress(line -> note(err, quiet, line)).start().join();
            try {
                List<Strategy> chosen = named.isEmpty() ? List.copyOf(n.strategies()) : named;
                List<String> missing = chosen.stream().filter(s -> !n.strategies().contains(s))
                        .map(Strategy::label).toList();
                if (!missing.isEmpty()) {
                    throw new ParameterException(spec.commandLine(), "--strategies: " + String.join(", ", missing)
                            + (missing.size() == 1 ? " is" : " are") + " not available"
                            + (chosen.contains(Strategy.REVERSE) && missing.contains("reverse")
                                    ? " (reverse needs --broker)" : "")
                            + (missing.contains("relay") ? " (relay needs --turn, --user and --broker)" : "")
                            + (missing.contains("punch")
                                    ? " (punch needs --broker, and --stun to measure the NAT)" : ""));
                }
                PeerConnection c;
                try {
                    c = n.connect(peer, new ConnectOptions(java.util.EnumSet.copyOf(chosen),
                            Duration.ofMillis(deadlineMs), Duration.ofMillis(punchDelayMs),
                            Duration.ofMillis(relayDelayMs))).join();
                } catch (CompletionException e) {
                    if (e.getCause() instanceof ConnectException failed) {
                        report(err, failed.report(), peer, null);
                        throw new IllegalStateException(failed.getMessage(), failed);
                    }
                    throw e;
                }
                report(err, c.report(), peer, c);
                Runtime.getRuntime().addShutdownHook(new Thread(c.pipe()::close, "p2pd-peer-close"));
                Optional<String> failed = bridge(c.pipe(), System.in, System.out, c.strategy() != Strategy.RELAY);
                failed.ifPresent(problem -> note(err, false, problem)); // shown even when quiet
                return failed.isPresent() ? 1 : 0;
            } finally {
                close(n, err, quiet);
            }
        }

        private void report(PrintWriter err, ConnectReport r, PeerAddress to, PeerConnection c) {
            synchronized (err) {
                if (json) {
                    Map<String, Object> failures = new LinkedHashMap<>();
                    r.failures().forEach((s, e) -> failures.put(s.label(), Main.describe(e)));
                    err.println(Json.write(JsonFields.of(
                            "strategy", r.winner().map(Strategy::label).orElse(null),
                            "peer", c == null ? to.nodeId().value() : c.peer().value(),
                            "tookMs", r.took().toMillis(),
                            "local", c == null ? null : Addresses.show(c.pipe().localAddress()),
                            "remote", c == null ? null : c.pipe().remoteAddress().map(Addresses::show).orElse(null),
                            "failures", failures)));
                } else {
                    err.println("  .. " + r.summary());
                    if (c != null) {
                        err.println("  .. connected to " + describe(c));
                    }
                }
                err.flush();
            }
        }
    }

    /** The strategies named, in order, without repeats. */
    static List<Strategy> strategies(CommandSpec spec, String text) {
        List<Strategy> out = new ArrayList<>();
        for (String name : Addresses.list(text)) {
            Strategy s;
            try {
                s = Strategy.ofLabel(name);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--strategies: " + e.getMessage());
            }
            if (!out.contains(s)) {
                out.add(s);
            }
        }
        if (out.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--strategies: name at least one");
        }
        return out;
    }

    static String describe(PeerConnection c) {
        return "node " + c.peer().value() + " (" + c.strategy().label() + ", "
                + c.pipe().remoteAddress().map(Addresses::show).orElse("?") + ", " + c.took().toMillis() + " ms)";
    }

    /**
     * Standard input down the pipe, the pipe to standard output, until both ends are done: the peer ended its output
     * (what it sent before is all written out first) and standard input ended and went out, or the pipe closed. A
     * peer that half-closes still gets the rest of standard input. With {@code halfClose} the pipe half-closes at
     * input's end; without it (a TURN relay, which turns a half-close into a reset of both sides and drops what it
     * still holds) it stays open until the peer closes, or until the peer has been quiet for {@link #RELAY_LINGER}
     * after standard input went out.
     *
     * @return why the bridge ended by a failure (a reset: what was under way may be lost, or standard input did not
     *     all go out), empty when the peer ended it
     */
    static Optional<String> bridge(Pipe pipe, InputStream in, PrintStream out, boolean halfClose) {
        CompletableFuture<Boolean> inputSent = new CompletableFuture<>();
        // Set while a piece of standard input is read and not yet sent: a pipe ending then ended short of it (a
        // reset first seen by a write leaves the pipe no close cause).
        AtomicBoolean holding = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong inputEnded = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
        Thread.ofPlatform().daemon().name("p2pd-stdin").start(() -> {
            boolean sent = false;
            try {
                byte[] buffer = new byte[16 * 1024];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    if (n > 0) {
                        holding.set(true);
                        pipe.send(Arrays.copyOf(buffer, n)).join();
                        holding.set(false);
                    }
                }
                sent = pipe.isOpen();
                if (sent && halfClose) {
                    pipe.shutdownOutput().join();
                }
            } catch (IOException | CompletionException | IllegalStateException e) {
                sent = false; // stdin failed, or the pipe closed while sending or ending
            } finally {
                inputEnded.set(System.nanoTime());
                inputSent.complete(sent);
            }
        });
        copyOut(pipe, out, halfClose ? null : inputEnded::get);
        CompletableFuture.anyOf(inputSent, pipe.closeFuture()).join();
        // A relay passes the peer's close on as a reset (coturn): there a reset is the peer's end.
        Optional<Throwable> cause = pipe.closeCause();
        if (halfClose && cause.isPresent()) {
            return Optional.of("the connection failed: " + Main.describe(cause.get())
                    + " (what was under way may be lost)");
        }
        if (holding.get() || inputSent.isDone() && !inputSent.join()) {
            return Optional.of("the connection ended before standard input went out");
        }
        return Optional.empty();
    }

    /**
     * The next message, waiting however long the peer is quiet; empty once the peer's end was read (or the pipe
     * closed) and everything received before it was taken.
     */
    private static Optional<Message> next(Pipe pipe) {
        while (true) {
            try {
                return Optional.of(pipe.recv(QUIET).join());
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof RecvTimeoutException)) {
                    return Optional.empty(); // PipeClosedException
                }
            }
        }
    }

    /**
     * Writes what the pipe receives to {@code out} until the pipe has ended and its queue is empty; with
     * {@code inputEndedAt} (when standard input went out, {@link Long#MAX_VALUE} until then), also once the peer
     * has been quiet for {@link #RELAY_LINGER} since then and since its last message.
     */
    private static void copyOut(Pipe pipe, OutputStream out, java.util.function.LongSupplier inputEndedAt) {
        long lastHeard = System.nanoTime();
        while (true) {
            Message next;
            try {
                next = pipe.recv(inputEndedAt == null ? QUIET : POLL).join();
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof RecvTimeoutException)) {
                    return; // PipeClosedException: the peer's end was read, or the pipe closed
                }
                long ended = inputEndedAt == null ? Long.MAX_VALUE : inputEndedAt.getAsLong();
                if (ended != Long.MAX_VALUE
                        && System.nanoTime() - Math.max(lastHeard, ended) >= RELAY_LINGER.toNanos()) {
                    return;
                }
                continue;
            }
            lastHeard = System.nanoTime();
            try {
                out.write(next.data());
                out.flush();
            } catch (IOException e) {
                pipe.close();
                return;
            }
        }
    }

    /**
     * Sends back everything the pipe receives until the peer ends its output, then ends ours once all of it went out,
     * and closes the pipe.
     *
     * @return why the echo stopped short (a send or the end failed), or empty when everything went back
     */
    static Optional<String> echo(Pipe pipe) {
        try {
            for (Optional<Message> next; (next = next(pipe)).isPresent(); ) {
                try {
                    pipe.send(next.get().data()).join();
                } catch (CompletionException e) {
                    return Optional.of("echo stopped: sending back failed: " + e.getCause().getMessage());
                }
            }
            if (pipe.isOpen()) {
                try {
                    pipe.shutdownOutput().join();
                } catch (CompletionException e) {
                    return Optional.of("echo stopped: ending the output failed: " + e.getCause().getMessage());
                }
            }
            return Optional.empty();
        } finally {
            pipe.close();
        }
    }

    static void note(PrintWriter err, boolean quiet, String line) {
        if (!quiet) {
            synchronized (err) {
                err.println("  .. " + line);
                err.flush();
            }
        }
    }

    static void close(Node node, PrintWriter err, boolean quiet) {
        try {
            node.close().get(CLOSE_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            note(err, quiet, "node not closed within " + CLOSE_LIMIT.toSeconds() + " s: exiting anyway");
        }
    }

    /** Parks the thread for good: the process ends by a signal, whose shutdown hook closes the node. */
    private static void parkUntilSignal() {
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        while (true) {
            try {
                never.await();
            } catch (InterruptedException e) {
                // nothing else ends it: the JVM's exit on SIGINT/SIGTERM does
            }
        }
    }
}
