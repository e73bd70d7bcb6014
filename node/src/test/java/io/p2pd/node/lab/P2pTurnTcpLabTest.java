package io.p2pd.node.lab;

import static io.p2pd.node.lab.P2pLab.Side.A;
import static io.p2pd.node.lab.P2pLab.Side.B;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.testing.Labs;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An RFC 6062 TCP relay across two NATs (issue 13's lab proof): peer A behind one MASQUERADE router allocates a TCP
 * relay on coturn in the public namespace (TCP control connection, long-term credentials, no loopback peers), peer B
 * behind another MASQUERADE router has nothing but java.net sockets. B cannot reach A directly: a TCP connect to the
 * mapping A's NAT holds for A's control connection gets nowhere. B dials A's relayed address, which coturn accepts
 * because A permitted router B's IP, and A takes that connection with {@code accept()}. Then 100 MB go each way and
 * each side compares SHA-256 with the other's. The second test gives B a relay too and has A's relay dial it
 * ({@code connect}), so the data crosses both relays.
 *
 * <p>Each side reads on one thread while it writes on another ({@link TurnTcpPeerMain}), so neither end holds up the
 * relay. The two directions still take turns: coturn 4.6.1 stops relaying one direction of an RFC 6062 connection for
 * good when both are saturated at once, whoever the client and the peer are (RELIABILITY.md, TURN).
 */
@Tag("lab")
class P2pTurnTcpLabTest {
    private static final long START_SECONDS = 60;
    private static final long STEP_SECONDS = 30;
    private static final long TRANSFER_SECONDS = 60;
    private static final int MEGABYTES = 100;

    @Test
    void aPeerBehindAnotherNatReachesATcpRelayAndHundredMegabytesGoEachWay(@TempDir Path dir) throws Exception {
        try (P2pLab lab = P2pLab.up(dir, "tcpturn", "masq", "masq")) {
            String server = P2pLab.PUBLIC_IP + ":" + P2pLab.TURN.getPort();
            Labs.Child a = lab.run(A, TurnTcpPeerMain.class.getName(), "relay", server, P2pLab.TURN_USER,
                    P2pLab.TURN_PASSWORD);
            Labs.Child b = lab.run(B, TurnTcpPeerMain.class.getName(), "plain");
            String[] allocated = a.expect("allocated ", START_SECONDS).split(" ");
            String relayed = allocated[1];
            String mapped = allocated[2];
            // coturn saw A from its router's outside address: A is behind its NAT
            assertThat(relayed).startsWith(P2pLab.PUBLIC_IP + ":");
            assertThat(mapped).startsWith(P2pLab.ROUTER_A + ":");

            // No direct path: A's NAT lets nothing in on the mapping its control connection opened (3 s at most)
            b.send("direct " + mapped);
            assertThat(b.expect("direct ", STEP_SECONDS)).isIn("direct refused", "direct timeout", "direct unreachable");

            a.send("permit " + P2pLab.ROUTER_B);
            a.expect("permitted", STEP_SECONDS);
            a.send("accept");
            b.send("dial " + relayed);
            b.expect("dialled", STEP_SECONDS);
            // the peer coturn reports is B as its NAT made it look: router B's address
            assertThat(a.expect("accepted ", STEP_SECONDS)).startsWith("accepted " + P2pLab.ROUTER_B + ":");

            transfer(a, b, 1);
            transfer(b, a, 2);
        }
    }

    /**
     * Both peers behind their NATs with a TCP relay each: A's relay dials B's relayed address ({@code connect}), B
     * takes it with {@code accept()} once it permitted the server's IP (the connection comes from A's relayed
     * address), and 100 MB go each way through both relays.
     */
    @Test
    void aRelayDialsAnotherPeersRelayAndHundredMegabytesGoEachWayThroughBoth(@TempDir Path dir) throws Exception {
        try (P2pLab lab = P2pLab.up(dir, "tcpturn2", "masq", "masq")) {
            String server = P2pLab.PUBLIC_IP + ":" + P2pLab.TURN.getPort();
            Labs.Child a = lab.run(A, TurnTcpPeerMain.class.getName(), "relay", server, P2pLab.TURN_USER,
                    P2pLab.TURN_PASSWORD);
            Labs.Child b = lab.run(B, TurnTcpPeerMain.class.getName(), "relay", server, P2pLab.TURN_USER,
                    P2pLab.TURN_PASSWORD);
            String[] allocatedA = a.expect("allocated ", START_SECONDS).split(" ");
            String[] allocatedB = b.expect("allocated ", START_SECONDS).split(" ");
            assertThat(allocatedA[2]).startsWith(P2pLab.ROUTER_A + ":");
            assertThat(allocatedB[2]).startsWith(P2pLab.ROUTER_B + ":");
            String relayedA = allocatedA[1];
            String relayedB = allocatedB[1];

            b.send("permit " + P2pLab.PUBLIC_IP);
            b.expect("permitted", STEP_SECONDS);
            b.send("accept");
            a.send("connect " + relayedB);
            assertThat(a.expect("connected ", STEP_SECONDS)).isEqualTo("connected " + relayedB);
            // B's peer is A's relayed address: the server dialled from it
            assertThat(b.expect("accepted ", STEP_SECONDS)).isEqualTo("accepted " + relayedA);

            transfer(a, b, 3);
            transfer(b, a, 4);
        }
    }

    /**
     * {@value #MEGABYTES} MB of seeded random bytes from {@code from} to {@code to}, both sides reading and writing on
     * separate threads; the receiver's count and SHA-256 must equal what the sender wrote.
     */
    private static void transfer(Labs.Child from, Labs.Child to, long seed) throws Exception {
        from.send("transfer " + MEGABYTES + " 0 " + seed);
        to.send("transfer 0 " + MEGABYTES + " " + seed);
        String[] sent = from.expect("transferred ", TRANSFER_SECONDS).split(" "); // transferred SENT_SHA GOT GOT_SHA
        String[] got = to.expect("transferred ", TRANSFER_SECONDS).split(" ");
        assertThat(Long.parseLong(got[2])).as("bytes received").isEqualTo((long) MEGABYTES << 20);
        assertThat(got[3]).as("SHA-256 received").isEqualTo(sent[1]);
    }
}
