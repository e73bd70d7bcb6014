package io.p2pd.node;

import io.p2pd.nat.NatType;
import io.p2pd.nat.PortDelta;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerInterface;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.id.NodeId;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How a node's peer address is made from what it measured, as the original's {@code make_peer_addr} makes it: for
 * IPv4 then IPv6, one record per interface that has a route in that family, with the interface's position in the
 * node's (name-sorted) list as {@code if} index, so an interface without IPv4 still takes its index in the IPv6
 * records; the same NAT type and delta in both families' records. Pure: no I/O.
 */
final class AddressRecords {
    private AddressRecords() {
    }

    /** The external and NIC IP of one family's record. */
    record Pair(InetAddress external, InetAddress nic) {
    }

    /** One interface as the address sees it. */
    record Measured(int netifaceIndex, NatType nat, PortDelta delta, Optional<Pair> v4, Optional<Pair> v6) {
    }

    /**
     * The address. At most {@value PeerAddress#MAX_INTERFACES_PER_FAMILY} records per family are kept (the first
     * interfaces by name), since the format allows no more.
     */
    static PeerAddress make(NodeId id, MachineId machine, List<Integer> signal, int port, List<Measured> ifs) {
        List<PeerInterface> v4 = new ArrayList<>();
        List<PeerInterface> v6 = new ArrayList<>();
        for (int i = 0; i < ifs.size(); i++) {
            Measured m = ifs.get(i);
            add(v4, m.v4(), m, i, port);
            add(v6, m.v6(), m, i, port);
        }
        return new PeerAddress(signal, v4, v6, id, machine);
    }

    private static void add(List<PeerInterface> out, Optional<Pair> pair, Measured m, int ifIndex, int port) {
        if (pair.isPresent() && out.size() < PeerAddress.MAX_INTERFACES_PER_FAMILY) {
            out.add(new PeerInterface(m.netifaceIndex(), ifIndex, pair.get().external(), pair.get().nic(), port,
                    m.nat(), m.delta()));
        }
    }
}
