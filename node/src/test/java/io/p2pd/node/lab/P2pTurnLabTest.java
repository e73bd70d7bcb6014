package io.p2pd.node.lab;

import static io.p2pd.node.lab.P2pLab.Side.A;
import static io.p2pd.node.lab.P2pLab.Side.B;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.testing.Labs;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TURN across two NATs (issue 13's lab proof): peer A behind one MASQUERADE router, peer B behind another, coturn in
 * the public namespace run as operators run it (long-term credentials, no loopback peers). Neither NAT lets the other
 * peer in, so the relay is the only path. Both peers allocate ({@link TurnPeerMain}, our io.p2pd.turn client) and
 * each sends to the other's relayed address: A -> coturn (A's allocation) -> coturn (B's) -> B, and back. Both
 * allocating keeps each peer's traffic on a path its own NAT opened (its control connection to coturn); a peer that
 * did not allocate would have to send to A's relayed address first to open its NAT for the answers.
 */
@Tag("lab")
class P2pTurnLabTest {
    private static final long START_SECONDS = 60;
    private static final long STEP_SECONDS = 30;
    private static final int FLOOD = 10_000;
    private static final int DIRECT = 20;

    @Test
    void twoPeersBehindTwoNatsTalkOnlyThroughTheRelay(@TempDir Path dir) throws Exception {
        try (P2pLab lab = P2pLab.up(dir, "turn", "masq", "masq")) {
            String server = P2pLab.PUBLIC_IP + ":" + P2pLab.TURN.getPort();
            Labs.Child a = lab.run(A, TurnPeerMain.class.getName(), server, P2pLab.TURN_USER, P2pLab.TURN_PASSWORD);
            Labs.Child b = lab.run(B, TurnPeerMain.class.getName(), server, P2pLab.TURN_USER, P2pLab.TURN_PASSWORD);
            String[] allocA = a.expect("allocated ", START_SECONDS).split(" ");
            String[] allocB = b.expect("allocated ", START_SECONDS).split(" ");
            String directB = b.expect("direct ", STEP_SECONDS).split(" ")[1];
            a.expect("direct ", STEP_SECONDS);
            String relayedA = allocA[1];
            String relayedB = allocB[1];
            // coturn saw each peer from its router's outside address: both are behind their NATs
            assertThat(allocA[2]).startsWith(P2pLab.ROUTER_A + ":");
            assertThat(allocB[2]).startsWith(P2pLab.ROUTER_B + ":");
            assertThat(relayedA).startsWith(P2pLab.PUBLIC_IP + ":");
            assertThat(relayedB).startsWith(P2pLab.PUBLIC_IP + ":").isNotEqualTo(relayedA);

            // No direct path: A sends straight to the mapping B's NAT holds for B's plain socket. These go out before
            // anything through the relay, on a shorter path, so had they passed they would be counted by the time
            // the relayed messages below have arrived.
            assertThat(directB).startsWith(P2pLab.ROUTER_B + ":");
            a.send("direct " + directB + " " + DIRECT);
            a.expect("direct-sent " + DIRECT, STEP_SECONDS);

            a.send("permit " + relayedB);
            a.expect("permitted", STEP_SECONDS);
            b.send("permit " + relayedA);
            b.expect("permitted", STEP_SECONDS);

            // Messages both ways, every byte compared (the sender seen is the other's relayed address)
            Random random = new Random(13);
            for (int size : new int[] {1, 2, 3, 100, 512, 1200}) {
                exchange(a, b, relayedA, relayedB, random, size);
                exchange(b, a, relayedB, relayedA, random, size);
            }

            int[] ab = flood(a, b, relayedB);
            int[] ba = flood(b, a, relayedA);
            System.out.printf("TURN across two NATs, %d datagrams: A->B sent %d received %d lost %d; B->A sent %d "
                    + "received %d lost %d%n", FLOOD, ab[0], ab[1], ab[0] - ab[1], ba[0], ba[1], ba[0] - ba[1]);
            // the direct datagrams never came, though the relayed ones sent after them did
            assertThat(ab[2]).as("datagrams on B's plain socket").isZero();
        }
    }

    /** One message of {@code size} random bytes from {@code from} to {@code to} through the relay, compared whole. */
    private static void exchange(Labs.Child from, Labs.Child to, String fromRelayed, String toRelayed, Random random,
                                 int size) throws Exception {
        byte[] data = new byte[size];
        random.nextBytes(data);
        String hex = HexFormat.of().formatHex(data);
        from.send("send " + toRelayed + " " + hex);
        from.expect("sent", STEP_SECONDS);
        assertThat(to.expect("got ", STEP_SECONDS)).isEqualTo("got " + fromRelayed + " " + hex);
    }

    /**
     * {@value #FLOOD} numbered datagrams from {@code from} to {@code to}; returns {sent, received, datagrams on the
     * receiver's direct socket}. The receiver's
     * count of numbers missing must be exactly sent - received: nothing damaged, duplicated or invented is counted.
     */
    private static int[] flood(Labs.Child from, Labs.Child to, String toRelayed) throws Exception {
        from.send("flood " + toRelayed + " " + FLOOD);
        int sent = Integer.parseInt(from.expect("flooded ", 180).split(" ")[1]);
        to.send("count " + FLOOD);
        String[] r = to.expect("received ", STEP_SECONDS).split(" "); // received R missing M bad B direct D
        int received = Integer.parseInt(r[1]);
        int missing = Integer.parseInt(r[3]);
        assertThat(sent).isEqualTo(FLOOD);
        assertThat(Integer.parseInt(r[5])).as("damaged or duplicated datagrams").isZero();
        assertThat(missing).as("loss counted").isEqualTo(sent - received);
        // between network namespaces on one machine, with windows of 100, nearly everything arrives
        assertThat(received).isGreaterThanOrEqualTo(sent * 9 / 10);
        return new int[] {sent, received, Integer.parseInt(r[7])};
    }
}
