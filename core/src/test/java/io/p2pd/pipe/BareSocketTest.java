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
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The original's sock_only: the socket a pipe would use, handed over bare. */
class BareSocketTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @Test
    void aTcpClientSocketComesConnected() throws Exception {
        try (Pipe server = Pipes.opener(Proto.TCP).bind(LOOPBACK).msgHandler((m, p) -> p.send(m.data()))
                .open().join();
             NetworkChannel bare = Pipes.opener(Proto.TCP).dest(server.localAddress()).openSocket().join()) {
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
        try (NetworkChannel server = Pipes.opener(Proto.TCP).bind(LOOPBACK).openSocket().join();
             NetworkChannel udp = Pipes.opener(Proto.UDP).bind(LOOPBACK)
                     .conf(PipeConf.builder().broadcast(true).reuseAddr(true).build()).openSocket().join()) {
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
            assertThatThrownBy(() -> Pipes.opener(Proto.TCP).dest(target).openSocket().join())
                    .cause().isExactlyInstanceOf(ConnectException.class)
                    .hasMessage("Connection refused: 127.0.0.1:" + target.getPort());
        }
        InetSocketAddress absent = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 0);
        assertThatThrownBy(() -> Pipes.opener(Proto.UDP).bind(absent).openSocket().join())
                .cause().isExactlyInstanceOf(BindException.class).hasMessageContaining("address not on this machine");
    }

    @Test
    void optionsTheSocketCannotTakeAreRefusedNotIgnored() {
        assertThatThrownBy(() -> Pipes.opener(Proto.TCP).bind(LOOPBACK)
                .conf(PipeConf.builder().broadcast(true).build()).openSocket())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("broadcast");
        assertThatThrownBy(() -> Pipes.opener(Proto.UDP).bind(LOOPBACK)
                .conf(PipeConf.builder().linger(Duration.ZERO).build()).openSocket())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("linger");
        assertThatThrownBy(() -> Pipes.opener(Proto.UDP).bind(LOOPBACK)
                .conf(PipeConf.builder().sockProto(6).build()).openSocket())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sockProto");
        assertThatThrownBy(() -> Pipes.opener(Proto.TCP).bind(LOOPBACK)
                .conf(PipeConf.builder().framing(Framing.lines()).build()).openSocket())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bare socket");
    }
}
