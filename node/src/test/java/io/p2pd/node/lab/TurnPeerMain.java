package io.p2pd.node.lab;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.p2pd.pipe.Message;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.turn.TurnAllocation;
import io.p2pd.turn.TurnClient;
import io.p2pd.turn.TurnConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One peer of {@link P2pTurnLabTest}, run in a peer namespace of the two-NAT lab: allocates a relay on coturn with
 * long-term credentials and prints {@code allocated RELAYED MAPPED}, then {@code direct IP:PORT}: a plain UDP socket
 * of its own whose NAT mapping it opened by sending one datagram to the server (so a datagram sent straight to that
 * mapping from elsewhere would arrive, were the NAT to let it). Commands on stdin, each answered by one line:
 *
 * <ul>
 *   <li>{@code permit IP:PORT}: a permission for that peer ({@code permitted});
 *   <li>{@code send IP:PORT HEX}: those bytes to that peer through the relay ({@code sent}); every message that comes
 *       through the relay is printed as {@code got SENDER HEX};
 *   <li>{@code direct IP:PORT N}: N datagrams straight to that address from a fresh plain socket, no relay
 *       ({@code direct-sent N});
 *   <li>{@code flood IP:PORT N}: N numbered 200-byte datagrams through the relay, in windows of 100, each window
 *       waiting (at most 1 s) for the receiver's acknowledgement of its last datagram ({@code flooded SENT});
 *   <li>{@code count N}: what came of a flood ({@code received R missing M bad B direct D}): R distinct intact
 *       datagrams, M of 0..N-1 not among them, B damaged or unexpected ones, D datagrams on the direct socket.
 * </ul>
 * It releases the allocation and ends when stdin ends.
 *
 * <p>usage: TurnPeerMain SERVER_IP:PORT USER PASSWORD
 */
public final class TurnPeerMain {
    private static final int SIZE = 200;
    private static final int WINDOW = 100;
    private static final byte MESSAGE = 'M';
    private static final byte FLOOD = 'F';
    private static final byte ACK = 'A';

    private final TurnAllocation allocation;
    private final Set<Integer> flood = ConcurrentHashMap.newKeySet();
    private final AtomicInteger bad = new AtomicInteger();
    private final Semaphore acks = new Semaphore(0);
    private final AtomicInteger ackedUpTo = new AtomicInteger(-1);

    private TurnPeerMain(TurnAllocation allocation) {
        this.allocation = allocation;
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    public static void main(String[] args) throws Exception {
        InetSocketAddress server = address(args[0]);
        TurnAllocation a = TurnClient.allocate(server, TurnConfig.builder(args[1], args[2])
                .initialRto(Duration.ofMillis(200)).build()).get(30, TimeUnit.SECONDS);
        TurnPeerMain peer = new TurnPeerMain(a);
        try (DatagramSocket direct = new DatagramSocket(0)) {
            AtomicInteger directCount = new AtomicInteger();
            Thread directReader = new Thread(() -> {
                byte[] b = new byte[2048];
                for (int i = 0; i < 100_000 && !direct.isClosed(); i++) {
                    try {
                        direct.receive(new DatagramPacket(b, b.length));
                        directCount.incrementAndGet();
                    } catch (java.io.IOException closed) {
                        return;
                    }
                }
            }, "direct-reader");
            directReader.setDaemon(true);
            directReader.start();
            // Opens this socket's mapping on our NAT toward the server (which ignores a datagram that is not STUN).
            direct.send(new DatagramPacket(new byte[] {0}, 1, server));
            a.pipe().addMsgHandler(MsgHandler.plain((m, p) -> peer.onMessage(m)));
            say("allocated " + text(a.relayedAddress()) + " " + text(a.mappedAddress().orElseThrow()));
            say("direct " + text(new InetSocketAddress(a.mappedAddress().orElseThrow().getAddress(),
                    direct.getLocalPort())));
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, UTF_8));
            for (int n = 0; n < 1000; n++) {
                String line = in.readLine();
                if (line == null) {
                    break;
                }
                String[] c = line.split(" ");
                switch (c[0]) {
                    case "permit" -> {
                        a.permit(address(c[1])).get(30, TimeUnit.SECONDS);
                        say("permitted");
                    }
                    case "send" -> {
                        byte[] hex = HexFormat.of().parseHex(c[2]);
                        a.pipe().send(ByteBuffer.allocate(1 + hex.length).put(MESSAGE).put(hex).array(), address(c[1]))
                                .get(30, TimeUnit.SECONDS);
                        say("sent");
                    }
                    case "direct" -> {
                        int count = Integer.parseInt(c[2]);
                        try (DatagramSocket s = new DatagramSocket(0)) {
                            for (int i = 0; i < count; i++) {
                                s.send(new DatagramPacket(datagram(MESSAGE, i), SIZE, address(c[1])));
                            }
                        }
                        say("direct-sent " + count);
                    }
                    case "flood" -> say("flooded " + peer.flood(address(c[1]), Integer.parseInt(c[2])));
                    case "count" -> {
                        int count = Integer.parseInt(c[1]);
                        long missing = java.util.stream.IntStream.range(0, count).filter(i -> !peer.flood.contains(i))
                                .count();
                        say("received " + peer.flood.size() + " missing " + missing + " bad " + peer.bad.get()
                                + " direct " + directCount.get());
                    }
                    default -> say("error unknown command " + line);
                }
            }
        } finally {
            a.closeAsync().get(30, TimeUnit.SECONDS);
        }
        System.exit(0); // the event-loop threads are not daemons
    }

    /** Sends {@code count} numbered datagrams in acknowledged windows; returns how many were handed to the relay. */
    private int flood(InetSocketAddress peer, int count) throws Exception {
        int sent = 0;
        for (int window = 0; window < count; window += WINDOW) {
            int last = Math.min(window + WINDOW, count) - 1;
            for (int i = window; i <= last; i++) {
                allocation.pipe().send(datagram(FLOOD, i), peer).get(30, TimeUnit.SECONDS);
                sent++;
            }
            // the receiver acknowledges each window's last datagram; a lost one costs this window 1 s, no more
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (ackedUpTo.get() < last && System.nanoTime() < deadline) {
                acks.tryAcquire(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            }
        }
        return sent;
    }

    private void onMessage(Message m) {
        byte[] d = m.data();
        if (d.length == 0) {
            bad.incrementAndGet();
            return;
        }
        switch (d[0]) {
            case MESSAGE -> say("got " + text(m.sender()) + " " + HexFormat.of().formatHex(d, 1, d.length));
            case FLOOD -> {
                int seq = d.length == SIZE ? ByteBuffer.wrap(d).getInt(1) : -1;
                if (seq < 0 || !java.util.Arrays.equals(d, datagram(FLOOD, seq)) || !flood.add(seq)) {
                    bad.incrementAndGet(); // damaged, or a duplicate: either would hide a loss
                    return;
                }
                if (seq % WINDOW == WINDOW - 1) {
                    allocation.pipe().send(ByteBuffer.allocate(5).put(ACK).putInt(seq).array(), m.sender());
                }
            }
            case ACK -> {
                ackedUpTo.accumulateAndGet(ByteBuffer.wrap(d).getInt(1), Math::max);
                acks.release();
            }
            default -> bad.incrementAndGet();
        }
    }

    /** Datagram number {@code seq}: its kind, the number, then bytes that depend on both (every byte checked). */
    private static byte[] datagram(byte kind, int seq) {
        ByteBuffer b = ByteBuffer.allocate(SIZE).put(kind).putInt(seq);
        for (int i = b.position(); i < SIZE; i++) {
            b.put((byte) (seq * 31 + i));
        }
        return b.array();
    }

    private static String text(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }
}
