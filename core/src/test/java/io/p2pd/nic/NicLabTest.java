package io.p2pd.nic;

import io.p2pd.testing.Labs;
import io.p2pd.internal.Json;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Interface listing, classification, default detection and binding inside namespaces made by
 * scripts/nic-lab.sh (needs root). One namespace has default routes, the other none. The code runs as a
 * child JVM inside the namespace ({@link NicLabMain}) and reports JSON that is asserted here.
 */
@Tag("lab")
class NicLabTest {
    private static final Path SCRIPT = Labs.script("nic-lab.sh");
    private static final String RUN = Long.toHexString(ProcessHandle.current().pid())
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
    private static final String WITH_DEFAULT = "p2nic-d-" + RUN;
    private static final String WITHOUT_DEFAULT = "p2nic-n-" + RUN;

    private static Map<String, Object> withDefault;
    private static Map<String, Object> withoutDefault;

    @BeforeAll
    static void setUp() throws Exception {
        Labs.run(List.of(SCRIPT.toString(), "up", WITH_DEFAULT, "--default"));
        Labs.run(List.of(SCRIPT.toString(), "up", WITHOUT_DEFAULT));
        withDefault = inNamespace(WITH_DEFAULT);
        withoutDefault = inNamespace(WITHOUT_DEFAULT);
    }

    @AfterAll
    static void tearDown() throws Exception {
        // both, even when one fails; the script ignores a namespace that is already gone
        try {
            Labs.run(List.of(SCRIPT.toString(), "down", WITH_DEFAULT));
        } finally {
            Labs.run(List.of(SCRIPT.toString(), "down", WITHOUT_DEFAULT));
        }
    }

    @Test
    void listsEveryInterfaceWithItsAddressesAndFlags() {
        Map<String, Object> lo = iface(withDefault, "lo");
        assertThat(lo.get("loopback")).isEqualTo(true);
        assertThat(lo.get("up")).isEqualTo(true);
        assertThat(lo.get("mac")).isEqualTo(Json.NULL);
        assertThat(strings(lo.get("addresses"))).containsExactly("127.0.0.1/8", "::1/128");

        Map<String, Object> nic0 = iface(withDefault, "nic0");
        assertThat(nic0.get("loopback")).isEqualTo(false);
        assertThat(nic0.get("up")).isEqualTo(true);
        assertThat((String) nic0.get("mac")).matches("([0-9a-f]{2}:){5}[0-9a-f]{2}");
        assertThat(nic0.get("mtu").toString()).isEqualTo("1500");
        assertThat(strings(nic0.get("addresses"))).containsExactlyInAnyOrder(
                "10.20.0.2/24", "10.20.0.3/24", "198.18.0.2/24", "2001:db8:20::2/64", "2001:db8:20::3/64",
                "fd00:20::2/64", "fe80::20:2/64");
        assertThat(withDefault.get("roundTrip")).isEqualTo(true);
        assertThat(withoutDefault.get("roundTrip")).isEqualTo(true);
    }

    @Test
    void classifiesEveryLabAddress() {
        assertThat(map(withDefault.get("scopes"))).containsAllEntriesOf(Map.of(
                "127.0.0.1/8", "LOOPBACK", "10.20.0.2/24", "PRIVATE", "198.18.0.2/24", "PUBLIC",
                "2001:db8:20::2/64", "DOCUMENTATION", "fd00:20::2/64", "UNIQUE_LOCAL",
                "fe80::20:2/64", "LINK_LOCAL", "192.168.50.2/24", "PRIVATE", "100.64.0.2/10", "SHARED",
                "fd00:30::2/64", "UNIQUE_LOCAL", "::1/128", "LOOPBACK"));
    }

    @Test
    void defaultRoutesAreFoundAndTheirRoutesComeFirst() {
        Map<String, Object> d = map(withDefault.get("default"));
        assertThat(map(d.get("v4"))).containsEntry("source", "10.20.0.2").containsEntry("interface", "nic0")
                .containsEntry("route", "10.20.0.2/32");
        assertThat(map(d.get("v6")).get("interface")).isEqualTo("nic0");
        assertThat((String) map(d.get("v6")).get("source")).isIn("2001:db8:20:0:0:0:0:2", "2001:db8:20:0:0:0:0:3");

        Map<String, Object> routes = map(iface(withDefault, "nic0").get("routes"));
        List<Map<String, Object>> v4 = maps(routes.get("v4"));
        // private addresses share the first (default) route, the public-looking one is its own
        assertThat(v4).hasSize(2);
        assertThat(strings(v4.get(0).get("nic"))).containsExactly("10.20.0.2/32", "10.20.0.3/32");
        assertThat(strings(v4.get(1).get("nic"))).containsExactly("198.18.0.2/32");
        List<Map<String, Object>> v6 = maps(routes.get("v6"));
        // each global and each unique-local address is a route; the link-local goes with every one
        assertThat(v6).hasSize(3);
        String defaultV6 = ((String) map(d.get("v6")).get("source")).replace(":0:0:0:0:", "::");
        assertThat(strings(v6.get(0).get("nic"))).containsExactly(defaultV6 + "/128");
        assertThat(v6.stream().flatMap(r -> strings(r.get("nic")).stream()))
                .containsExactlyInAnyOrder("2001:db8:20::2/128", "2001:db8:20::3/128", "fd00:20::2/128");
        assertThat(v6).allSatisfy(r -> assertThat(strings(r.get("linkLocal"))).containsExactly("fe80::20:2"));
        assertThat(v6).allSatisfy(r -> assertThat(strings(r.get("external"))).isEmpty());
    }

    @Test
    void withoutDefaultRouteThereIsNoDefaultButRoutesStillBind() {
        Map<String, Object> d = map(withoutDefault.get("default"));
        for (String f : List.of("v4", "v6")) {
            assertThat(map(d.get(f))).containsEntry("source", Json.NULL).containsEntry("interface", Json.NULL)
                    .containsEntry("route", Json.NULL);
        }
        Map<String, Object> routes = map(iface(withoutDefault, "nic1").get("routes"));
        List<Map<String, Object>> v4 = maps(routes.get("v4"));
        // private and CGNAT addresses both sit behind a NAT: one route
        assertThat(v4).hasSize(1);
        assertThat(strings(v4.get(0).get("nic"))).containsExactly("100.64.0.2/32", "192.168.50.2/32");
        List<Map<String, Object>> v6 = maps(routes.get("v6"));
        assertThat(v6).hasSize(1);
        assertThat(strings(v6.get(0).get("nic"))).containsExactly("fd00:30::2/128");
        assertThat(strings(v6.get(0).get("linkLocal"))).containsExactly("fe80::30:2");
    }

    @Test
    void everyRouteAndLinkLocalBindsForReal() {
        for (Map<String, Object> ns : List.of(withDefault, withoutDefault)) {
            List<Map<String, Object>> binds = maps(ns.get("binds"));
            assertThat(binds).allSatisfy(b -> {
                assertThat(b.get("udp")).isEqualTo(b.get("ip"));
                assertThat(b.get("tcp")).isEqualTo(b.get("ip"));
                assertThat(b.get("udpPortChosen")).isEqualTo(true);
            });
            // link-locals carry the interface index as scope id
            String nic0 = "%" + iface(ns, "nic0").get("index");
            String nic1 = "%" + iface(ns, "nic1").get("index");
            assertThat(binds.stream().map(b -> (String) b.get("ip"))).containsExactlyInAnyOrder(
                    "127.0.0.1", "0:0:0:0:0:0:0:1",
                    "10.20.0.2", "10.20.0.3", "198.18.0.2", "100.64.0.2", "192.168.50.2",
                    "2001:db8:20:0:0:0:0:2", "2001:db8:20:0:0:0:0:3", "fd00:20:0:0:0:0:0:2", "fd00:30:0:0:0:0:0:2",
                    // once per route they belong to
                    "fe80:0:0:0:0:0:20:2" + nic0, "fe80:0:0:0:0:0:20:2" + nic0, "fe80:0:0:0:0:0:20:2" + nic0,
                    "fe80:0:0:0:0:0:30:2" + nic1);
        }
        Map<String, Object> notLocal = map(withDefault.get("notLocal"));
        assertThat(notLocal).containsEntry("type", "AddressNotLocalException").containsEntry("address", "10.99.99.99");
        assertThat((String) notLocal.get("message")).contains("10.99.99.99");
    }

    // ---- helpers

    private static Map<String, Object> inNamespace(String ns) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String out = Labs.run(List.of("ip", "netns", "exec", ns, java, "-cp", System.getProperty("java.class.path"),
                NicLabMain.class.getName()));
        return map(Json.parse(out.strip()));
    }



    private static Map<String, Object> iface(Map<String, Object> ns, String name) {
        return maps(ns.get("interfaces")).stream().filter(i -> name.equals(i.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no interface " + name + " in " + ns.get("interfaces")));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    private static List<Map<String, Object>> maps(Object o) {
        assertThat(o).isInstanceOf(List.class);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object e : (List<?>) o) {
            out.add(map(e));
        }
        return out;
    }

    private static List<String> strings(Object o) {
        assertThat(o).isInstanceOf(List.class);
        return ((List<?>) o).stream().map(String.class::cast).toList();
    }
}
