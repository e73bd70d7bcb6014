package io.p2pd.net;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * A destination as a user names it: a host name or IP literal, and a port. Nothing is looked up here.
 *
 * <p>Text forms accepted by {@link #parse}: {@code host:port}, {@code 1.2.3.4:port}, {@code [::1]:port}.
 */
public record HostPort(String host, int port) {

    public HostPort {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host is empty");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        checkPort(port);
    }

    /** The destination of a socket address: its IP (RFC 5952 form) when resolved, else its unresolved name. */
    public static HostPort of(InetSocketAddress address) {
        return address.isUnresolved()
                ? new HostPort(address.getHostString(), address.getPort())
                : new HostPort(NetUtil.toAddressString(address.getAddress()), address.getPort());
    }

    /** Parses {@code host:port} or {@code [v6]:port}; a bare IPv6 literal needs the brackets. */
    public static HostPort parse(String text) {
        Objects.requireNonNull(text, "text");
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("expected [ipv6]:port, got '" + text + "'");
            }
            host = text.substring(1, close);
            if (host.indexOf('[') >= 0) {
                throw new IllegalArgumentException("expected [ipv6]:port, got '" + text + "'");
            }
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon) {
                throw new IllegalArgumentException("expected host:port or [ipv6]:port, got '" + text + "'");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        try {
            return new HostPort(host, Integer.parseInt(port));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port is not a number in '" + text + "'");
        }
    }

    /** The IP when {@link #host} is an IP literal (no lookup), otherwise empty. */
    public Optional<InetAddress> literal() {
        return Optional.ofNullable(NetUtil.createInetAddressFromIpAddressString(host));
    }

    static void checkPort(int port) {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port out of range 0-65535: " + port);
        }
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
