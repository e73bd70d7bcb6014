package io.p2pd.cli;

import io.p2pd.net.HostPort;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Parses and prints addresses for the commands: {@code host:port}, {@code [v6]:port}, IP lists. */
final class Addresses {

    private Addresses() {
    }

    /** {@code text} as host:port, with {@code defaultPort} when no port is given; names are not looked up here. */
    static HostPort hostPort(CommandSpec spec, String text, int defaultPort) {
        try {
            boolean hasPort = text.startsWith("[") ? text.contains("]:") : text.indexOf(':') > 0
                    && text.indexOf(':') == text.lastIndexOf(':');
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

    /** A comma-separated list of STUN servers, IP[:PORT] each (port 3478 when none is given). */
    static List<InetSocketAddress> servers(CommandSpec spec, String text) {
        return list(text).stream().map(s -> socket(spec, hostPort(spec, s, 3478))).toList();
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

    static String show(InetSocketAddress address) {
        return HostPort.of(address).toString();
    }

    static String show(InetAddress address) {
        return address.getHostAddress();
    }
}
