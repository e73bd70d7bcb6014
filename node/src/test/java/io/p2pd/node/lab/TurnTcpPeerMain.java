package io.p2pd.node.lab;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.p2pd.pipe.Pipe;
import io.p2pd.turn.TurnClient;
import io.p2pd.turn.TurnConfig;
import io.p2pd.turn.TurnTcpAllocation;
import io.p2pd.turn.TurnTransport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One peer of {@link P2pTurnTcpLabTest}, run in a peer namespace of the two-NAT lab. With {@code relay SERVER USER
 * PASSWORD} it allocates an RFC 6062 TCP relay on coturn over a TCP control connection (our io.p2pd.turn client) and
 * prints {@code allocated RELAYED MAPPED}; with {@code plain} it is a peer with nothing but java.net sockets. Commands
 * on stdin, each answered by one line:
 *
 * <ul>
 *   <li>{@code permit IP}: (relay) a permission for that IP ({@code permitted});
 *   <li>{@code accept}: (relay) the next connection a peer dialled to the relayed address
 *       ({@code accepted PEER_IP:PORT}, the peer as the server saw it);
 *   <li>{@code connect IP:PORT}: (relay) a connection to that peer through the relay (Connect, ConnectionBind),
 *       kept for {@code transfer} ({@code connected PEER_IP:PORT});
 *   <li>{@code direct IP:PORT}: (plain) a TCP connect straight to that address, given at most 3 s
 *       ({@code direct connected|refused|timeout|unreachable});
 *   <li>{@code dial IP:PORT}: (plain) a TCP connection to that address, kept for {@code transfer}
 *       ({@code dialled});
 *   <li>{@code transfer SEND_MB RECV_MB SEED}: on the connection accepted or dialled, SEND_MB megabytes of random
 *       bytes from SEED written on one thread while another reads RECV_MB megabytes
 *       ({@code transferred SENT_SHA GOT_BYTES GOT_SHA}), or {@code error ...} when the writing has not finished
 *       within 50 s.
 * </ul>
 * It ends when stdin ends.
 */
public final class TurnTcpPeerMain {
    private static final int CHUNK = 64 << 10;
    private static final long TRANSFER_SECONDS = 50;
    private static final Duration READ = Duration.ofSeconds(15);

    private TurnTcpPeerMain() {
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    /** A connection the transfer reads from and writes to. */
    private interface Conn {
        void write(byte[] chunk) throws Exception;

        /** The next bytes, or an empty array at the end of the stream. */
        byte[] read() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        TurnTcpAllocation relay = null;
        if (args[0].equals("relay")) {
            TurnConfig config = TurnConfig.builder(args[2], args[3]).transport(TurnTransport.TCP)
                    .initialRto(Duration.ofMillis(200)).build();
            relay = TurnClient.allocateTcp(address(args[1]), config).get(30, TimeUnit.SECONDS);
            say("allocated " + text(relay.relayedAddress()) + " " + text(relay.mappedAddress().orElseThrow()));
        }
        Conn conn = null;
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, UTF_8));
            for (int n = 0; n < 100; n++) {
                String line = in.readLine();
                if (line == null) {
                    break;
                }
                String[] c = line.split(" ");
                switch (c[0]) {
                    case "permit" -> {
                        relay.permit(new InetSocketAddress(c[1], 0)).get(30, TimeUnit.SECONDS);
                        say("permitted");
                    }
                    case "accept" -> {
                        Pipe pipe = relay.accept().get(30, TimeUnit.SECONDS);
                        conn = pipeConn(pipe);
                        say("accepted " + text(relay.peerOf(pipe).orElseThrow()));
                    }
                    case "connect" -> {
                        Pipe pipe = relay.connect(address(c[1])).get(30, TimeUnit.SECONDS);
                        conn = pipeConn(pipe);
                        say("connected " + text(relay.peerOf(pipe).orElseThrow()));
                    }
                    case "direct" -> say("direct " + direct(address(c[1])));
                    case "dial" -> {
                        Socket s = new Socket();
                        s.connect(address(c[1]), 10_000);
                        s.setSoTimeout((int) READ.toMillis());
                        conn = socketConn(s);
                        say("dialled");
                    }
                    case "transfer" -> say(transfer(conn, Integer.parseInt(c[1]) << 20, Integer.parseInt(c[2]) << 20,
                            Long.parseLong(c[3])));
                    default -> say("error unknown command " + line);
                }
            }
        } finally {
            if (relay != null) {
                relay.close();
            }
        }
        System.exit(0); // the event-loop threads are not daemons
    }

    /** What came of a TCP connect straight to {@code target}: the NAT should never let it through. */
    private static String direct(InetSocketAddress target) {
        try (Socket s = new Socket()) {
            s.connect(target, 3_000);
            return "connected";
        } catch (SocketTimeoutException e) {
            return "timeout";
        } catch (java.net.ConnectException e) {
            return "refused";
        } catch (IOException e) {
            return "unreachable";
        }
    }

    /**
     * Writes {@code toSend} seeded random bytes on one thread while this one reads {@code toReceive} bytes: neither
     * direction waits for the other, so this end never holds up the relay by not reading while it writes.
     */
    private static String transfer(Conn conn, int toSend, int toReceive, long seed) throws Exception {
        CompletableFuture<String> sent = CompletableFuture.supplyAsync(() -> {
            try {
                Random random = new Random(seed);
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                for (int done = 0; done < toSend; done += CHUNK) {
                    byte[] chunk = new byte[Math.min(CHUNK, toSend - done)];
                    random.nextBytes(chunk);
                    sha.update(chunk);
                    conn.write(chunk);
                }
                return HexFormat.of().formatHex(sha.digest());
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, runnable -> Thread.ofPlatform().name("writer").daemon().start(runnable));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long got = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TRANSFER_SECONDS);
        while (got < toReceive && System.nanoTime() < deadline) {
            byte[] data;
            try {
                data = conn.read();
            } catch (java.util.concurrent.ExecutionException | IOException e) {
                break; // nothing came for 15 s: the count says how far it got
            }
            if (data.length == 0) {
                break;
            }
            sha.update(data);
            got += data.length;
        }
        String gotSha = HexFormat.of().formatHex(sha.digest());
        long left = Math.max(1, deadline - System.nanoTime());
        try {
            return "transferred " + sent.get(left, TimeUnit.NANOSECONDS) + " " + got + " " + gotSha;
        } catch (java.util.concurrent.TimeoutException e) {
            return "error writing did not finish; read " + got + " of " + toReceive;
        }
    }

    private static Conn pipeConn(Pipe pipe) {
        return new Conn() {
            @Override
            public void write(byte[] chunk) throws Exception {
                // each send waits for the one before to be written: the pipe's back-pressure paces the writer
                pipe.send(chunk).get(TRANSFER_SECONDS, TimeUnit.SECONDS);
            }

            @Override
            public byte[] read() throws Exception {
                return pipe.recv(READ).get(TRANSFER_SECONDS + 5, TimeUnit.SECONDS).data();
            }
        };
    }

    private static Conn socketConn(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] buffer = new byte[CHUNK];
        return new Conn() {
            @Override
            public void write(byte[] chunk) throws IOException {
                out.write(chunk);
            }

            @Override
            public byte[] read() throws IOException {
                int n = in.read(buffer);
                return n < 0 ? new byte[0] : java.util.Arrays.copyOf(buffer, n);
            }
        };
    }

    private static String text(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }
}
