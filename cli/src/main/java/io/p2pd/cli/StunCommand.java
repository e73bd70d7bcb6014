package io.p2pd.cli;

import io.p2pd.net.HostPort;
import io.p2pd.pipe.Proto;
import io.p2pd.stun.StunClient;
import io.p2pd.internal.Json;
import io.p2pd.stun.StunClientConfig;
import io.p2pd.stun.StunErrorResponseException;
import io.p2pd.stun.StunResult;
import io.p2pd.stun.StunSession;
import io.p2pd.stun.StunTimeoutException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
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
        // With --json a script reads stdout: the failure is a JSON object there too (and exit code 1), as nat's.
        return Main.jsonOnFailure(spec.commandLine(), json, this::ask);
    }

    private int ask() {
        HostPort hp = Addresses.hostPort(spec, server, 3478);
        if (tcp && (changeIp || changePort)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--change-ip and --change-port need UDP");
        }
        InetSocketAddress target = Addresses.resolve(hp);
        InetAddress ip = target.getAddress();
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
            } catch (CompletionException e) {
                throw changeIp || changePort ? noSecondAddress(e, target) : e;
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(JsonFields.of(
                    "server", Addresses.show(result.server()),
                    "proto", tcp ? "tcp" : "udp",
                    "local", Addresses.show(result.localAddress()),
                    "mapped", Addresses.show(result.mappedAddress()),
                    "replyFrom", Addresses.show(result.replySource()),
                    "responseOrigin", result.responseOrigin().map(Addresses::show).orElse(null),
                    "otherAddress", result.otherAddress().map(Addresses::show).orElse(null),
                    "changedAddress", result.changedAddress().map(Addresses::show).orElse(null))));
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

    /**
     * A change request failed: a server with one address refuses CHANGE-REQUEST (420, RFC 5780 section 6.1) or, if
     * older, ignores it, so the answer never comes. Say what the server lacks rather than which attribute it did
     * not know.
     */
    private static RuntimeException noSecondAddress(CompletionException e, InetSocketAddress server) {
        Throwable cause = e.getCause();
        String flag = "--change-ip/--change-port";
        if (cause instanceof StunErrorResponseException refused && refused.code() == 420) {
            return new IllegalStateException(Addresses.show(server) + " cannot answer " + flag + ": the server needs "
                    + "a second address (two IPs and two ports, RFC 5780)", cause);
        }
        if (cause instanceof StunTimeoutException) {
            return new IllegalStateException("no answer from " + Addresses.show(server) + " to " + flag + ": the "
                    + "server may have no second address (it needs two IPs and two ports, RFC 5780)", cause);
        }
        return e;
    }
}
