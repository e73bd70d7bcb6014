package io.p2pd.node.lab;

import static io.p2pd.node.lab.P2pLab.Side.A;
import static io.p2pd.node.lab.P2pLab.Side.B;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.nat.PortDelta;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerInterface;
import io.p2pd.testing.Labs;
import java.net.InetAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two-NAT lab and its harness ({@link P2pLab}) with a node ({@link NodeLabMain}, a child JVM) on each side: each
 * node finds the NAT in front of it, a step NAT included, and the two signal each other through the lab's Mosquitto
 * across both NATs; and the "same" layout, both nodes behind one router.
 */
@Tag("lab")
class P2pLabTest {
    private static final long START_SECONDS = 60;
    private static final long SIGNAL_SECONDS = 30;

    @Test
    void nodesBehindTwoNatsSeeTheirOwnNatAndSignalEachOther(@TempDir Path dir) throws Exception {
        try (P2pLab lab = P2pLab.up(dir, "nodes", "masq", "step-dependent:2")) {
            lab.startStun();
            Labs.Child a = lab.run(A, NodeLabMain.class.getName(), A.nic(), P2pLab.STUN, P2pLab.BROKER);
            Labs.Child b = lab.run(B, NodeLabMain.class.getName(), B.nic(), P2pLab.STUN, P2pLab.BROKER);
            String addressA = a.expect("address ", START_SECONDS).substring("address ".length());
            String addressB = b.expect("address ", START_SECONDS).substring("address ".length());
            assertNat(addressA, NatType.PORT_RESTRICTED, PortDelta.of(DeltaType.EQUAL), P2pLab.ROUTER_A, "10.66.1.2");
            assertThat(lab.peerIp(A)).isEqualTo("10.66.1.2");
            assertThat(lab.peerIp(B)).isEqualTo("10.66.2.2");
            assertNat(addressB, NatType.SYMMETRIC, new PortDelta(DeltaType.DEPENDENT, 2), P2pLab.ROUTER_B, "10.66.2.2");
            signal(a, b, addressA, addressB);
            System.out.println("two-NAT lab: " + addressA + " <-> " + addressB);
        }
    }

    @Test
    void nodesBehindOneNatShareItsOutsideAddress(@TempDir Path dir) throws Exception {
        try (P2pLab lab = P2pLab.same(dir, "same", "masq")) {
            lab.startStun();
            Labs.Child a = lab.run(A, NodeLabMain.class.getName(), A.nic(), P2pLab.STUN, P2pLab.BROKER);
            Labs.Child b = lab.run(B, NodeLabMain.class.getName(), B.nic(), P2pLab.STUN, P2pLab.BROKER);
            String addressA = a.expect("address ", START_SECONDS).substring("address ".length());
            String addressB = b.expect("address ", START_SECONDS).substring("address ".length());
            PortDelta equal = PortDelta.of(DeltaType.EQUAL);
            assertNat(addressA, NatType.PORT_RESTRICTED, equal, P2pLab.ROUTER_A, "10.66.1.2");
            assertNat(addressB, NatType.PORT_RESTRICTED, equal, P2pLab.ROUTER_A, "10.66.1.3");
            assertThat(lab.peerIp(B)).isEqualTo("10.66.1.3");
            signal(a, b, addressA, addressB);
        }
    }

    private static void assertNat(String address, NatType nat, PortDelta delta, String external, String nic)
            throws Exception {
        PeerAddress parsed = PeerAddress.parse(address);
        assertThat(parsed.v4()).as("IPv4 records of %s", address).hasSize(1);
        PeerInterface i = parsed.v4().get(0);
        assertThat(i.nat()).as("NAT of %s", address).isEqualTo(nat);
        assertThat(i.delta()).as("delta of %s", address).isEqualTo(delta);
        assertThat(i.externalIp()).isEqualTo(InetAddress.getByName(external));
        assertThat(i.nicIp()).isEqualTo(InetAddress.getByName(nic));
    }

    /** A signed message each way through the broker; the answer is encrypted (the first carried A's key). */
    static void signal(Labs.Child a, Labs.Child b, String addressA, String addressB) throws Exception {
        a.send("send GET_ADDRESS ab " + addressB);
        a.expect("sent ab", SIGNAL_SECONDS);
        assertThat(b.expect("signal ", SIGNAL_SECONDS))
                .isEqualTo("signal GET_ADDRESS ab encrypted=false signed=true " + addressA);
        b.send("send RETURN_ADDRESS ab " + addressA);
        b.expect("sent ab", SIGNAL_SECONDS);
        assertThat(a.expect("signal ", SIGNAL_SECONDS))
                .isEqualTo("signal RETURN_ADDRESS ab encrypted=true signed=true " + addressB);
    }
}
