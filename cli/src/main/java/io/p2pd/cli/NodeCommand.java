package io.p2pd.cli;

import io.p2pd.internal.Json;
import io.p2pd.node.Node;
import io.p2pd.node.NodeInterface;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Runs a P2PD node: prints its peer address as the first line of standard output, progress on standard error, and
 * runs until the process gets SIGINT/SIGTERM (or, with {@code --until-stdin-ends}, until standard input ends), then
 * closes the node and exits. Standard input is ignored by default, so a node started with {@code &}, nohup, systemd
 * or docker without {@code -i} (input at its end from the start) keeps running.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = {"Run a P2PD node and print its peer address as the first line of output.",
            "It runs until it is interrupted (Ctrl-C, SIGTERM), then closes everything it opened; standard input "
                + "is ignored, so it runs detached (&, nohup, systemd) as it is. With --until-stdin-ends it also "
                + "stops when standard input ends (Ctrl-D, or the parent holding the pipe exits)."})
final class NodeCommand implements java.util.concurrent.Callable<Integer> {
    /** How long closing the node may take at exit. */
    private static final Duration CLOSE_LIMIT = Duration.ofSeconds(5);

    @Spec
    CommandSpec spec;

    @Mixin
    NodeOptions node;

    @Option(names = "--json", description = "print the address and interfaces as one JSON object")
    boolean json;

    @Option(names = "--quiet", description = "no progress lines")
    boolean quiet;

    @Option(names = "--until-stdin-ends", description = "also stop when standard input ends (Ctrl-D, or a parent "
            + "process that holds the pipe exits); default: standard input is ignored")
    boolean untilStdinEnds;

    @Override
    public Integer call() throws Exception {
        return Main.jsonOnFailure(spec.commandLine(), json, this::run);
    }

    private int run() throws IOException {
        Node.Builder builder = this.node.builder(spec);
        PrintWriter err = spec.commandLine().getErr();
        builder.signalListener(receipt -> {
            synchronized (err) {
                err.println("  .. signal " + receipt.message().type() + " from "
                        + receipt.message().source().nodeId().value() + " (id " + receipt.id()
                        + (receipt.encrypted() ? ", encrypted" : "") + ")");
                err.flush();
            }
        });
        builder.progress(line -> {
            if (!quiet) {
                synchronized (err) {
                    err.println("  .. " + line);
                    err.flush();
                }
            }
        });
        Node node = builder.start().join();
        Thread closer = new Thread(() -> close(node, err), "p2pd-node-close");
        Runtime.getRuntime().addShutdownHook(closer);
        PrintWriter out = spec.commandLine().getOut();
        out.println(json ? Json.write(describe(node)) : node.address().toString());
        out.flush();
        if (!untilStdinEnds) {
            note(err, "running until interrupted (Ctrl-C, SIGTERM)");
            waitForSignal(); // the shutdown hook closes the node
        }
        note(err, "running until standard input ends or it is interrupted");
        waitForEndOfInput(System.in);
        Runtime.getRuntime().removeShutdownHook(closer);
        note(err, "standard input ended");
        close(node, err);
        return 0;
    }

    /** Parks the thread for good: the process ends by a signal, whose shutdown hook closes the node. */
    private static void waitForSignal() {
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        while (true) {
            try {
                never.await();
            } catch (InterruptedException e) {
                // nothing else ends it: the JVM's exit on SIGINT/SIGTERM does
            }
        }
    }

    private void note(PrintWriter err, String line) {
        if (!quiet) {
            synchronized (err) {
                err.println("  .. " + line);
                err.flush();
            }
        }
    }

    /** Reads and drops input until its end: the node's lifetime is tied to its parent's pipe. */
    private static void waitForEndOfInput(InputStream in) throws IOException {
        byte[] sink = new byte[4096];
        while (in.read(sink) >= 0) {
            // input is not a command channel; it only keeps the node alive
        }
    }

    private void close(Node node, PrintWriter err) {
        String outcome = "node closed";
        try {
            node.close().get(CLOSE_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            outcome = "node not closed within " + CLOSE_LIMIT.toSeconds() + " s: exiting anyway";
        }
        note(err, outcome);
    }

    static Map<String, Object> describe(Node node) {
        List<Object> ifs = new ArrayList<>();
        for (NodeInterface i : node.interfaces()) {
            ifs.add(JsonFields.of("name", i.name(), "netifaceIndex", i.netifaceIndex(),
                    "natType", i.natType().number(), "natName", i.natType().label(),
                    "deltaType", i.delta().type().number(), "deltaName", i.delta().type().label(),
                    "deltaValue", i.delta().value(), "measured", i.measured(),
                    "externals", i.externals().stream().map(Addresses::show).toList(),
                    "detectionError", i.detectionError().orElse(null)));
        }
        return JsonFields.of("address", node.address().toString(), "nodeId", node.id().value(),
                "machineId", node.machineId().value(), "listenPort", node.listenPort(),
                "signal", node.address().signal(),
                "listen", node.listenAddresses().stream().map(Addresses::show).toList(), "interfaces", ifs);
    }
}
