package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 17 (a server's stats add up) and issue 18 (hardening: connection bounds, timeouts, quiet logs) for TCP
 * server pipes, against plain sockets on loopback.
 */
class ServerBoundsTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private static final MsgHandler ECHO = (msg, pipe) -> pipe.send(msg.data(), msg.sender());

    private static Pipe echoServer(ServerLimits limits) {
        return Pipes.tcp().bind(LOOPBACK).limits(limits).msgHandler(ECHO).open().join();
    }

    private static Socket connect(Pipe server) throws IOException {
        return new Socket(LOOPBACK.getAddress(), server.localAddress().getPort());
    }

    private static String roundTrip(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(UTF_8));
        return new String(socket.getInputStream().readNBytes(text.length()), UTF_8);
    }

    /** Reads until the server closes the socket; fails if it does not within the socket's timeout. */
    private static void assertClosedByServer(Socket socket) throws IOException {
        socket.setSoTimeout(10_000);
        InputStream in = socket.getInputStream();
        try {
            assertThat(in.read()).isEqualTo(-1);
        } catch (java.net.SocketException reset) {
            // A reset is the server closing too.
        }
    }

    @Test
    void aServersStatsAreTheSumsOverItsConnectionsOpenAndEnded() throws Exception {
        try (Pipe server = echoServer(ServerLimits.none())) {
            List<Pipe> ended = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                try (Socket client = connect(server)) {
                    assertThat(roundTrip(client, "hello")).isEqualTo("hello");
                    ended.add(server.accept().get(5, TimeUnit.SECONDS));
                }
            }
            for (Pipe connection : ended) {
                connection.closeFuture().get(5, TimeUnit.SECONDS);
            }
            try (Socket open = connect(server)) {
                assertThat(roundTrip(open, "hi!")).isEqualTo("hi!");
                Pipe live = server.accept().get(5, TimeUnit.SECONDS);
                // send(data, peer) finds the connection from that peer.
                server.send("ok".getBytes(UTF_8), live.remoteAddress().orElseThrow()).get(5, TimeUnit.SECONDS);
                assertThat(new String(open.getInputStream().readNBytes(2), UTF_8)).isEqualTo("ok");

                PipeStats stats = server.stats();
                assertThat(stats.received()).isEqualTo(4);
                assertThat(stats.receivedBytes()).isEqualTo(3 * 5 + 3);
                assertThat(stats.sent()).isEqualTo(5);
                assertThat(stats.sentBytes()).isEqualTo(3 * 5 + 3 + 2);
                assertThat(stats.acceptedConnections()).isEqualTo(4);
                assertThat(stats.refusedConnections()).isZero();
                assertThat(stats.handlerErrors()).isZero();
                assertThat(live.stats().acceptedConnections()).isZero();
            }
        }
    }

    @Test
    @SuppressWarnings("try") // the test closes a resource early on purpose
    void connectionsBeyondMaxConnectionsAreClosedAtOnceAndCounted() throws Exception {
        try (Pipe server = echoServer(ServerLimits.builder().maxConnections(2).build());
             Socket first = connect(server);
             Socket second = connect(server)) {
            // Connections on different event loops are handed out in any order: pick the first socket's.
            Pipe one = server.accept().get(5, TimeUnit.SECONDS);
            Pipe two = server.accept().get(5, TimeUnit.SECONDS);
            Pipe firstPipe = one.remoteAddress().orElseThrow().getPort() == first.getLocalPort() ? one : two;
            try (Socket third = connect(server)) {
                assertClosedByServer(third);
            }
            assertThat(server.stats().refusedConnections()).isEqualTo(1);
            assertThat(roundTrip(second, "still")).isEqualTo("still");

            // A place frees up: the next client is served.
            first.close();
            firstPipe.closeFuture().get(5, TimeUnit.SECONDS);
            try (Socket fourth = connect(server)) {
                assertThat(roundTrip(fourth, "in")).isEqualTo("in");
            }
            assertThat(server.stats().acceptedConnections()).isEqualTo(3);
            assertThat(server.stats().refusedConnections()).isEqualTo(1);
        }
    }

    @Test
    void maxConnectionsPerIpRefusesASecondConnectionFromOneAddressOnly() throws Exception {
        try (Pipe server = echoServer(ServerLimits.builder().maxConnectionsPerIp(1).build());
             Socket one = connect(server)) {
            server.accept().get(5, TimeUnit.SECONDS);
            try (Socket again = connect(server)) {
                assertClosedByServer(again);
            }
            // Another loopback address is another client.
            try (Socket other = new Socket(LOOPBACK.getAddress(), server.localAddress().getPort(),
                    InetAddress.getByName("127.0.0.2"), 0)) {
                assertThat(roundTrip(other, "other")).isEqualTo("other");
            }
            assertThat(roundTrip(one, "one")).isEqualTo("one");
            assertThat(server.stats().refusedConnections()).isEqualTo(1);
            assertThat(server.stats().acceptedConnections()).isEqualTo(2);
        }
    }

    @Test
    void aSilentConnectionIsClosedByFirstMessageTimeoutAndATalkingOneIsNot() throws Exception {
        try (Pipe server = echoServer(ServerLimits.builder().firstMessageTimeout(Duration.ofSeconds(1)).build());
             Socket talking = connect(server)) {
            assertThat(roundTrip(talking, "early")).isEqualTo("early");
            Pipe talkingPipe = server.accept().get(5, TimeUnit.SECONDS);
            try (Socket silent = connect(server)) {
                Pipe silentPipe = server.accept().get(5, TimeUnit.SECONDS);
                assertClosedByServer(silent);
                silentPipe.closeFuture().get(5, TimeUnit.SECONDS);
                assertThat(silentPipe.closeCause()).get().asString().contains("firstMessageTimeout");
            }
            assertThat(talkingPipe.isOpen()).isTrue();
            assertThat(roundTrip(talking, "later")).isEqualTo("later");
            assertThat(server.stats().timedOutConnections()).isEqualTo(1);
        }
    }

    @Test
    void anIdleConnectionIsClosedByIdleTimeout() throws Exception {
        try (Pipe server = echoServer(ServerLimits.builder().idleTimeout(Duration.ofMillis(300)).build());
             Socket client = connect(server)) {
            assertThat(roundTrip(client, "once")).isEqualTo("once");
            assertClosedByServer(client);
            assertThat(server.stats().timedOutConnections()).isEqualTo(1);
        }
    }

    @Test
    void aPipeliningClientThatNeverReadsIsClosedByWriteStallTimeoutWithBoundedPendingBytes() throws Exception {
        try (Pipe server = echoServer(ServerLimits.builder().writeStallTimeout(Duration.ofMillis(500)).build());
             Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(new InetSocketAddress(LOOPBACK.getAddress(), server.localAddress().getPort()));
            Pipe connection = server.accept().get(5, TimeUnit.SECONDS);
            // Requests without end, answers never read: bounded by a total far beyond every buffer on the way.
            CompletableFuture<Long> written = CompletableFuture.supplyAsync(() -> {
                byte[] request = new byte[1024];
                long total = 0;
                try (OutputStream out = client.getOutputStream()) {
                    while (total < (256L << 20)) {
                        out.write(request);
                        total += request.length;
                    }
                } catch (IOException closedByServer) {
                    // The server closed the connection: the end this test waits for.
                }
                return total;
            });
            connection.closeFuture().get(30, TimeUnit.SECONDS);
            assertThat(written.get(30, TimeUnit.SECONDS)).isLessThan(256L << 20);

            PipeStats stats = server.stats();
            assertThat(stats.timedOutConnections()).isEqualTo(1);
            assertThat(connection.closeCause()).get().asString().contains("writeStallTimeout");
            // The server stopped reading while its answers could not leave, so what waited stayed small.
            assertThat(stats.peakPendingBytes()).isLessThan(1L << 20);
            assertThat(stats.receivedBytes()).isLessThan(16L << 20);
        }
    }

    @Test
    void peersThatResetEchoConnectionsLogNoWarningsOrStackTraces() throws Exception {
        int resets = 50;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (Pipe server = echoServer(ServerLimits.none())) {
            System.setErr(new PrintStream(captured, true, UTF_8));
            try {
                for (int i = 0; i < resets; i++) {
                    Pipe connection;
                    try (Socket client = connect(server)) {
                        // Data the server will answer, then a reset (linger 0) before the answer is read.
                        client.getOutputStream().write(new byte[64 * 1024]);
                        connection = server.accept().get(5, TimeUnit.SECONDS);
                        client.setSoLinger(true, 0);
                    }
                    connection.closeFuture().get(5, TimeUnit.SECONDS);
                }
            } finally {
                System.setErr(err);
            }
            String log = captured.toString(UTF_8);
            assertThat(log).doesNotContain("WARN").doesNotContain("\tat ");
            assertThat(server.stats().acceptedConnections()).isEqualTo(resets);
            assertThat(server.stats().handlerErrors()).isZero();
        }
    }

    @Test
    void serverLimitsAreRefusedOnAClientAndTheirValuesChecked() throws Exception {
        // On a UDP pipe they do not compile: only Pipes.tcp() has limits(). A TCP client is known only at open.
        ServerLimits one = ServerLimits.builder().maxConnections(1).build();
        try (Pipe server = echoServer(ServerLimits.none())) {
            assertThatThrownBy(() -> Pipes.tcp().dest(server.localAddress()).limits(one).open())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limits apply to TCP servers");
            try (SocketChannel connected = SocketChannel.open(server.localAddress())) {
                assertThatThrownBy(() -> Pipes.tcp().channel(connected).limits(one).open())
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("client");
            }
        }
        assertThatThrownBy(() -> ServerLimits.builder().maxConnections(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxConnections");
        assertThatThrownBy(() -> ServerLimits.builder().idleTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idleTimeout");
    }
}
