package io.p2pd.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.p2pd.net.EventLoops;
import io.p2pd.stun.StunDecodeException;
import io.p2pd.stun.StunMessage;
import io.p2pd.stun.StunServer;
import io.p2pd.stun.StunServerConfig;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
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
        description = {"Run the original library's examples on loopback, step by step: TCP echo, a STUN request over "
            + "UDP, and two nodes exchanging signed messages through an embedded MQTT broker, then connecting to each "
            + "other (node.connect: every strategy raced; it says which won)."})
final class DemoCommand implements Callable<Integer> {

    /** How long the node step waits for a node to start or close, or for a message to arrive. */
    private static final Duration SIGNAL_BOUND = Duration.ofSeconds(10);

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
        NodeDemo.run(out, SIGNAL_BOUND);
        out.println("All examples worked.");
        out.flush();
        return 0;
    }

    private static void tcpEcho(PrintWriter out, String ip) {
        out.printf("%nTCP echo on %s%n", ip);
        try (Pipe server = Pipes.tcp().bind(new InetSocketAddress(ip, 0))
                .msgHandler((msg, pipe) -> pipe.send(msg.data(), msg.sender())).open().join()) {
            out.printf("  server pipe listening on %s%n", Addresses.show(server.localAddress()));
            try (Pipe client = Pipes.open(Proto.TCP, server.localAddress()).join()) {
                out.printf("  client pipe %s connected%n", Addresses.show(client.localAddress()));
                byte[] msg = "test msg.".getBytes(UTF_8);
                client.send(msg).join();
                Message reply = client.recv().join();
                out.printf("  sent \"test msg.\", got back \"%s\" from %s%n", reply.text(), Addresses.show(reply.sender()));
                check(reply.text().equals("test msg."), "TCP echo returned other bytes");
            }
        }
        out.flush();
    }

    /**
     * The seed's UDP example, asked of an embedded STUN server instead of a public one: a hand-made binding
     * request sent down a UDP pipe, retried up to 3 times as UDP may lose datagrams.
     */
    private static void udpRequestResponse(PrintWriter out) {
        out.printf("%nUDP request/response: a STUN binding request to an embedded STUN server on 127.0.0.1%n");
        try (StunServer stun = StunServer.start(StunServerConfig.of(InetAddress.getLoopbackAddress(), 0)).join();
             Pipe pipe = Pipes.open(Proto.UDP, stun.primaryAddress()).join()) {
            out.printf("  STUN server on %s, client pipe on %s%n", Addresses.show(stun.primaryAddress()),
                    Addresses.show(pipe.localAddress()));
            byte[] id = new byte[12];
            new SecureRandom().nextBytes(id);
            // type 0x0001 (binding request), length 0, magic cookie 0x2112A442, 12-byte transaction id
            byte[] request = ByteBuffer.allocate(20).putShort((short) 1).putShort((short) 0)
                    .putInt(0x2112A442).put(id).array();
            Message reply = null;
            for (int attempt = 1; attempt <= 3 && reply == null; attempt++) {
                pipe.send(request).join();
                reply = pipe.recv(Duration.ofSeconds(2)).exceptionally(e -> null).join();
                out.printf("  attempt %d: %s%n", attempt, reply == null ? "no reply"
                        : reply.data().length + " bytes from " + Addresses.show(reply.sender()));
            }
            check(reply != null, "no STUN reply after 3 attempts");
            StunMessage response = StunMessage.decode(reply.data());
            check(Arrays.equals(response.transactionId(), id), "the reply answers another request");
            InetSocketAddress mapped = response.xorMappedAddress().orElseThrow();
            out.printf("  the server sees this pipe as %s%n", Addresses.show(mapped));
            check(mapped.getPort() == pipe.localAddress().getPort(), "STUN mapped another port");
        } catch (StunDecodeException e) {
            throw new IllegalStateException("the STUN reply did not decode: " + e.getMessage(), e);
        }
        out.flush();
    }

    private static void check(boolean ok, String failure) {
        if (!ok) {
            throw new IllegalStateException(failure);
        }
    }
}
