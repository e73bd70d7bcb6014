package io.p2pd.node.lab;

import static io.p2pd.node.lab.P2pLab.Side.A;
import static io.p2pd.node.lab.P2pLab.Side.B;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerInterface;
import io.p2pd.node.punch.NatBehaviour;
import io.p2pd.node.punch.PunchDecision;
import io.p2pd.node.punch.PunchException;
import io.p2pd.node.punch.PunchFeasibility;
import io.p2pd.node.punch.PunchLabMain;
import io.p2pd.testing.Labs;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TCP hole punching on the wire across two real NATs (issue 15): each pair of nat-rules.sh modes in fresh namespaces
 * of the two-NAT lab, a node in a child JVM on each side ({@link PunchLabMain}). Each node must detect the NAT its
 * mode gives; each pair's verdict (punch or refused) is written here, {@link PunchFeasibility} must agree with it for
 * those detected NATs, and a punched pair must carry 10 MB each way with equal SHA-256 digests; a refused pair must
 * fail with {@link PunchException.Step#PREDICTION_IMPOSSIBLE} and the table's reason, a step that comes before any
 * signal (nothing is signalled, no window runs).
 *
 * <p>The step-dependent NAT (symmetric, delta dependent) punches to a UDP firewall, which drops an early SYN so the
 * first attempt's port stays; beside masq or a step-independent NAT the table refuses it (their Linux routers refuse
 * an early SYN with a reset, and each retry through the step-dependent NAT gets the next port): see
 * {@link PunchFeasibility}. The punched line names the peer's public IP: its router's behind a NAT, its own behind
 * the firewall.
 */
@Tag("lab")
class PunchMatrixLabTest {
    private static final long START_SECONDS = 60;
    private static final long PUNCH_SECONDS = 30;
    private static final long TRANSFER_SECONDS = 60;
    private static final int BYTES = 10 * 1024 * 1024;
    private static final int STEP = 3;
    private static final Pattern DIGESTS = Pattern.compile("digests sent=(\\p{XDigit}{64}) received=(\\p{XDigit}{64})");

    /** What a pair must do, written out here, not taken from the table under test. */
    enum Expected { PUNCH, REFUSED }

    static Stream<Arguments> pairs() {
        return Stream.of(
                Arguments.of("masq", "masq", Expected.PUNCH),
                Arguments.of("masq", "fullcone", Expected.PUNCH), // direct suffices, but a punch works too
                Arguments.of("restricted", "masq", Expected.PUNCH),
                Arguments.of("offset", "masq", Expected.PUNCH),
                Arguments.of("offset", "offset", Expected.PUNCH),
                Arguments.of("step-independent:" + STEP, "masq", Expected.PUNCH),
                Arguments.of("step-dependent:" + STEP, "firewall", Expected.PUNCH),
                Arguments.of("step-dependent:" + STEP, "masq", Expected.REFUSED),
                Arguments.of("step-dependent:" + STEP, "step-independent:" + STEP, Expected.REFUSED),
                Arguments.of("random", "random", Expected.REFUSED),
                Arguments.of("random", "masq", Expected.REFUSED));
    }

    @ParameterizedTest(name = "{0} <-> {1}: {2}")
    @MethodSource("pairs")
    void punchesExactlyWhereTheTableSays(String modeA, String modeB, Expected expected, @TempDir Path dir)
            throws Exception {
        try (P2pLab lab = P2pLab.up(dir, "pm", modeA, modeB)) {
            lab.startStun();
            Labs.Child a = lab.run(A, PunchLabMain.class.getName(), A.nic(), P2pLab.STUN, P2pLab.BROKER);
            Labs.Child b = lab.run(B, PunchLabMain.class.getName(), B.nic(), P2pLab.STUN, P2pLab.BROKER);
            String addressA = a.expect("address ", START_SECONDS).substring("address ".length());
            String addressB = b.expect("address ", START_SECONDS).substring("address ".length());
            NatBehaviour natA = detected(addressA, modeA);
            NatBehaviour natB = detected(addressB, modeB);
            PunchDecision decision = PunchFeasibility.decide(natA, natB);
            assertThat(decision.punchable()).as("the table for %s <-> %s: %s", natA, natB, decision.reason())
                    .isEqualTo(expected == Expected.PUNCH);
            assertThat(PunchFeasibility.decide(natB, natA).punchable()).isEqualTo(decision.punchable());
            if (expected == Expected.PUNCH) {
                b.send("accept " + BYTES);
                a.send("punch " + addressB + " " + BYTES);
                assertThat(a.expect("punched", PUNCH_SECONDS)).as("A behind %s", modeA)
                        .contains("initiator=true", "/" + publicIp(lab, B, modeB) + ":");
                assertThat(b.expect("punched", PUNCH_SECONDS)).as("B behind %s", modeB)
                        .contains("initiator=false strategy=punch", "/" + publicIp(lab, A, modeA) + ":");
                Matcher da = digests(a.expect("digests", TRANSFER_SECONDS));
                Matcher db = digests(b.expect("digests", TRANSFER_SECONDS));
                assertThat(da.group(2)).as("what A received is what B sent").isEqualTo(db.group(1));
                assertThat(db.group(2)).as("what B received is what A sent").isEqualTo(da.group(1));
                assertThat(da.group(1)).isNotEqualTo(db.group(1));
            } else {
                a.send("punch " + addressB + " " + BYTES);
                String failed = a.expect("failed ", PUNCH_SECONDS);
                assertThat(failed).startsWith("failed " + PunchException.Step.PREDICTION_IMPOSSIBLE + " ")
                        .contains(decision.reason());
            }
        }
    }

    /** Where a side's connections come from: its router's IP behind a NAT, its own without one. */
    private static String publicIp(P2pLab lab, P2pLab.Side side, String mode) {
        return mode.equals("firewall") ? lab.peerIp(side) : lab.routerIp(side);
    }

    private static Matcher digests(String line) {
        Matcher m = DIGESTS.matcher(line);
        assertThat(m.matches()).as("digest line %s", line).isTrue();
        return m;
    }

    /** The NAT a node's address says it detected, checked against what its lab mode must give. */
    private static NatBehaviour detected(String address, String mode) {
        PeerInterface i = PeerAddress.parse(address).v4().get(0);
        NatBehaviour nat = new NatBehaviour(i.nat(), i.delta());
        String[] m = mode.split(":");
        int k = m.length > 1 ? Integer.parseInt(m[1]) : 0;
        switch (m[0]) {
            case "firewall" -> assertThat(nat).isEqualTo(NatBehaviour.of(NatType.UDP_FIREWALL, DeltaType.NOT_APPLICABLE));
            case "masq" -> assertThat(nat).isEqualTo(NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.EQUAL));
            case "fullcone" -> assertThat(nat).isEqualTo(NatBehaviour.of(NatType.FULL_CONE, DeltaType.EQUAL));
            case "restricted" -> assertThat(nat).isEqualTo(NatBehaviour.of(NatType.RESTRICTED, DeltaType.EQUAL));
            case "offset" -> {
                assertThat(nat.type()).as("%s", nat).isEqualTo(NatType.PORT_RESTRICTED);
                assertThat(nat.delta().type()).as("%s", nat).isEqualTo(DeltaType.PRESERVING);
                assertThat(nat.delta().value() % 10000).as("%s", nat).isZero();
            }
            case "random" -> assertThat(nat).isEqualTo(NatBehaviour.of(NatType.SYMMETRIC, DeltaType.RANDOM));
            case "step-independent" -> assertThat(nat)
                    .isEqualTo(NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.INDEPENDENT, k));
            case "step-dependent" -> assertThat(nat)
                    .isEqualTo(NatBehaviour.of(NatType.SYMMETRIC, DeltaType.DEPENDENT, k));
            default -> throw new IllegalArgumentException("no expectation for mode " + mode);
        }
        return nat;
    }
}
