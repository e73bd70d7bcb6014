package io.p2pd.nat;

import io.p2pd.internal.Json;
import io.p2pd.testing.Labs;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * NAT detection through real netfilter NATs: for each router mode of scripts/nat-lab.sh (needs root), our
 * StunServer runs as a child JVM in the lab's public namespace ({@link NatLabServerMain}), coturn beside it,
 * and the detection as a child JVM in the client namespace ({@link NatLabMain}), whose JSON is asserted here.
 */
@Tag("lab")
class NatLabTest {
    private static final Path SCRIPT = Labs.script("nat-lab.sh");
    private static final String RUN = Long.toHexString(ProcessHandle.current().pid())
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
    static final String OURS = "198.18.0.2:3478";
    static final String OURS_OTHER = "198.18.0.3:3479";
    static final String COTURN = "198.18.0.2:3480";
    static final String COTURN_OTHER = "198.18.0.3:3481";
    static final String ROUTER = "198.18.0.1";

    @Test
    void noNatIsOpenInternet() throws Exception {
        try (Lab lab = new Lab("open")) {
            Map<String, Object> r = lab.detect(OURS);
            assertType(r, 1, "open internet", 1);
            assertThat(r.get("local")).asString().startsWith("198.19.0.2:");
            assertThat(strings(r.get("mapped"))).containsExactly((String) r.get("local"));
            assertThat(strings(r.get("servers"))).containsExactly(OURS, OURS_OTHER);
        }
    }

    @Test
    void droppingUnsolicitedInboundIsUdpFirewall() throws Exception {
        try (Lab lab = new Lab("firewall")) {
            Map<String, Object> r = lab.detect(OURS);
            assertType(r, 2, "UDP firewall", 1);
            assertThat(strings(r.get("mapped"))).containsExactly((String) r.get("local"));
        }
    }

    @Test
    void droppingAllUdpIsBlocked() throws Exception {
        try (Lab lab = new Lab("blocked")) {
            Map<String, Object> r = lab.detect(OURS, COTURN);
            assertType(r, 7, "blocked", 1);
            assertThat(strings(r.get("mapped"))).isEmpty();
            assertThat(strings(r.get("servers"))).containsExactly(OURS, COTURN);
        }
    }

    @Test
    void masqueradeIsPortRestrictedAndKeepsPorts() throws Exception {
        try (Lab lab = new Lab("masq")) {
            Map<String, Object> r = lab.detect(OURS);
            assertType(r, 5, "port restricted", 2);
            assertThat(r.get("local")).asString().startsWith("10.66.0.2:");
            int localPort = port((String) r.get("local"));
            assertThat(strings(r.get("mapped"))).first().isEqualTo(ROUTER + ":" + localPort);
            assertThat(strings(r.get("mapped"))).allMatch(m -> m.startsWith(ROUTER + ":"));
            assertThat(strings(r.get("servers"))).containsExactly(OURS, OURS_OTHER);
            // the same NAT through coturn, an independent server
            Map<String, Object> c = lab.detect(COTURN);
            assertType(c, 5, "port restricted", 2);
            assertThat(strings(c.get("servers"))).containsExactly(COTURN, COTURN_OTHER);
            // and with RFC 3489 requests: the alternate comes from CHANGED-ADDRESS
            Map<String, Object> old = lab.detect("--rfc3489", OURS);
            assertType(old, 5, "port restricted", 2);
            assertThat(strings(old.get("servers"))).containsExactly(OURS, OURS_OTHER);
        }
    }

    @Test
    void masqueradeRandomFullyIsSymmetricWithRandomPorts() throws Exception {
        try (Lab lab = new Lab("random")) {
            Map<String, Object> r = lab.detect(OURS);
            assertType(r, 6, "symmetric", 6);
            List<String> mapped = strings(r.get("mapped"));
            // test I to both addresses and two requests per port-allocation socket: all different mappings
            assertThat(mapped).hasSize(2 + 2 * 3).allMatch(m -> m.startsWith(ROUTER + ":"));
            assertThat(r.get("deltaValue")).isEqualTo(0L);
        }
    }

    @Test
    void snatWithAPortOffsetIsPortRestrictedAndPreserving() throws Exception {
        try (Lab lab = new Lab("offset")) {
            Map<String, Object> r = lab.detect(OURS);
            assertType(r, 5, "port restricted", 3);
            int local = port((String) r.get("local"));
            List<String> mapped = strings(r.get("mapped"));
            // 20000 + local mod 10000: the offset is a multiple of 10000, the same for every socket (the fresh
            // sockets get the next local ports: nothing else binds in the lab's client namespace)
            assertThat(mapped.get(0)).isEqualTo(ROUTER + ":" + (20000 + local % 10000));
            assertThat(r.get("deltaValue")).isEqualTo((long) (port(mapped.get(0)) - local));
            assertThat(mapped).hasSize(4); // the tests' socket and three consecutive fresh ones
            for (int i = 1; i < mapped.size(); i++) {
                assertThat(port(mapped.get(i))).isEqualTo(port(mapped.get(0)) + i);
            }
        }
    }

    @Test
    void snatWithInboundDnatIsFullCone() throws Exception {
        try (Lab lab = new Lab("fullcone")) {
            Map<String, Object> r = lab.detect(OURS);
            assertType(r, 3, "full cone", 2);
            assertThat(strings(r.get("mapped"))).first()
                    .isEqualTo(ROUTER + ":" + port((String) r.get("local")));
            Map<String, Object> c = lab.detect(COTURN);
            assertType(c, 3, "full cone", 2);
        }
    }

    @Test
    void inboundOnlyFromContactedIpsIsRestricted() throws Exception {
        try (Lab lab = new Lab("restricted")) {
            Map<String, Object> r = lab.detect(OURS);
            assertType(r, 4, "restricted", 2);
            Map<String, Object> c = lab.detect(COTURN);
            assertType(c, 4, "restricted", 2);
        }
    }

    // ---- helpers

    static void assertType(Map<String, Object> r, int nat, String name, int delta) {
        assertThat(r).as("report").doesNotContainKey("error");
        assertThat(r.get("natType")).as("NAT type of %s", r).isEqualTo((long) nat);
        assertThat(r.get("natName")).isEqualTo(name);
        assertThat(r.get("deltaType")).as("delta type of %s", r).isEqualTo((long) delta);
        assertThat((Long) r.get("elapsedMs")).isNotNegative();
    }

    static int port(String hostPort) {
        return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    }

    static List<String> strings(Object o) {
        assertThat(o).isInstanceOf(List.class);
        return ((List<?>) o).stream().map(String.class::cast).toList();
    }

    /** One lab (namespaces, router mode, coturn) with our server running in it; closing tears it all down. */
    static final class Lab implements AutoCloseable {
        final String name;
        final String mode;
        final Path serverErr;
        Process server;
        BufferedReader serverOut;

        Lab(String mode) throws Exception {
            this.mode = mode;
            this.name = "p2nat-" + RUN + "-" + mode.substring(0, 3);
            this.serverErr = Files.createTempFile("nat-lab-server", ".err");
            try {
                Labs.run(List.of(SCRIPT.toString(), "up", name, mode));
                startServer();
            } catch (Exception | Error e) {
                close();
                throw e;
            }
        }

        private void startServer() throws Exception {
            server = new ProcessBuilder(Labs.javaIn(name + "-p", NatLabServerMain.class.getName(),
                    "198.18.0.2", "3478", "198.18.0.3", "3479")).redirectError(serverErr.toFile()).start();
            serverOut = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String ready = CompletableFuture.supplyAsync(() -> {
                try {
                    return serverOut.readLine();
                } catch (IOException e) {
                    return null;
                }
            }).get(60, TimeUnit.SECONDS);
            assertThat(ready).as("server start: %s", Files.readString(serverErr)).startsWith("ready");
        }

        private String serverCounters() throws Exception {
            server.getOutputStream().write('\n');
            server.getOutputStream().flush();
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return serverOut.readLine();
                } catch (IOException e) {
                    return e.toString();
                }
            }).get(10, TimeUnit.SECONDS);
        }

        /** Runs the detection in the client namespace and returns its JSON. */
        Map<String, Object> detect(String... args) throws Exception {
            List<String> a = new ArrayList<>(List.of(NatLabMain.class.getName()));
            a.addAll(List.of(args));
            StringBuilder progress = new StringBuilder();
            String out = Labs.run(Labs.javaIn(name + "-c", a.toArray(String[]::new)), progress);
            @SuppressWarnings("unchecked")
            Map<String, Object> r = new LinkedHashMap<>((Map<String, Object>) Json.parse(out));
            // The report's numbers are whole: compare them as longs.
            r.replaceAll((k, v) -> v instanceof java.math.BigDecimal n ? n.longValueExact() : v);
            System.out.println("NAT lab " + mode + " " + String.join(" ", args) + ": " + out.strip());
            // for failure messages: what the detection saw, step by step, and what the server logged
            r.put("progress", progress.toString().lines().filter(l -> !l.startsWith("WARNING")).toList());
            r.put("serverLog", Files.readString(serverErr).lines().filter(l -> !l.startsWith("WARNING")).toList());
            r.put("serverCounters", serverCounters());
            r.put("links", Labs.run(List.of("sh", "-c", "for n in c r p; do ip -n " + name + "-$n -s -o link | sed -E \"s/ +/ /g\"; done")));
            return r;
        }

        @Override
        public void close() throws IOException {
            try {
                stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while taking the lab down");
            }
        }

        private void stop() throws IOException, InterruptedException {
            try {
                if (server != null) {
                    server.getOutputStream().close(); // it stops when its stdin ends
                    if (!server.waitFor(10, TimeUnit.SECONDS)) {
                        server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                }
            } finally {
                Labs.run(List.of(SCRIPT.toString(), "down", name)); // stops whatever is left inside, deletes all
                Files.deleteIfExists(serverErr);
            }
        }
    }




}
