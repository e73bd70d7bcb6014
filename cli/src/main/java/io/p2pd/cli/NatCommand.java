package io.p2pd.cli;

import io.p2pd.nat.NatConfig;
import io.p2pd.nat.NatDetector;
import io.p2pd.nat.NatReport;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The NAT type and port-allocation type of this machine, with each step shown as it happens. */
@Command(name = "nat", mixinStandardHelpOptions = true,
        description = "Detect the NAT type (1 open .. 7 blocked) and the port-allocation type, using STUN servers "
                + "with an alternate address (RFC 5780 or RFC 3489).")
final class NatCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--server", required = true, paramLabel = "HOST[:PORT][,HOST[:PORT]...]",
            description = "STUN servers to use, tried in order until one has an alternate address")
    String servers;

    @Option(names = "--timeout-ms", defaultValue = "5000", description = "whole detection (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = "--json", description = "print the result as JSON (progress goes to stderr)")
    boolean json;

    @Option(names = "--quiet", description = "no progress lines")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        // With --json a script reads stdout: the failure is a JSON object there too (and exit code 1).
        return Main.jsonOnFailure(spec.commandLine(), json, () -> detect(out));
    }

    private int detect(PrintWriter out) {
        List<InetSocketAddress> list = Addresses.servers(spec, servers);
        PrintWriter progress = json ? spec.commandLine().getErr() : out;
        NatConfig config = NatConfig.builder(list).timeLimit(Duration.ofMillis(timeoutMs))
                .progress(line -> {
                    if (!quiet) {
                        synchronized (progress) {
                            progress.println("  .. " + line);
                            progress.flush();
                        }
                    }
                })
                .build();
        NatReport report = NatDetector.detect(config).join();
        if (json) {
            out.println(report.toJson());
        } else {
            out.printf("NAT type        %d (%s)%n", report.natType().number(), report.natType().label());
            out.printf("port allocation %d (%s%s)%n", report.delta().type().number(), report.delta().type().label(),
                    report.delta().value() != 0 ? ", delta " + report.delta().value() : "");
            out.printf("local address   %s%n", Addresses.show(report.localAddress()));
            out.printf("mapped          %s%n", report.mappedAddresses().stream().map(Addresses::show)
                    .collect(Collectors.joining(" ")));
            out.printf("servers         %s%n", report.servers().stream().map(Addresses::show)
                    .collect(Collectors.joining(" ")));
            out.printf("took            %d ms%n", report.elapsed().toMillis());
        }
        out.flush();
        return 0;
    }
}
