package io.p2pd.cli;

import io.p2pd.nic.Interface;
import io.p2pd.nic.Nics;
import io.p2pd.node.Node;
import io.p2pd.node.connect.TurnServer;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.nic.Family;
import io.p2pd.turn.TurnConfig;
import io.p2pd.turn.TurnTransport;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The options of a node, shared by {@code p2pd node} and {@code p2pd peer}: a picocli mixin. */
final class NodeOptions {
    /** Where the TURN password comes from: never the command line, which other users can read. */
    static final String TURN_PASSWORD_VARIABLE = "P2PD_TURN_PASSWORD";

    @Option(names = "--broker", paramLabel = "HOST:PORT[,...]", description = "MQTT brokers for signalling "
            + "(port 1883 when none is given); the node subscribes to its id at each, and logs the signed "
            + "messages it receives")
    String brokers;

    @Option(names = "--stun", paramLabel = "HOST[:PORT][,...]", description = "STUN servers with an alternate "
            + "address (RFC 5780 or 3489) to detect each interface's NAT (port 3478 when none is given); without "
            + "them the NAT is not measured and the address says port restricted, random delta")
    String stun;

    @Option(names = "--key", paramLabel = "FILE", description = "the node's key file (hex or PEM), created when "
            + "missing so the node id stays across runs; default: a new key each run")
    Path key;

    @Option(names = "--port", description = "TCP listen port, 0 for any free one; default: derived from the "
            + "machine id as the original P2PD derives it")
    String port;

    @Option(names = "--interface", paramLabel = "NAME[,...]", description = "interfaces to use; default: those "
            + "holding the default route")
    String interfaces;

    @Option(names = "--turn", paramLabel = "HOST[:PORT]", description = "a TURN server to relay through (port "
            + "3478 when none is given), reached over TCP; needs --user, and the password in the environment "
            + "variable " + TURN_PASSWORD_VARIABLE)
    String turn;

    @Option(names = "--user", paramLabel = "NAME", description = "the TURN server's user name (long-term "
            + "credentials)")
    String turnUser;

    @Option(names = "--timeout-ms", defaultValue = "5000", description = "NAT detection limit per interface "
            + "(default: ${DEFAULT-VALUE})")
    long timeoutMs;

    /** A node builder with these options; a bad value is a {@link ParameterException} naming the option. */
    Node.Builder builder(CommandSpec spec) {
        Node.Builder builder = Node.builder().detectionTimeLimit(positiveMillis(spec, timeoutMs));
        if (stun != null) {
            builder.stunServers(Addresses.servers(spec, stun));
        }
        if (brokers != null) {
            builder.brokers(brokers(spec, Addresses.list(brokers)));
        }
        if (key != null) {
            builder.keyFile(key);
        }
        if (port != null) {
            builder.listenPort(Addresses.port(spec, port));
        }
        if (interfaces != null) {
            builder.interfaces(interfaces(spec, Addresses.list(interfaces)));
        }
        if (turn != null || turnUser != null) {
            builder.turnServers(List.of(turnServer(spec)));
        }
        return builder;
    }

    private TurnServer turnServer(CommandSpec spec) {
        if (turn == null || turnUser == null) {
            throw new ParameterException(spec.commandLine(), "--turn and --user go together");
        }
        String password = System.getenv(TURN_PASSWORD_VARIABLE);
        if (password == null) {
            throw new ParameterException(spec.commandLine(), "--user needs the password in the environment "
                    + "variable " + TURN_PASSWORD_VARIABLE);
        }
        InetSocketAddress server = Addresses.resolve(Addresses.hostPort(spec, turn, 3478));
        try {
            return new TurnServer(server, TurnConfig.builder(turnUser, password).transport(TurnTransport.TCP)
                    .family(server.getAddress() instanceof Inet6Address ? Family.V6 : Family.V4).build());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--turn: " + e.getMessage());
        }
    }

    private static List<MqttBroker> brokers(CommandSpec spec, List<String> texts) {
        List<MqttBroker> out = new ArrayList<>();
        for (String text : texts) {
            try {
                out.add(MqttBroker.parse(text));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--broker: " + e.getMessage());
            }
        }
        return out;
    }

    private static Duration positiveMillis(CommandSpec spec, long ms) {
        if (ms <= 0) {
            throw new ParameterException(spec.commandLine(), "--timeout-ms must be positive");
        }
        return Duration.ofMillis(ms);
    }

    private static List<Interface> interfaces(CommandSpec spec, List<String> names) {
        if (names.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--interface: give at least one name");
        }
        List<Interface> out = new ArrayList<>();
        for (String name : names) {
            out.add(Nics.byName(name).orElseThrow(() -> new ParameterException(spec.commandLine(),
                    "--interface: no interface named '" + name + "' (see p2pd interfaces)")));
        }
        return out;
    }
}
