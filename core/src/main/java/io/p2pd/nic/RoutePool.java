package io.p2pd.nic;

import java.math.BigInteger;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The routes of one interface for one family, the default route first. Indexed and sized by route;
 * {@link #addressCount()} counts addresses instead (a /30 block counts 4).
 */
public record RoutePool(Family family, List<Route> routes) implements Iterable<Route> {

    public RoutePool {
        Objects.requireNonNull(family, "family");
        routes = List.copyOf(routes);
        for (Route r : routes) {
            if (r.family() != family) {
                throw new IllegalArgumentException("route " + r + " in a " + family.key() + " pool");
            }
        }
    }

    public static RoutePool empty(Family family) {
        return new RoutePool(family, List.of());
    }

    /** The route at {@code index}; 0 is the default route when the interface has it. */
    public Route get(int index) {
        return routes.get(index);
    }

    /** Number of routes. */
    public int size() {
        return routes.size();
    }

    public boolean isEmpty() {
        return routes.isEmpty();
    }

    /** The first (default) route, if any. */
    public Optional<Route> first() {
        return routes.stream().findFirst();
    }

    /** Total addresses over all routes, each block counted in full (IPv6 blocks can be huge). */
    public BigInteger addressCount() {
        return routes.stream().map(Route::addressCount).reduce(BigInteger.ZERO, BigInteger::add);
    }

    /** The route holding {@code address}, if any. */
    public Optional<Route> find(InetAddress address) {
        return routes.stream().filter(r -> r.contains(address)).findFirst();
    }

    /** Looks up the external addresses of every route in parallel; see {@link ExternalLoad#run}. */
    public CompletableFuture<ExternalLoad> loadExternal(ExternalAddressLookup lookup, Duration timeout) {
        return ExternalLoad.run(routes, lookup, timeout);
    }

    @Override
    public Iterator<Route> iterator() {
        return routes.iterator();
    }
}
