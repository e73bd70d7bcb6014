package io.p2pd.nat;

import static io.p2pd.nat.NatLabTest.ROUTER;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.testing.Labs;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab's NAT modes translate TCP as they do UDP (hole punching is TCP), seen on the wire with {@link NatLabTcpMain}
 * in a lab of scripts/nat-lab.sh (needs root): the offset NAT's port arithmetic, and a full cone letting an unsolicited
 * TCP connection through to the client's mapped port (and no other).
 */
@Tag("lab")
class NatLabTcpTest {
    static final int PORT = 7000;
    private static final int CONE_PORT = 7100;

    @Test
    @SuppressWarnings("try") // the server only has to run while the client connects
    void offsetMapsTcpPortsAsItMapsUdpPorts(@TempDir Path dir) throws Exception {
        try (NatLabTest.Lab lab = new NatLabTest.Lab("offset");
             Labs.Child server = serve(dir, lab.name + "-p", "198.18.0.2", "198.18.0.3")) {
            List<String> lines = Labs.run(Labs.javaIn(lab.name + "-c", NatLabTcpMain.class.getName(), "connect", "3",
                    "198.18.0.2:" + PORT, "198.18.0.3:" + PORT)).lines().toList();
            assertThat(lines).hasSize(4);
            for (String line : lines) { // fresh|same LOCAL SEEN_AS: 20000 + local mod 10000, as for UDP
                String[] f = line.split(" ");
                assertThat(f[2]).as(line).isEqualTo(ROUTER + ":" + (20000 + Integer.parseInt(f[1]) % 10000));
            }
        }
    }

    @Test
    @SuppressWarnings("try") // the server only has to run while the client connects
    void fullConeLetsAnUnsolicitedTcpConnectionThroughToAMappedPort(@TempDir Path dir) throws Exception {
        try (NatLabTest.Lab lab = new NatLabTest.Lab("fullcone");
             Labs.Child server = serve(dir, lab.name + "-p", "198.18.0.2");
             Labs.Child client = Labs.Child.start(dir, Labs.javaIn(lab.name + "-c", NatLabTcpMain.class.getName(),
                     "cone", Integer.toString(CONE_PORT), "198.18.0.2:" + PORT))) {
            // the client's port opened a mapping (to the public server), and keeps its number outside
            assertThat(client.expect("mapped ", 60)).isEqualTo("mapped " + ROUTER + ":" + CONE_PORT);
            // a connection nobody asked for, from another port, to the mapping: the cone lets it in, untranslated
            List<String> lines = Labs.run(Labs.javaIn(lab.name + "-p", NatLabTcpMain.class.getName(), "connect", "1",
                    ROUTER + ":" + CONE_PORT, ROUTER + ":" + CONE_PORT)).lines().toList();
            assertThat(lines).hasSize(2).allMatch(l -> l.endsWith(" 198.18.0.2:" + l.split(" ")[1]));
            // but the client's other listening port, which never sent anything out, is not mapped: closed from outside
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Labs.run(Labs.javaIn(lab.name + "-p",
                    NatLabTcpMain.class.getName(), "connect", "1", ROUTER + ":" + (CONE_PORT + 1),
                    ROUTER + ":" + (CONE_PORT + 1))))).hasMessageContaining("Connection refused");
        }
    }

    /** {@link NatLabTcpMain} serving on {@link #PORT} of these IPs in namespace {@code ns}, ready. */
    static Labs.Child serve(Path dir, String ns, String... ips) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of(NatLabTcpMain.class.getName(), "serve",
                Integer.toString(PORT)));
        args.addAll(List.of(ips));
        Labs.Child c = Labs.Child.start(dir, Labs.javaIn(ns, args.toArray(String[]::new)));
        try {
            c.expect("ready", 60);
        } catch (Exception | AssertionError e) {
            c.close();
            throw e;
        }
        return c;
    }
}
