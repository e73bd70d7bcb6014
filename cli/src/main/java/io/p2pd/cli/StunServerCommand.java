package io.p2pd.cli;

import io.p2pd.stun.StunServer;
import io.p2pd.stun.StunServerConfig;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Our STUN server: plain RFC 8489 with one address, RFC 5780 (NAT tests) with two IPs and two ports. */
@Command(name = "stun-server", mixinStandardHelpOptions = true,
        description = "Run a STUN server until Ctrl-C; RFC 5780 when given two IPs and two ports.")
final class StunServerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "IP or IP1,IP2 (default: ${DEFAULT-VALUE})")
    String bind;

    @Option(names = "--port", defaultValue = "3478", description = "port or PORT1,PORT2; 0 for any (default: "
            + "${DEFAULT-VALUE})")
    String port;

    @Option(names = "--user", paramLabel = "NAME", description = "require requests signed with short-term "
            + "credentials: this user name and the password in $" + Credentials.PASSWORD_VARIABLE)
    String user;

    @Override
    public Integer call() throws Exception {
        List<String> ips = Addresses.list(bind);
        List<String> ports = Addresses.list(port);
        if (ips.isEmpty() || ips.size() > 2 || ports.isEmpty() || ports.size() > 2 || ips.size() != ports.size()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "give one IP and one port, or two of each (RFC 5780)");
        }
        InetAddress primary = Addresses.ip(spec, ips.get(0));
        int primaryPort = Addresses.port(spec, ports.get(0));
        StunServerConfig.Builder settings = StunServerConfig.builder(primary).port(primaryPort);
        if (ips.size() == 2) {
            settings.alternate(Addresses.ip(spec, ips.get(1)), Addresses.port(spec, ports.get(1)));
        }
        Credentials.of(spec, user).ifPresent(settings::credentials);
        StunServerConfig config = settings.build();
        StunServer server = StunServer.start(config).join();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("stun-server on %s (udp and tcp)%s%n", Addresses.show(server.primaryAddress()),
                server.otherAddress().map(o -> ", RFC 5780 other address " + Addresses.show(o)).orElse(""));
        out.flush();
        new java.util.concurrent.CountDownLatch(1).await();
        return 0;
    }
}
