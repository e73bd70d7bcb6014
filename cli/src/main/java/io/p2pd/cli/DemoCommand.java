package io.p2pd.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.p2pd.net.EventLoops;
import io.p2pd.pipe.Message;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The seed's examples on this machine, on loopback: nothing leaves it, no internet needed. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the original library's examples on loopback, step by step.")
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("P2PD demo on Java %s, %s transport%n", Runtime.version().feature(),
                EventLoops.nativeTransport() ? "epoll" : "NIO");
        tcpEcho(out, "127.0.0.1");
        tcpEcho(out, "::1");
        udpRequestResponse(out);
        out.println("All examples worked.");
        out.flush();
        return 0;
    }

    private static void tcpEcho(PrintWriter out, String ip) {
        out.printf("%nTCP echo on %s%n", ip);
        try (Pipe server = Pipes.opener(Proto.TCP).bind(new InetSocketAddress(ip, 0))
                .msgHandler((msg, pipe) -> pipe.send(msg.data(), msg.sender())).open().join()) {
            out.printf("  server pipe listening on %s%n", server.localAddress());
            try (Pipe client = Pipes.open(Proto.TCP, server.localAddress()).join()) {
                out.printf("  client pipe %s connected%n", client.localAddress());
                byte[] msg = "test msg.".getBytes(UTF_8);
                client.send(msg).join();
                Message reply = client.recv().join();
                out.printf("  sent \"test msg.\", got back \"%s\" from %s%n", reply.text(), reply.sender());
                check(reply.text().equals("test msg."), "TCP echo returned other bytes");
            }
        }
        out.flush();
    }

    private static void udpRequestResponse(PrintWriter out) {
        out.printf("%nUDP request/response on 127.0.0.1 (retried up to 3 times, as UDP may lose datagrams)%n");
        try (Pipe server = Pipes.opener(Proto.UDP).bind(new InetSocketAddress("127.0.0.1", 0))
                .msgHandler((msg, pipe) -> pipe.send(("pong: " + msg.text()).getBytes(UTF_8), msg.sender()))
                .open().join();
             Pipe client = Pipes.open(Proto.UDP, server.localAddress()).join()) {
            out.printf("  server pipe on %s, client pipe on %s%n", server.localAddress(), client.localAddress());
            Message reply = null;
            for (int attempt = 1; attempt <= 3 && reply == null; attempt++) {
                client.send("ping".getBytes(UTF_8)).join();
                reply = client.recv(Duration.ofSeconds(2)).exceptionally(e -> null).join();
                out.printf("  attempt %d: %s%n", attempt, reply == null ? "no reply" : "\"" + reply.text() + "\"");
            }
            check(reply != null && reply.text().equals("pong: ping"), "no UDP reply after 3 attempts");
        }
        out.flush();
    }

    private static void check(boolean ok, String failure) {
        if (!ok) {
            throw new IllegalStateException(failure);
        }
    }
}
