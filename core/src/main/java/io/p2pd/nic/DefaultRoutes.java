package io.p2pd.nic;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads the default route's interface from Linux's /proc/net/route and /proc/net/ipv6_route. Parsing is
 * separate from reading so the format can be tested with fixed text.
 */
final class DefaultRoutes {
    private static final long RTF_UP = 0x0001;
    private static final long RTF_REJECT = 0x0200; // the kernel's "unreachable" default on lo

    static final Path V4_TABLE = Path.of("/proc/net/route");
    static final Path V6_TABLE = Path.of("/proc/net/ipv6_route");

    private DefaultRoutes() {}

    /** The routing table text of a family, or empty when this OS has no such file (not Linux). */
    static Optional<String> table(Family family) {
        Path p = family == Family.V4 ? V4_TABLE : V6_TABLE;
        if (!Files.isReadable(p)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(p));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static Optional<String> parse(Family family, String table) {
        return family == Family.V4 ? parseV4(table) : parseV6(table);
    }

    /** Columns: Iface Destination Gateway Flags RefCnt Use Metric Mask ...; the lowest metric wins. */
    static Optional<String> parseV4(String table) {
        String best = null;
        long bestMetric = Long.MAX_VALUE;
        for (String line : table.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || f[0].equals("Iface")) {
                continue;
            }
            try {
                long dest = Long.parseLong(f[1], 16);
                long flags = Long.parseLong(f[3], 16);
                long metric = Long.parseLong(f[6]);
                long mask = Long.parseLong(f[7], 16);
                if (dest == 0 && mask == 0 && usable(flags) && metric < bestMetric) {
                    best = f[0];
                    bestMetric = metric;
                }
            } catch (NumberFormatException e) {
                // a line we do not understand is not a default route
            }
        }
        return Optional.ofNullable(best);
    }

    /** Columns: dest destlen src srclen nexthop metric refcnt use flags iface (hex except iface). */
    static Optional<String> parseV6(String table) {
        String best = null;
        long bestMetric = Long.MAX_VALUE;
        for (String line : table.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10) {
                continue;
            }
            try {
                boolean anyDest = f[0].chars().allMatch(c -> c == '0') && Integer.parseInt(f[1], 16) == 0;
                boolean anySrc = Integer.parseInt(f[3], 16) == 0;
                long metric = Long.parseLong(f[5], 16);
                long flags = Long.parseLong(f[8], 16);
                if (anyDest && anySrc && usable(flags) && metric < bestMetric) {
                    best = f[9];
                    bestMetric = metric;
                }
            } catch (NumberFormatException e) {
                // as above
            }
        }
        return Optional.ofNullable(best);
    }

    private static boolean usable(long flags) {
        return (flags & RTF_UP) != 0 && (flags & RTF_REJECT) == 0;
    }
}
