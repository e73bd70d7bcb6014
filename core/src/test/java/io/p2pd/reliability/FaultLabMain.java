package io.p2pd.reliability;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.p2pd.pipe.Message;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.TcpOptions;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import io.p2pd.pipe.RecvTimeoutException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@link FaultLabTest}, run inside a network namespace. One line per event on standard output;
 * every loop is bounded in count and time.
 *
 * <ul>
 *   <li>{@code udp-echo IP}: a UDP echo server on IP, port 0; prints {@code ready PORT}, runs until stdin ends.</li>
 *   <li>{@code udp-client IP PORT}: sends "seq N" and waits up to 200 ms for its echo, again and again; prints
 *       {@code ok N}, {@code lost N} (no echo in time) or {@code send-error N CLASS}; on "stop" from stdin (or
 *       after 60 s / 20,000 rounds) prints {@code stats ...} and exits.</li>
 *   <li>{@code udp-send IP PORT}: sends one datagram from a UDP client pipe; prints {@code sent} or
 *       {@code send-error CLASS MESSAGE}.</li>
 *   <li>{@code connect IP PORT TIMEOUT_MS COUNT}: TCP connects COUNT times with conTimeout TIMEOUT_MS; prints
 *       {@code result CLASS ELAPSED_MS} for each.</li>
 * </ul>
 */
public final class FaultLabMain {

    private FaultLabMain() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "udp-echo" -> udpEcho(args[1]);
            case "udp-client" -> udpClient(args[1], Integer.parseInt(args[2]));
            case "udp-send" -> udpSend(args[1], Integer.parseInt(args[2]));
            case "connect" -> connect(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]));
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.flush();
        System.exit(0); // the shared event loops are not daemon threads
    }

    private static void udpEcho(String ip) throws Exception {
        try (Pipe server = Pipes.udp().bind(new InetSocketAddress(ip, 0))
                .msgHandler(MsgHandler.plain((m, p) -> p.send(m.data(), m.sender()))).open().join()) {
            System.out.println("ready " + server.localAddress().getPort());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, UTF_8));
            while (in.readLine() != null) {
                // until the parent closes our stdin (or kills us)
            }
            System.out.println("stats " + server.stats());
        }
    }

    private static void udpSend(String ip, int port) {
        try (Pipe client = Pipes.open(Proto.UDP, new InetSocketAddress(ip, port)).join()) {
            client.send("one".getBytes(UTF_8)).join();
            System.out.println("sent");
        } catch (CompletionException e) {
            System.out.println("send-error " + e.getCause().getClass().getName() + " " + e.getCause().getMessage());
        }
    }

    private static void udpClient(String ip, int port) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int ok = 0;
        int lost = 0;
        int sendErrors = 0;
        int stale = 0;
        try (Pipe client = Pipes.open(Proto.UDP, new InetSocketAddress(ip, port)).join()) {
            for (int seq = 0; seq < 20_000 && System.nanoTime() < end; seq++) {
                if (System.in.available() > 0) {
                    break; // "stop"
                }
                String text = "seq " + seq;
                try {
                    client.send(text.getBytes(UTF_8)).join();
                } catch (CompletionException e) {
                    sendErrors++;
                    System.out.println("send-error " + seq + " " + e.getCause().getClass().getName());
                    // Not a wait for an event: pacing, so a down link is not hammered in a tight loop.
                    client.recv(Duration.ofMillis(50)).exceptionally(x -> null).join();
                    continue;
                }
                boolean got = false;
                try {
                    while (!got) { // skip late echoes of earlier numbers
                        Message m = client.recv(Duration.ofMillis(200)).join();
                        if (m.text().equals(text)) {
                            got = true;
                        } else {
                            stale++;
                        }
                    }
                } catch (CompletionException e) {
                    if (!(e.getCause() instanceof RecvTimeoutException)) {
                        throw e;
                    }
                }
                if (got) {
                    ok++;
                    System.out.println("ok " + seq);
                } else {
                    lost++;
                    System.out.println("lost " + seq);
                }
            }
            System.out.println("stats ok=" + ok + " lost=" + lost + " sendErrors=" + sendErrors + " stale=" + stale
                    + " open=" + client.isOpen() + " pipe=" + client.stats());
        }
    }

    private static void connect(String ip, int port, int timeoutMs, int count) {
        TcpOptions conf = TcpOptions.builder().conTimeout(Duration.ofMillis(timeoutMs)).build();
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            String result;
            try {
                Pipes.tcp().dest(new InetSocketAddress(ip, port)).tcp(conf).open().join().close();
                result = "connected";
            } catch (CompletionException e) {
                result = e.getCause().getClass().getName();
            }
            System.out.println("result " + result + " " + (System.nanoTime() - start) / 1_000_000);
        }
    }
}
