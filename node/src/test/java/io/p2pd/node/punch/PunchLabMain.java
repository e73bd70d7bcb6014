package io.p2pd.node.punch;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.p2pd.node.Node;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.connect.PeerConnection;
import io.p2pd.node.connect.Strategy;
import io.p2pd.pipe.Pipe;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM for the two-NAT lab: one node on one interface, with one STUN server and one broker, that punches or
 * waits for a punch, then sends and receives N bytes. Prints {@code address ADDRESS} once started, then reads
 * commands from stdin:
 * <ul>
 *   <li>{@code punch ADDRESS N}: punches to the peer address, sends N bytes (seeded by the node id) and reads N;</li>
 *   <li>{@code accept N}: waits for a connection (at most 60 s: the peer's punch), then the same.</li>
 * </ul>
 * Answers {@code punched initiator=true rtt_ms=R connect_ms=C local=L remote=R} (the answering side:
 * {@code punched initiator=false strategy=punch took_ms=T local=L remote=R}), then
 * {@code digests sent=HEX received=HEX}, or {@code failed STEP MESSAGE}. A connection accepted by any other strategy
 * (a direct dial, a reverse one) is not a punch: {@code failed NOT_PUNCH strategy=S}, and it is closed. Ends when stdin
 * ends.
 *
 * <p>usage: PunchLabMain INTERFACE STUN_IP:PORT BROKER_IP:PORT
 */
public final class PunchLabMain {
    private static final PrintStream OUT = System.out;

    private PunchLabMain() {
    }

    private static synchronized void say(String line) {
        OUT.println(line);
        OUT.flush();
    }

    public static void main(String[] args) throws Exception {
        Node node = io.p2pd.node.lab.LabNodes.builder(args[0], args[1], args[2]).start().get(60, TimeUnit.SECONDS);
        try {
            say("address " + node.address());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, UTF_8));
            for (int i = 0; i < 1000; i++) {
                String line = in.readLine();
                if (line == null) {
                    break;
                }
                String[] c = line.split(" ");
                try {
                    if (c.length == 3 && c[0].equals("punch")) {
                        Punched p = node.punch(PeerAddress.parse(c[1])).get(60, TimeUnit.SECONDS);
                        say("punched initiator=true rtt_ms=" + p.signalRtt().toMillis() + " connect_ms="
                                + p.startToConnect().toMillis() + " local=" + p.pipe().localAddress() + " remote="
                                + p.pipe().remoteAddress().orElseThrow());
                        exchange(node, p.pipe(), Integer.parseInt(c[2]));
                    } else if (c.length == 2 && c[0].equals("accept")) {
                        PeerConnection p = node.accept().get(60, TimeUnit.SECONDS);
                        if (p.strategy() != Strategy.PUNCH) {
                            say("failed NOT_PUNCH strategy=" + p.strategy().label() + " remote="
                                    + p.pipe().remoteAddress().orElseThrow());
                            p.pipe().close();
                            continue;
                        }
                        say("punched initiator=false strategy=" + p.strategy().label() + " took_ms="
                                + p.took().toMillis() + " local=" + p.pipe().localAddress() + " remote="
                                + p.pipe().remoteAddress().orElseThrow());
                        exchange(node, p.pipe(), Integer.parseInt(c[1]));
                    } else {
                        say("error unknown command " + line);
                    }
                } catch (ExecutionException e) {
                    say(e.getCause() instanceof PunchException p ? "failed " + p.step() + " " + p.getMessage()
                            : "failed OTHER " + e.getCause());
                }
            }
        } finally {
            node.close().get(30, TimeUnit.SECONDS);
        }
        System.exit(0); // the event-loop threads are not daemons
    }

    /**
     * Sends N bytes and reads N, then one byte more each way ("done"), so neither side closes while the other still
     * reads: a close with data unread, or before the peer has all, would end the connection with a reset.
     */
    private static void exchange(Node node, Pipe pipe, int n) throws Exception {
        byte[] mine = new byte[n];
        new Random(node.id().value().hashCode()).nextBytes(mine);
        pipe.send(mine);
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        long have = 0;
        boolean acked = false;
        while (have < n + 1) {
            byte[] chunk = pipe.recv(Duration.ofSeconds(30)).get(40, TimeUnit.SECONDS).data();
            int data = (int) Math.max(0, Math.min(chunk.length, n - have));
            received.update(chunk, 0, data);
            have += chunk.length;
            if (!acked && have >= n) {
                pipe.send(new byte[] {1}).get(10, TimeUnit.SECONDS);
                acked = true;
            }
        }
        say("digests sent=" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(mine))
                + " received=" + HexFormat.of().formatHex(received.digest()));
        pipe.closeAsync().get(10, TimeUnit.SECONDS);
    }
}
