package io.p2pd.nat;

import io.p2pd.stun.StunClientConfig;
import io.p2pd.stun.StunServer;
import io.p2pd.stun.StunServerConfig;
import io.p2pd.stun.StunSession;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Run by {@link NatLabTest} in the lab's public namespace: our RFC 5780 STUN server on two IPs and two
 * ports. Prints "ready" and its addresses once every listener is bound, its counters for each line read
 * from stdin, and stops when stdin ends.
 *
 * <p>usage: NatLabServerMain IP PORT OTHER_IP OTHER_PORT
 */
public final class NatLabServerMain {
    private NatLabServerMain() {
    }

    /**
     * Asks every listener once, with and without CHANGE-REQUEST, from inside this namespace: the first
     * answers of a fresh JVM are slow (class loading, JIT), and on a loaded machine slow enough to miss a
     * client's probe timeout. A long-running server is warm; so is this one before it says "ready".
     */
    private static void warmUp(StunServer server) throws Exception {
        InetSocketAddress primary = server.primaryAddress();
        try (StunSession s = StunSession.open(new InetSocketAddress(primary.getAddress(), 0),
                StunClientConfig.builder().initialRto(Duration.ofMillis(100)).timeLimit(Duration.ofSeconds(10)).build())
                .get(10, TimeUnit.SECONDS)) {
            for (int round = 0; round < 3; round++) {
                for (InetSocketAddress a : server.localAddresses()) {
                    s.binding(a).get(20, TimeUnit.SECONDS);
                    s.binding(a, true, true).get(20, TimeUnit.SECONDS);
                    s.binding(a, false, true).get(20, TimeUnit.SECONDS);
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        StunServer server = StunServer.start(StunServerConfig.builder(InetAddress.getByName(args[0]))
                .port(Integer.parseInt(args[1])).alternate(InetAddress.getByName(args[2]), Integer.parseInt(args[3]))
                .software("p2pd nat lab").rfc3489Attributes(false).build()).get(30, TimeUnit.SECONDS);
        warmUp(server);
        System.out.println("ready " + server.localAddresses());
        System.out.flush();
        // Each line on stdin asks for the counters (for the test's failure messages); its end stops us.
        var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
        for (int i = 0; i < 10_000 && in.readLine() != null; i++) {
            System.out.println("requests=" + server.requestCount() + " ignored=" + server.ignoredCount()
                    + " malformed=" + server.malformedCount());
            System.out.flush();
        }
        server.closeAsync().get(10, TimeUnit.SECONDS);
        System.exit(0); // the event-loop threads are not daemons
    }
}
