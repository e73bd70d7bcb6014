package io.p2pd.cli;

import io.p2pd.internal.Json;
import io.p2pd.nat.NatConfig;
import io.p2pd.nat.NatDetector;
import io.p2pd.nat.NatReport;
import io.p2pd.nic.AddressNotLocalException;
import io.p2pd.nic.ExternalLoad;
import io.p2pd.nic.Family;
import io.p2pd.nic.Interface;
import io.p2pd.nic.Nics;
import io.p2pd.nic.Route;
import io.p2pd.nic.RoutePool;
import io.p2pd.stun.StunExternalLookup;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** This machine's interfaces and their routes, the default one marked; external addresses via STUN on request. */
@Command(name = "interfaces", mixinStandardHelpOptions = true,
        description = "List interfaces and routes; the default interface is marked with *.")
final class InterfacesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Option(names = "--external", description = "find each route's external address with STUN (needs --stun)")
    boolean external;

    @Option(names = "--stun", paramLabel = "IP:PORT[,IP:PORT...]",
            description = "STUN servers for --external; two must agree when two or more are given")
    String stun;

    @Option(names = "--nat", description = "detect the NAT type of each route with STUN (needs --stun servers "
            + "with an alternate address)")
    boolean nat;

    @Option(names = "--timeout-ms", defaultValue = "3000", description = "STUN time limit (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Override
    public Integer call() {
        if ((external || nat) && stun == null) {
            throw new ParameterException(spec.commandLine(), "--external and --nat need --stun IP:PORT[,IP:PORT...]");
        }
        List<Interface> interfaces = Nics.list();
        Optional<String> defaultName = Nics.defaultInterface().map(Interface::name);
        // The servers that agreed on each route's external address, by route (as updated with its externals).
        Map<Route, List<InetSocketAddress>> agreed = new LinkedHashMap<>();
        if (external) {
            List<InetSocketAddress> servers = Addresses.servers(spec, stun);
            StunExternalLookup lookup = StunExternalLookup.using(servers);
            List<Interface> loaded = new ArrayList<>();
            for (Interface nic : interfaces) {
                loaded.add(withExternals(nic, lookup, agreed));
            }
            interfaces = loaded;
        }
        Map<Route, NatReport> nats = nat ? detectNats(interfaces) : Map.of();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(JsonFields.of(
                    "default", defaultName.orElse(null),
                    "interfaces", interfaces.stream().map(nic -> Json.parse(nic.toJson())).toList(),
                    "nat", nat ? nats.entrySet().stream().map(e -> JsonFields.of(
                            "interface", e.getKey().interfaceName(),
                            "route", e.getKey().nicIps().get(0).toString(),
                            "report", Json.parse(e.getValue().toJson()))).toList() : null,
                    "external", external ? agreed.entrySet().stream().map(e -> JsonFields.of(
                            "interface", e.getKey().interfaceName(),
                            "route", e.getKey().nicIps().isEmpty() ? null : e.getKey().nicIps().get(0).toString(),
                            "ip", Addresses.show(e.getKey().externals().get(0)),
                            "agreed", e.getValue().stream().map(Addresses::show).toList())).toList() : null)));
        } else {
            // The same facts as the JSON, one interface per paragraph.
            for (Interface nic : interfaces) {
                boolean isDefault = defaultName.filter(nic.name()::equals).isPresent();
                out.printf("%s%s (index %d, mtu %d%s%s%s%s)%n", isDefault ? "* " : "  ", nic.name(), nic.index(),
                        nic.mtu(), nic.up() ? ", up" : ", down", nic.loopback() ? ", loopback" : "",
                        nic.virtual() ? ", virtual" : "", nic.mac().map(m -> ", mac " + m).orElse(""));
                out.printf("      addresses: %s%n", nic.addresses().isEmpty() ? "none" : nic.addresses().stream()
                        .map(a -> Addresses.show(a.address()) + "/" + a.prefixLength())
                        .collect(Collectors.joining(" ")));
                for (Family family : Family.values()) {
                    for (Route route : nic.pool(family)) {
                        out.printf("      %s route: %s%s%s%n", family.key(), route.nicIps().stream()
                                        .map(Object::toString).collect(Collectors.joining(" ")),
                                route.linkLocals().isEmpty() ? "" : ", link-local " + route.linkLocals().stream()
                                        .map(Addresses::show).collect(Collectors.joining(" ")),
                                route.externals().isEmpty() ? "" : " -> " + route.externals().stream()
                                        .map(Addresses::show).collect(Collectors.joining(" "))
                                        + agreedBy(agreed.get(route)));
                        NatReport report = nats.get(route);
                        if (report != null) {
                            out.printf("        NAT type %d (%s), port allocation %d (%s)%n",
                                    report.natType().number(), report.natType().label(),
                                    report.delta().type().number(), report.delta().type().label());
                        }
                    }
                }
            }
        }
        out.flush();
        return 0;
    }

    /** The NAT in front of each route that has an address of its own (link-local-only routes are skipped). */
    private Map<Route, NatReport> detectNats(List<Interface> interfaces) {
        List<InetSocketAddress> servers = Addresses.servers(spec, stun);
        Map<Route, NatReport> reports = new LinkedHashMap<>();
        for (Interface nic : interfaces) {
            for (Family family : Family.values()) {
                if (servers.stream().noneMatch(s -> Family.of(s.getAddress()) == family)) {
                    continue;
                }
                for (Route route : nic.pool(family)) {
                    if (route.nicIps().isEmpty()) {
                        continue;
                    }
                    try {
                        NatConfig config = NatConfig.builder(servers).route(route)
                                .timeLimit(Duration.ofMillis(Math.max(timeoutMs, 3000))).build();
                        reports.put(route, NatDetector.detect(config).join());
                    } catch (AddressNotLocalException | CompletionException e) {
                        spec.commandLine().getErr().println("p2pd interfaces: no NAT type for " + nic.name() + " "
                                + route.nicIps().get(0) + ": " + Main.describe(e));
                    }
                }
            }
        }
        return reports;
    }

    /** {@code nic} with the external address of each route STUN found; who agreed goes into {@code agreed}. */
    private Interface withExternals(Interface nic, StunExternalLookup lookup,
                                    Map<Route, List<InetSocketAddress>> agreed) {
        Interface result = nic;
        for (Family family : Family.values()) {
            RoutePool pool = nic.pool(family);
            if (pool.isEmpty()) {
                continue;
            }
            ExternalLoad load = pool.loadExternal(lookup, Duration.ofMillis(timeoutMs)).join();
            for (ExternalLoad.Outcome o : load.outcomes()) {
                if (o.status() == ExternalLoad.Status.FOUND) {
                    agreed.put(o.route(), o.agreed());
                }
            }
            result = result.withPool(new RoutePool(family, load.routes()));
        }
        return result;
    }

    private static String agreedBy(List<InetSocketAddress> servers) {
        return servers == null || servers.isEmpty() ? "" : " (agreed: " + servers.stream().map(Addresses::show)
                .collect(Collectors.joining(", ")) + ")";
    }
}
