package io.p2pd.cli;

import io.p2pd.internal.Json;
import io.p2pd.nat.PortDelta;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerAddressException;
import io.p2pd.node.addr.PeerInterface;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 *
 * <p>A broker index points into a list the address does not carry: a Java node numbers its {@code --broker} list
 * (from 0), a Python peer means the original's built-in {@code MQTT_SERVERS}. The command says so, and shows each
 * index's entry in the original's list, which is all it can know.
 */
@Command(name = "address", mixinStandardHelpOptions = true,
        description = "Explain a peer address: node id, machine id, signalling brokers, and per family the "
                + "interfaces with their addresses, port, NAT type and port allocation.")
final class AddressCommand implements Callable<Integer> {

    /**
     * The original's {@code MQTT_SERVERS} (p2pd-py's settings.py), in its order: public brokers, all on port 1883, 12
     * on IPv4 then 3 on IPv6. A Python peer's broker index is a position in this list.
     */
    static final List<String> ORIGINAL_BROKERS = List.of("54.36.178.49:1883", "35.172.255.228:1883",
            "158.69.27.176:1883", "159.223.240.227:1883", "5.2.79.70:1883", "34.253.103.94:1883", "119.42.55.129:1883",
            "44.232.241.40:1883", "3.121.249.54:1883", "3.120.46.189:1883", "3.126.79.218:1883", "161.35.233.32:1883",
            "[2001:41d0:303:4831::1]:1883", "[2a04:52c0:101:a90::]:1883", "[2607:5300:60:80b0::1]:1883");
    /** What a broker index counts in, for the text and the JSON. */
    static final String BROKER_LIST = "a Java node's --broker list (from 0), or the original's MQTT_SERVERS for a "
            + "Python peer";

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
                        + " (indexes in " + BROKER_LIST + ")");
        for (int index : a.signal()) {
            out.printf("  broker %d: %s%n", index, originalBroker(index)
                    .map(b -> b + " in the original's list")
                    .orElse("not in the original's list (" + ORIGINAL_BROKERS.size() + " entries)"));
        }
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

    /** The original's broker at {@code index}, if its list is that long. */
    private static Optional<String> originalBroker(int index) {
        return index < ORIGINAL_BROKERS.size() ? Optional.of(ORIGINAL_BROKERS.get(index)) : Optional.empty();
    }

    /** As {@code p2pd nat} words it: the number, the name, and the value when there is one. */
    private static String words(PortDelta delta) {
        return delta.type().number() + " (" + delta.type().label()
                + (delta.value() != 0 ? ", delta " + delta.value() : "") + ")";
    }

    private static Map<String, Object> toJson(PeerAddress a) {
        return JsonFields.of("nodeId", a.nodeId().value(), "machineId", a.machineId().value(),
                "signal", a.signal(), "brokerList", BROKER_LIST,
                "brokers", a.signal().stream().map(i -> JsonFields.of("index", i,
                        "original", originalBroker(i).orElse(null))).toList(), "v4", a.v4().stream().map(AddressCommand::toJson).toList(),
                "v6", a.v6().stream().map(AddressCommand::toJson).toList());
    }

    private static Map<String, Object> toJson(PeerInterface r) {
        return JsonFields.of("ifIndex", r.ifIndex(), "netifaceIndex", r.netifaceIndex(),
                "externalIp", Addresses.show(r.externalIp()), "nicIp", Addresses.show(r.nicIp()), "port", r.port(),
                "natType", r.nat().number(), "natName", r.nat().label(), "deltaType", r.delta().type().number(),
                "deltaName", r.delta().type().label(), "deltaValue", r.delta().value());
    }
}
