package io.p2pd.nic;

import io.p2pd.net.IpScope;
import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Addresses of one interface that reach the world the same way, and the external addresses the world sees
 * them as.
 *
 * <p>{@code nicIps} are the interface's own addresses (single addresses or whole blocks routed to the host);
 * {@code linkLocals} are the IPv6 link-local addresses of the interface, which go with every IPv6 route and
 * carry the interface index as scope id so they can be bound; {@code externals} is empty until something
 * (STUN, see {@link ExternalLoad}) finds them. A route has at least one NIC IP or link-local address.
 */
public record Route(
        Family family,
        String interfaceName,
        int interfaceIndex,
        List<IpBlock> nicIps,
        List<Inet6Address> linkLocals,
        List<InetAddress> externals) {

    public Route {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(interfaceName, "interfaceName");
        nicIps = List.copyOf(nicIps);
        externals = List.copyOf(externals);
        for (IpBlock b : nicIps) {
            if (b.family() != family) {
                throw new IllegalArgumentException("NIC block " + b + " is not " + family.key());
            }
        }
        if (family == Family.V4 && !linkLocals.isEmpty()) {
            throw new IllegalArgumentException("IPv4 routes have no IPv6 link-local addresses");
        }
        List<Inet6Address> scoped = new ArrayList<>(linkLocals.size());
        for (Inet6Address ll : linkLocals) {
            if (IpScope.of(ll) != IpScope.LINK_LOCAL) {
                throw new IllegalArgumentException(ll.getHostAddress() + " is not link-local (fe80::/10)");
            }
            scoped.add(withScope(ll, interfaceIndex));
        }
        linkLocals = List.copyOf(scoped);
        if (nicIps.isEmpty() && linkLocals.isEmpty()) {
            throw new IllegalArgumentException("a route needs at least one NIC IP or link-local address");
        }
    }

    /** A copy with these external addresses (what STUN reported). */
    public Route withExternals(List<InetAddress> newExternals) {
        return new Route(family, interfaceName, interfaceIndex, nicIps, linkLocals, newExternals);
    }

    /** Every address the route holds: each block counts all its addresses, plus the link-locals. */
    public BigInteger addressCount() {
        BigInteger n = BigInteger.valueOf(linkLocals.size());
        for (IpBlock b : nicIps) {
            n = n.add(b.size());
        }
        return n;
    }

    /** Whether {@code address} is one of the route's NIC IPs (in a block) or link-locals. */
    public boolean contains(InetAddress address) {
        return nicIps.stream().anyMatch(b -> b.contains(address)) || linkLocals.contains(address);
    }

    /**
     * Binds to the route's first address this machine has: the first NIC IP assigned to an interface, else
     * the first link-local.
     *
     * @throws AddressNotLocalException when none of the route's addresses is assigned here
     */
    public BoundRoute bind(int port) {
        checkPort(port);
        LocalAddresses local = LocalAddresses.current();
        for (IpBlock b : nicIps) {
            Optional<InetAddress> hit = local.firstIn(b);
            if (hit.isPresent()) {
                return new BoundRoute(this, hit.get(), port);
            }
        }
        for (Inet6Address ll : linkLocals) {
            if (local.hasOn(ll, interfaceIndex)) {
                return new BoundRoute(this, ll, port);
            }
        }
        InetAddress first = nicIps.isEmpty() ? linkLocals.get(0) : nicIps.get(0).network();
        throw new AddressNotLocalException(first, "any interface of this machine (route on " + interfaceName + ")");
    }

    /**
     * Binds to {@code ip}, which must belong to this route and be assigned here. A link-local address gets the
     * route's scope id, so {@code fe80::1} may be given without {@code %scope}.
     *
     * @throws IllegalArgumentException when {@code ip} is not one of the route's addresses
     * @throws AddressNotLocalException when this machine (for a link-local: the route's interface) lacks it
     */
    public BoundRoute bind(int port, InetAddress ip) {
        checkPort(port);
        Objects.requireNonNull(ip, "ip");
        if (!contains(ip)) {
            throw new IllegalArgumentException(ip.getHostAddress() + " is not an address of route " + this);
        }
        LocalAddresses local = LocalAddresses.current();
        if (IpScope.of(ip) == IpScope.LINK_LOCAL && ip instanceof Inet6Address v6) {
            Inet6Address scoped = withScope(v6, interfaceIndex);
            if (!local.hasOn(scoped, interfaceIndex)) {
                throw new AddressNotLocalException(scoped, "interface " + interfaceName);
            }
            return new BoundRoute(this, scoped, port);
        }
        InetAddress plain = IpBlock.plain(ip.getAddress());
        if (!local.has(plain)) {
            throw new AddressNotLocalException(plain, "any interface of this machine");
        }
        return new BoundRoute(this, plain, port);
    }

    @Override
    public String toString() {
        return family.key() + " " + interfaceName + " " + nicIps + " ll=" + linkLocals.stream()
                .map(InetAddress::getHostAddress).toList() + " ext=" + externals.stream()
                .map(InetAddress::getHostAddress).toList();
    }

    static Inet6Address withScope(Inet6Address address, int index) {
        try {
            return Inet6Address.getByAddress(null, address.getAddress(), index);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port out of range 0-65535: " + port);
        }
    }
}
