package io.p2pd.node.lab;

import io.p2pd.node.Node;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.connect.ConnectException;
import io.p2pd.node.connect.ConnectOptions;
import io.p2pd.node.connect.PeerConnection;
import io.p2pd.node.connect.Strategy;
import io.p2pd.node.punch.PunchException;
import io.p2pd.node.punch.Punched;
import io.p2pd.pipe.Pipe;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * The child JVM of the lab benchmarks (PunchRatesMain, ConnectRatesMain): one node, started once and then used for
 * many tries in a row. It accepts every connection a peer opens (on a thread of its own), printing
 * {@code answered strategy=S took_ms=T} at once (T: the node's own time for it; for a punch, from the start signal's
 * arrival to the proven connection), then reads a length-prefixed payload and answers its CRC32C. Commands on stdin:
 * <ul>
 *   <li>{@code punch ADDRESS N}: {@code node.punch}, then N bytes through the pipe;</li>
 *   <li>{@code connect ADDRESS N [STRATEGY,...]}: {@code node.connect} with default options (or only the strategies
 *       named), then N bytes.</li>
 * </ul>
 * Each answers one line: {@code ok strategy=S call_ms=C took_ms=T transfer_ms=X} (C: from the call to the pipe, in
 * this JVM; T: the punch's {@code startToConnect} or the connect report's time; X: from the first byte sent to the
 * peer's checksum received, which must match), or {@code failed WHY}. Ends when stdin ends.
 *
 * <p>usage: LabBenchMain INTERFACE STUN_IP:PORT BROKER_IP:PORT [TURN_IP:PORT USER PASSWORD]
 */
public final class LabBenchMain {
    private static final PrintStream OUT = System.out;
    private static final int CHUNK = 1 << 20;
    /** Sends in flight at once while streaming: enough to keep the socket busy, bounded so memory is. */
    private static final int WINDOW = 8;
    private static final Duration READ = Duration.ofSeconds(30);
    private static final long CALL_SECONDS = 60;

    private LabBenchMain() {
    }

    private static synchronized void say(String line) {
        OUT.println(line);
        OUT.flush();
    }

    public static void main(String[] args) throws Exception {
        Node node = LabNodes.fromArgs(args).start().get(60, TimeUnit.SECONDS);
        Thread.ofPlatform().daemon().name("bench-accept").start(() -> acceptLoop(node));
        LabNodes.serveCommands(node, LabBenchMain::say, 10_000, c -> serve(node, c));
    }

    private static void serve(Node node, String[] c) {
        try {
            if (c.length == 3 && c[0].equals("punch")) {
                long t0 = System.nanoTime();
                Punched p = node.punch(PeerAddress.parse(c[1])).get(CALL_SECONDS, TimeUnit.SECONDS);
                long call = System.nanoTime() - t0;
                send(p.pipe(), "punch", call, p.startToConnect(), Long.parseLong(c[2]));
            } else if ((c.length == 3 || c.length == 4) && c[0].equals("connect")) {
                ConnectOptions options = ConnectOptions.defaults();
                if (c.length == 4) {
                    options = options.withStrategies(Arrays.stream(c[3].split(",")).map(Strategy::ofLabel).toList());
                }
                long t0 = System.nanoTime();
                PeerConnection p = node.connect(PeerAddress.parse(c[1]), options).get(CALL_SECONDS, TimeUnit.SECONDS);
                long call = System.nanoTime() - t0;
                send(p.pipe(), p.strategy().label(), call, p.took(), Long.parseLong(c[2]));
            } else {
                say("failed unknown command " + String.join(" ", c));
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            say("failed " + (cause instanceof PunchException p ? p.step() + " " + p.getMessage()
                    : cause instanceof ConnectException ce ? ce.report().summary() : String.valueOf(cause))
                    .replace('\n', ' '));
        } catch (Exception e) {
            say("failed " + e);
        }
    }

    /** Streams a length prefix and N bytes (one random block over and over), then checks the peer's CRC32C. */
    private static void send(Pipe pipe, String strategy, long callNanos, Duration took, long n) throws Exception {
        try {
            byte[] block = new byte[CHUNK];
            new Random(n).nextBytes(block);
            CRC32C crc = new CRC32C();
            long t0 = System.nanoTime();
            pipe.send(ByteBuffer.allocate(Long.BYTES).putLong(0, n)).get(READ.toSeconds(), TimeUnit.SECONDS);
            ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
            for (long sent = 0; sent < n; ) {
                int len = (int) Math.min(CHUNK, n - sent);
                crc.update(block, 0, len);
                inFlight.add(pipe.send(len == CHUNK ? block : Arrays.copyOf(block, len)));
                sent += len;
                if (inFlight.size() >= WINDOW) {
                    inFlight.poll().get(READ.toSeconds(), TimeUnit.SECONDS);
                }
            }
            for (CompletableFuture<Void> f : inFlight) {
                f.get(READ.toSeconds(), TimeUnit.SECONDS);
            }
            long theirs = ByteBuffer.wrap(read(pipe, Long.BYTES)).getLong();
            long transfer = System.nanoTime() - t0;
            say(theirs != crc.getValue() ? "failed checksum strategy=" + strategy
                    : "ok strategy=" + strategy + " call_ms=" + TimeUnit.NANOSECONDS.toMillis(callNanos) + " took_ms="
                    + took.toMillis() + " transfer_ms=" + TimeUnit.NANOSECONDS.toMillis(transfer));
        } finally {
            pipe.closeAsync().get(10, TimeUnit.SECONDS);
        }
    }

    private static void acceptLoop(Node node) {
        for (int i = 0; i < 100_000 && !node.isClosed(); i++) {
            PeerConnection p;
            try {
                p = node.accept().get();
            } catch (Exception e) {
                return; // the node closed
            }
            say("answered strategy=" + p.strategy().label() + " took_ms=" + p.took().toMillis());
            Thread.ofVirtual().start(() -> sink(p.pipe()));
        }
    }

    /** Reads the length prefix and that many bytes, answers their CRC32C, and closes. */
    private static void sink(Pipe pipe) {
        try {
            long n = ByteBuffer.wrap(read(pipe, Long.BYTES)).getLong();
            CRC32C crc = new CRC32C();
            for (long have = 0; have < n; ) {
                byte[] chunk = pipe.recv(READ).get(READ.toSeconds() + 10, TimeUnit.SECONDS).data();
                int data = (int) Math.min(chunk.length, n - have);
                crc.update(chunk, 0, data);
                have += data;
            }
            pipe.send(ByteBuffer.allocate(Long.BYTES).putLong(0, crc.getValue())).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("sink: " + e);
        } finally {
            pipe.closeAsync();
        }
    }

    /** Exactly {@code n} bytes; a longer chunk's rest goes back to the pipe for the next read. */
    private static byte[] read(Pipe pipe, int n) throws Exception {
        byte[] out = new byte[n];
        for (int have = 0; have < n; ) {
            byte[] chunk = pipe.recv(READ).get(READ.toSeconds() + 10, TimeUnit.SECONDS).data();
            int take = Math.min(chunk.length, n - have);
            System.arraycopy(chunk, 0, out, have, take);
            have += take;
            if (take < chunk.length) {
                pipe.unread(Arrays.copyOfRange(chunk, take, chunk.length));
            }
        }
        return out;
    }
}
