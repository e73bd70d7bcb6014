package io.p2pd.nic;

import io.p2pd.internal.Json;
import io.netty.util.NetUtil;
import java.math.BigDecimal;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The JSON form of an {@link Interface}:
 *
 * <pre>{"name":"eth0","index":2,"mac":"02:00:00:00:00:01","mtu":1500,"up":true,"loopback":false,
 *  "virtual":false,"addresses":["10.0.0.2/24","fe80::1/64"],
 *  "routes":{"v4":[{"nic":["10.0.0.2/32"],"linkLocal":[],"external":["203.0.113.9"]}],"v6":[...]}}</pre>
 *
 * Link-local addresses are written without {@code %scope}: the scope is the interface index, restored on
 * reading, so the text does not depend on how an OS spells scopes.
 */
final class InterfaceJson {
    private InterfaceJson() {}

    static String write(Interface i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", i.name());
        m.put("index", i.index());
        m.put("mac", i.mac().<Object>map(s -> s).orElse(Json.NULL));
        m.put("mtu", i.mtu());
        m.put("up", i.up());
        m.put("loopback", i.loopback());
        m.put("virtual", i.virtual());
        m.put("addresses", i.addresses().stream().map(a -> ip(a.address()) + "/" + a.prefixLength()).toList());
        Map<String, Object> routes = new LinkedHashMap<>();
        for (Family f : Family.values()) {
            List<Object> list = new ArrayList<>();
            for (Route r : i.pool(f)) {
                Map<String, Object> rm = new LinkedHashMap<>();
                rm.put("nic", r.nicIps().stream().map(b -> ip(b.network()) + "/" + b.prefixLength()).toList());
                rm.put("linkLocal", r.linkLocals().stream().map(InterfaceJson::ip).toList());
                rm.put("external", r.externals().stream().map(InterfaceJson::ip).toList());
                list.add(rm);
            }
            routes.put(f.key(), list);
        }
        m.put("routes", routes);
        return Json.write(m);
    }

    static Interface read(String json) {
        Map<String, Object> m = object(Json.parse(json), "interface");
        String name = string(m, "name");
        int index = integer(m, "index");
        Object macValue = field(m, "mac");
        Optional<String> mac = macValue == Json.NULL ? Optional.empty() : Optional.of(string(m, "mac"));
        int mtu = integer(m, "mtu");
        List<NicAddress> addresses = new ArrayList<>();
        for (String s : strings(m, "addresses")) {
            NicAddress parsed = parseAddress(s);
            addresses.add(new NicAddress(scoped(parsed.address(), index), parsed.prefixLength()));
        }
        Map<String, Object> routes = object(field(m, "routes"), "routes");
        for (String key : routes.keySet()) {
            Family.ofKey(key); // unknown family keys are an error, not silently dropped
        }
        List<RoutePool> pools = new ArrayList<>();
        for (Family f : Family.values()) {
            List<Route> list = new ArrayList<>();
            Object value = routes.get(f.key());
            if (value != null) {
                for (Object o : array(value, "routes." + f.key())) {
                    Map<String, Object> rm = object(o, "route");
                    List<IpBlock> nic = strings(rm, "nic").stream().map(IpBlock::parse).toList();
                    List<Inet6Address> ll = new ArrayList<>();
                    for (String s : strings(rm, "linkLocal")) {
                        if (!(IpBlock.literal(s) instanceof Inet6Address v6)) {
                            throw new IllegalArgumentException("linkLocal '" + s + "' is not IPv6");
                        }
                        ll.add(v6);
                    }
                    List<InetAddress> ext = strings(rm, "external").stream().map(IpBlock::literal).toList();
                    list.add(new Route(f, name, index, nic, ll, ext));
                }
            }
            pools.add(new RoutePool(f, list));
        }
        return new Interface(name, index, mac, mtu, bool(m, "up"), bool(m, "loopback"), bool(m, "virtual"),
                addresses, pools.get(0), pools.get(1));
    }

    /** {@code ip/prefix} where, unlike an IpBlock, host bits may be set ({@code 10.0.0.2/24}). */
    private static NicAddress parseAddress(String s) {
        int slash = s.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("address '" + s + "' lacks /prefix");
        }
        InetAddress a = IpBlock.literal(s.substring(0, slash));
        int prefix;
        try {
            prefix = Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad prefix length in '" + s + "'");
        }
        return new NicAddress(a, prefix);
    }

    private static InetAddress scoped(InetAddress a, int index) {
        return a instanceof Inet6Address v6 && v6.isLinkLocalAddress() ? Route.withScope(v6, index) : a;
    }

    private static String ip(InetAddress a) {
        return NetUtil.toAddressString(IpBlock.plain(a.getAddress()));
    }

    private static Object field(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing field '" + key + "'");
        }
        return v;
    }

    private static String string(Map<String, Object> m, String key) {
        if (field(m, key) instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException("field '" + key + "' must be a string");
    }

    private static boolean bool(Map<String, Object> m, String key) {
        if (field(m, key) instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException("field '" + key + "' must be true or false");
    }

    private static int integer(Map<String, Object> m, String key) {
        if (field(m, key) instanceof BigDecimal d) {
            try {
                return d.intValueExact();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("field '" + key + "' must be an int, got " + d);
            }
        }
        throw new IllegalArgumentException("field '" + key + "' must be a number");
    }

    private static List<String> strings(Map<String, Object> m, String key) {
        List<String> out = new ArrayList<>();
        for (Object o : array(field(m, key), key)) {
            if (!(o instanceof String s)) {
                throw new IllegalArgumentException("field '" + key + "' must hold strings only");
            }
            out.add(s);
        }
        return out;
    }

    private static List<?> array(Object v, String what) {
        if (v instanceof List<?> l) {
            return l;
        }
        throw new IllegalArgumentException(what + " must be an array");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object v, String what) {
        if (v instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw new IllegalArgumentException(what + " must be a JSON object");
    }
}
