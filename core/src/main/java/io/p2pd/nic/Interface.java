package io.p2pd.nic;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A network interface as listed by {@link Nics#list()}: identity, flags, addresses, and one route pool per
 * family. Serialises to JSON and back with {@link #toJson()} / {@link #fromJson(String)}.
 *
 * @param mac hardware address as lower-case {@code aa:bb:cc:dd:ee:ff}; empty when the interface has none
 * @param mtu maximum transmission unit, or -1 when the OS did not say
 */
public record Interface(
        String name,
        int index,
        Optional<String> mac,
        int mtu,
        boolean up,
        boolean loopback,
        boolean virtual,
        List<NicAddress> addresses,
        RoutePool v4,
        RoutePool v6) {

    public Interface {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(mac, "mac");
        addresses = List.copyOf(addresses);
        Objects.requireNonNull(v4, "v4");
        Objects.requireNonNull(v6, "v6");
        if (v4.family() != Family.V4 || v6.family() != Family.V6) {
            throw new IllegalArgumentException("pools given in the wrong family slots");
        }
    }

    public RoutePool pool(Family family) {
        return family == Family.V4 ? v4 : v6;
    }

    /** A copy with {@code pool} in its family's slot (for example after loading external addresses). */
    public Interface withPool(RoutePool pool) {
        return new Interface(name, index, mac, mtu, up, loopback, virtual, addresses,
                pool.family() == Family.V4 ? pool : v4, pool.family() == Family.V6 ? pool : v6);
    }

    /** The addresses of one family. */
    public List<NicAddress> addresses(Family family) {
        return addresses.stream().filter(a -> a.family() == family).toList();
    }

    /** JSON with family keys {@code "v4"} and {@code "v6"}; see {@link #fromJson(String)}. */
    public String toJson() {
        return InterfaceJson.write(this);
    }

    /**
     * Reads what {@link #toJson()} wrote.
     *
     * @throws IllegalArgumentException for malformed JSON (naming the offset) or a missing/invalid field
     */
    public static Interface fromJson(String json) {
        return InterfaceJson.read(json);
    }
}
