package io.p2pd.node;

import io.p2pd.nat.NatType;
import io.p2pd.nat.PortDelta;
import io.p2pd.nic.Interface;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One interface of a started {@link Node}: what was measured on it and what its peer address records say.
 *
 * @param nic the interface, with the route pools the node used
 * @param netifaceIndex its position in this machine's list of every link in ifindex order, links without an address
 *     included, as the original's {@code netifaces.interfaces()} lists them (the records' {@code netiface} field)
 * @param natType the NAT type the records carry
 * @param delta the port allocation the records carry
 * @param measured true when {@code natType} and {@code delta} come from a detection; false when the node had no
 *     STUN server for the interface or its detection failed (then they are {@link Node#UNMEASURED_NAT} and
 *     {@link Node#UNMEASURED_DELTA}, the original's defaults, and the external IPs are the NIC's own)
 * @param externals the external IP of each family's record, IPv4 first; empty for a family without a record
 * @param detectionError why detection failed, in words; empty when it did not fail
 */
public record NodeInterface(Interface nic, int netifaceIndex, NatType natType, PortDelta delta, boolean measured,
        List<InetAddress> externals, Optional<String> detectionError) {

    public NodeInterface {
        Objects.requireNonNull(nic, "nic");
        Objects.requireNonNull(natType, "natType");
        Objects.requireNonNull(delta, "delta");
        externals = List.copyOf(externals);
        Objects.requireNonNull(detectionError, "detectionError");
    }

    /** The interface's name. */
    public String name() {
        return nic.name();
    }
}
