package io.p2pd.node.lab;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.p2pd.nic.Nics;
import io.p2pd.node.Node;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.turn.TurnConfig;
import io.p2pd.node.connect.TurnServer;
import io.p2pd.turn.TurnTransport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** The node every lab child main starts: one interface, our STUN server and the lab's broker, from its arguments. */
public final class LabNodes {

    private LabNodes() {
    }

    /**
     * A builder for a node on {@code iface} using the STUN server {@code stun} and the broker {@code broker} (both
     * {@code IP:PORT}), any free listen port, progress on stderr.
     */
    public static Node.Builder builder(String iface, String stun, String broker) {
        String[] hostPort = stun.split(":");
        return Node.builder()
                .interfaces(List.of(Nics.byName(iface).orElseThrow(() -> new IllegalArgumentException(iface))))
                .stunServers(List.of(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]))))
                .brokers(List.of(MqttBroker.parse(broker)))
                .listenPort(0)
                // a fresh JVM on a shared CI machine: its first STUN exchanges are slow (class loading, JIT)
                .detectionTimeLimit(Duration.ofSeconds(20))
                .progress(line -> System.err.println("progress: " + line));
    }

    /**
     * The builder of a lab child's arguments: {@code INTERFACE STUN BROKER}, then optionally {@code TURN_IP:PORT USER
     * PASSWORD} for a TURN server over TCP (the relay strategy).
     */
    public static Node.Builder fromArgs(String[] args) {
        Node.Builder builder = builder(args[0], args[1], args[2]);
        if (args.length == 6) {
            String[] turn = args[3].split(":");
            builder.turnServers(List.of(new TurnServer(new InetSocketAddress(turn[0], Integer.parseInt(turn[1])),
                    TurnConfig.builder(args[4], args[5]).transport(TurnTransport.TCP).build())));
        }
        return builder;
    }

    /** One command of a lab child, its words. */
    public interface Command {
        void serve(String[] words) throws Exception;
    }

    /**
     * A lab child's life once its node started: says {@code address ADDRESS}, serves each stdin line (at most
     * {@code maxLines}) until stdin ends, closes the node and exits (the event-loop threads are not daemons).
     */
    public static void serveCommands(Node node, Consumer<String> say, int maxLines, Command command)
            throws Exception {
        try {
            say.accept("address " + node.address());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, UTF_8));
            for (int i = 0; i < maxLines; i++) {
                String line = in.readLine();
                if (line == null) {
                    break;
                }
                command.serve(line.split(" "));
            }
        } finally {
            node.close().get(30, TimeUnit.SECONDS);
        }
        System.exit(0);
    }
}
