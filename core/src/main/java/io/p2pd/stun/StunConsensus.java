package io.p2pd.stun;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * The answer enough servers agreed on: our mapped IP, and the results of the servers that agreed
 * (in the order they answered).
 */
public record StunConsensus(InetAddress mappedIp, List<StunResult> agreeing) {

    public StunConsensus {
        Objects.requireNonNull(mappedIp, "mappedIp");
        agreeing = List.copyOf(agreeing);
        if (agreeing.isEmpty()) {
            throw new IllegalArgumentException("a consensus needs at least one result");
        }
    }

    /** The servers that agreed. */
    public List<InetSocketAddress> servers() {
        return agreeing.stream().map(StunResult::server).toList();
    }

    /** The mapped address (IP and port) of the first server that answered. */
    public InetSocketAddress mappedAddress() {
        return agreeing.getFirst().mappedAddress();
    }
}
