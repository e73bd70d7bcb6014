package io.p2pd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.internal.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** p2pd address, as a process, on an address the Python original made. */
class AddressCommandTest {

    /**
     * Made by the original's make_peer_addr (through node's test harness, original.py, op make_addr): node id
     * 0123456789abcdef012345678, brokers 0 and 3, port 51234; netiface 1 with IPv4 203.0.113.5 behind
     * 192.168.1.20 and IPv6 2001:db8::1 (link-local fe80::210:5aff:fe00:1), port restricted NAT, preserving delta
     * 2; netiface 2 with IPv4 198.51.100.7 behind 10.0.0.2, symmetric NAT, dependent delta 7.
     */
    static final String FROM_ORIGINAL = "0,3-[1,0,203.0.113.5,192.168.1.20,51234,5,3,2]|[2,1,198.51.100.7,10.0.0.2,"
            + "51234,6,5,7]-[1,0,2001:0db8:0000:0000:0000:0000:0000:0001,fe80:0000:0000:0000:0210:5aff:fe00:0001,"
            + "51234,5,3,2]-0123456789abcdef012345678-9c0e55555555555555555555555555555555555555555555555555555555a1b2";

    @Test
    void explainsAnAddressTheOriginalMade() throws Exception {
        P2pd.Result r = P2pd.run("", "address", FROM_ORIGINAL);

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines()).containsExactly(
                "node id     0123456789abcdef012345678",
                "machine id  9c0e55555555555555555555555555555555555555555555555555555555a1b2",
                "signalling  brokers 0, 3 (indexes in a Java node's --broker list (from 0), or the original's "
                        + "MQTT_SERVERS for a Python peer)",
                "  broker 0: 54.36.178.49:1883 in the original's list",
                "  broker 3: 159.223.240.227:1883 in the original's list",
                "IPv4        2 interfaces",
                "  interface 0 (netiface 1): external 203.0.113.5, NIC 192.168.1.20, port 51234",
                "    NAT 5 (port restricted), port allocation 3 (preserving, delta 2)",
                "  interface 1 (netiface 2): external 198.51.100.7, NIC 10.0.0.2, port 51234",
                "    NAT 6 (symmetric), port allocation 5 (dependent, delta 7)",
                "IPv6        1 interface",
                "  interface 0 (netiface 1): external 2001:db8::1, NIC fe80::210:5aff:fe00:1, port 51234",
                "    NAT 5 (port restricted), port allocation 3 (preserving, delta 2)");
    }

    @Test
    void jsonIsOneCamelCaseObject() throws Exception {
        P2pd.Result r = P2pd.run("", "address", FROM_ORIGINAL, "--json");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines()).hasSize(1);
        Map<?, ?> a = (Map<?, ?>) Json.parse(r.out().strip());
        assertThat(a.get("nodeId")).isEqualTo("0123456789abcdef012345678");
        assertThat(a.get("machineId")).isEqualTo("9c0e" + "5".repeat(56) + "a1b2");
        assertThat(a.get("signal").toString()).isEqualTo("[0, 3]");
        assertThat(a.get("brokerList")).isEqualTo(AddressCommand.BROKER_LIST);
        List<?> brokers = (List<?>) a.get("brokers");
        assertThat(brokers).hasSize(2);
        assertThat(((Map<?, ?>) brokers.get(1)).get("index").toString()).isEqualTo("3");
        assertThat(((Map<?, ?>) brokers.get(1)).get("original")).isEqualTo("159.223.240.227:1883");
        List<?> v4 = (List<?>) a.get("v4");
        List<?> v6 = (List<?>) a.get("v6");
        assertThat(v4).hasSize(2);
        assertThat(v6).hasSize(1);
        Map<?, ?> second = (Map<?, ?>) v4.get(1);
        assertThat(second.get("ifIndex").toString()).isEqualTo("1");
        assertThat(second.get("netifaceIndex").toString()).isEqualTo("2");
        assertThat(second.get("externalIp")).isEqualTo("198.51.100.7");
        assertThat(second.get("nicIp")).isEqualTo("10.0.0.2");
        assertThat(second.get("port").toString()).isEqualTo("51234");
        assertThat(second.get("natType").toString()).isEqualTo("6");
        assertThat(second.get("natName")).isEqualTo("symmetric");
        assertThat(second.get("deltaType").toString()).isEqualTo("5");
        assertThat(second.get("deltaName")).isEqualTo("dependent");
        assertThat(second.get("deltaValue").toString()).isEqualTo("7");
        Map<?, ?> six = (Map<?, ?>) v6.get(0);
        assertThat(six.get("externalIp")).isEqualTo("2001:db8::1");
        assertThat(six.get("nicIp")).isEqualTo("fe80::210:5aff:fe00:1");
    }

    @Test
    void brokerIndexesAreShownInTheOriginalsListAndOnesPastItSaySo() throws Exception {
        // Indexes 12 and 40: the original's first IPv6 broker, and one only a Java node's --broker list can have.
        String address = "12,40" + FROM_ORIGINAL.substring(FROM_ORIGINAL.indexOf('-'));
        P2pd.Result r = P2pd.run("", "address", address);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines()).contains("  broker 12: [2001:41d0:303:4831::1]:1883 in the original's list",
                "  broker 40: not in the original's list (15 entries)");

        Map<?, ?> json = (Map<?, ?>) Json.parse(P2pd.run("", "address", address, "--json").out().strip());
        List<?> brokers = (List<?>) json.get("brokers");
        assertThat(((Map<?, ?>) brokers.get(0)).get("original")).isEqualTo("[2001:41d0:303:4831::1]:1883");
        assertThat(((Map<?, ?>) brokers.get(1)).get("original")).isSameAs(Json.NULL);
    }

    @Test
    void theOriginalsBrokerListIsCopiedInItsOrder() throws Exception {
        // The settings file of the original, read as text: the one line of MQTT_SERVERS, each entry's IPv4 or IPv6
        // address in order (the lists after it have the same shape).
        String settings = java.nio.file.Files.readString(MqttClients.gmqttParent().getParent().resolve("settings.py"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "IP4: (?:'([0-9.]+)'|None), IP6: (?:'([0-9a-f:]+)'|None)").matcher(
                settings.substring(settings.indexOf("MQTT_SERVERS ="), settings.indexOf('\n',
                        settings.indexOf("MQTT_SERVERS ="))));
        List<String> original = new java.util.ArrayList<>();
        while (m.find() && original.size() < 100) {
            original.add(m.group(1) != null ? m.group(1) + ":1883"
                    : Addresses.show(new java.net.InetSocketAddress(java.net.InetAddress.getByName(m.group(2)), 1883)));
        }
        assertThat(AddressCommand.ORIGINAL_BROKERS).isEqualTo(original);
    }

    @Test
    void aBadAddressIsAUsageErrorNamingTheField() throws Exception {
        P2pd.Result port = P2pd.run("", "address", FROM_ORIGINAL.replace("10.0.0.2,51234", "10.0.0.2,0"));
        assertThat(port.exit()).isEqualTo(2);
        assertThat(port.out()).isEmpty();
        assertThat(port.err()).isEqualTo("p2pd address: peer address: port: 0 is outside 1..65535 "
                + "(see 'p2pd address --help')" + System.lineSeparator());

        P2pd.Result json = P2pd.run("", "address", FROM_ORIGINAL.substring(0, FROM_ORIGINAL.length() - 1), "--json");
        assertThat(json.exit()).isEqualTo(2);
        assertThat(json.err()).startsWith("p2pd address: peer address: machine id: ").hasLineCount(1);
    }
}
