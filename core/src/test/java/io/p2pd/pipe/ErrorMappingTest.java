package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.net.EventLoops;
import io.p2pd.net.HostPort;
import io.p2pd.net.Resolver;
import io.p2pd.testing.LocalDns;
import io.p2pd.testing.Net;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** No Netty or OS text reaches a user: errors are mapped by type or errno into messages of our own. */
class ErrorMappingTest {

    @Test
    void aRefusedConnectSaysSoLikeAPlainSocketOnEitherTransport() throws Exception {
        try (Socket closedPort = Net.boundNotListening()) {
            InetSocketAddress target = (InetSocketAddress) closedPort.getLocalSocketAddress();
            for (PipeConf conf : List.of(PipeConf.defaults(), PipeConf.builder().loop(EventLoops.nio()).build())) {
                assertThatThrownBy(() -> Pipes.tcp().dest(target).conf(conf).open().join())
                        .as("on %s", conf.loop().map(l -> "NIO").orElse("the shared group"))
                        .cause().isExactlyInstanceOf(ConnectException.class)
                        .hasMessage("Connection refused: 127.0.0.1:" + target.getPort());
            }
        }
    }

    @Test
    void aFamilyMismatchBetweenBindAndAnIpDestinationIsRefusedAtOnce() {
        assertThatThrownBy(() -> Pipes.tcp().bind(new InetSocketAddress("127.0.0.1", 0))
                .dest(new InetSocketAddress("::1", 9)).open())
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot reach [::1]:9 from 127.0.0.1:0: the bind address is IPv4 and the destination "
                        + "IPv6; bind an address of the destination's family");
        assertThatThrownBy(() -> Pipes.udp().bind(new InetSocketAddress("::1", 0))
                .dest(new InetSocketAddress("127.0.0.1", 9)).open())
                .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("bind address is IPv6");
        assertThatThrownBy(() -> Pipes.tcp().bind(new InetSocketAddress("127.0.0.1", 0))
                .dest(new InetSocketAddress("::1", 9)).openSocket())
                .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("bind address is IPv4");
    }

    @Test
    void aNameThatResolvesToTheOtherFamilyFailsTheFutureWithTheSameError() throws Exception {
        try (LocalDns dns = new LocalDns(Map.of("six.test", InetAddress.getByName("::1")))) {
            PipeConf conf = PipeConf.builder().resolver(Resolver.using(List.of(dns.address()))).build();
            assertThatThrownBy(() -> Pipes.tcp().bind(new InetSocketAddress("127.0.0.1", 0))
                    .dest(new HostPort("six.test", 9)).conf(conf).open().join())
                    .cause().isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot reach [::1]:9 from 127.0.0.1:0");
        }
    }

    @Test
    void dialingAWildcardAddressDialsLoopbackOfItsFamily() {
        for (String wildcard : List.of("0.0.0.0", "::")) {
            for (Proto proto : Proto.values()) {
                try (Pipe server = Pipes.opener(proto).bind(new InetSocketAddress(wildcard, 0))
                        .msgHandler((m, p) -> p.send(m.data(), m.sender())).open().join();
                     Pipe client = Pipes.opener(proto)
                             .dest(new InetSocketAddress(wildcard, server.localAddress().getPort())).open().join()) {
                    assertThat(client.remoteAddress()).as("%s %s", proto, wildcard).contains(
                            new InetSocketAddress(wildcard.equals("::") ? "::1" : "127.0.0.1",
                                    server.localAddress().getPort()));
                    client.send("hi".getBytes(UTF_8)).join();
                    assertThat(client.recv(Duration.ofSeconds(5)).join().text()).isEqualTo("hi");
                }
            }
        }
    }
}
