package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The seed's two examples: TCP echo and UDP request/response, on both address families. */
class EchoTest {

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void tcpEchoLikeTheSeed(String ip) {
        try (Pipe server = Pipes.tcp().bind(new InetSocketAddress(ip, 0))
                .msgHandler((msg, pipe) -> pipe.send(msg.data(), msg.sender())).open().join();
             Pipe client = Pipes.open(Proto.TCP, server.localAddress()).join()) {
            client.send("test msg.".getBytes(UTF_8)).join();
            Message out = client.recv().join();

            assertThat(out.text()).isEqualTo("test msg.");
            assertThat(out.sender()).isEqualTo(server.localAddress());
            assertThat(server.localAddress().getAddress().getHostAddress()).isIn(ip, "0:0:0:0:0:0:0:1");
            assertThat(client.remoteAddress()).contains(server.localAddress());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void udpRequestResponseWithRetriesLikeTheSeed(String ip) {
        try (Pipe server = Pipes.udp().bind(new InetSocketAddress(ip, 0))
                .msgHandler((msg, pipe) -> pipe.send(("re: " + msg.text()).getBytes(UTF_8), msg.sender()))
                .open().join();
             Pipe client = Pipes.open(Proto.UDP, server.localAddress()).join()) {
            Message reply = null;
            // UDP is unreliable: like the seed, try up to 3 times.
            for (int attempt = 0; attempt < 3 && reply == null; attempt++) {
                client.send("ping".getBytes(UTF_8)).join();
                try {
                    reply = client.recv(Duration.ofSeconds(2)).join();
                } catch (CompletionException e) {
                    assertThat(e).hasCauseInstanceOf(RecvTimeoutException.class);
                }
            }

            assertThat(reply).isNotNull();
            assertThat(reply.text()).isEqualTo("re: ping");
            assertThat(reply.sender()).isEqualTo(server.localAddress());
            assertThat(server.isServer()).isTrue();
            assertThat(client.isServer()).isFalse();
            assertThat(server.stats().received()).isGreaterThanOrEqualTo(1);
        }
    }
}
