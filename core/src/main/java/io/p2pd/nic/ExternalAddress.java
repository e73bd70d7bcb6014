package io.p2pd.nic;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * An external address found for a route, and the servers that reported it: for a STUN lookup the servers that
 * agreed (at least its quorum), in the order they answered; empty when the lookup does not say.
 */
public record ExternalAddress(InetAddress ip, List<InetSocketAddress> agreed) {

    public ExternalAddress {
        Objects.requireNonNull(ip, "ip");
        agreed = List.copyOf(agreed);
    }
}
