package io.p2pd.node.punch;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.node.punch.PunchDecision.Verdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PunchFeasibilityTest {

    // The lab's NAT modes (scripts/nat-lab.sh) as detected, and the step NATs the issue asks for.
    private static final NatBehaviour OPEN = NatBehaviour.of(NatType.OPEN_INTERNET, DeltaType.NOT_APPLICABLE);
    private static final NatBehaviour MASQ = NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.EQUAL);
    private static final NatBehaviour FULLCONE = NatBehaviour.of(NatType.FULL_CONE, DeltaType.EQUAL);
    private static final NatBehaviour RESTRICTED = NatBehaviour.of(NatType.RESTRICTED, DeltaType.EQUAL);
    private static final NatBehaviour OFFSET = NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.PRESERVING, -20000);
    private static final NatBehaviour RANDOM = NatBehaviour.of(NatType.SYMMETRIC, DeltaType.RANDOM);
    private static final NatBehaviour STEP_INDEPENDENT = NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.INDEPENDENT, 2);
    private static final NatBehaviour STEP_DEPENDENT = NatBehaviour.of(NatType.SYMMETRIC, DeltaType.DEPENDENT, 1);

    /**
     * The expected verdicts, written out: a class per side. o open internet, f UDP firewall, c full cone
     * (measured), C full cone with its delta unmeasured, n a NAT (4, 5, or 6 with a delta other than random),
     * r symmetric with random delta, b blocked, u a NAT (4-6) with its delta unmeasured, m a NAT (4-6) that gives
     * every connection the next step (symmetric with a step delta, or the dependent delta; step not 0), k a full
     * cone NAT that does. D direct suffices, P punch, N no punch.
     */
    private static final String CLASSES = "ofcCnrbumk";
    private static final String[] VERDICTS = {
            // o f c C n r b u m k
            "DDDDDDDDDD", // o
            "DPDDPNNNPD", // f
            "DDDDDDDDDD", // c
            "DDDDDDDDDD", // C
            "DPDDPNNNND", // n
            "DNDDNNNNND", // r
            "DNDDNNNNND", // b
            "DNDDNNNNND", // u
            "DPDDNNNNND", // m
            "DDDDDDDDDD", // k
    };
    /** Whether a side of the class can predict its ports (a punch can work only when both can). */
    private static final String PREDICTABLE = "ofc-n---mk";
    /** The classes whose port moves on with every attempt: a punch works only opposite a UDP firewall (f). */
    private static final String MOVING = "mk";

    private static char classOf(NatBehaviour n) {
        DeltaType d = n.delta().type();
        boolean moving = (n.type() == NatType.SYMMETRIC || d == DeltaType.DEPENDENT)
                && (d == DeltaType.INDEPENDENT || d == DeltaType.DEPENDENT) && n.delta().value() != 0;
        return switch (n.type()) {
            case OPEN_INTERNET -> 'o';
            case UDP_FIREWALL -> 'f';
            case FULL_CONE -> d == DeltaType.NOT_APPLICABLE ? 'C' : moving ? 'k' : 'c';
            case RESTRICTED, PORT_RESTRICTED -> d == DeltaType.NOT_APPLICABLE ? 'u' : moving ? 'm' : 'n';
            case SYMMETRIC -> d == DeltaType.NOT_APPLICABLE ? 'u' : d == DeltaType.RANDOM ? 'r' : moving ? 'm' : 'n';
            case BLOCKED -> 'b';
        };
    }

    /** Every NAT type with every delta it can come with, values positive, negative and 0. */
    static List<NatBehaviour> sides() {
        List<NatBehaviour> all = new ArrayList<>();
        for (NatType t : NatType.values()) {
            all.add(NatBehaviour.of(t, DeltaType.NOT_APPLICABLE));
            if (!t.isNat()) {
                continue;
            }
            all.add(NatBehaviour.of(t, DeltaType.EQUAL));
            all.add(NatBehaviour.of(t, DeltaType.RANDOM));
            for (DeltaType d : List.of(DeltaType.PRESERVING, DeltaType.INDEPENDENT, DeltaType.DEPENDENT)) {
                for (int v : new int[] {-20000, -1, 0, 1, 1000}) {
                    all.add(NatBehaviour.of(t, d, v));
                }
            }
        }
        return all;
    }

    static Stream<Arguments> pairs() {
        return sides().stream().flatMap(a -> sides().stream().map(b -> Arguments.of(a, b)));
    }

    @ParameterizedTest(name = "{0} <-> {1}")
    @MethodSource("pairs")
    void everyPairGetsTheExpectedDecision(NatBehaviour ours, NatBehaviour theirs) {
        int row = CLASSES.indexOf(classOf(ours));
        int column = CLASSES.indexOf(classOf(theirs));
        Verdict expected = switch (VERDICTS[row].charAt(column)) {
            case 'D' -> Verdict.DIRECT_SUFFICES;
            case 'P' -> Verdict.PUNCH;
            default -> Verdict.NO_PUNCH;
        };
        PunchDecision d = PunchFeasibility.decide(ours, theirs);
        assertThat(d.verdict()).isEqualTo(expected);
        boolean predictable = PREDICTABLE.charAt(row) != '-' && PREDICTABLE.charAt(column) != '-';
        char r = CLASSES.charAt(row);
        char c = CLASSES.charAt(column);
        boolean moved = MOVING.indexOf(r) >= 0 && c != 'f' || MOVING.indexOf(c) >= 0 && r != 'f';
        assertThat(d.punchable()).isEqualTo(predictable && !moved);
        assertThat(PunchFeasibility.decide(theirs, ours).verdict()).isEqualTo(expected);
        assertThat(d.reason()).startsWith(switch (expected) {
            case PUNCH -> "punch: ";
            case NO_PUNCH -> "no punch: ";
            case DIRECT_SUFFICES -> "direct suffices: ";
        });
    }

    /** The table's "can predict" is what the predictor delivers from at least one starting point. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("sides")
    void aSideWithoutObstacleHasAPrediction(NatBehaviour side) {
        PortMapping observed = new PortMapping(40000, 40010);
        boolean predicted = Stream.of(PortPredictor.forFreshPort(side, 41000),
                        PortPredictor.afterMapping(side, observed, 41000, 2),
                        PortPredictor.reusing(side, observed, 2))
                .anyMatch(p -> p instanceof PortPrediction.Ports);
        assertThat(predicted).isEqualTo(PortPredictor.obstacle(side).isEmpty());
    }

    // --- the pairs, by name

    private static void assertPunch(NatBehaviour a, NatBehaviour b) {
        for (PunchDecision d : List.of(PunchFeasibility.decide(a, b), PunchFeasibility.decide(b, a))) {
            assertThat(d.verdict()).isEqualTo(Verdict.PUNCH);
            assertThat(d.punchable()).isTrue();
        }
    }

    @Test
    void masqAndMasqPunch() {
        assertPunch(MASQ, MASQ);
        assertThat(PunchFeasibility.decide(MASQ, MASQ).reason()).isEqualTo("punch: both sides filter inbound"
                + " connections and can predict their ports (our side: the external port is the local one; the peer:"
                + " the external port is the local one)");
    }

    @Test
    void masqAndFullConeCanPunchButDirectSuffices() {
        for (PunchDecision d : List.of(PunchFeasibility.decide(MASQ, FULLCONE), PunchFeasibility.decide(FULLCONE, MASQ))) {
            assertThat(d.verdict()).isEqualTo(Verdict.DIRECT_SUFFICES);
            assertThat(d.punchable()).isTrue();
            assertThat(d.reason()).contains("full cone").endsWith("punching would work too");
        }
    }

    @Test
    void restrictedAndMasqPunch() {
        assertPunch(RESTRICTED, MASQ);
    }

    @Test
    void offsetPairsPunch() {
        assertPunch(OFFSET, MASQ);
        assertPunch(OFFSET, OFFSET);
        assertThat(PunchFeasibility.decide(OFFSET, MASQ).reason()).contains("the external port is the local one - 20000");
    }

    @Test
    void theStepIndependentNatPunches() {
        assertPunch(STEP_INDEPENDENT, MASQ);
        assertThat(PunchFeasibility.decide(STEP_INDEPENDENT, MASQ).reason())
                .contains("our side: each new mapping is the last one + 2");
    }

    @Test
    void theStepDependentNatPunchesOnlyToAUdpFirewall() {
        NatBehaviour firewall = NatBehaviour.of(NatType.UDP_FIREWALL, DeltaType.NOT_APPLICABLE);
        assertPunch(STEP_DEPENDENT, firewall);
        assertThat(PunchFeasibility.decide(STEP_DEPENDENT, firewall).reason())
                .contains("our side: each new destination gets the last mapping + 1");
        for (NatBehaviour other : List.of(MASQ, STEP_INDEPENDENT, STEP_DEPENDENT, RESTRICTED, OFFSET)) {
            PunchDecision d = PunchFeasibility.decide(STEP_DEPENDENT, other);
            assertThat(d.verdict()).isEqualTo(Verdict.NO_PUNCH);
            assertThat(d.punchable()).isFalse();
            assertThat(d.reason()).isEqualTo("no punch: our side (symmetric, delta dependent +1) gets a new port, one"
                    + " step on, for every connection, and every attempt that the peer refuses with a reset (as a"
                    + " Linux NAT router or a host does with an early SYN) is a new connection, so the port the peer"
                    + " aims at moves on after each refusal; only a side that drops early SYNs (a UDP firewall) can be"
                    + " punched to");
            if (other != STEP_DEPENDENT) {
                assertThat(PunchFeasibility.decide(other, STEP_DEPENDENT).reason())
                        .startsWith("no punch: the peer (symmetric, delta dependent +1) gets a new port")
                        .contains("every attempt that our side refuses");
            }
        }
        // a step of 0 keeps the port: punchable as before
        assertPunch(NatBehaviour.of(NatType.SYMMETRIC, DeltaType.DEPENDENT, 0), MASQ);
        // opposite an open side direct suffices, and a punch would not work (the open host answers with a reset)
        PunchDecision open = PunchFeasibility.decide(STEP_DEPENDENT, OPEN);
        assertThat(open.verdict()).isEqualTo(Verdict.DIRECT_SUFFICES);
        assertThat(open.punchable()).isFalse();
    }

    @Test
    void randomPairsDoNotPunch() {
        PunchDecision both = PunchFeasibility.decide(RANDOM, RANDOM);
        assertThat(both.verdict()).isEqualTo(Verdict.NO_PUNCH);
        assertThat(both.reason()).isEqualTo("no punch: our side (symmetric, delta random): a symmetric NAT with random"
                + " ports gives each new destination a port nobody can predict");
        PunchDecision withMasq = PunchFeasibility.decide(MASQ, RANDOM);
        assertThat(withMasq.verdict()).isEqualTo(Verdict.NO_PUNCH);
        assertThat(withMasq.reason()).startsWith("no punch: the peer (symmetric, delta random)");
        assertThat(PunchFeasibility.decide(RANDOM, MASQ).reason()).startsWith("no punch: our side");
    }

    @Test
    void portRestrictedWithRandomDeltaPunchesByAKeptMapping() {
        // the original refuses this pair; a kept mapping's exact port satisfies a port-restricted filter
        NatBehaviour unmeasuredDefaults = NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.RANDOM);
        PunchDecision d = PunchFeasibility.decide(unmeasuredDefaults, unmeasuredDefaults);
        assertThat(d.verdict()).isEqualTo(Verdict.PUNCH);
        assertThat(d.reason()).contains("it reuses a mapping kept open");
    }

    @Test
    void anOpenSideMakesDirectSufficeEvenOppositeBlocked() {
        NatBehaviour blocked = NatBehaviour.of(NatType.BLOCKED, DeltaType.NOT_APPLICABLE);
        PunchDecision d = PunchFeasibility.decide(blocked, OPEN);
        assertThat(d.verdict()).isEqualTo(Verdict.DIRECT_SUFFICES);
        assertThat(d.punchable()).isFalse();
        assertThat(d.reason()).isEqualTo("direct suffices: the peer has no NAT and no filter, so the other side can"
                + " dial it");
        assertThat(PunchFeasibility.decide(blocked, MASQ).reason()).startsWith("no punch: our side (blocked")
                .contains("UDP was blocked");
    }

    // --- the README's table

    @Test
    void readmeShowsTheTableTheCodeDecides() throws IOException {
        String readme = Files.readString(readme());
        String start = "<!-- punch-table: generated by PunchFeasibility.markdownTable(), checked by PunchFeasibilityTest -->\n";
        String end = "<!-- /punch-table -->";
        int from = readme.indexOf(start);
        int to = readme.indexOf(end);
        assertThat(from).as("README marker").isNotNegative();
        assertThat(to).as("README end marker").isGreaterThan(from);
        assertThat(readme.substring(from + start.length(), to)).isEqualTo(PunchFeasibility.markdownTable());
    }

    @Test
    void theTableHasACellForEveryPairOfGroups() {
        String table = PunchFeasibility.markdownTable();
        assertThat(table.lines()).hasSize(2 + PunchFeasibility.GROUPS.size());
        assertThat(table.lines().skip(2).map(l -> l.split("\\|", -1).length - 3).distinct())
                .containsExactly(PunchFeasibility.GROUPS.size());
        assertThat(table).contains("| 5 port restricted | direct | punch | direct | punch | punch | punch | no | no | no |");
        assertThat(table).contains("| 6 symmetric, step delta | direct only | punch | direct only | no | no | no | no | no | no |");
    }

    private static Path readme() {
        Path dir = Path.of("").toAbsolutePath();
        while (!Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
            assertThat(dir).as("the project directory, above " + Path.of("").toAbsolutePath()).isNotNull();
        }
        return dir.resolve("README.md");
    }
}
