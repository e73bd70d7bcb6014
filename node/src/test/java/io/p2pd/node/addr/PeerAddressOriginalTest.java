package io.p2pd.node.addr;

import static io.p2pd.node.testing.Original.op;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.nat.PortDelta;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.id.NodeId;
import io.p2pd.node.testing.Original;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Golden vectors, both ways, against the Python original's {@code make_peer_addr} and {@code parse_peer_addr}:
 * addresses the original makes (from interface objects shaped as its own) are parsed here and printed back byte
 * for byte; addresses made here are read by the original, which must see the same fields.
 */
class PeerAddressOriginalTest {

    static final String NODE = "0123456789abcdef012345678";
    static final String MACHINE = "9c0e" + "5".repeat(56) + "a1b2";

    /** An interface as the harness builds it for the original (v4/v6 route optional). */
    static Map<String, Object> iface(int netiface, NatType nat, PortDelta delta, String v4Ext, String v4Nic,
            String v6Ext, String v6LinkLocal) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("netiface", netiface);
        m.put("nat", nat.number());
        m.put("delta_type", delta.type().number());
        m.put("delta_value", delta.value());
        if (v4Ext != null) {
            m.put("v4", Map.of("ext", v4Ext, "nic", v4Nic));
        }
        if (v6Ext != null) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("ext", v6Ext);
            r.put("nic", "unused");
            if (v6LinkLocal != null) {
                r.put("link_local", v6LinkLocal);
            }
            m.put("v6", r);
        }
        return m;
    }

    static Map<String, Object> make(List<Integer> signal, int port, List<Map<String, Object>> ifaces) {
        return op("make_addr", "node_id", NODE, "machine_id", MACHINE, "signal", signal, "port", port,
                "interfaces", ifaces);
    }

    static final String V6_EXT = "2001:0db8:0000:0000:0000:0000:0000:0001";
    static final String V6_LL = "fe80:0000:0000:0000:0210:5aff:fe00:0001";

    @Test
    void addressesTheOriginalMakesAreReadAndPrintedBackByteForByte() throws Exception {
        PortDelta preserving = new PortDelta(DeltaType.PRESERVING, 2);
        List<Map<String, Object>> requests = List.of(
                make(List.of(0, 3), 51234, List.of(
                        iface(1, NatType.PORT_RESTRICTED, preserving, "203.0.113.5", "192.168.1.20", null, null))),
                make(List.of(), 10000, List.of(
                        iface(0, NatType.OPEN_INTERNET, PortDelta.of(DeltaType.NOT_APPLICABLE), "198.51.100.7",
                                "198.51.100.7", V6_EXT, V6_LL),
                        iface(2, NatType.SYMMETRIC, new PortDelta(DeltaType.DEPENDENT, 7), "203.0.113.9",
                                "10.0.0.2", "2001:0db8:0001:0000:0000:0000:0000:00ff", null))),
                make(List.of(14), 60000, List.of(
                        iface(3, NatType.FULL_CONE, PortDelta.of(DeltaType.RANDOM), null, null, V6_EXT, V6_LL))),
                make(List.of(1, 2, 5), 40000, List.of(
                        iface(0, NatType.RESTRICTED, new PortDelta(DeltaType.INDEPENDENT, 1), "203.0.113.1", "10.0.0.1", null, null),
                        iface(1, NatType.RESTRICTED, new PortDelta(DeltaType.INDEPENDENT, 1), "203.0.113.2", "10.0.0.2", null, null),
                        iface(2, NatType.BLOCKED, PortDelta.of(DeltaType.EQUAL), "203.0.113.3", "10.0.0.3", null, null),
                        iface(3, NatType.UDP_FIREWALL, PortDelta.of(DeltaType.NOT_APPLICABLE), "203.0.113.4", "10.0.0.4", null, null))));
        List<String> made = Original.run(requests);

        assertThat(made.get(0)).isEqualTo("0,3-[1,0,203.0.113.5,192.168.1.20,51234,5,3,2]-0-" + NODE + "-" + MACHINE);
        for (String text : made) {
            PeerAddress a = PeerAddress.parse(text);
            assertThat(a.toString()).isEqualTo(text);
            assertThat(a.nodeId().value()).isEqualTo(NODE);
            assertThat(a.machineId().value()).isEqualTo(MACHINE);
        }
        PeerAddress two = PeerAddress.parse(made.get(1));
        assertThat(two.signal()).isEmpty();
        assertThat(two.v4()).hasSize(2);
        assertThat(two.v6()).hasSize(2);
        PeerInterface v6 = two.v6().get(0);
        assertThat(v6.externalIp()).isEqualTo(InetAddress.getByName("2001:db8::1"));
        assertThat(v6.nicIp()).isEqualTo(InetAddress.getByName("fe80::210:5aff:fe00:1"));
        assertThat(two.v4().get(1).delta()).isEqualTo(new PortDelta(DeltaType.DEPENDENT, 7));
        assertThat(two.v4().get(1).nat()).isEqualTo(NatType.SYMMETRIC);
        assertThat(two.v4().get(1).netifaceIndex()).isEqualTo(2);
        assertThat(two.v4().get(1).ifIndex()).isEqualTo(1);
        assertThat(PeerAddress.parse(made.get(3)).v4()).hasSize(4);
    }

    @Test
    void aNegativeDeltaTheOriginalPrintsAndCannotReadIsReadHere() throws Exception {
        PortDelta negative = new PortDelta(DeltaType.PRESERVING, -3);
        String made = Original.run(List.of(make(List.of(0), 51234, List.of(
                iface(0, NatType.PORT_RESTRICTED, negative, "203.0.113.5", "192.168.1.20", V6_EXT, V6_LL))))).get(0);

        assertThat(made).contains(",5,3,-3]");
        PeerAddress a = PeerAddress.parse(made);
        assertThat(a.v4().get(0).delta()).isEqualTo(negative);
        assertThat(a.v6().get(0).delta()).isEqualTo(negative);
        assertThat(a.toString()).isEqualTo(made);
        // The original's bug, which this codec fixes: it splits at every '-' and gives up on its own address.
        assertThat(Original.run(List.of(op("parse_addr", "addr", made))).get(0)).isEqualTo("None");
    }

    @Test
    void addressesMadeHereAreReadByTheOriginalWithTheSameFields() throws Exception {
        // InetAddress.getByName turns ::ffff:a.b.c.d into an Inet4Address; a v6 record keeps it IPv6.
        InetAddress mapped = Inet6Address.getByAddress(null,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 203, 0, 113, 9}, -1);
        List<PeerAddress> ours = List.of(
                new PeerAddress(List.of(0, 2), List.of(record(0, 0, "203.0.113.5", "192.168.1.20", 51234,
                        NatType.PORT_RESTRICTED, new PortDelta(DeltaType.PRESERVING, 5))), List.of(),
                        new NodeId(NODE), new MachineId(MACHINE)),
                new PeerAddress(List.of(), List.of(record(4, 0, "198.51.100.1", "10.1.2.3", 20000,
                        NatType.SYMMETRIC, new PortDelta(DeltaType.DEPENDENT, 1000))),
                        List.of(record(4, 0, "2001:db8::5", "fe80::1", 20000, NatType.OPEN_INTERNET,
                                PortDelta.of(DeltaType.NOT_APPLICABLE)),
                                record(5, 1, "2001:db8:ffff::6", "fe80::2", 20000, NatType.BLOCKED,
                                        PortDelta.of(DeltaType.RANDOM))),
                        new NodeId(NODE), new MachineId(MACHINE)),
                new PeerAddress(List.of(6), List.of(), List.of(new PeerInterface(0, 3, mapped, InetAddress.getByName("fe80::9"),
                        65535, NatType.FULL_CONE, PortDelta.of(DeltaType.EQUAL))), new NodeId(NODE), new MachineId(MACHINE)));
        List<Map<String, Object>> requests = new ArrayList<>();
        for (PeerAddress a : ours) {
            requests.add(op("parse_addr", "addr", a.toString()));
        }
        List<String> seen = Original.run(requests);
        for (int i = 0; i < ours.size(); i++) {
            assertThat(seen.get(i)).as(ours.get(i).toString()).isEqualTo(asTheOriginalSeesIt(ours.get(i)));
        }
        assertThat(seen.get(1)).contains("2001:0db8:0000:0000:0000:0000:0000:0005,fe80:0000:0000:0000:0000:0000:0000:0001");
    }

    static PeerInterface record(int netiface, int ifIndex, String ext, String nic, int port, NatType nat,
            PortDelta delta) throws Exception {
        return new PeerInterface(netiface, ifIndex, InetAddress.getByName(ext), InetAddress.getByName(nic), port, nat,
                delta);
    }

    /** The harness's one-line summary of what the original parsed, from our value. */
    private static String asTheOriginalSeesIt(PeerAddress a) {
        List<String> parts = new ArrayList<>();
        parts.add(a.signal().stream().map(String::valueOf).collect(Collectors.joining(",")));
        for (List<PeerInterface> family : List.of(a.v4(), a.v6())) {
            parts.add(family.stream().map(r -> {
                String rec = r.toString();
                return rec.substring(1, rec.length() - 1);
            }).collect(Collectors.joining("|")));
        }
        parts.add(a.nodeId().value());
        parts.add(a.machineId().value());
        return String.join(";", parts);
    }
}
