package io.p2pd.cli;

import io.p2pd.net.HostPort;
import io.p2pd.pipe.Proto;
import io.p2pd.stun.StunClient;
import io.p2pd.stun.StunClientConfig;
import io.p2pd.stun.StunResult;
import io.p2pd.stun.StunSession;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** One binding request: our address as the server sees it, and the server's RFC 5780 details. */
@Command(name = "stun", mixinStandardHelpOptions = true,
        description = "Ask a STUN server for our mapped address (HOST[:PORT], port 3478 by default).")
final class StunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "HOST[:PORT]", description = "the STUN server (a name or an IP)")
    String server;

    @Option(names = "--tcp", description = "ask over TCP instead of UDP")
    boolean tcp;

    @Option(names = "--change-ip", description = "ask for the answer from the server's other IP (UDP)")
    boolean changeIp;

    @Option(names = "--change-port", description = "ask for the answer from the server's other port (UDP)")
    boolean changePort;

    @Option(names = "--timeout-ms", defaultValue = "3000", description = "time limit (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Option(names = "--user", paramLabel = "NAME", description = "sign the request with short-term credentials: "
            + "this user name and the password in $" + Credentials.PASSWORD_VARIABLE)
    String user;

    @Override
    public Integer call() throws Exception {
        HostPort hp = Addresses.hostPort(spec, server, 3478);
        if (tcp && (changeIp || changePort)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--change-ip and --change-port need UDP");
        }
        InetAddress ip = hp.literal().orElseGet(() -> lookUp(hp.host()));
        InetSocketAddress target = new InetSocketAddress(ip, hp.port());
        StunClientConfig.Builder settings = StunClientConfig.defaults().toBuilder()
                .timeLimit(Duration.ofMillis(timeoutMs));
        Credentials.of(spec, user).ifPresent(settings::credentials);
        StunClientConfig config = settings.build();
        StunResult result;
        if (tcp) {
            result = StunClient.binding(Proto.TCP, target, config).join();
        } else {
            InetSocketAddress local = new InetSocketAddress(ip instanceof java.net.Inet6Address ? "::" : "0.0.0.0", 0);
            try (StunSession session = StunSession.open(local, config).join()) {
                result = session.binding(target, changeIp, changePort).join();
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.object(
                    "server", Addresses.show(result.server()),
                    "local", Addresses.show(result.localAddress()),
                    "mapped", Addresses.show(result.mappedAddress()),
                    "reply_from", Addresses.show(result.replySource()),
                    "response_origin", result.responseOrigin().map(Addresses::show).orElse(null),
                    "other_address", result.otherAddress().map(Addresses::show).orElse(null),
                    "changed_address", result.changedAddress().map(Addresses::show).orElse(null)));
        } else {
            out.printf("server          %s (%s)%n", Addresses.show(result.server()), tcp ? "tcp" : "udp");
            out.printf("local address   %s%n", Addresses.show(result.localAddress()));
            out.printf("mapped address  %s%n", Addresses.show(result.mappedAddress()));
            out.printf("reply from      %s%n", Addresses.show(result.replySource()));
            result.responseOrigin().ifPresent(a -> out.printf("response origin %s%n", Addresses.show(a)));
            result.otherAddress().ifPresent(a -> out.printf("other address   %s (RFC 5780)%n", Addresses.show(a)));
            result.changedAddress().ifPresent(a -> out.printf("changed address %s (RFC 3489)%n",
                    Addresses.show(a)));
        }
        out.flush();
        return 0;
    }

    private static InetAddress lookUp(String host) {
        return io.p2pd.net.Resolver.system().resolve(host, Duration.ofSeconds(2),
                io.p2pd.net.EventLoops.shared().next()).join();
    }
}
