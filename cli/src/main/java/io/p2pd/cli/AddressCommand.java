package io.p2pd.cli;

import io.p2pd.internal.Json;
import io.p2pd.nat.PortDelta;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerAddressException;
import io.p2pd.node.addr.PeerInterface;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Explains a peer address: node and machine ids, the signalling brokers' indexes and, per address family, each
 * interface record. An address that does not parse is a usage error (exit 2) naming the field at fault.
 */
@Command(name = "address", mixinStandardHelpOptions = true,
        description = "Explain a peer address: node id, machine id, signalling brokers, and per family the "
                + "interfaces with their addresses, port, NAT type and port allocation.")
final class AddressCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "PEER_ADDRESS", description = "a peer address, as a node prints it")
    String text;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() {
        PeerAddress address;
        try {
            address = PeerAddress.parse(text.strip());
        } catch (PeerAddressException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(toJson(address)));
        } else {
            explain(address, out);
        }
        out.flush();
        return 0;
    }

    private static void explain(PeerAddress a, PrintWriter out) {
        out.printf("node id     %s%n", a.nodeId().value());
        out.printf("machine id  %s%n", a.machineId().value());
        out.printf("signalling  %s%n", a.signal().isEmpty() ? "no brokers"
                : "brokers " + a.signal().stream().map(String::valueOf).collect(Collectors.joining(", "))
                        + " (indexes in the broker list)");
        family("IPv4", a.v4(), out);
        family("IPv6", a.v6(), out);
    }

    private static void family(String name, List<PeerInterface> records, PrintWriter out) {
        if (records.isEmpty()) {
            out.printf("%s        none%n", name);
            return;
        }
        out.printf("%s        %d interface%s%n", name, records.size(), records.size() == 1 ? "" : "s");
        for (PeerInterface r : records) {
            out.printf("  interface %d (netiface %d): external %s, NIC %s, port %d%n", r.ifIndex(), r.netifaceIndex(),
                    Addresses.show(r.externalIp()), Addresses.show(r.nicIp()), r.port());
            out.printf("    NAT %d (%s), port allocation %s%n", r.nat().number(), r.nat().label(), words(r.delta()));
        }
    }

    /** As {@code p2pd nat} words it: the number, the name, and the value when there is one. */
    private static String words(PortDelta delta) {
        return delta.type().number() + " (" + delta.type().label()
                + (delta.value() != 0 ? ", delta " + delta.value() : "") + ")";
    }

    private static Map<String, Object> toJson(PeerAddress a) {
        return JsonFields.of("nodeId", a.nodeId().value(), "machineId", a.machineId().value(),
                "signal", a.signal(), "v4", a.v4().stream().map(AddressCommand::toJson).toList(),
                "v6", a.v6().stream().map(AddressCommand::toJson).toList());
    }

    private static Map<String, Object> toJson(PeerInterface r) {
        return JsonFields.of("ifIndex", r.ifIndex(), "netifaceIndex", r.netifaceIndex(),
                "externalIp", Addresses.show(r.externalIp()), "nicIp", Addresses.show(r.nicIp()), "port", r.port(),
                "natType", r.nat().number(), "natName", r.nat().label(), "deltaType", r.delta().type().number(),
                "deltaName", r.delta().type().label(), "deltaValue", r.delta().value());
    }
}
