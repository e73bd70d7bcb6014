package io.p2pd.cli;

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
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
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

    @Option(names = "--timeout-ms", defaultValue = "3000", description = "STUN time limit (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Override
    public Integer call() {
        if (external && stun == null) {
            throw new ParameterException(spec.commandLine(), "--external needs --stun IP:PORT[,IP:PORT...]");
        }
        List<Interface> interfaces = Nics.list();
        Optional<String> defaultName = Nics.defaultInterface().map(Interface::name);
        if (external) {
            List<InetSocketAddress> servers = Addresses.list(stun).stream()
                    .map(s -> Addresses.socket(spec, Addresses.hostPort(spec, s, 3478))).toList();
            StunExternalLookup lookup = StunExternalLookup.using(servers);
            List<Interface> loaded = new ArrayList<>();
            for (Interface nic : interfaces) {
                loaded.add(withExternals(nic, lookup));
            }
            interfaces = loaded;
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.object(
                    "default", defaultName.orElse(null),
                    "interfaces", new Json.Raw(interfaces.stream().map(Interface::toJson)
                            .collect(Collectors.joining(", ", "[", "]")))));
        } else {
            for (Interface nic : interfaces) {
                boolean isDefault = defaultName.filter(nic.name()::equals).isPresent();
                out.printf("%s%s (index %d, mtu %d%s%s)%n", isDefault ? "* " : "  ", nic.name(), nic.index(),
                        nic.mtu(), nic.up() ? ", up" : ", down", nic.loopback() ? ", loopback" : "");
                for (Family family : Family.values()) {
                    for (Route route : nic.pool(family)) {
                        out.printf("      %s route: %s%s%n", family.key(), route.nicIps().stream()
                                        .map(Object::toString).collect(Collectors.joining(" ")),
                                route.externals().isEmpty() ? "" : " -> " + route.externals().stream()
                                        .map(Addresses::show).collect(Collectors.joining(" ")));
                    }
                }
            }
        }
        out.flush();
        return 0;
    }

    private Interface withExternals(Interface nic, StunExternalLookup lookup) {
        Interface result = nic;
        for (Family family : Family.values()) {
            RoutePool pool = nic.pool(family);
            if (pool.isEmpty()) {
                continue;
            }
            ExternalLoad load = pool.loadExternal(lookup, Duration.ofMillis(timeoutMs)).join();
            List<Route> routes = load.outcomes().stream()
                    .map(o -> o.external().map(ip -> o.route().withExternals(List.of(ip))).orElse(o.route()))
                    .toList();
            result = result.withPool(new RoutePool(family, routes));
        }
        return result;
    }
}
