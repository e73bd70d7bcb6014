package io.p2pd.nat;

import io.p2pd.stun.StunClientConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Run by {@link NatLabTest} in the lab's client namespace: detects the NAT type through the given servers
 * and prints the report's JSON (or {"error":REASON,"message":...}) as one line on stdout; progress goes to
 * stderr.
 *
 * <p>usage: NatLabMain [--rfc3489] IP:PORT...
 */
public final class NatLabMain {
    private NatLabMain() {
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
