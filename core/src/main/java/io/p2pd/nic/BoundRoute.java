package io.p2pd.nic;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A route with the one local address and port a socket should bind to. Only {@link Route#bind} makes one,
 * after checking that the address is assigned here, so holding a BoundRoute means the address existed when
 * it was made.
 */
public final class BoundRoute {
    private final Route route;
    private final InetAddress ip;
    private final int port;

    BoundRoute(Route route, InetAddress ip, int port) {
        this.route = Objects.requireNonNull(route, "route");
        this.ip = Objects.requireNonNull(ip, "ip");
        this.port = port;
    }

    public Route route() {
        return route;
    }

    /** The address to bind; an IPv6 link-local one carries its scope id. */
    public InetAddress ip() {
        return ip;
    }

    /** The port to bind; 0 lets the OS choose. */
    public int port() {
        return port;
    }

    /** The local address for {@code bind()} of any socket or channel. */
    public InetSocketAddress bindAddress() {
        return new InetSocketAddress(ip, port);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BoundRoute other && route.equals(other.route) && ip.equals(other.ip)
                && port == other.port;
    }

    @Override
    public int hashCode() {
        return Objects.hash(route, ip, port);
    }

    @Override
    public String toString() {
        return "BoundRoute[" + bindAddress() + " on " + route.interfaceName() + "]";
    }
}
