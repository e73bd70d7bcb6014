package io.p2pd.nat;

import static io.p2pd.nat.NatLabTest.OURS;
import static io.p2pd.nat.NatLabTest.ROUTER;
import static io.p2pd.nat.NatLabTest.assertType;
import static io.p2pd.nat.NatLabTest.strings;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.testing.Labs;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixed-step NATs of scripts/nat-rules.sh (delta types 4 and 5, which netfilter's own port choice never shows),
 * proven on the wire in a lab of scripts/nat-lab.sh (needs root): our detection in the client namespace reports the
 * delta type and step, and TCP connections seen by a server in the public namespace ({@link NatLabTcpMain}) get the
 * ports the mode promises. The step NAT's counter starts at the lab's birth, so the ports are known exactly:
 * mapping number i (UDP and TCP count together) gets {@code 40000 + i * K}.
 */
@Tag("lab")
class StepNatLabTest {
    private static final int BASE = 40000;
    private static final int TCP_PORT = NatLabTcpTest.PORT;
    private static final int FRESH = 3;

    @Test
    void stepIndependentGivesEachNewLocalPortTheNextStepForEveryDestination(@TempDir Path dir) throws Exception {
        int k = 3;
        try (NatLabTest.Lab lab = new NatLabTest.Lab("step-independent:" + k)) {
            Map<String, Object> r = lab.detect(OURS);
            // one mapping per local port whatever the destination; inbound filtered by conntrack
            assertType(r, 5, "port restricted", 4);
            assertThat(r.get("deltaValue")).isEqualTo((long) k);
            // the test's socket and the three fresh ones: mappings 0..3, each kept for both server addresses
            assertThat(strings(r.get("mapped"))).containsExactlyElementsOf(ports(0, 4, k));

            List<String> tcp = tcp(lab, dir);
            // each fresh local port takes the next step (4, 5, 6: UDP took 0..3); the same local port to another
            // server keeps its mapping
            for (int i = 0; i < FRESH; i++) {
                assertThat(tcp.get(i)).endsWith(" " + ROUTER + ":" + (BASE + (4 + i) * k));
            }
            assertThat(tcp.get(FRESH)).endsWith(" " + ROUTER + ":" + (BASE + (4 + FRESH - 1) * k));
        }
    }

    @Test
    void stepDependentGivesEachNewDestinationTheNextStep(@TempDir Path dir) throws Exception {
        int k = 5;
        try (NatLabTest.Lab lab = new NatLabTest.Lab("step-dependent:" + k)) {
            Map<String, Object> r = lab.detect(OURS);
            // a mapping per destination: symmetric
            assertType(r, 6, "symmetric", 5);
            assertThat(r.get("deltaValue")).isEqualTo((long) k);
            // test I to both addresses, then two requests from each of three fresh sockets: mappings 0..7
            assertThat(strings(r.get("mapped"))).containsExactlyElementsOf(ports(0, 8, k));

            List<String> tcp = tcp(lab, dir);
            // every connection is a new destination tuple: the next step, the known local port to another server too
            for (int i = 0; i <= FRESH; i++) {
                assertThat(tcp.get(i)).endsWith(" " + ROUTER + ":" + (BASE + (8 + i) * k));
            }
        }
    }

    /** Mappings {@code from} to {@code to - 1} as the router's outside address. */
    private static List<String> ports(int from, int to, int k) {
        return IntStream.range(from, to).mapToObj(i -> ROUTER + ":" + (BASE + i * k)).toList();
    }

    /**
     * {@value #FRESH} TCP connections from fresh local ports to the public namespace, then one from the last local
     * port to the other public IP: the lines of {@link NatLabTcpMain}, {@code fresh|same LOCAL_PORT SEEN_AS}.
     */
    @SuppressWarnings("try") // the server only has to run while the client connects
    private static List<String> tcp(NatLabTest.Lab lab, Path dir) throws Exception {
        try (Labs.Child server = NatLabTcpTest.serve(dir, lab.name + "-p", "198.18.0.2", "198.18.0.3")) {
            String out = Labs.run(Labs.javaIn(lab.name + "-c", NatLabTcpMain.class.getName(), "connect",
                    Integer.toString(FRESH), "198.18.0.2:" + TCP_PORT, "198.18.0.3:" + TCP_PORT));
            System.out.println("NAT lab " + lab.mode + " TCP:\n" + out.strip());
            List<String> lines = out.lines().toList();
            assertThat(lines).hasSize(FRESH + 1);
            assertThat(lines.get(FRESH)).as("the same local port").startsWith("same "
                    + lines.get(FRESH - 1).split(" ")[1] + " ");
            return lines;
        }
    }
}
