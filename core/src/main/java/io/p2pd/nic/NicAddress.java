package io.p2pd.nic;

import io.netty.util.NetUtil;
import io.p2pd.net.IpScope;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One address assigned to an interface, with the prefix length of its subnet ({@code 10.0.0.2/24}).
 * An IPv6 link-local address keeps its scope id (the interface index).
 */
public record NicAddress(InetAddress address, int prefixLength) {

    public NicAddress {
        Objects.requireNonNull(address, "address");
        int bits = Family.of(address).bits();
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " out of range 0-" + bits);
        }
    }

    public Family family() {
        return Family.of(address);
    }

    public IpScope scope() {
        return IpScope.of(address);
    }

    @Override
    public String toString() {
        return NetUtil.toAddressString(address) + "/" + prefixLength; // RFC 5952 form, no scope
    }
}
