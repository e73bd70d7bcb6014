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
 * TCP connection through to the client.
 */
@Tag("lab")
class NatLabTcpTest {
    static final int PORT = 7000;

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
    void fullConeLetsAnUnsolicitedTcpConnectionThrough(@TempDir Path dir) throws Exception {
        try (NatLabTest.Lab lab = new NatLabTest.Lab("fullcone");
             Labs.Child server = serve(dir, lab.name + "-c", "10.66.0.2")) {
            // from the public side to the router's outside IP: DNAT sends it on to the client, untranslated back
            List<String> lines = Labs.run(Labs.javaIn(lab.name + "-p", NatLabTcpMain.class.getName(), "connect", "1",
                    ROUTER + ":" + PORT, ROUTER + ":" + PORT)).lines().toList();
            assertThat(lines).hasSize(2).allMatch(l -> l.endsWith(" 198.18.0.2:" + l.split(" ")[1]));
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
