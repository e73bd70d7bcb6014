package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** One error rule: a misuse throws at once, unchecked; only I/O outcomes go into the returned future. */
class ErrorRuleTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @Test
    void misusesThrowAtOnceInsteadOfFailingTheirFuture() {
        try (Pipe udpServer = Pipes.udp().bind(LOOPBACK).open().join();
             Pipe tcpServer = Pipes.tcp().bind(LOOPBACK).open().join();
             Pipe client = Pipes.tcp().dest(tcpServer.localAddress()).open().join()) {
            assertThatThrownBy(udpServer::accept).isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("accept() needs a TCP server");
            assertThatThrownBy(() -> tcpServer.send("x".getBytes(UTF_8)))
                    .isExactlyInstanceOf(IllegalStateException.class).hasMessageContaining("send(data, dest)");
            assertThatThrownBy(() -> udpServer.send("x".getBytes(UTF_8)))
                    .isExactlyInstanceOf(IllegalStateException.class).hasMessageContaining("no default destination");
            assertThatThrownBy(() -> client.send("x".getBytes(UTF_8), new InetSocketAddress("127.0.0.1", 9)))
                    .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("only to its peer");
            assertThatThrownBy(() -> client.recv(Sub.matching("^never")))
                    .isExactlyInstanceOf(IllegalStateException.class).hasMessageContaining("subscribe(sub) first");
            assertThatThrownBy(() -> client.recv(Duration.ZERO))
                    .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");

            // An outcome of the network, by contrast, completes the future: nothing came in time.
            assertThat(client.recv(Duration.ofMillis(20))).failsWithin(Duration.ofSeconds(5))
                    .withThrowableThat().havingCause().isExactlyInstanceOf(RecvTimeoutException.class);
        }
    }
}
