package io.p2pd.nic;

import io.p2pd.internal.Json;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Run by {@link NicLabTest} inside a lab namespace: lists interfaces, finds defaults, binds every route
 * (and every link-local) for real, tries a bind to an address the namespace lacks, and prints it all as one
 * JSON object on stdout.
 */
public final class NicLabMain {
    private NicLabMain() {}

    public static void main(String[] args) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        List<Interface> all = Nics.list();
        List<Object> interfaces = new ArrayList<>();
        List<Object> binds = new ArrayList<>();
        boolean roundTrip = true;
        for (Interface i : all) {
            interfaces.add(Json.parse(i.toJson()));
            roundTrip &= Interface.fromJson(i.toJson()).equals(i);
            for (Family f : Family.values()) {
                RoutePool pool = i.pool(f);
                for (int r = 0; r < pool.size(); r++) {
                    Route route = pool.get(r);
                    // bind(port) takes the route's first local address; bind(port, ip) each one in turn
                    BoundRoute first = route.bind(0);
                    List<InetAddress> nicIps = route.nicIps().stream().map(IpBlock::network).toList();
                    if (!nicIps.isEmpty() && !first.ip().equals(nicIps.get(0))) {
                        throw new IllegalStateException("bind(0) chose " + first + ", not " + nicIps.get(0));
                    }
                    for (InetAddress ip : nicIps) {
                        binds.add(bind(i.name(), f, r, route.bind(0, ip)));
                    }
                    for (InetAddress ll : route.linkLocals()) {
                        binds.add(bind(i.name(), f, r, route.bind(0, ll)));
                    }
                }
            }
        }
        out.put("interfaces", interfaces);
        Map<String, Object> scopes = new LinkedHashMap<>();
        for (Interface i : all) {
            for (NicAddress a : i.addresses()) {
                scopes.put(a.toString(), a.scope().name());
            }
        }
        out.put("scopes", scopes);
        out.put("roundTrip", roundTrip);
        out.put("binds", binds);
        Map<String, Object> defaults = new LinkedHashMap<>();
        for (Family f : Family.values()) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("source", Nics.defaultSource(f).<Object>map(InetAddress::getHostAddress).orElse(Json.NULL));
            d.put("interface", Nics.defaultInterface(f).<Object>map(Interface::name).orElse(Json.NULL));
            d.put("route", Nics.defaultRoute(f).<Object>map(r -> r.nicIps().get(0).toString()).orElse(Json.NULL));
            defaults.put(f.key(), d);
        }
        out.put("default", defaults);
        Interface nic0 = all.stream().filter(i -> i.name().equals("nic0")).findFirst().orElseThrow();
        Route absent = new Route(Family.V4, nic0.name(), nic0.index(),
                List.of(IpBlock.parse("10.99.99.99")), List.of(), List.of());
        Map<String, Object> notLocal = new LinkedHashMap<>();
        try {
            absent.bind(0);
            notLocal.put("type", "none");
        } catch (AddressNotLocalException e) {
            notLocal.put("type", e.getClass().getSimpleName());
            notLocal.put("address", e.address().getHostAddress());
            notLocal.put("message", e.getMessage());
        }
        out.put("notLocal", notLocal);
        System.out.println(Json.write(out));
    }

    private static Map<String, Object> bind(String iface, Family f, int index, BoundRoute b) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("interface", iface);
        m.put("family", f.key());
        m.put("route", index);
        m.put("ip", b.ip().getHostAddress());
        try (DatagramSocket udp = new DatagramSocket(b.bindAddress());
             ServerSocket tcp = new ServerSocket()) {
            tcp.bind(b.bindAddress());
            m.put("udp", ((InetSocketAddress) udp.getLocalSocketAddress()).getAddress().getHostAddress());
            m.put("udpPortChosen", udp.getLocalPort() > 0);
            m.put("tcp", ((InetSocketAddress) tcp.getLocalSocketAddress()).getAddress().getHostAddress());
        }
        return m;
    }
}
