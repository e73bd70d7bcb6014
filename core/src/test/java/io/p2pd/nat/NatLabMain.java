package io.p2pd.nat;

import io.p2pd.stun.StunClientConfig;
import io.p2pd.stun.StunServer;
import io.p2pd.stun.StunServerConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Run by {@link NatLabTest} in the lab's client namespace: detects the NAT type through the given servers
 * and prints the report's JSON (or {"error":REASON,"message":...}) as one line on stdout; progress goes to
 * stderr. A warm-up on loopback comes first (see {@link #warmUp}).
 *
 * <p>usage: NatLabMain [--rfc3489] IP:PORT...
 */
public final class NatLabMain {
    private NatLabMain() {
    }

    /**
     * One whole detection on this namespace's loopback (which touches neither the router nor its conntrack
     * table), so that the measured one runs in a warm JVM: a cold one's first answers can take longer than the
     * probe timeout on a loaded machine, and a long-running application is warm anyway.
     */
    private static void warmUp(NatConfig config) throws Exception {
        InetAddress lo1 = InetAddress.getByName("127.0.0.1");
        StunServer local = StunServer.start(StunServerConfig.rfc5780(lo1, 0, InetAddress.getByName("127.0.0.2"), 0))
                .get(30, TimeUnit.SECONDS);
        try {
            NatReport r = NatDetector.detect(NatConfig.builder(List.of(local.primaryAddress())).bindIp(lo1)
                    .stun(config.stun()).build()).get(30, TimeUnit.SECONDS);
            if (r.natType() != NatType.OPEN_INTERNET) {
                throw new IllegalStateException("warm-up on loopback: " + r.toJson());
            }
        } finally {
            local.closeAsync().get(10, TimeUnit.SECONDS);
        }
    }

    public static void main(String[] args) throws Exception {
        List<InetSocketAddress> servers = new ArrayList<>();
        StunClientConfig.Builder stun = StunClientConfig.builder().initialRto(Duration.ofMillis(100));
        for (String a : args) {
            if (a.equals("--rfc3489")) {
                stun.rfc3489(true);
            } else {
                int colon = a.lastIndexOf(':');
                servers.add(new InetSocketAddress(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1))));
            }
        }
        NatConfig config = NatConfig.builder(servers).stun(stun.build()).progress(System.err::println).build();
        warmUp(config);
        try {
            System.out.println(NatDetector.detect(config).get(30, TimeUnit.SECONDS).toJson());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof NatDetectionException n)) {
                throw e;
            }
            System.out.println("{\"error\":\"" + n.reason() + "\",\"message\":\""
                    + n.getMessage().replace("\\", "\\\\").replace("\"", "'") + "\"}");
        }
    }
}
