package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.net.LookupTimeoutException;
import io.p2pd.net.Resolver;
import io.p2pd.testing.LocalDns;
import io.p2pd.testing.Net;
import java.net.BindException;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Each way opening or using a pipe can fail has its own exception type and a message naming the address. */
class OpenErrorsTest {

    @Test
    void unknownHostNamesTheHost() throws Exception {
        try (LocalDns dns = new LocalDns(Map.of())) {
            PipeConf conf = PipeConf.builder().resolver(Resolver.using(List.of(dns.address()))).build();

            assertThatThrownBy(() -> Pipes.tcp().dest(new io.p2pd.net.HostPort("nowhere.test", 80))
                    .conf(conf).open().join())
                    .isInstanceOf(CompletionException.class)
                    .cause().isExactlyInstanceOf(UnknownHostException.class)
                    .hasMessageContaining("nowhere.test");
            assertThat(dns.queries()).isPositive();
        }
    }

    @Test
    void aNameIsLookedUpThroughTheConfiguredServer() throws Exception {
        try (LocalDns dns = new LocalDns(Map.of("echo.test", InetAddress.getByName("127.0.0.1")));
             Pipe server = Pipes.udp().bind(new InetSocketAddress("127.0.0.1", 0))
                     .msgHandler((m, p) -> p.send(m.data(), m.sender())).open().join()) {
            PipeConf conf = PipeConf.builder().resolver(Resolver.using(List.of(dns.address()))).build();
            try (Pipe client = Pipes.udp()
                    .dest(new io.p2pd.net.HostPort("echo.test", server.localAddress().getPort()))
                    .conf(conf).open().join()) {
                client.send("hi".getBytes(UTF_8)).join();

                assertThat(client.recv().join().text()).isEqualTo("hi");
                assertThat(client.remoteAddress()).contains(server.localAddress());
            }
        }
    }

    @Test
    void dnsTimeoutIsItsOwnError() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            PipeConf conf = PipeConf.builder()
                    .resolver(Resolver.using(List.of((InetSocketAddress) silent.getLocalSocketAddress())))
                    .dnsTimeout(Duration.ofMillis(300)).build();

            assertThatThrownBy(() -> Pipes.tcp().dest(new io.p2pd.net.HostPort("slow.test", 80))
                    .conf(conf).open().join())
                    .cause().isExactlyInstanceOf(LookupTimeoutException.class)
                    .hasMessageContaining("slow.test").hasMessageContaining("300 ms");
        }
    }

    @Test
    void refusedConnectionNamesTheAddress() throws Exception {
        try (Socket closedPort = Net.boundNotListening()) {
            InetSocketAddress target = (InetSocketAddress) closedPort.getLocalSocketAddress();

            assertThatThrownBy(() -> Pipes.open(Proto.TCP, target).join())
                    .cause().isExactlyInstanceOf(ConnectException.class)
                    .hasMessage("Connection refused: " + io.p2pd.net.HostPort.of(target));
        }
    }

    @Test
    void connectTimeoutHonoursConTimeout() throws Exception {
        // A listener whose accept queue is full drops further SYNs: the connect can neither succeed nor be refused.
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            List<Socket> fillers = new ArrayList<>();
            try {
                for (int i = 0; i < 16; i++) {
                    Socket s = new Socket();
                    fillers.add(s);
                    try {
                        s.connect(full.getLocalSocketAddress(), 300);
                    } catch (SocketTimeoutException queueFull) {
                        break;
                    }
                }
                TcpOptions conf = TcpOptions.builder().conTimeout(Duration.ofMillis(250)).build();
                InetSocketAddress target = (InetSocketAddress) full.getLocalSocketAddress();

                assertThatThrownBy(() -> Pipes.tcp().dest(target).tcp(conf).open().join())
                        .cause().isExactlyInstanceOf(ConnectTimeoutException.class)
                        .isInstanceOf(ConnectException.class)
                        .hasMessage("connect to " + io.p2pd.net.HostPort.of(target) + " timed out after 250 ms");
            } finally {
                for (Socket s : fillers) {
                    s.close();
                }
            }
        }
    }

    @Test
    void bindingAnAddressInUseFails() throws Exception {
        try (Pipe first = Pipes.tcp().bind(new InetSocketAddress("127.0.0.1", 0)).open().join()) {
            InetSocketAddress taken = first.localAddress();

            assertThatThrownBy(() -> Pipes.tcp().bind(taken).open().join())
                    .cause().isExactlyInstanceOf(BindException.class)
                    .hasMessage("cannot bind TCP to " + io.p2pd.net.HostPort.of(taken) + ": address already in use");
        }
        try (Pipe first = Pipes.udp().bind(new InetSocketAddress("127.0.0.1", 0)).open().join()) {
            InetSocketAddress taken = first.localAddress();

            assertThatThrownBy(() -> Pipes.udp().bind(taken).open().join())
                    .cause().isExactlyInstanceOf(BindException.class)
                    .hasMessage("cannot bind UDP to " + io.p2pd.net.HostPort.of(taken) + ": address already in use");
        }
    }

    @Test
    void bindingAnAddressThisMachineLacksFails() throws Exception {
        // 192.0.2.1 is documentation space: never assigned here. Binding sends nothing.
        InetSocketAddress absent = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 0);
        for (Proto proto : Proto.values()) {
            assertThatThrownBy(() -> Pipes.opener(proto).bind(absent).open().join())
                    .cause().isExactlyInstanceOf(BindException.class)
                    .hasMessage("cannot bind " + proto + " to " + io.p2pd.net.HostPort.of(absent) + ": address not on this machine");
        }
        try (Socket closedPort = Net.boundNotListening()) {
            assertThatThrownBy(() -> Pipes.tcp().dest((InetSocketAddress) closedPort
                    .getLocalSocketAddress()).bind(absent).open().join())
                    .cause().isExactlyInstanceOf(BindException.class)
                    .hasMessageContaining("192.0.2.1");
        }
    }

    @Test
    void sendingOnAClosedPipeFails() {
        for (Proto proto : Proto.values()) {
            Pipe server = Pipes.opener(proto).bind(new InetSocketAddress("127.0.0.1", 0)).open().join();
            Pipe client = Pipes.open(proto, server.localAddress()).join();
            client.close();
            server.close();

            assertThatThrownBy(() -> client.send("late".getBytes(UTF_8)).join())
                    .cause().isExactlyInstanceOf(PipeClosedException.class)
                    .hasMessageContaining("pipe closed").hasMessageContaining(proto.toString());
            assertThat(client.isOpen()).isFalse();
        }
    }

    @Test
    void recvTimesOutWithItsOwnError() {
        try (Pipe server = Pipes.udp().bind(new InetSocketAddress("127.0.0.1", 0)).open().join()) {
            assertThatThrownBy(() -> server.recv(Duration.ofMillis(50)).join())
                    .cause().isExactlyInstanceOf(RecvTimeoutException.class)
                    .hasMessage("no message for Sub[all] within 50 ms");
        }
    }

    @Test
    void recvOnAnUnknownSubscriptionThrowsAtOnce() {
        try (Pipe server = Pipes.udp().bind(new InetSocketAddress("127.0.0.1", 0)).open().join()) {
            assertThatThrownBy(() -> server.recv(Sub.matching("^x")))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no queue subscribed for Sub[/^x/]");
        }
    }

    @Test
    void badOptionValuesNameTheOption() {
        assertThatThrownBy(() -> PipeConf.builder().recvTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("recvTimeout");
        assertThatThrownBy(() -> PipeConf.builder().maxQsize(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxQsize");
        assertThatThrownBy(() -> PipeConf.builder().readerLimit(10).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("readerLimit");
        assertThatThrownBy(() -> TcpOptions.builder().linger(Duration.ofSeconds(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("linger");
        // Not rounded down to 0 (a reset on close) behind the caller's back.
        assertThatThrownBy(() -> TcpOptions.builder().linger(Duration.ofMillis(500)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole seconds");
        assertThat(PipeConf.defaults().maxQsize()).isEqualTo(PipeConf.DEFAULT_MAX_QSIZE);
        assertThat(PipeConf.defaults().readerLimit()).isEqualTo(65536);
        assertThat(PipeConf.defaults().toBuilder().maxMsgIds(5).build().maxMsgIds()).isEqualTo(5);
    }
}
