package io.p2pd.nic;

import io.p2pd.net.IpScope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Lists this machine's interfaces and finds the default one, using only {@link NetworkInterface}, a UDP
 * socket that is connected but never sends, and (on Linux) the kernel's routing tables in /proc. No packets,
 * no shell commands.
 *
 * <p>The default of a family: when /proc has the routing table and it holds no default route, there is no
 * default (a namespace with only on-link networks is not on the internet, even if the probe below finds a
 * source address). Otherwise the OS is asked which source address it would use towards a documentation
 * address ({@code 192.0.2.1}, {@code 2001:db8::1}) by connecting a UDP socket, which sends nothing; that
 * honours policy routing. If that gives nothing, the default route's interface from /proc is used.
 *
 * <p>Every method does a few quick blocking system calls (no network I/O); call them off event-loop threads.
 *
 * <p>Limitation inherited from {@link NetworkInterface}: on Linux an interface with no IP address at all is
 * not listed.
 */
public final class Nics {
    static final InetAddress PROBE_V4 = IpBlock.literal("192.0.2.1");
    static final InetAddress PROBE_V6 = IpBlock.literal("2001:db8::1");

    private Nics() {}

    /**
     * Every interface, in index order, with route pools ordered default route first.
     *
     * @throws UncheckedIOException when the OS refuses to list interfaces
     */
    public static List<Interface> list() {
        Optional<InetAddress> v4 = defaultSource(Family.V4);
        Optional<InetAddress> v6 = defaultSource(Family.V6);
        List<Interface> out = new ArrayList<>();
        for (NetworkInterface ni : networkInterfaces()) {
            out.add(describe(ni, v4, v6));
        }
        out.sort(Comparator.comparingInt(Interface::index));
        return List.copyOf(out);
    }

    /** The interface with this name. */
    public static Optional<Interface> byName(String name) {
        Objects.requireNonNull(name, "name");
        return list().stream().filter(i -> i.name().equals(name)).findFirst();
    }

    /**
     * The local address the OS uses to reach the internet in this family, or empty when there is no default
     * route (see the class comment for how this is decided).
     */
    public static Optional<InetAddress> defaultSource(Family family) {
        Objects.requireNonNull(family, "family");
        Optional<String> table = DefaultRoutes.table(family);
        Optional<String> routeIface = table.flatMap(t -> DefaultRoutes.parse(family, t));
        if (table.isPresent() && routeIface.isEmpty()) {
            return Optional.empty();
        }
        Optional<InetAddress> probed = probe(family);
        if (probed.isPresent()) {
            return probed;
        }
        // the probe failed (e.g. IPv6 disabled for Java): take the default interface's best address
        return routeIface.flatMap(name -> networkInterfaces().stream()
                .filter(ni -> ni.getName().equals(name)).findFirst())
                .flatMap(ni -> Collections.list(ni.getInetAddresses()).stream()
                        .filter(a -> Family.of(a) == family && IpScope.of(a) != IpScope.LINK_LOCAL)
                        .findFirst());
    }

    /** The interface that holds the default source address of {@code family}; empty without a default. */
    public static Optional<Interface> defaultInterface(Family family) {
        Optional<InetAddress> src = defaultSource(family);
        if (src.isEmpty()) {
            return Optional.empty();
        }
        return list().stream()
                .filter(i -> i.addresses(family).stream().anyMatch(a -> a.address().equals(src.get())))
                .findFirst();
    }

    /** The first route of the default interface's pool of {@code family}: what to bind when none is given. */
    public static Optional<Route> defaultRoute(Family family) {
        return defaultInterface(family).flatMap(i -> i.pool(family).first());
    }

    /** The IPv4 default interface, else the IPv6 one. */
    public static Optional<Interface> defaultInterface() {
        return defaultInterface(Family.V4).or(() -> defaultInterface(Family.V6));
    }

    /** Asks the OS for its source address choice: connect() on UDP only consults the routing table. */
    static Optional<InetAddress> probe(Family family) {
        InetAddress target = family == Family.V4 ? PROBE_V4 : PROBE_V6;
        try (DatagramSocket s = new DatagramSocket(null)) {
            s.connect(new InetSocketAddress(target, 9));
            InetAddress local = s.getLocalAddress();
            if (local == null || local.isAnyLocalAddress() || Family.of(local) != family) {
                return Optional.empty();
            }
            return Optional.of(local instanceof Inet6Address v6 && IpScope.of(v6) != IpScope.LINK_LOCAL
                    ? IpBlock.plain(v6.getAddress()) : local);
        } catch (IOException | UncheckedIOException e) {
            return Optional.empty(); // typically "network is unreachable": no route in this family
        }
    }

    static Interface describe(NetworkInterface ni, Optional<InetAddress> v4, Optional<InetAddress> v6) {
        String name = ni.getName();
        int index = ni.getIndex();
        List<NicAddress> addresses = new ArrayList<>();
        for (InterfaceAddress ia : ni.getInterfaceAddresses()) {
            InetAddress a = ia.getAddress();
            if (a instanceof Inet6Address v6a && IpScope.of(v6a) == IpScope.LINK_LOCAL) {
                a = Route.withScope(v6a, index);
            } else {
                a = IpBlock.plain(a.getAddress());
            }
            addresses.add(new NicAddress(a, Math.max(0, ia.getNetworkPrefixLength())));
        }
        addresses.sort(Comparator.comparing((NicAddress a) -> a.address() instanceof Inet4Address ? 0 : 1)
                .thenComparing(a -> a.address().getAddress(), Arrays::compareUnsigned));
        boolean up;
        boolean loopback;
        boolean virtual = ni.isVirtual();
        int mtu;
        Optional<String> mac;
        try {
            up = ni.isUp();
            loopback = ni.isLoopback();
            mtu = ni.getMTU();
            byte[] hw = ni.getHardwareAddress();
            mac = hw == null || hw.length == 0 ? Optional.empty()
                    : Optional.of(HexFormat.ofDelimiter(":").formatHex(hw));
        } catch (SocketException e) {
            throw new UncheckedIOException("cannot read interface " + name, e);
        }
        return new Interface(name, index, mac, mtu, up, loopback, virtual, addresses,
                RouteBuilder.pool(Family.V4, name, index, addresses, v4),
                RouteBuilder.pool(Family.V6, name, index, addresses, v6));
    }

    private static List<NetworkInterface> networkInterfaces() {
        try {
            // top level only: Linux alias sub-interfaces (eth0:1) share the parent's index and addresses
            return Collections.list(NetworkInterface.getNetworkInterfaces());
        } catch (SocketException e) {
            throw new UncheckedIOException("cannot list network interfaces", e);
        }
    }
}
