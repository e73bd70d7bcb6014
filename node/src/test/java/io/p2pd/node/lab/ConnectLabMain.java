package io.p2pd.node.lab;

import io.p2pd.node.Node;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.connect.ConnectException;
import io.p2pd.node.connect.ConnectOptions;
import io.p2pd.node.connect.PeerConnection;
import io.p2pd.node.connect.Strategy;
import io.p2pd.pipe.Pipe;
import io.p2pd.testing.Net;
import java.io.PrintStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM for the two-NAT lab's connect matrix: one node on one interface with one STUN server, one broker and,
 * optionally, a TURN server (TCP, long-term credentials). Prints {@code address ADDRESS} once started, then reads
 * commands from stdin:
 * <ul>
 *   <li>{@code connect ADDRESS N [STRATEGY,...|all [RELAY_DELAY_MS]]}: {@code node.connect} with the strategies
 *       named (default: all) and the relay delay given (default: the default), sends N seeded bytes, then reads N
 *       back;</li>
 *   <li>{@code accept N}: waits for a connection (at most 60 s), reads N bytes, sends N of its own, then waits for
 *       the peer to end the pipe (at most 60 s) before closing it: through a TURN TCP relay a close loses what is
 *       still in flight (README, TURN).</li>
 * </ul>
 * The two directions take turns because coturn stalls an RFC 6062 relay saturated both ways at once (RELIABILITY.md,
 * TURN). Each command answers one line:
 * {@code done strategy=S sockets=K baseline=B sent=HEX received=HEX summary=SUMMARY}, where B is the count of open
 * sockets in {@code /proc/self/fd} before the command and K the count after the pipe closed (waited for, at most 10 s,
 * to fall back to B), or {@code failed summary=SUMMARY} (a {@code ConnectException}'s report) or
 * {@code failed other=CAUSE}, or {@code failed exchange=CAUSE strategy=S summary=SUMMARY} when the data did not cross. Ends when stdin ends.
 *
 * <p>usage: ConnectLabMain INTERFACE STUN_IP:PORT BROKER_IP:PORT [TURN_IP:PORT USER PASSWORD]
 */
public final class ConnectLabMain {
    private static final PrintStream OUT = System.out;
    private static final Duration SOCKETS_SETTLE = Duration.ofSeconds(10);

    private ConnectLabMain() {
    }

    private static void say(String line) {
        OUT.println(line);
        OUT.flush();
    }

    public static void main(String[] args) throws Exception {
        Node node = LabNodes.fromArgs(args).start().get(60, TimeUnit.SECONDS);
        LabNodes.serveCommands(node, ConnectLabMain::say, 1000, c -> serve(node, c));
    }

    private static void serve(Node node, String[] c) throws Exception {
        long baseline = Net.openSockets();
        try {
            if (c.length >= 3 && c.length <= 5 && c[0].equals("connect")) {
                ConnectOptions options = ConnectOptions.defaults();
                if (c.length >= 4 && !c[3].equals("all")) {
                    options = options.withStrategies(Arrays.stream(c[3].split(",")).map(Strategy::ofLabel).toList());
                }
                if (c.length == 5) {
                    options = options.withRelayDelay(Duration.ofMillis(Long.parseLong(c[4])));
                }
                PeerConnection p = node.connect(PeerAddress.parse(c[1]), options).get(60, TimeUnit.SECONDS);
                exchange(node, p, Integer.parseInt(c[2]), true, baseline);
            } else if (c.length == 2 && c[0].equals("accept")) {
                PeerConnection p = node.accept().get(60, TimeUnit.SECONDS);
                exchange(node, p, Integer.parseInt(c[1]), false, baseline);
            } else {
                say("error unknown command " + String.join(" ", c));
            }
        } catch (java.util.concurrent.TimeoutException e) {
            say("failed other=no connection within 60 s");
        } catch (ExecutionException e) {
            say(e.getCause() instanceof ConnectException ce ? "failed summary=" + ce.report().summary()
                    : "failed other=" + e.getCause());
        }
    }

    private static void exchange(Node node, PeerConnection p, int n, boolean sendFirst, long baseline)
            throws Exception {
        byte[] mine = new byte[n];
        new Random(node.id().value().hashCode()).nextBytes(mine);
        Pipe pipe = p.pipe();
        String received;
        try {
            if (sendFirst) {
                pipe.send(mine).get(60, TimeUnit.SECONDS);
                received = readDigest(pipe, n);
            } else {
                received = readDigest(pipe, n);
                pipe.send(mine).get(60, TimeUnit.SECONDS);
                // The last sender closes only after the peer's end (it has read everything): closing at once would
                // lose, through coturn's TCP relay, whatever is still in the relay's buffers (README, TURN).
                awaitPeersEnd(pipe);
            }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            say("failed exchange=" + (e instanceof ExecutionException ? e.getCause() : e) + " strategy="
                    + p.strategy().label() + " summary=" + p.report().summary());
            pipe.close();
            return;
        }
        pipe.closeAsync().get(10, TimeUnit.SECONDS);
        long sockets = Net.openSocketsSettled(baseline, SOCKETS_SETTLE);
        say("done strategy=" + p.strategy().label() + " sockets=" + sockets + " baseline=" + baseline + " sent="
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(mine)) + " received="
                + received + " summary=" + p.report().summary());
    }

    /** Reads until the peer ends the pipe (its {@code recv()} fails), at most 60 s; bytes past the N are ignored. */
    private static void awaitPeersEnd(Pipe pipe) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            try {
                pipe.recv(Duration.ofSeconds(60)).get(70, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof io.p2pd.pipe.PipeClosedException) {
                    return;
                }
                throw e;
            }
        }
        throw new java.util.concurrent.TimeoutException("the peer did not end the pipe within 60 s");
    }

    private static String readDigest(Pipe pipe, int n) throws Exception {
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        long have = 0;
        while (have < n) {
            byte[] chunk = pipe.recv(Duration.ofSeconds(30)).get(40, TimeUnit.SECONDS).data();
            received.update(chunk);
            have += chunk.length;
        }
        return HexFormat.of().formatHex(received.digest());
    }
}
