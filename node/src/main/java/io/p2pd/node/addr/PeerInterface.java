package io.p2pd.node.addr;

import io.p2pd.nat.NatType;
import io.p2pd.nat.PortDelta;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * One interface record of a peer address: how to reach the node through one of its interfaces in one address
 * family. The original's {@code [netiface, if, ext ip, nic ip, port, nat, delta type, delta value]}.
 *
 * @param netifaceIndex the interface's position in the host's list of interfaces (0 to 65535)
 * @param ifIndex the interface's position in the node's list of interfaces (0 to 65535), unique per family
 * @param externalIp the address the internet sees (after NAT)
 * @param nicIp the address on the interface (for peers on the same LAN or host; a link-local one for IPv6)
 *     <p>Host names and IPv6 scopes of the two addresses are dropped: a record holds the address bytes only.
 * @param port the node's listening port (1 to 65535)
 * @param nat the NAT type measured on this interface
 * @param delta how the NAT allocates ports; its value may be negative (from -65535 to 65535)
 */
public record PeerInterface(
        int netifaceIndex, int ifIndex, InetAddress externalIp, InetAddress nicIp, int port, NatType nat,
        PortDelta delta) {

    /** The largest netiface and if index. */
    public static final int MAX_INDEX = 65535;

    /**
     * Checks every field.
     *
     * @throws PeerAddressException naming the first field out of range, or when the two IPs are of different
     *     families
     */
    public PeerInterface {
        checkRange("netiface index", netifaceIndex, 0, MAX_INDEX);
        checkRange("if index", ifIndex, 0, MAX_INDEX);
        if (externalIp == null) {
            throw new PeerAddressException("ext ip", "missing");
        }
        if (nicIp == null) {
            throw new PeerAddressException("nic ip", "missing");
        }
        if ((externalIp instanceof Inet4Address) != (nicIp instanceof Inet4Address)) {
            throw new PeerAddressException("nic ip", "not the family of the ext ip");
        }
        checkRange("port", port, 1, 65535);
        if (nat == null) {
            throw new PeerAddressException("nat type", "missing");
        }
        if (delta == null) {
            throw new PeerAddressException("delta type", "missing");
        }
        checkRange("delta value", delta.value(), -65535, 65535);
        // Addresses are values: hold the IP alone, without host name or IPv6 scope (a scope means nothing to a peer,
        // and the original drops it too), so equality and printing depend on the address bytes only.
        externalIp = stripName(externalIp);
        nicIp = stripName(nicIp);
    }

    /** True for an IPv6 record, false for IPv4. */
    public boolean isIpv6() {
        return externalIp instanceof Inet6Address;
    }

    private static void checkRange(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw new PeerAddressException(field, value + " is outside " + min + ".." + max);
        }
    }

    private static InetAddress stripName(InetAddress ip) {
        try {
            return ip instanceof Inet6Address
                    ? Inet6Address.getByAddress(null, ip.getAddress(), -1)
                    : InetAddress.getByAddress(ip.getAddress());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("an address of 4 or 16 bytes was refused", e);
        }
    }

    /** The record in the original's text form, e.g. {@code [0,0,203.0.113.5,192.168.1.20,51234,5,3,2]}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(96);
        PeerAddressCodec.appendRecord(sb, this);
        return sb.toString();
    }
}
