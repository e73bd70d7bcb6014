package io.p2pd.nic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InterfaceJsonTest {

    private static InetAddress ip(String s) {
        return IpBlock.literal(s);
    }

    /** An interface with everything: blocks, externals, link-locals, no MAC, and a name that needs escaping. */
    private static Interface sample() {
        String name = "we\"ird\\na\u0001me";
        int index = 9;
        Inet6Address ll = (Inet6Address) ip("fe80::abcd");
        Route v4a = new Route(Family.V4, name, index, List.of(IpBlock.parse("192.168.1.2"), IpBlock.parse("10.0.0.0/30")),
                List.of(), List.of(ip("203.0.113.5")));
        Route v4b = new Route(Family.V4, name, index, List.of(IpBlock.parse("198.51.100.7")), List.of(), List.of());
        Route v6a = new Route(Family.V6, name, index, List.of(IpBlock.parse("2001:db8:1::/64")), List.of(ll),
                List.of(ip("2001:db8:1::1"), ip("2001:db8:1::2")));
        Route v6b = new Route(Family.V6, name, index, List.of(IpBlock.parse("fd00::5")), List.of(ll), List.of());
        return new Interface(name, index, Optional.empty(), 9000, true, false, true,
                List.of(new NicAddress(ip("192.168.1.2"), 24), new NicAddress(Route.withScope(ll, index), 64)),
                new RoutePool(Family.V4, List.of(v4a, v4b)), new RoutePool(Family.V6, List.of(v6a, v6b)));
    }

    @Test
    void roundTripsEveryField() {
        Interface i = sample();
        String json = i.toJson();
        Interface back = Interface.fromJson(json);
        assertThat(back).isEqualTo(i);
        assertThat(back.toJson()).isEqualTo(json);
        // link-locals come back scoped to the interface index, ready to bind
        assertThat(back.v6().get(0).linkLocals().get(0).getScopeId()).isEqualTo(9);
        assertThat(((Inet6Address) back.addresses().get(1).address()).getScopeId()).isEqualTo(9);
        assertThat(back.v6().get(1).externals()).isEmpty();
        assertThat(back.v4().get(0).externals()).containsExactly(ip("203.0.113.5"));
    }

    @Test
    void usesStableFamilyKeysAndCompactAddresses() {
        String json = sample().toJson();
        assertThat(json).startsWith("{\"name\":\"we\\\"ird\\\\na\\u0001me\",\"index\":9,\"mac\":null,\"mtu\":9000,")
                .contains("\"routes\":{\"v4\":[{\"nic\":[\"192.168.1.2/32\",\"10.0.0.0/30\"],\"linkLocal\":[],"
                        + "\"external\":[\"203.0.113.5\"]}")
                .contains("\"v6\":[{\"nic\":[\"2001:db8:1::/64\"],\"linkLocal\":[\"fe80::abcd\"],")
                .contains("\"addresses\":[\"192.168.1.2/24\",\"fe80::abcd/64\"]")
                .doesNotContain("%"); // no OS-specific scope spelling
    }

    @Test
    void roundTripsThisMachinesInterfaces() {
        for (Interface i : Nics.list()) {
            assertThat(Interface.fromJson(i.toJson())).as(i.name()).isEqualTo(i);
        }
    }

    @Test
    void acceptsMissingFamilyAsEmptyPool() {
        Interface i = Interface.fromJson("{\"name\":\"x\",\"index\":1,\"mac\":\"02:00:00:00:00:01\",\"mtu\":1500,"
                + "\"up\":false,\"loopback\":false,\"virtual\":false,\"addresses\":[],\"routes\":{}}");
        assertThat(i.mac()).contains("02:00:00:00:00:01");
        assertThat(i.v4().isEmpty()).isTrue();
        assertThat(i.v6().isEmpty()).isTrue();
    }

    @Test
    void rejectsMalformedOrInvalidDocuments() {
        String good = sample().toJson();
        assertThatIllegalArgumentException().isThrownBy(() -> Interface.fromJson(good.substring(0, 40)))
                .withMessageContaining("malformed JSON at offset 40");
        assertThatIllegalArgumentException().isThrownBy(() -> Interface.fromJson("[]"))
                .withMessageContaining("interface must be a JSON object");
        assertThatIllegalArgumentException().isThrownBy(() -> Interface.fromJson(good.replace("\"index\":9,", "")))
                .withMessageContaining("missing field 'index'");
        assertThatIllegalArgumentException().isThrownBy(() -> Interface.fromJson(good.replace("\"index\":9", "\"index\":9.5")))
                .withMessageContaining("'index' must be an int");
        assertThatIllegalArgumentException().isThrownBy(() -> Interface.fromJson(good.replace("\"up\":true", "\"up\":1")))
                .withMessageContaining("'up' must be true or false");
        assertThatIllegalArgumentException().isThrownBy(() -> Interface.fromJson(good.replace("\"v6\":", "\"6\":")))
                .withMessageContaining("unknown address family key '6'");
        assertThatIllegalArgumentException().isThrownBy(() -> Interface.fromJson(good.replace("198.51.100.7", "bad.host")))
                .withMessageContaining("not an IP literal: 'bad.host'");
        assertThatIllegalArgumentException().isThrownBy(() -> Interface.fromJson(good.replace("\"linkLocal\":[\"fe80::abcd\"]", "\"linkLocal\":[\"10.0.0.1\"]")))
                .withMessageContaining("linkLocal '10.0.0.1' is not IPv6");
        assertThatIllegalArgumentException().isThrownBy(() -> Interface.fromJson(good.replace("\"192.168.1.2/24\"", "\"192.168.1.2\"")))
                .withMessageContaining("lacks /prefix");
        assertThatIllegalArgumentException().isThrownBy(() -> Interface.fromJson(good.replace("\"192.168.1.2/32\"", "\"2001:db8::9\"")))
                .withMessageContaining("is not v4");
        assertThatIllegalArgumentException().isThrownBy(() -> Interface.fromJson(good.replace("\"addresses\":[", "\"addresses\":[7,")))
                .withMessageContaining("'addresses' must hold strings only");
    }
}
