package io.p2pd.node.lab;

import static io.p2pd.node.lab.P2pLab.Side.A;
import static io.p2pd.node.lab.P2pLab.Side.B;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.testing.Labs;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code node.connect} across two real NATs (issue 16): for each NAT pair a fresh two-NAT lab ({@link P2pLab}), node A
 * (with coturn as its TURN server) connects to node B racing every strategy, each in a child JVM
 * ({@link ConnectLabMain}). The test asserts the strategy that wins, that 10 MB cross each way with equal SHA-256 on
 * both ends, and that each process's open sockets are back to what they were before the connect once the pipe is
 * closed: every losing attempt (dials, punch sockets, the relay's allocation) was closed.
 */
@Tag("lab")
class ConnectMatrixLabTest {
    private static final long START_SECONDS = 60;
    private static final long CONNECT_SECONDS = 90;
    private static final int BYTES = 10 << 20;

    /**
     * The expectation table of issue 16: A's mode, B's mode (the same mode twice for the one-router layout), whether
     * both sit behind one router, and the winner, each with the default {@code ConnectOptions} (punch after 250 ms,
     * relay after 2 s). A is the connecting side and the only one with a TURN account.
     */
    static Stream<Arguments> pairs() {
        return Stream.of(
                // nothing in the way: A's dial to B's listening port goes through at once
                Arguments.of("open", "open", false, "direct"),
                // B's NAT drops A's dial; B can dial A's open port, so the dial-back wins before any punch or relay
                Arguments.of("open", "masq", false, "reverse"),
                // B is reachable: A's dial gets out through its own NAT
                Arguments.of("masq", "open", false, "direct"),
                // neither is reachable; two port-restricted cones with preserving ports can punch
                Arguments.of("masq", "masq", false, "punch"),
                // neither is reachable (full cone maps only ports that sent out); a cone pair punches
                Arguments.of("fullcone", "restricted", false, "punch"),
                // a port-restricted cone that keeps the distances between local ports: its mapping is predictable
                Arguments.of("offset", "masq", false, "punch"),
                // a symmetric NAT with random ports cannot be predicted: punch is skipped, the relay wins
                Arguments.of("random", "masq", false, "relay"),
                Arguments.of("random", "random", false, "relay"),
                // A's UDP is dropped but its TCP is open and unfiltered: B dials back
                Arguments.of("blocked", "masq", false, "reverse"),
                // one LAN behind one router: A dials B's LAN address
                Arguments.of("masq", "masq", true, "direct"));
    }

    @ParameterizedTest(name = "{0} <-> {1}, same router {2}: {3}")
    @MethodSource("pairs")
    void theExpectedStrategyWinsTenMegabytesCrossEachWayAndTheLosersLeaveNoSocket(String modeA, String modeB,
            boolean sameRouter, String winner, @TempDir Path dir) throws Exception {
        String tag = sameRouter ? "cmsame" : "cm" + Integer.toHexString((modeA + modeB).hashCode() & 0xfffff);
        try (P2pLab lab = sameRouter ? P2pLab.same(dir, tag, modeA) : P2pLab.up(dir, tag, modeA, modeB)) {
            lab.startStun();
            String turn = P2pLab.PUBLIC_IP + ":" + P2pLab.TURN.getPort();
            Labs.Child a = lab.run(A, ConnectLabMain.class.getName(), A.nic(), P2pLab.STUN, P2pLab.BROKER, turn,
                    P2pLab.TURN_USER, P2pLab.TURN_PASSWORD);
            Labs.Child b = lab.run(B, ConnectLabMain.class.getName(), B.nic(), P2pLab.STUN,
                    P2pLab.BROKER);
            a.expect("address ", START_SECONDS);
            String addressB = b.expect("address ", START_SECONDS).substring("address ".length());

            b.send("accept " + BYTES);
            a.send("connect " + addressB + " " + BYTES);
            Map<String, String> connected = fields(a.expect("", CONNECT_SECONDS));
            assertThat(connected).as("%s%nA's stderr:%n%s%ncoturn's log ends:%n%s", connected.get("line"),
                    a.stderrText(), tail(lab.coturnLog())).containsKey("done");
            Map<String, String> accepted = fields(b.expect("", CONNECT_SECONDS));
            assertThat(accepted).as("%s%nB's stderr:%n%s", accepted.get("line"), b.stderrText())
                    .containsKey("done");
            assertThat(connected.get("strategy")).as(connected.get("summary")).isEqualTo(winner);
            assertThat(accepted.get("strategy")).as("B's side").isEqualTo(winner);
            assertThat(accepted.get("received")).as("A to B").isEqualTo(connected.get("sent"));
            assertThat(connected.get("received")).as("B to A").isEqualTo(accepted.get("sent"));
            assertThat(connected.get("sockets")).as("A's sockets after").isEqualTo(connected.get("baseline"));
            assertThat(accepted.get("sockets")).as("B's sockets after").isEqualTo(accepted.get("baseline"));
        }
    }

    private static String tail(String log) {
        return log.substring(Math.max(0, log.length() - 4000));
    }

    /** {@code done k=v ... summary=REST}: the first word as a key, then each field (the summary to the end). */
    static Map<String, String> fields(String line) {
        int s = line.indexOf(" summary=");
        String head = s < 0 ? line : line.substring(0, s);
        Map<String, String> m = Arrays.stream(head.split(" ")).map(w -> w.split("=", 2))
                .collect(Collectors.toMap(kv -> kv[0], kv -> kv.length == 2 ? kv[1] : "", (x, y) -> y));
        m.put("line", line);
        if (s >= 0) {
            m.put("summary", line.substring(s + " summary=".length()));
        }
        return m;
    }
}
