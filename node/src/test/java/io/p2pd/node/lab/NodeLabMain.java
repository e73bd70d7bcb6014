package io.p2pd.node.lab;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.p2pd.node.Node;
import io.p2pd.node.NodeInterface;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.signal.SignalMessage;
import io.p2pd.node.signal.SignalType;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;

/**
 * Run by {@link NodeLabTest} inside a lab namespace: one node on one interface, with one STUN server and one broker.
 * Prints {@code address ADDRESS} once started, then a line per signal it receives
 * ({@code signal TYPE PIPE encrypted=B signed=B SOURCE}), and reads commands from stdin:
 * {@code send TYPE PIPE DESTINATION} sends a signal to the peer address DESTINATION (answered {@code sent PIPE} or
 * {@code error PIPE WHY}). It closes the node and ends when stdin ends.
 *
 * <p>usage: NodeLabMain INTERFACE STUN_IP:PORT BROKER_IP:PORT
 */
public final class NodeLabMain {
    private static final PrintStream OUT = System.out;

    private NodeLabMain() {
    }

    private static synchronized void say(String line) {
        OUT.println(line);
        OUT.flush();
    }

    public static void main(String[] args) throws Exception {
        Node node = LabNodes.builder(args[0], args[1], args[2])
                .signalListener(r -> say("signal " + r.message().type() + " " + r.message().pipeId() + " encrypted="
                        + r.encrypted() + " signed=" + r.signed() + " " + r.message().source()))
                .start().get(60, TimeUnit.SECONDS);
        try {
            for (NodeInterface i : node.interfaces()) {
                System.err.println("interface " + i);
            }
            say("address " + node.address());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, UTF_8));
            for (int i = 0; i < 1000; i++) {
                String line = in.readLine();
                if (line == null) {
                    break;
                }
                String[] c = line.split(" ");
                if (c.length != 4 || !c[0].equals("send")) {
                    say("error - unknown command " + line);
                    continue;
                }
                String pipe = c[2];
                try {
                    long ttl = System.currentTimeMillis() / 1000 + 30;
                    SignalMessage m = SignalMessage.of(SignalType.valueOf(c[1]), ttl, pipe, node.address(),
                            PeerAddress.parse(c[3]));
                    node.signalling().orElseThrow().send(m).get(30, TimeUnit.SECONDS);
                    say("sent " + pipe);
                } catch (Exception e) {
                    say("error " + pipe + " " + e);
                }
            }
        } finally {
            node.close().get(30, TimeUnit.SECONDS);
        }
        System.exit(0); // the event-loop threads are not daemons
    }
}
