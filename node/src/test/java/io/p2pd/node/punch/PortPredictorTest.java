package io.p2pd.node.punch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.node.punch.PortPrediction.Impossible;
import io.p2pd.node.punch.PortPrediction.Ports;
import java.util.List;
import org.junit.jupiter.api.Test;

class PortPredictorTest {

    private static final NatBehaviour OPEN = NatBehaviour.of(NatType.OPEN_INTERNET, DeltaType.NOT_APPLICABLE);
    private static final NatBehaviour FIREWALL = NatBehaviour.of(NatType.UDP_FIREWALL, DeltaType.NOT_APPLICABLE);
    private static final NatBehaviour MASQ = NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.EQUAL);
    private static final NatBehaviour BLOCKED = NatBehaviour.of(NatType.BLOCKED, DeltaType.NOT_APPLICABLE);

    private static Ports ports(PortPrediction p) {
        assertThat(p).isInstanceOf(Ports.class);
        return (Ports) p;
    }

    private static String impossible(PortPrediction p) {
        assertThat(p).isInstanceOf(Impossible.class);
        return ((Impossible) p).reason();
    }

    private static NatBehaviour nat(NatType type, DeltaType delta, int value) {
        return NatBehaviour.of(type, delta, value);
    }

    // --- a fresh local port

    @Test
    void withoutNatTheExternalPortIsTheLocalOne() {
        for (NatBehaviour n : List.of(OPEN, FIREWALL)) {
            Ports p = ports(PortPredictor.forFreshPort(n, 40001));
            assertThat(p.localPort()).isEqualTo(40001);
            assertThat(p.externalPorts()).containsExactly(40001);
            assertThat(p.basis()).startsWith("no NAT");
        }
    }

    @Test
    void equalDeltaKeepsTheLocalPort() {
        assertThat(ports(PortPredictor.forFreshPort(MASQ, 51234)).externalPorts()).containsExactly(51234);
    }

    @Test
    void preservingDeltaAddsTheOffset() {
        Ports up = ports(PortPredictor.forFreshPort(nat(NatType.PORT_RESTRICTED, DeltaType.PRESERVING, 3), 40000));
        assertThat(up.externalPorts()).containsExactly(40003);
        assertThat(up.basis()).contains("+ 3");
        Ports down = ports(PortPredictor.forFreshPort(nat(NatType.RESTRICTED, DeltaType.PRESERVING, -20000), 45000));
        assertThat(down.externalPorts()).containsExactly(25000);
        assertThat(down.basis()).contains("- 20000");
    }

    @Test
    void preservingOffsetPastTheEndWrapsToTheStartOfTheRange() {
        NatBehaviour n = nat(NatType.PORT_RESTRICTED, DeltaType.PRESERVING, 1000);
        // 65000 + 1000 = 66000 is 465 ports past 65535: 1024 + 464
        assertThat(ports(PortPredictor.forFreshPort(n, 65000)).first()).isEqualTo(1488);
        NatBehaviour back = nat(NatType.PORT_RESTRICTED, DeltaType.PRESERVING, -1000);
        // 1500 - 1000 = 500 is 524 ports below 1024: 65535 - 523
        assertThat(ports(PortPredictor.forFreshPort(back, 1500)).first()).isEqualTo(65012);
    }

    @Test
    void stepDeltasNeedAnObservedMapping() {
        for (DeltaType d : List.of(DeltaType.INDEPENDENT, DeltaType.DEPENDENT)) {
            String reason = impossible(PortPredictor.forFreshPort(nat(NatType.SYMMETRIC, d, 1), 40000));
            assertThat(reason).startsWith(d.label() + " delta").contains("observed first");
        }
    }

    @Test
    void randomDeltaCannotPredictAFreshPort() {
        for (NatType t : List.of(NatType.PORT_RESTRICTED, NatType.SYMMETRIC)) {
            assertThat(impossible(PortPredictor.forFreshPort(NatBehaviour.of(t, DeltaType.RANDOM), 40000)))
                    .contains("random delta").contains("kept open");
        }
    }

    @Test
    void blockedAndUnmeasuredAreImpossibleEverywhere() {
        PortMapping m = new PortMapping(40000, 40000);
        NatBehaviour unmeasured = NatBehaviour.of(NatType.RESTRICTED, DeltaType.NOT_APPLICABLE);
        assertThat(impossible(PortPredictor.forFreshPort(BLOCKED, 40000))).contains("blocked");
        assertThat(impossible(PortPredictor.afterMapping(BLOCKED, m, 40001, 1))).contains("blocked");
        assertThat(impossible(PortPredictor.reusing(BLOCKED, m, 1))).contains("blocked");
        assertThat(impossible(PortPredictor.forFreshPort(unmeasured, 40000))).contains("not measured");
        assertThat(impossible(PortPredictor.afterMapping(unmeasured, m, 40001, 1))).contains("not measured");
        assertThat(impossible(PortPredictor.reusing(unmeasured, m, 1))).contains("not measured");
    }

    // --- after a mapping observed by STUN

    @Test
    void independentStepCountsOnFromTheLastMapping() {
        NatBehaviour n = nat(NatType.PORT_RESTRICTED, DeltaType.INDEPENDENT, 2);
        Ports p = ports(PortPredictor.afterMapping(n, new PortMapping(33000, 40000), 35000, 3));
        assertThat(p.localPort()).isEqualTo(35000);
        assertThat(p.externalPorts()).containsExactly(40002, 40004, 40006);
    }

    @Test
    void dependentStepCountsOnForTheNewDestination() {
        NatBehaviour n = nat(NatType.SYMMETRIC, DeltaType.DEPENDENT, 7);
        Ports p = ports(PortPredictor.afterMapping(n, new PortMapping(33000, 50000), 33001, 2));
        assertThat(p.externalPorts()).containsExactly(50007, 50014);
    }

    @Test
    void negativeStepCountsDown() {
        NatBehaviour n = nat(NatType.SYMMETRIC, DeltaType.DEPENDENT, -1);
        Ports p = ports(PortPredictor.afterMapping(n, new PortMapping(33000, 50000), 33001, 3));
        assertThat(p.externalPorts()).containsExactly(49999, 49998, 49997);
        assertThat(p.basis()).contains("- 1");
    }

    @Test
    void stepsWrapAroundBothEndsOfTheRange() {
        NatBehaviour up = nat(NatType.PORT_RESTRICTED, DeltaType.INDEPENDENT, 3);
        assertThat(ports(PortPredictor.afterMapping(up, new PortMapping(2000, 65534), 2001, 2)).externalPorts())
                .containsExactly(1025, 1028);
        NatBehaviour down = nat(NatType.PORT_RESTRICTED, DeltaType.INDEPENDENT, -2);
        assertThat(ports(PortPredictor.afterMapping(down, new PortMapping(2000, 1025), 2001, 2)).externalPorts())
                .containsExactly(65535, 65533);
        PortRange pool = new PortRange(20000, 20009);
        assertThat(ports(PortPredictor.afterMapping(up, new PortMapping(2000, 20008), 2001, 3, pool))
                .externalPorts()).containsExactly(20001, 20004, 20007);
    }

    @Test
    void stepZeroPredictsTheSamePortOnce() {
        for (DeltaType d : List.of(DeltaType.INDEPENDENT, DeltaType.DEPENDENT)) {
            Ports p = ports(PortPredictor.afterMapping(nat(NatType.SYMMETRIC, d, 0), new PortMapping(3000, 41000),
                    3001, 5));
            assertThat(p.externalPorts()).containsExactly(41000);
            assertThat(p.basis()).contains("step 0");
        }
    }

    @Test
    void candidatesThatWrapOntoEachOtherAreGivenOnce() {
        NatBehaviour n = nat(NatType.PORT_RESTRICTED, DeltaType.INDEPENDENT, 5);
        Ports p = ports(PortPredictor.afterMapping(n, new PortMapping(3000, 20000), 3001, 4, new PortRange(20000, 20009)));
        assertThat(p.externalPorts()).containsExactly(20005, 20000);
    }

    @Test
    void afterMappingEqualAndPreservingUseTheNewLocalPort() {
        assertThat(ports(PortPredictor.afterMapping(MASQ, new PortMapping(40000, 40000), 40100, 1)).externalPorts())
                .containsExactly(40100);
        // the offset just observed wins over the measured one
        NatBehaviour n = nat(NatType.PORT_RESTRICTED, DeltaType.PRESERVING, 10);
        Ports p = ports(PortPredictor.afterMapping(n, new PortMapping(40000, 40012), 40100, 1));
        assertThat(p.externalPorts()).containsExactly(40112);
        assertThat(ports(PortPredictor.afterMapping(OPEN, new PortMapping(40000, 40000), 40100, 1)).externalPorts())
                .containsExactly(40100);
    }

    @Test
    void afterMappingWithRandomDeltaIsImpossible() {
        NatBehaviour n = NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.RANDOM);
        assertThat(impossible(PortPredictor.afterMapping(n, new PortMapping(40000, 51234), 40001, 1)))
                .contains("kept open");
    }

    @Test
    void afterMappingFromTheMappingsOwnPortIsReuse() {
        NatBehaviour n = NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.RANDOM);
        PortMapping m = new PortMapping(40000, 51234);
        assertThat(PortPredictor.afterMapping(n, m, 40000, 1)).isEqualTo(PortPredictor.reusing(n, m, 1));
        assertThat(ports(PortPredictor.afterMapping(n, m, 40000, 1)).externalPorts()).containsExactly(51234);
    }

    // --- reusing a mapping kept open

    @Test
    void aMappingKeptOpenIsReusedByNatsWithOneMappingPerLocalPort() {
        PortMapping kept = new PortMapping(40000, 51234);
        for (NatType t : List.of(NatType.FULL_CONE, NatType.RESTRICTED, NatType.PORT_RESTRICTED)) {
            for (NatBehaviour n : List.of(NatBehaviour.of(t, DeltaType.RANDOM), NatBehaviour.of(t, DeltaType.EQUAL),
                    NatBehaviour.of(t, DeltaType.INDEPENDENT, 4), NatBehaviour.of(t, DeltaType.PRESERVING, 9))) {
                Ports p = ports(PortPredictor.reusing(n, kept, 3));
                assertThat(p.localPort()).as(n.toString()).isEqualTo(40000);
                assertThat(p.externalPorts()).as(n.toString()).containsExactly(51234);
                assertThat(p.basis()).contains("kept mapping");
            }
        }
    }

    @Test
    void symmetricRandomCannotReuseAKeptMapping() {
        NatBehaviour n = NatBehaviour.of(NatType.SYMMETRIC, DeltaType.RANDOM);
        assertThat(impossible(PortPredictor.reusing(n, new PortMapping(40000, 51234), 1)))
                .contains("symmetric NAT with random ports");
    }

    @Test
    void symmetricNatsMakeANewMappingFromAKeptPort() {
        PortMapping kept = new PortMapping(40000, 50000);
        assertThat(ports(PortPredictor.reusing(nat(NatType.SYMMETRIC, DeltaType.DEPENDENT, 5), kept, 2))
                .externalPorts()).containsExactly(50005, 50010);
        // a dependent delta maps per destination whatever the type says
        assertThat(ports(PortPredictor.reusing(nat(NatType.PORT_RESTRICTED, DeltaType.DEPENDENT, -5), kept, 1))
                .externalPorts()).containsExactly(49995);
        assertThat(ports(PortPredictor.reusing(NatBehaviour.of(NatType.SYMMETRIC, DeltaType.EQUAL),
                new PortMapping(40000, 40000), 1)).externalPorts()).containsExactly(40000);
        assertThat(ports(PortPredictor.reusing(nat(NatType.SYMMETRIC, DeltaType.PRESERVING, 10000), kept, 1))
                .externalPorts()).containsExactly(50000);
        assertThat(ports(PortPredictor.reusing(OPEN, new PortMapping(40000, 40000), 1)).externalPorts())
                .containsExactly(40000);
    }

    // --- properties

    @Test
    void preservingPredictsTheMeasuredOffsetForAnyLocalPortThatStaysInRange() {
        for (int offset : new int[] {-30000, -20000, -7, -1, 0, 1, 3, 1000, 20000}) {
            NatBehaviour n = nat(NatType.PORT_RESTRICTED, DeltaType.PRESERVING, offset);
            for (int local = 1; local <= 65535; local++) {
                int predicted = ports(PortPredictor.forFreshPort(n, local)).first();
                assertThat(PortRange.UNPRIVILEGED.contains(predicted)).isTrue();
                int target = local + offset;
                if (PortRange.UNPRIVILEGED.contains(target)) {
                    assertThat(predicted - local).as("local %d offset %d", local, offset).isEqualTo(offset);
                } else {
                    assertThat(Math.floorMod(predicted - target, PortRange.UNPRIVILEGED.size()))
                            .as("local %d offset %d", local, offset).isZero();
                }
            }
        }
    }

    @Test
    void theOffsetLabIsPredictedForEveryLocalPortWhenItsPoolIsKnown() {
        // the lab's offset NAT: SNAT to 20000-29999, mapped = 20000 + local mod 10000; one observed mapping
        PortRange pool = new PortRange(20000, 29999);
        NatBehaviour n = nat(NatType.PORT_RESTRICTED, DeltaType.PRESERVING, -20000);
        PortMapping observed = new PortMapping(43210, 23210);
        for (int local = 1024; local <= 65535; local++) {
            int expected = 20000 + local % 10000;
            assertThat(ports(PortPredictor.forFreshPort(n, local, pool)).first()).isEqualTo(expected);
            if (local != observed.localPort()) {
                assertThat(ports(PortPredictor.afterMapping(n, observed, local, 1, pool)).first())
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void stepCandidatesAreOneStepApartInsideTheRange() {
        PortRange range = PortRange.UNPRIVILEGED;
        for (int step : new int[] {-1000, -3, -1, 1, 2, 997}) {
            NatBehaviour n = nat(NatType.SYMMETRIC, DeltaType.DEPENDENT, step);
            for (int last = 1024; last <= 65535; last += 37) {
                List<Integer> ports = ports(PortPredictor.afterMapping(n, new PortMapping(1, last), 2, 4))
                        .externalPorts();
                assertThat(ports).hasSize(4);
                int previous = last;
                for (int p : ports) {
                    assertThat(range.contains(p)).isTrue();
                    assertThat(Math.floorMod(p - previous - step, range.size())).isZero();
                    previous = p;
                }
            }
        }
    }

    // --- misuse

    @Test
    void misuseFailsAtOnce() {
        assertThatThrownBy(() -> PortPredictor.forFreshPort(MASQ, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("localPort");
        assertThatThrownBy(() -> PortPredictor.forFreshPort(MASQ, 65536))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PortMapping(40000, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("externalPort");
        assertThatThrownBy(() -> PortPredictor.reusing(MASQ, new PortMapping(1, 1), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("candidates");
        assertThatThrownBy(() -> PortPredictor.reusing(MASQ, new PortMapping(1, 1), PortPredictor.MAX_CANDIDATES + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PortRange(2000, 1999)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PortRange(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Ports(1, List.of(), "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Ports(1, List.of(5, 5), "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PortPredictor.forFreshPort(null, 1)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void onlyAPerDestinationStepMovesOnEveryAttempt() {
        // a new port one step on for every connection: symmetric with either step delta, or the dependent delta
        assertThat(PortPredictor.movesOnEveryAttempt(nat(NatType.SYMMETRIC, DeltaType.DEPENDENT, 3))).isTrue();
        assertThat(PortPredictor.movesOnEveryAttempt(nat(NatType.SYMMETRIC, DeltaType.INDEPENDENT, -2))).isTrue();
        assertThat(PortPredictor.movesOnEveryAttempt(nat(NatType.PORT_RESTRICTED, DeltaType.DEPENDENT, 5))).isTrue();
        // one mapping per local port, a step of 0, or a port that does not depend on the attempt
        assertThat(PortPredictor.movesOnEveryAttempt(nat(NatType.PORT_RESTRICTED, DeltaType.INDEPENDENT, 3))).isFalse();
        assertThat(PortPredictor.movesOnEveryAttempt(nat(NatType.SYMMETRIC, DeltaType.DEPENDENT, 0))).isFalse();
        assertThat(PortPredictor.movesOnEveryAttempt(nat(NatType.SYMMETRIC, DeltaType.PRESERVING, 3))).isFalse();
        assertThat(PortPredictor.movesOnEveryAttempt(NatBehaviour.of(NatType.SYMMETRIC, DeltaType.EQUAL))).isFalse();
        assertThat(PortPredictor.movesOnEveryAttempt(NatBehaviour.of(NatType.SYMMETRIC, DeltaType.RANDOM))).isFalse();
        assertThat(PortPredictor.movesOnEveryAttempt(MASQ)).isFalse();
        // no NAT: nothing moves
        assertThat(PortPredictor.movesOnEveryAttempt(FIREWALL)).isFalse();
        assertThat(PortPredictor.movesOnEveryAttempt(OPEN)).isFalse();
    }

    @Test
    void predictionsAreImmutable() {
        Ports p = ports(PortPredictor.afterMapping(nat(NatType.SYMMETRIC, DeltaType.DEPENDENT, 1),
                new PortMapping(1, 5000), 2, 2));
        assertThatThrownBy(() -> p.externalPorts().add(1)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void natBehaviourPrintsTypeAndSignedDelta() {
        assertThat(nat(NatType.PORT_RESTRICTED, DeltaType.PRESERVING, -20000).toString())
                .isEqualTo("port restricted, delta preserving -20000");
        assertThat(nat(NatType.SYMMETRIC, DeltaType.DEPENDENT, 2).toString()).isEqualTo("symmetric, delta dependent +2");
        assertThat(OPEN.toString()).isEqualTo("open internet, delta n/a");
    }
}
