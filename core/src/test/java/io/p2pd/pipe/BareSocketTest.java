package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.testing.Net;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/** The original's sock_only: the socket a pipe would use, handed over bare. */
class BareSocketTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @Test
    void aTcpClientSocketComesConnected() throws Exception {
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).msgHandler((m, p) -> p.send(m.data()))
                .open().join();
             NetworkChannel bare = Pipes.tcp().dest(server.localAddress()).openSocket().join()) {
            SocketChannel socket = (SocketChannel) bare;
            assertThat(socket.isConnected()).isTrue();
            assertThat(socket.isBlocking()).isTrue();
            socket.write(ByteBuffer.wrap("bare".getBytes(UTF_8)));
            ByteBuffer reply = ByteBuffer.allocate(4);
            while (reply.hasRemaining() && socket.read(reply) >= 0) {
                // read until the echo is whole
            }
            assertThat(new String(reply.array(), UTF_8)).isEqualTo("bare");
        }
    }

    @Test
    void serverAndUdpSocketsComeBound() throws Exception {
        try (NetworkChannel server = Pipes.tcp().bind(LOOPBACK).openSocket().join();
             NetworkChannel udp = Pipes.udp().bind(LOOPBACK).broadcast(true)
                     .conf(PipeConf.builder().reuseAddr(true).build()).openSocket().join()) {
            assertThat(server).isInstanceOf(ServerSocketChannel.class);
            assertThat(((InetSocketAddress) server.getLocalAddress()).getPort()).isPositive();
            assertThat(udp).isInstanceOf(DatagramChannel.class);
            assertThat(udp.getOption(java.net.StandardSocketOptions.SO_BROADCAST)).isTrue();
            assertThat(udp.getOption(java.net.StandardSocketOptions.SO_REUSEADDR)).isTrue();
        }
    }

    @Test
    void failuresAreTheSameAsForPipes() throws Exception {
        try (Socket closedPort = Net.boundNotListening()) {
            InetSocketAddress target = (InetSocketAddress) closedPort.getLocalSocketAddress();
            assertThatThrownBy(() -> Pipes.tcp().dest(target).openSocket().join())
                    .cause().isExactlyInstanceOf(ConnectException.class)
                    .hasMessage("Connection refused: 127.0.0.1:" + target.getPort());
        }
        InetSocketAddress absent = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 0);
        assertThatThrownBy(() -> Pipes.udp().bind(absent).openSocket().join())
                .cause().isExactlyInstanceOf(BindException.class).hasMessageContaining("address not on this machine");
    }

    @Test
    void optionsTheSocketCannotTakeAreRefusedNotIgnored() {
        // broadcast on TCP, linger on UDP and the other transport's protocol number do not compile: each is the
        // choice of opener (Pipes.tcp() or Pipes.udp()).
        assertThatThrownBy(() -> Pipes.tcp().bind(LOOPBACK)
                .tcp(TcpOptions.builder().framing(Framing.lines()).build()).openSocket())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bare socket");
        assertThatThrownBy(() -> Pipes.tcp().bind(LOOPBACK)
                .limits(ServerLimits.builder().maxConnections(1).build()).openSocket())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bare socket");
    }
}
