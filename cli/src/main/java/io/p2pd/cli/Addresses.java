package io.p2pd.cli;

import io.p2pd.net.EventLoops;
import io.p2pd.net.HostPort;
import io.p2pd.net.Resolver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Parses and prints addresses for every command: {@code host:port}, {@code [v6]:port}, lists; the one printer. */
final class Addresses {

    private static final Duration LOOKUP_LIMIT = Duration.ofSeconds(2);

    private Addresses() {
    }

    /**
     * A port, 0 to 65535: every command's ports go through here, so a bad one is the same usage error (exit 2)
     * everywhere.
     */
    static int port(CommandSpec spec, String text) {
        try {
            int port = Integer.parseInt(text.trim());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // the same message as out of range
        }
        throw new ParameterException(spec.commandLine(), "bad port '" + text + "', give 0 to 65535");
    }

    /** {@code text} as host:port, with {@code defaultPort} when no port is given; names are not looked up here. */
    static HostPort hostPort(CommandSpec spec, String text, int defaultPort) {
        try {
            boolean hasPort = text.startsWith("[") ? text.contains("]:") : text.indexOf(':') > 0
                    && text.indexOf(':') == text.lastIndexOf(':');
            if (hasPort) {
                port(spec, text.substring(text.lastIndexOf(':') + 1));
            }
            return hasPort ? HostPort.parse(text) : new HostPort(text, defaultPort);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** An IP literal; names are refused so that nothing is looked up while parsing arguments. */
    static InetAddress ip(CommandSpec spec, String text) {
        var literal = new HostPort(text, 0).literal();
        if (literal.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "not an IP address: '" + text + "'");
        }
        return literal.get();
    }

    /** A resolved socket address from an IP literal and port. */
    static InetSocketAddress socket(CommandSpec spec, HostPort hp) {
        return new InetSocketAddress(ip(spec, hp.host()), hp.port());
    }

    /** A comma-separated list of STUN servers, HOST[:PORT] each (port 3478 when none is given); names looked up. */
    static List<InetSocketAddress> servers(CommandSpec spec, String text) {
        return list(text).stream().map(s -> resolve(hostPort(spec, s, 3478))).toList();
    }

    /** {@code hp} with its name looked up (an IP literal is taken as it is); fails for an unknown name. */
    static InetSocketAddress resolve(HostPort hp) {
        InetAddress ip = hp.literal().orElseGet(() -> Resolver.system()
                .resolve(hp.host(), LOOKUP_LIMIT, EventLoops.shared().next()).join());
        return new InetSocketAddress(ip, hp.port());
    }

    /** Comma-separated values. */
    static List<String> list(String text) {
        List<String> out = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    /** How every command prints an address: {@code ip:port}, {@code [v6]:port}, IPv6 in its short form (RFC 5952). */
    static String show(InetSocketAddress address) {
        return HostPort.of(address).toString();
    }

    /** An IP as {@link #show(InetSocketAddress)} prints it, without a port. */
    static String show(InetAddress address) {
        return HostPort.of(new InetSocketAddress(address, 0)).host();
    }
}
