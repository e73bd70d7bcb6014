package io.p2pd.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * Where an IP address is meaningful, decided from the address bytes alone (no lookup, no interface query).
 *
 * <p>Blocks, checked from the most specific: {@link #UNSPECIFIED} {@code 0.0.0.0}, {@code ::};
 * {@link #LOOPBACK} {@code 127.0.0.0/8}, {@code ::1}; {@link #PRIVATE} RFC 1918 ({@code 10/8},
 * {@code 172.16/12}, {@code 192.168/16}); {@link #SHARED} RFC 6598 carrier-grade NAT {@code 100.64/10}
 * (kept apart from PRIVATE: such an address is already behind the ISP's NAT);
 * {@link #LINK_LOCAL} {@code 169.254/16}, {@code fe80::/10}; {@link #UNIQUE_LOCAL} {@code fc00::/7}
 * (routable inside a site, so <em>not</em> link-local); {@link #DOCUMENTATION} {@code 192.0.2/24},
 * {@code 198.51.100/24}, {@code 203.0.113/24}, {@code 2001:db8::/32}, {@code 3fff::/20} (RFC 9637);
 * {@link #MULTICAST} {@code 224/4}, {@code ff00::/8}; {@link #RESERVED} {@code 0/8} (other than
 * {@code 0.0.0.0}), {@code 240/4} including {@code 255.255.255.255}, and the deprecated site-local
 * {@code fec0::/10}; {@link #PUBLIC} everything else (including the benchmarking block {@code 198.18/15},
 * which is routable in labs).
 *
 * <p>An IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}) is classified as the IPv4 address it carries,
 * because a dual-stack socket uses it to talk to exactly that IPv4 host.
 */
public enum IpScope {
    UNSPECIFIED,
    LOOPBACK,
    /** RFC 1918. */
    PRIVATE,
    /** RFC 6598 carrier-grade NAT space, 100.64.0.0/10. */
    SHARED,
    LINK_LOCAL,
    /** IPv6 fc00::/7 (RFC 4193). */
    UNIQUE_LOCAL,
    DOCUMENTATION,
    MULTICAST,
    RESERVED,
    PUBLIC;

    /** The scope of {@code address}. */
    public static IpScope of(InetAddress address) {
        Objects.requireNonNull(address, "address");
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            return ofV4(b);
        }
        if (address instanceof Inet6Address && isV4Mapped(b)) {
            return ofV4(new byte[] {b[12], b[13], b[14], b[15]});
        }
        return ofV6(b);
    }

    /** True for addresses a host elsewhere on the internet could reach directly (PUBLIC only). */
    public boolean isGlobal() {
        return this == PUBLIC;
    }

    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }

    private static IpScope ofV4(byte[] b) {
        int a0 = b[0] & 0xff;
        int a1 = b[1] & 0xff;
        int a2 = b[2] & 0xff;
        int v = (a0 << 24) | (a1 << 16) | (a2 << 8) | (b[3] & 0xff);
        if (v == 0) {
            return UNSPECIFIED;
        }
        if (a0 == 0 || a0 >= 240) {
            return RESERVED;
        }
        if (a0 == 127) {
            return LOOPBACK;
        }
        if (a0 >= 224) {
            return MULTICAST;
        }
        if (a0 == 10 || (a0 == 172 && (a1 & 0xf0) == 16) || (a0 == 192 && a1 == 168)) {
            return PRIVATE;
        }
        if (a0 == 100 && (a1 & 0xc0) == 64) {
            return SHARED;
        }
        if (a0 == 169 && a1 == 254) {
            return LINK_LOCAL;
        }
        if ((a0 == 192 && a1 == 0 && a2 == 2) || (a0 == 198 && a1 == 51 && a2 == 100)
                || (a0 == 203 && a1 == 0 && a2 == 113)) {
            return DOCUMENTATION;
        }
        return PUBLIC;
    }

    private static IpScope ofV6(byte[] b) {
        int w0 = ((b[0] & 0xff) << 8) | (b[1] & 0xff);
        int w1 = ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        boolean zeroTo14 = true;
        for (int i = 0; i < 15; i++) {
            zeroTo14 &= b[i] == 0;
        }
        if (zeroTo14 && b[15] == 0) {
            return UNSPECIFIED;
        }
        if (zeroTo14 && b[15] == 1) {
            return LOOPBACK;
        }
        if ((w0 & 0xff00) == 0xff00) {
            return MULTICAST;
        }
        if ((w0 & 0xffc0) == 0xfe80) {
            return LINK_LOCAL;
        }
        if ((w0 & 0xffc0) == 0xfec0) {
            return RESERVED;
        }
        if ((w0 & 0xfe00) == 0xfc00) {
            return UNIQUE_LOCAL;
        }
        if ((w0 == 0x2001 && w1 == 0x0db8) || (w0 == 0x3fff && (w1 & 0xf000) == 0)) {
            return DOCUMENTATION;
        }
        return PUBLIC;
    }
}
