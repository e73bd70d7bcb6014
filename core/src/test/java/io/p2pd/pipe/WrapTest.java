package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Pipes around channels that other code opened: what hole punching will hand over. */
class WrapTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @Test
    void wrapsAConnectedSocketChannel() throws Exception {
        try (Pipe server = Pipes.tcp().bind(LOOPBACK)
                .msgHandler((m, p) -> p.send(m.data())).open().join()) {
            SocketChannel socket = SocketChannel.open(server.localAddress());
            try (Pipe pipe = Pipes.tcp().channel(socket).open().join()) {
                pipe.send("wrapped".getBytes(UTF_8)).join();

                assertThat(pipe.recv().join().text()).isEqualTo("wrapped");
                assertThat(pipe.remoteAddress()).contains(server.localAddress());
                assertThat(pipe.localAddress()).isEqualTo(socket.getLocalAddress());
            }
            assertThat(socket.isOpen()).isFalse();
        }
    }

    @Test
    void aWrappedChannelRunsOnTheNioGroupAskedForAndAnotherKindIsRefused() throws Exception {
        IoEventLoopGroup nio = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        IoEventLoopGroup epoll = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).open().join()) {
            SocketChannel first = SocketChannel.open(server.localAddress());
            try (Pipe pipe = Pipes.tcp().channel(first)
                    .conf(PipeConf.builder().loop(nio).build()).open().join()) {
                assertThat(pipe.loop.parent()).isSameAs(nio);
            }

            SocketChannel second = SocketChannel.open(server.localAddress());
            assertThatThrownBy(() -> Pipes.tcp().channel(second)
                    .conf(PipeConf.builder().loop(epoll).build()).open())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NIO event loop");
            assertThat(second.isOpen()).as("closed, as a failed open of a channel it owns").isFalse();

            SocketChannel third = SocketChannel.open(server.localAddress());
            assertThatThrownBy(() -> Pipes.tcp().channel(third).eventLoopOf(server).open())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eventLoopOf");
            assertThat(third.isOpen()).isFalse();
        } finally {
            nio.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
            epoll.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void wrapsABoundServerSocketChannelAsATcpServer() throws Exception {
        ServerSocketChannel listener = ServerSocketChannel.open().bind(LOOPBACK);
        InetSocketAddress at = (InetSocketAddress) listener.getLocalAddress();
        try (Pipe server = Pipes.tcp().channel(listener)
                .msgHandler((m, p) -> p.send(m.data())).open().join();
             Pipe client = Pipes.open(Proto.TCP, at).join()) {
            client.send("to a wrapped listener".getBytes(UTF_8)).join();

            assertThat(client.recv().join().text()).isEqualTo("to a wrapped listener");
            assertThat(server.isServer()).isTrue();
            assertThat(server.localAddress()).isEqualTo(at);
            assertThat(server.connections()).hasSize(1);
        }
        assertThat(listener.isOpen()).isFalse();

        ServerSocketChannel unbound = ServerSocketChannel.open();
        assertThatThrownBy(() -> Pipes.tcp().channel(unbound).open())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not bound");
        assertThat(unbound.isOpen()).isFalse();
    }

    @Test
    void wrapsABoundDatagramChannelWithADefaultDestination() throws Exception {
        try (Pipe server = Pipes.udp().bind(LOOPBACK)
                .msgHandler((m, p) -> p.send(m.data(), m.sender())).open().join()) {
            DatagramChannel datagram = DatagramChannel.open().bind(LOOPBACK);
            try (Pipe pipe = Pipes.udp().channel(datagram).dest(server.localAddress()).open().join()) {
                pipe.send("dgram".getBytes(UTF_8)).join();

                Message reply = pipe.recv().join();
                assertThat(reply.text()).isEqualTo("dgram");
                assertThat(reply.sender()).isEqualTo(server.localAddress());
            }
        }
    }

    @Test
    void doCloseDecidesWhetherAFailedWrapClosesTheChannel() throws Exception {
        SocketChannel unconnected = SocketChannel.open();
        assertThatThrownBy(() -> Pipes.tcp().channel(unconnected)
                .conf(PipeConf.builder().doClose(false).build()).open())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not connected");
        assertThat(unconnected.isOpen()).isTrue();

        assertThatThrownBy(() -> Pipes.tcp().channel(unconnected).open())
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(unconnected.isOpen()).isFalse();

        DatagramChannel unbound = DatagramChannel.open();
        assertThatThrownBy(() -> Pipes.udp().channel(unbound).open())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not bound");
        assertThat(unbound.isOpen()).isFalse();
    }
}
