package io.p2pd.nat;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * The few JSON values a {@link NatReport} needs (objects of strings, integers and string lists). The
 * project's other JSON code is package-private to io.p2pd.nic; this writer is just as small.
 */
final class NatJson {
    private NatJson() {
    }

    /** Writes an object; values may be String, Integer, Long or List of String, in the map's order. */
    static String object(Map<String, ?> fields) {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            quote(sb, e.getKey());
            sb.append(':');
            value(sb, e.getValue());
        }
        return sb.append('}').toString();
    }

    private static void value(StringBuilder sb, Object v) {
        switch (v) {
            case String s -> quote(sb, s);
            case Integer i -> sb.append(i);
            case Long l -> sb.append(l);
            case List<?> list -> {
                sb.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    value(sb, list.get(i));
                }
                sb.append(']');
            }
            default -> throw new IllegalArgumentException("not a NAT report JSON value: " + v.getClass());
        }
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** "ip:port", with brackets around an IPv6 address. */
    static String address(InetSocketAddress a) {
        String ip = a.getAddress().getHostAddress();
        return (a.getAddress() instanceof Inet6Address ? "[" + ip + "]" : ip) + ":" + a.getPort();
    }
}
