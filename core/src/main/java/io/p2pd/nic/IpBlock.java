package io.p2pd.nic;

import io.netty.util.NetUtil;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * A block of addresses written as {@code network/prefixLength}; a single address is a /32 (IPv4) or /128
 * (IPv6) block. Host bits of {@code network} must be zero, and the network never carries an IPv6 scope
 * (link-local addresses belong to {@link Route#linkLocals()}, where the scope is known).
 */
public record IpBlock(InetAddress network, int prefixLength) {

    public IpBlock {
        Objects.requireNonNull(network, "network");
        network = plain(network.getAddress());
        int bits = Family.of(network).bits();
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " out of range 0-" + bits);
        }
        BigInteger value = new BigInteger(1, network.getAddress());
        if (!value.equals(value.and(mask(bits, prefixLength)))) {
            throw new IllegalArgumentException(
                    "host bits set in " + network.getHostAddress() + "/" + prefixLength);
        }
    }

    /** The block holding exactly {@code address}. */
    public static IpBlock of(InetAddress address) {
        Objects.requireNonNull(address, "address");
        InetAddress a = plain(address.getAddress());
        return new IpBlock(a, Family.of(a).bits());
    }

    /** Parses {@code ip} or {@code ip/prefix} (IP literals only: nothing is looked up). */
    public static IpBlock parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        String ip = slash < 0 ? text : text.substring(0, slash);
        InetAddress a = literal(ip);
        if (slash < 0) {
            return of(a);
        }
        int prefix;
        try {
            prefix = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad prefix length in '" + text + "'");
        }
        return new IpBlock(a, prefix);
    }

    public Family family() {
        return Family.of(network);
    }

    /** How many addresses the block holds: 1 for a single address, 4 for a /30, 2^64 for an IPv6 /64. */
    public BigInteger size() {
        return BigInteger.ONE.shiftLeft(family().bits() - prefixLength);
    }

    public boolean contains(InetAddress address) {
        Objects.requireNonNull(address, "address");
        InetAddress a = plain(address.getAddress());
        if (Family.of(a) != family()) {
            return false;
        }
        BigInteger m = mask(family().bits(), prefixLength);
        return new BigInteger(1, a.getAddress()).and(m).equals(new BigInteger(1, network.getAddress()));
    }

    /** The address at {@code index} (0 = the network address), for iterating a block without listing it. */
    public InetAddress address(BigInteger index) {
        Objects.requireNonNull(index, "index");
        if (index.signum() < 0 || index.compareTo(size()) >= 0) {
            throw new IndexOutOfBoundsException("index " + index + " outside block of " + size() + " " + this);
        }
        BigInteger v = new BigInteger(1, network.getAddress()).add(index);
        return plain(toBytes(v, family().bits() / 8));
    }

    @Override
    public String toString() {
        return NetUtil.toAddressString(network) + "/" + prefixLength; // RFC 5952 form: 2001:db8::1
    }

    static InetAddress literal(String ip) {
        InetAddress a = NetUtil.createInetAddressFromIpAddressString(ip);
        if (a == null) {
            throw new IllegalArgumentException("not an IP literal: '" + ip + "'");
        }
        return a;
    }

    /** An address without host name or scope; 16-byte v4-mapped input becomes an Inet4Address. */
    static InetAddress plain(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad address length " + bytes.length, e);
        }
    }

    private static BigInteger mask(int bits, int prefix) {
        BigInteger all = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE);
        return all.xor(BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE));
    }

    private static byte[] toBytes(BigInteger v, int len) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[len];
        int copy = Math.min(raw.length, len);
        System.arraycopy(raw, raw.length - copy, out, len - copy, copy);
        return out;
    }
}
