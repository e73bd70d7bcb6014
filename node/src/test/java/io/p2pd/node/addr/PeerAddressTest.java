package io.p2pd.node.addr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.nat.PortDelta;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.id.NodeId;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The peer address codec on its own: round trips, and every malformed field refused with its name. */
class PeerAddressTest {

    static final String NODE = "0123456789abcdef012345678";
    static final String MACHINE = "abababababababababababababababababababababababababababababababab";
    static final String IDS = "-" + NODE + "-" + MACHINE;
    static final String V4 = "[0,0,203.0.113.5,192.168.1.20,51234,5,3,2]";
    static final String V6 = "[0,0,2001:0db8:0000:0000:0000:0000:0000:0001,fe80:0000:0000:0000:0000:0000:0000:0001,51234,5,3,2]";
    static final String VALID = "0,3-" + V4 + "-" + V6 + IDS;

    @Test
    void aValidAddressReadsIntoItsFieldsAndPrintsBackTheSame() throws Exception {
        PeerAddress a = PeerAddress.parse(VALID);

        assertThat(a.signal()).containsExactly(0, 3);
        PeerInterface r = a.v4().get(0);
        assertThat(r).isEqualTo(new PeerInterface(0, 0, InetAddress.getByName("203.0.113.5"),
                InetAddress.getByName("192.168.1.20"), 51234, NatType.PORT_RESTRICTED,
                new PortDelta(DeltaType.PRESERVING, 2)));
        assertThat(a.v6().get(0).externalIp()).isEqualTo(InetAddress.getByName("2001:db8::1"));
        assertThat(a.interfaces()).hasSize(2);
        assertThat(a.nodeId()).isEqualTo(new NodeId(NODE));
        assertThat(a.toString()).isEqualTo(VALID);
        assertThat(PeerAddress.parse(VALID.getBytes(StandardCharsets.US_ASCII))).isEqualTo(a);
        assertThat(a.toBytes()).isEqualTo(VALID.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void negativeDeltasAndEmptyFamiliesRoundTrip() {
        String text = "None-[1,0,203.0.113.5,10.0.0.1,1,6,5,-65535]|[1,1,203.0.113.6,10.0.0.2,65535,6,4,-1]-0" + IDS;
        PeerAddress a = PeerAddress.parse(text);
        assertThat(a.signal()).isEmpty();
        assertThat(a.v4().get(0).delta()).isEqualTo(new PortDelta(DeltaType.DEPENDENT, -65535));
        assertThat(a.v6()).isEmpty();
        assertThat(a.toString()).isEqualTo(text);

        String v6only = "7-0-" + V6 + IDS;
        assertThat(PeerAddress.parse(v6only).toString()).isEqualTo(v6only);
    }

    @Test
    void ipv6InShortFormIsReadAndPrintedExpanded() {
        PeerAddress a = PeerAddress.parse("0-0-[0,0,2001:db8::1,fe80::1,51234,5,3,2]" + IDS);
        assertThat(a.toString()).isEqualTo("0-0-" + V6 + IDS);
        assertThat(PeerAddress.parse("0-0-[0,0,::ffff:203.0.113.9,::,1,1,1,0]" + IDS).toString())
                .contains("[0,0,0000:0000:0000:0000:0000:ffff:cb00:7109,0000:0000:0000:0000:0000:0000:0000:0000,");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        // field         | text
        "address         | ``",
        "address         | `0`",
        "address         | `0,3-" + V4 + "-0-" + NODE + "`",
        "address         | `0,3-" + V4 + "-0-" + NODE + "-" + MACHINE + "-extra`",
        "address         | `0,3-" + V4 + "-0 " + IDS + "`",
        "signal          | `x-" + V4 + "-0" + IDS + "`",
        "signal          | `-" + V4 + "-0" + IDS + "`",
        "signal          | `0,,1-" + V4 + "-0" + IDS + "`",
        "signal          | `01-" + V4 + "-0" + IDS + "`",
        "signal          | `256-" + V4 + "-0" + IDS + "`",
        "signal          | `1,1-" + V4 + "-0" + IDS + "`",
        "signal          | `0,1,2,3,4,5,6-" + V4 + "-0" + IDS + "`",
        "signal          | `-1-" + V4 + "-0" + IDS + "`",
        "v4              | `0-" + V4 + "|[0,1,203.0.113.5,192.168.1.20,51234,5,3,2]|[0,2,1.1.1.1,1.1.1.1,1,1,1,0]|[0,3,1.1.1.1,1.1.1.1,1,1,1,0]|[0,4,1.1.1.1,1.1.1.1,1,1,1,0]-0" + IDS + "`",
        "v4              | `0-[0,0,1.1.1.1,1.1.1.1,1,1,1-0" + IDS + "`",
        "v4              | `0-[0,0,1.1.1.1,1.1.1.1,1,1,1,0,9]-0" + IDS + "`",
        "v4              | `0-[0,0,1.1.1.1,1.1.1.1,1,1,1,0]x-0" + IDS + "`",
        "v4              | `0-[0,0,1.1.1.1,1.1.1.1,1,1,1,0]|-0" + IDS + "`",
        "v4              | `0--0" + IDS + "`",
        "v6              | `0-" + V4 + "-00" + IDS + "`",
        "interfaces      | `0-0-0" + IDS + "`",
        "netiface index  | `0-[x,0,1.1.1.1,1.1.1.1,1,1,1,0]-0" + IDS + "`",
        "netiface index  | `0-[65536,0,1.1.1.1,1.1.1.1,1,1,1,0]-0" + IDS + "`",
        "if index        | `0-[0,-1,1.1.1.1,1.1.1.1,1,1,1,0]-0" + IDS + "`",
        "if index        | `0-[0,0,1.1.1.1,1.1.1.1,1,1,1,0]|[0,0,1.1.1.2,1.1.1.2,1,1,1,0]-0" + IDS + "`",
        "ext ip          | `0-[0,0,1.1.1,1.1.1.1,1,1,1,0]-0" + IDS + "`",
        "ext ip          | `0-[0,0,01.1.1.1,1.1.1.1,1,1,1,0]-0" + IDS + "`",
        "ext ip          | `0-[0,0,256.1.1.1,1.1.1.1,1,1,1,0]-0" + IDS + "`",
        "ext ip          | `0-[0,0,::1,1.1.1.1,1,1,1,0]-0" + IDS + "`",
        "ext ip          | `0-0-[0,0,1.1.1.1,::1,1,1,1,0]" + IDS + "`",
        "ext ip          | `0-0-[0,0,fe80::1%eth0,::1,1,1,1,0]" + IDS + "`",
        "ext ip          | `0-0-[0,0,1::2::3,::1,1,1,1,0]" + IDS + "`",
        "ext ip          | `0-0-[0,0,1:2:3:4:5:6:7:8:9,::1,1,1,1,0]" + IDS + "`",
        "ext ip          | `0-0-[0,0,1:2:3:4::5:6:7:8,::1,1,1,1,0]" + IDS + "`",
        "ext ip          | `0-0-[0,0,1.2.3.4::,::1,1,1,1,0]" + IDS + "`",
        "ext ip          | `0-0-[0,0,12345::,::1,1,1,1,0]" + IDS + "`",
        "nic ip          | `0-[0,0,1.1.1.1,host,1,1,1,0]-0" + IDS + "`",
        "port            | `0-[0,0,1.1.1.1,1.1.1.1,0,1,1,0]-0" + IDS + "`",
        "port            | `0-[0,0,1.1.1.1,1.1.1.1,65536,1,1,0]-0" + IDS + "`",
        "port            | `0-[0,0,1.1.1.1,1.1.1.1,+80,1,1,0]-0" + IDS + "`",
        "port            | `0-[0,0,1.1.1.1,1.1.1.1,9999999,1,1,0]-0" + IDS + "`",
        "nat type        | `0-[0,0,1.1.1.1,1.1.1.1,1,0,1,0]-0" + IDS + "`",
        "nat type        | `0-[0,0,1.1.1.1,1.1.1.1,1,8,1,0]-0" + IDS + "`",
        "delta type      | `0-[0,0,1.1.1.1,1.1.1.1,1,1,7,0]-0" + IDS + "`",
        "delta type      | `0-[0,0,1.1.1.1,1.1.1.1,1,1,-3,0]-0" + IDS + "`",
        "delta value     | `0-[0,0,1.1.1.1,1.1.1.1,1,1,1,5]-0" + IDS + "`",
        "delta value     | `0-[0,0,1.1.1.1,1.1.1.1,1,1,3,65536]-0" + IDS + "`",
        "delta value     | `0-[0,0,1.1.1.1,1.1.1.1,1,1,3,-0]-0" + IDS + "`",
        "delta value     | `0-[0,0,1.1.1.1,1.1.1.1,1,1,3,--1]-0" + IDS + "`",
        "node id         | `0-" + V4 + "-0-0123456789ABCDEF012345678-" + MACHINE + "`",
        "node id         | `0-" + V4 + "-0-0123-" + MACHINE + "`",
        "machine id      | `0-" + V4 + "-0-" + NODE + "-abc`",
    })
    void everyMalformedFieldIsRefusedWithItsName(String field, String text) {
        assertThatThrownBy(() -> PeerAddress.parse(text))
                .isInstanceOf(PeerAddressException.class)
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(((PeerAddressException) e).field()).isEqualTo(field))
                .hasMessageStartingWith("peer address: " + field + ": ");
    }

    @Test
    void tooLongOrNonAsciiTextIsRefusedBeforeReading() {
        assertThatThrownBy(() -> PeerAddress.parse("0".repeat(PeerAddress.MAX_TEXT_LENGTH + 1)))
                .isInstanceOfSatisfying(PeerAddressException.class, e -> assertThat(e.field()).isEqualTo("address"));
        assertThatThrownBy(() -> PeerAddress.parse(VALID.replace("203", "2\u00e903")))
                .isInstanceOfSatisfying(PeerAddressException.class, e -> assertThat(e.field()).isEqualTo("address"));
        assertThatThrownBy(() -> PeerAddress.parse(new byte[] {'0', '-', (byte) 0xc3}))
                .isInstanceOfSatisfying(PeerAddressException.class, e -> assertThat(e.field()).isEqualTo("address"));
    }

    @Test
    void buildingChecksFieldsAndCopiesLists() throws Exception {
        InetAddress ip = InetAddress.getByName("203.0.113.5");
        InetAddress v6 = InetAddress.getByName("2001:db8::1");
        PortDelta na = PortDelta.of(DeltaType.NOT_APPLICABLE);
        PeerInterface r = new PeerInterface(0, 0, ip, ip, 1, NatType.OPEN_INTERNET, na);
        NodeId node = new NodeId(NODE);
        MachineId machine = new MachineId(MACHINE);

        InetAddress scoped = java.net.Inet6Address.getByAddress("named", InetAddress.getByName("fe80::1").getAddress(), 3);
        PeerInterface stripped = new PeerInterface(0, 0, v6, scoped, 1, NatType.OPEN_INTERNET, na);
        assertThat(((java.net.Inet6Address) stripped.nicIp()).getScopeId()).isZero();
        assertThat(stripped.toString()).isEqualTo("[0,0,2001:0db8:0000:0000:0000:0000:0000:0001,"
                + "fe80:0000:0000:0000:0000:0000:0000:0001,1,1,1,0]");

        List<PeerInterface> list = new ArrayList<>(List.of(r));
        PeerAddress a = new PeerAddress(List.of(), list, List.of(), node, machine);
        list.clear();
        assertThat(a.v4()).containsExactly(r);

        assertField("ext ip", () -> new PeerAddress(List.of(), List.of(), List.of(r), node, machine));
        assertField("nic ip", () -> new PeerInterface(0, 0, ip, v6, 1, NatType.OPEN_INTERNET, na));
        assertField("ext ip", () -> new PeerInterface(0, 0, null, ip, 1, NatType.OPEN_INTERNET, na));
        assertField("port", () -> new PeerInterface(0, 0, ip, ip, 0, NatType.OPEN_INTERNET, na));
        assertField("nat type", () -> new PeerInterface(0, 0, ip, ip, 1, null, na));
        assertField("delta value", () -> new PeerInterface(0, 0, ip, ip, 1, NatType.SYMMETRIC,
                new PortDelta(DeltaType.DEPENDENT, 70000)));
        assertField("interfaces", () -> new PeerAddress(List.of(), List.of(), List.of(), node, machine));
        assertField("signal", () -> new PeerAddress(List.of(1, 1), List.of(r), List.of(), node, machine));
        assertField("node id", () -> new PeerAddress(List.of(), List.of(r), List.of(), null, machine));
        assertField("v4", () -> new PeerAddress(List.of(), List.of(r, r, r, r, r), List.of(), node, machine));
        assertField("if index", () -> new PeerAddress(List.of(), List.of(r, r), List.of(), node, machine));
    }

    private static void assertField(String field, Runnable build) {
        assertThatThrownBy(build::run)
                .isInstanceOfSatisfying(PeerAddressException.class, e -> assertThat(e.field()).isEqualTo(field));
    }
}
