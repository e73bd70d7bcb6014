package io.p2pd.nic;

import io.p2pd.net.IpScope;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Groups an interface's addresses into routes.
 *
 * <p>IPv4: addresses that the world can only see through a NAT (private, shared, link-local, loopback)
 * share one route, because they leave by the same external address; every other address (public,
 * documentation, reserved) is its own route. IPv6: every non-link-local address is its own route (no NAT
 * is assumed); link-local addresses go with every route, and form a route of their own when the interface
 * has nothing else. The route holding the default source address comes first, then by scope (public first,
 * loopback last), then by address.
 */
final class RouteBuilder {
    private static final Set<IpScope> NATTED_V4 =
            EnumSet.of(IpScope.PRIVATE, IpScope.SHARED, IpScope.LINK_LOCAL, IpScope.LOOPBACK);

    private RouteBuilder() {}

    static RoutePool pool(Family family, String name, int index, List<NicAddress> addresses,
                          Optional<InetAddress> defaultSource) {
        List<InetAddress> ips = addresses.stream().map(NicAddress::address)
                .filter(a -> Family.of(a) == family)
                .filter(a -> IpScope.of(a) != IpScope.UNSPECIFIED && IpScope.of(a) != IpScope.MULTICAST)
                .sorted(byDefaultThenBytes(defaultSource))
                .toList();
        List<Route> routes = new ArrayList<>();
        if (family == Family.V4) {
            List<IpBlock> natted = ips.stream().filter(a -> NATTED_V4.contains(IpScope.of(a)))
                    .map(IpBlock::of).toList();
            if (!natted.isEmpty()) {
                routes.add(new Route(family, name, index, natted, List.of(), List.of()));
            }
            ips.stream().filter(a -> !NATTED_V4.contains(IpScope.of(a))).forEach(a ->
                    routes.add(new Route(family, name, index, List.of(IpBlock.of(a)), List.of(), List.of())));
        } else {
            List<Inet6Address> linkLocals = ips.stream().filter(a -> IpScope.of(a) == IpScope.LINK_LOCAL)
                    .map(a -> (Inet6Address) a).toList();
            ips.stream().filter(a -> IpScope.of(a) != IpScope.LINK_LOCAL).forEach(a ->
                    routes.add(new Route(family, name, index, List.of(IpBlock.of(a)), linkLocals, List.of())));
            if (routes.isEmpty() && !linkLocals.isEmpty()) {
                routes.add(new Route(family, name, index, List.of(), linkLocals, List.of()));
            }
        }
        routes.sort(Comparator.comparingInt((Route r) -> rank(r, defaultSource))
                .thenComparing(r -> key(r), Arrays::compareUnsigned));
        return new RoutePool(family, routes);
    }

    private static int rank(Route r, Optional<InetAddress> defaultSource) {
        if (defaultSource.isPresent() && r.contains(defaultSource.get())) {
            return -1;
        }
        if (r.nicIps().isEmpty()) {
            return 9;
        }
        return switch (IpScope.of(r.nicIps().get(0).network())) {
            case PUBLIC -> 0;
            case DOCUMENTATION -> 1;
            case RESERVED -> 2;
            case PRIVATE, SHARED, LINK_LOCAL, UNIQUE_LOCAL -> 3;
            default -> 4;
        };
    }

    private static byte[] key(Route r) {
        return r.nicIps().isEmpty() ? new byte[0] : r.nicIps().get(0).network().getAddress();
    }

    private static Comparator<InetAddress> byDefaultThenBytes(Optional<InetAddress> defaultSource) {
        return Comparator.comparing((InetAddress a) -> !defaultSource.map(a::equals).orElse(false))
                .thenComparing(InetAddress::getAddress, Arrays::compareUnsigned);
    }
}
