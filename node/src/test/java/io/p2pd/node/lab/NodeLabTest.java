package io.p2pd.node.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.nat.PortDelta;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerInterface;
import io.p2pd.node.testing.Mosquitto;
import io.p2pd.testing.Labs;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes signalling through a real NAT: a lab of scripts/nat-lab.sh (needs root) with Mosquitto and our STUN
 * server ({@code io.p2pd.nat.NatLabServerMain}) in its public namespace, one node ({@link NodeLabMain}, a child JVM)
 * in the client namespace behind the router, another in the public namespace. The client node's address must show
 * the lab's NAT, and the two exchange signed messages both ways (encrypted once each knows the other's key).
 */
@Tag("lab")
class NodeLabTest {
    private static final Path SCRIPT = Labs.script("nat-lab.sh");
    /** Unique per test JVM: two builds on one machine (or core's lab tests, named p2nat-) never share a lab. */
    private static final String RUN = Long.toHexString(ProcessHandle.current().pid())
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
    private static final String PUBLIC_IP = "198.18.0.2";
    private static final String STUN = PUBLIC_IP + ":3478";
    private static final String BROKER = PUBLIC_IP + ":1883";
    private static final String ROUTER = "198.18.0.1";
    private static final long START_SECONDS = 60;
    private static final long SIGNAL_SECONDS = 30;

    @Test
    void behindMasqueradeTheNodeIsPortRestrictedAndSignalsBothWays(@TempDir Path dir) throws Exception {
        // MASQUERADE keeps the local port when it is free: mapped port equals local port (delta type 2)
        exchange(dir, "masq", NatType.PORT_RESTRICTED, PortDelta.of(DeltaType.EQUAL), ROUTER, "10.66.0.2");
    }

    @Test
    void withoutNatTheNodeIsOnTheOpenInternetAndSignalsBothWays(@TempDir Path dir) throws Exception {
        exchange(dir, "open", NatType.OPEN_INTERNET, PortDelta.of(DeltaType.NOT_APPLICABLE), "198.19.0.2",
                "198.19.0.2");
    }

    private static void exchange(Path dir, String mode, NatType nat, PortDelta delta, String external, String nic)
            throws Exception {
        String lab = "p2nod-" + RUN + "-" + mode;
        List<Labs.Child> children = new ArrayList<>();
        Mosquitto broker = null;
        try {
            Labs.run(List.of(SCRIPT.toString(), "up", lab, mode));
            Labs.Child stun = child(children, dir, lab + "-p", "io.p2pd.nat.NatLabServerMain",
                    PUBLIC_IP, "3478", "198.18.0.3", "3479");
            stun.expect("ready", START_SECONDS); // before the nodes: their start measures the NAT with it
            broker = Mosquitto.builder(dir).inNamespace(lab + "-p", PUBLIC_IP, 1883).start();
            Labs.Child client = child(children, dir, lab + "-c", NodeLabMain.class.getName(), "c0", STUN, BROKER);
            Labs.Child server = child(children, dir, lab + "-p", NodeLabMain.class.getName(), "p0", STUN, BROKER);

            String clientText = client.expect("address ", START_SECONDS).substring("address ".length());
            String serverText = server.expect("address ", START_SECONDS).substring("address ".length());
            PeerInterface behind = onlyV4(PeerAddress.parse(clientText));
            assertThat(behind.nat()).as("NAT of %s", clientText).isEqualTo(nat);
            assertThat(behind.externalIp()).isEqualTo(InetAddress.getByName(external));
            assertThat(behind.nicIp()).isEqualTo(InetAddress.getByName(nic));
            assertThat(behind.delta()).as("delta of %s", clientText).isEqualTo(delta);
            PeerInterface outside = onlyV4(PeerAddress.parse(serverText));
            assertThat(outside.nat()).as("NAT of %s", serverText).isEqualTo(NatType.OPEN_INTERNET);
            assertThat(outside.externalIp()).isEqualTo(outside.nicIp());

            // The first message knows the peer by address only: signed, in plaintext, and it carries the sender's
            // key, so the reply is encrypted; that signed reply gives the client the server's key in turn.
            P2pLabTest.signal(client, server, clientText, serverText);
            client.send("send GET_ADDRESS cd " + serverText);
            client.expect("sent cd", SIGNAL_SECONDS);
            assertThat(server.expect("signal ", SIGNAL_SECONDS))
                    .isEqualTo("signal GET_ADDRESS cd encrypted=true signed=true " + clientText);
            // The broker saw the client node come from the router's outside IP (masq) or its own (open).
            assertThat(broker.recentLog()).contains("New client connected from " + external + ":");
            System.out.println("node lab " + mode + ": " + clientText + " <-> " + serverText);
        } finally {
            try {
                for (Labs.Child c : children) {
                    c.close();
                }
                if (broker != null) {
                    broker.close();
                }
            } finally {
                Labs.run(List.of(SCRIPT.toString(), "down", lab)); // whatever is left inside goes too
            }
        }
    }

    private static Labs.Child child(List<Labs.Child> children, Path dir, String ns, String... mainAndArgs)
            throws IOException {
        Labs.Child c = Labs.Child.start(dir, Labs.javaIn(ns, mainAndArgs));
        children.add(c);
        return c;
    }

    private static PeerInterface onlyV4(PeerAddress address) {
        assertThat(address.v4()).as("IPv4 records of %s", address).hasSize(1);
        return address.v4().get(0);
    }
}
