package io.p2pd.node.mqtt;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * Where an MQTT broker listens, and whether to speak TLS to it. Immutable.
 *
 * <p>Over TLS the broker's certificate is verified: against the system's trust store, or only against the
 * certificates given to {@link #withTls(X509Certificate...)} (for example a self-signed one). The name checked in
 * the certificate is the host as given (a name, or the IP for an IP literal).
 */
public final class MqttBroker {

    /** MQTT's registered ports. */
    public static final int DEFAULT_PORT = 1883;
    public static final int DEFAULT_TLS_PORT = 8883;

    private final String host;
    private final int port;
    private final boolean tls;
    private final List<X509Certificate> trusted;

    private MqttBroker(String host, int port, boolean tls, List<X509Certificate> trusted) {
        this.host = host;
        this.port = port;
        this.tls = tls;
        this.trusted = trusted;
    }

    /** A broker over plain TCP. */
    public static MqttBroker of(String host, int port) {
        Objects.requireNonNull(host, "host");
        String h = host.strip();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.isEmpty()) {
            throw new IllegalArgumentException("broker host: empty");
        }
        if (h.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/' || c == '[' || c == ']')) {
            throw new IllegalArgumentException("broker host: not a host name or IP: " + host);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("broker port: " + port + " is not in 1..65535");
        }
        return new MqttBroker(h, port, false, List.of());
    }

    /**
     * Parses {@code host:port}, an IPv6 address in brackets ({@code [::1]:1883}). The port may be left out
     * ({@code host}, {@code [::1]}) for {@value #DEFAULT_PORT}; a bare IPv6 address without brackets is refused
     * because its last group would read as a port.
     *
     * @throws IllegalArgumentException naming the field (host or port) that is wrong
     */
    public static MqttBroker parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("broker host: empty");
        }
        String host;
        String port = null;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("broker host: '[' without ']' in " + text);
            }
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("broker port: expected ':' after ']' in " + text);
                }
                port = rest.substring(1);
            }
            if (!host.contains(":")) {
                throw new IllegalArgumentException("broker host: brackets are for IPv6 addresses: " + text);
            }
        } else {
            int colon = s.indexOf(':');
            if (colon >= 0 && s.indexOf(':', colon + 1) >= 0) {
                throw new IllegalArgumentException("broker host: an IPv6 address needs brackets, as [" + s
                        + "] or [address]:port");
            }
            host = colon < 0 ? s : s.substring(0, colon);
            port = colon < 0 ? null : s.substring(colon + 1);
        }
        return of(host, port == null ? DEFAULT_PORT : parsePort(port, text));
    }

    private static int parsePort(String port, String text) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("broker port: not a number in 1..65535: '" + port + "' in " + text);
        }
        return Integer.parseInt(port);
    }

    /** This broker over TLS, verified against the system's trust store. */
    public MqttBroker withTls() {
        return new MqttBroker(host, port, true, List.of());
    }

    /** This broker over TLS, verified against these certificates only. */
    public MqttBroker withTls(X509Certificate... trustedCertificates) {
        if (trustedCertificates.length == 0) {
            throw new IllegalArgumentException("broker tls: trusting needs at least one certificate");
        }
        return new MqttBroker(host, port, true, List.of(trustedCertificates));
    }

    /** The host name or IP literal (IPv6 without brackets). */
    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public boolean tls() {
        return tls;
    }

    /** The certificates TLS trusts; empty for the system's trust store (or without TLS). */
    public List<X509Certificate> trusted() {
        return trusted;
    }

    /** {@code host:port}, IPv6 in brackets: what {@link #parse} reads. */
    public String hostPort() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MqttBroker b && b.host.equals(host) && b.port == port && b.tls == tls
                && b.trusted.equals(trusted);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, port, tls, trusted);
    }

    @Override
    public String toString() {
        return (tls ? "mqtts://" : "mqtt://") + hostPort();
    }
}
