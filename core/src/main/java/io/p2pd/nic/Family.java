package io.p2pd.nic;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/** An address family, with the stable key used in JSON ({@code "v4"}, {@code "v6"}), never an OS number. */
public enum Family {
    V4("v4", 32),
    V6("v6", 128);

    private final String key;
    private final int bits;

    Family(String key, int bits) {
        this.key = key;
        this.bits = bits;
    }

    /** {@code "v4"} or {@code "v6"}. */
    public String key() {
        return key;
    }

    /** Address length in bits: 32 or 128. */
    public int bits() {
        return bits;
    }

    /** The family of {@code address}; a v4-mapped IPv6 object counts as IPv6 here (it is bound as IPv6). */
    public static Family of(InetAddress address) {
        Objects.requireNonNull(address, "address");
        return address instanceof Inet4Address ? V4 : V6;
    }

    /** The family for a key; {@link IllegalArgumentException} for anything but {@code "v4"}/{@code "v6"}. */
    public static Family ofKey(String key) {
        for (Family f : values()) {
            if (f.key.equals(key)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown address family key '" + key + "' (expected v4 or v6)");
    }
}
