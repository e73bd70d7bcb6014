package io.p2pd.nic;

import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** A snapshot of the addresses assigned to this machine's interfaces, to check a bind before the OS does. */
final class LocalAddresses {
    private record Entry(InetAddress address, int index) {}

    private final List<Entry> entries;

    private LocalAddresses(List<Entry> entries) {
        this.entries = entries;
    }

    static LocalAddresses current() {
        List<Entry> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    out.add(new Entry(a, ni.getIndex()));
                }
            }
        } catch (SocketException e) {
            throw new UncheckedIOException("cannot list network interfaces", e);
        }
        return new LocalAddresses(out);
    }

    /** Any interface has it (Inet6Address equality ignores the scope id, so compare plain bytes). */
    boolean has(InetAddress address) {
        return entries.stream().anyMatch(e -> e.address.equals(address));
    }

    /** The interface with this index has it: link-local addresses are only meaningful on their own link. */
    boolean hasOn(Inet6Address address, int index) {
        return entries.stream().anyMatch(e -> e.index == index && e.address instanceof Inet6Address
                && e.address.equals(address));
    }

    /** The first assigned address inside {@code block}, in interface listing order. */
    Optional<InetAddress> firstIn(IpBlock block) {
        return entries.stream().map(Entry::address).filter(block::contains).findFirst()
                .map(a -> IpBlock.plain(a.getAddress()));
    }
}
