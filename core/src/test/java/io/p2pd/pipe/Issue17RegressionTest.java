package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.net.HostPort;
import io.p2pd.net.Resolver;
import io.p2pd.testing.LocalDns;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The pipe package's findings of the review in issue 17, each kept as a test that failed before its fix. */
class Issue17RegressionTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private static final Duration BOUND = Duration.ofSeconds(10);

    /** Waits until the loop has run what was handed to it before (a read burst in progress, say). */
    private static void settle(Pipe pipe) throws Exception {
        pipe.loop.submit(() -> { }).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aMessageInDeliveryWhenAHandlerReplacesTheCatchAllQueueReachesThatHandler() throws Exception {
        TcpOptions lines = TcpOptions.builder().framing(Framing.lines()).build();
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).tcp(lines).open().join();
             Socket peer = new Socket(LOOPBACK.getAddress(), server.localAddress().getPort())) {
            Pipe connection = server.accept().join();
            OutputStream out = peer.getOutputStream();
            // The catch-all queue holds "two" when the first handler comes, so it stays (for recv).
            CompletableFuture<Message> waiting = connection.recv(BOUND);
            out.write("one\ntwo\n".getBytes(UTF_8));
            assertThat(waiting.join().text()).isEqualTo("one");
            settle(connection);
            CompletableFuture<Void> gate = new CompletableFuture<>();
            CompletableFuture<Message> firstSeen = new CompletableFuture<>();
            connection.addMsgHandler((m, p) -> firstSeen.complete(m) ? gate : null);
            assertThat(connection.recv(BOUND).join().text()).isEqualTo("two");

            // "three" is held up by the first handler, its delivery's snapshot still holding the (now empty) queue.
            out.write("three\n".getBytes(UTF_8));
            assertThat(firstSeen.get(10, TimeUnit.SECONDS).text()).isEqualTo("three");
            CompletableFuture<String> secondFirst = new CompletableFuture<>();
            connection.addMsgHandler((m, p) -> {
                secondFirst.complete(m.text());
                return null;
            });
            gate.complete(null);
            out.write("four\n".getBytes(UTF_8));

            // The queue went with the second handler; "three" was meant for it and goes to that handler instead.
            assertThat(secondFirst.get(10, TimeUnit.SECONDS)).isEqualTo("three");
            assertThatThrownBy(() -> connection.recv(BOUND)).isInstanceOf(IllegalStateException.class);
            assertThat(connection.stats().dropped()).isZero();
        }
    }

    /** A connection whose catch-all queue holds "two", read from {@code out} after "one" was received. */
    private static Pipe holdingTwo(Pipe server, OutputStream out) throws Exception {
        Pipe connection = server.accept().join();
        CompletableFuture<Message> waiting = connection.recv(BOUND);
        out.write("one\ntwo\n".getBytes(UTF_8));
        assertThat(waiting.join().text()).isEqualTo("one");
        settle(connection);
        return connection;
    }

    @Test
    void aLinkUndoneBeforeItsDrainRanKeepsTheQueuedMessages() throws Exception {
        TcpOptions lines = TcpOptions.builder().framing(Framing.lines()).build();
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).tcp(lines).open().join();
             Socket peer = new Socket(LOOPBACK.getAddress(), server.localAddress().getPort());
             Pipe sink = Pipes.udp().bind(LOOPBACK).open().join();
             Pipe target = Pipes.udp().dest(sink.localAddress()).open().join()) {
            Pipe connection = holdingTwo(server, peer.getOutputStream());
            // The loop is held while the link is made and undone off it, so its drain task runs after the unlink.
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            connection.loop.execute(() -> {
                held.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
            connection.link(target);
            connection.unlink(target);
            release.countDown();
            settle(connection);

            assertThat(connection.recv(BOUND).join().text()).isEqualTo("two");
            assertThat(connection.stats().dropped()).isZero();
        }
    }

    @Test
    void aQueuedMessageTheLinkCannotCarryIsCountedAsDropped() throws Exception {
        PipeConf large = PipeConf.builder().readerLimit(100_000).build();
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).conf(large).tcp(TcpOptions.framed(Framing.lines())).open().join();
             Socket peer = new Socket(LOOPBACK.getAddress(), server.localAddress().getPort());
             Pipe sink = Pipes.udp().bind(LOOPBACK).open().join();
             Pipe target = Pipes.udp().dest(sink.localAddress()).open().join()) {
            Pipe connection = server.accept().join();
            // The catch-all queue takes both lines; "end", queued for recv as well, says both are in.
            Sub end = Sub.matching("^end");
            connection.subscribe(end);
            CompletableFuture<Message> ended = connection.recv(end, BOUND);
            // Too large for a datagram: the UDP link refuses it.
            peer.getOutputStream().write(("x".repeat(70_000) + "\nend\n").getBytes(UTF_8));
            assertThat(ended.join().text()).isEqualTo("end");
            connection.link(target);
            settle(connection);

            assertThat(connection.stats().dropped()).isEqualTo(1);
            assertThat(connection.links()).containsExactly(target);
        }
    }

    @Test
    void aFailureAfterACleanEndDoesNotBecomeItsCause() throws Exception {
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).open().join()) {
            Pipe client = Pipes.tcp().dest(server.localAddress()).open().join();
            client.close();
            client.fail(new java.io.IOException("late"));

            assertThat(client.closeCause()).isEmpty();
            assertThatThrownBy(() -> client.send(new byte[1]).join()).cause()
                    .isInstanceOf(PipeClosedException.class).hasMessageNotContaining("by error");
        }
    }

    @Test
    void aNameWithBothFamiliesIsDialledInTheFamilyOfTheBind() throws Exception {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        InetAddress v6 = InetAddress.getByName("::1");
        // Whichever family the resolver puts first, one of the two binds needs the name's second answer.
        try (LocalDns dns = LocalDns.withAll(Map.of("both.test", List.of(v6, v4)))) {
            PipeConf conf = PipeConf.builder().resolver(Resolver.using(List.of(dns.address()))).build();
            for (InetAddress family : List.of(v4, v6)) {
                try (Pipe server = Pipes.tcp().bind(new InetSocketAddress(family, 0)).open().join();
                     Pipe client = Pipes.tcp().bind(new InetSocketAddress(family, 0)).conf(conf)
                             .dest(new HostPort("both.test", server.localAddress().getPort())).open().join()) {
                    assertThat(client.remoteAddress().orElseThrow().getAddress()).isEqualTo(family);
                }
            }
        }
    }

    @Test
    void resetsAndBrokenPipesAreSocketExceptionsInOurWords() {
        InetSocketAddress peer = new InetSocketAddress("127.0.0.1", 4242);
        for (int errno : new int[] {104, 32, 110}) {
            var nettys = new io.netty.channel.unix.Errors.NativeIoException("recvAddress(..)", -errno);
            Throwable mapped = Errors.read(nettys, peer);

            assertThat(mapped).isExactlyInstanceOf(java.net.SocketException.class).hasCause(nettys)
                    .hasMessageContaining("127.0.0.1:4242").hasMessageNotContaining("recvAddress");
        }
        assertThat(Errors.read(new java.net.SocketException("Connection reset"), peer))
                .isExactlyInstanceOf(java.net.SocketException.class).hasMessageNotContaining("Connection reset");
        FrameTooLongException ours = new FrameTooLongException("too long");
        assertThat(Errors.read(ours, peer)).isSameAs(ours);
    }

    @Test
    void aTlsPeerThatDoesNotSpeakTlsIsToldInOurWords() {
        byte[] http = "HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(UTF_8);
        try (Pipe plain = Pipes.tcp().bind(LOOPBACK).upHandler(p -> p.send(http)).open().join()) {
            TcpOptions tls = TcpOptions.builder().tls(Tls.insecure()).build();

            assertThatThrownBy(() -> Pipes.tcp().dest(plain.localAddress()).tcp(tls).open().join())
                    .cause().isExactlyInstanceOf(javax.net.ssl.SSLHandshakeException.class)
                    .hasMessageContaining("does not speak TLS").hasMessageNotContaining("SSL/TLS record")
                    .hasCauseInstanceOf(io.netty.handler.ssl.NotSslRecordException.class);
        }
    }

    @Test
    void aResetByThePeerEndsThePipeWithOurWords() throws Exception {
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).open().join()) {
            Socket peer = new Socket(LOOPBACK.getAddress(), server.localAddress().getPort());
            Pipe connection = server.accept().join();
            InetSocketAddress from = (InetSocketAddress) peer.getLocalSocketAddress();
            peer.setSoLinger(true, 0);
            peer.close(); // an RST, not a FIN

            connection.closeFuture().get(10, TimeUnit.SECONDS);
            assertThat(connection.closeCause()).get().isInstanceOf(java.net.SocketException.class);
            Throwable cause = connection.closeCause().orElseThrow();
            assertThat(cause.getMessage()).contains(io.p2pd.net.HostPort.of(from).toString())
                    .doesNotContain("Connection reset by peer").doesNotContain("recvAddress");
            assertThatThrownBy(() -> connection.recv(BOUND).join()).cause()
                    .isInstanceOf(PipeClosedException.class).hasMessageNotContaining("Connection reset by peer")
                    .hasMessageNotContaining("NativeIoException");
        }
    }

    @Test
    void aHandlerAddedToTheServerWhileAConnectionIsAdoptedReplacesItsCatchAllQueue() throws Exception {
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).open().join();
             Socket peer = new Socket()) {
            CompletableFuture<String> handled = new CompletableFuture<>();
            // The handler comes after adopt() decided on the catch-all queue, before the connection is live.
            ((TcpServerPipe) server).beforeLive = () -> {
                ((TcpServerPipe) server).beforeLive = () -> { };
                server.addMsgHandler((m, p) -> {
                    handled.complete(m.text());
                    return null;
                });
            };
            peer.connect(server.localAddress());
            Pipe connection = server.accept().join();
            peer.getOutputStream().write("hello".getBytes(UTF_8));

            assertThat(handled.get(10, TimeUnit.SECONDS)).isEqualTo("hello");
            assertThatThrownBy(() -> connection.recv(BOUND)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void onlyRunningOutOfDescriptorsPausesAccepting() throws Exception {
        try (Pipe opened = Pipes.tcp().bind(LOOPBACK).open().join()) {
            TcpServerPipe server = (TcpServerPipe) opened;
            var listener = server.listenerPipeline();
            // A client that reset before it was accepted: that connection's trouble, not the listener's.
            listener.fireExceptionCaught(new io.netty.channel.unix.Errors.NativeIoException("accept(..)", -103));
            settle(server);
            assertThat(server.acceptErrorCount()).isEqualTo(1);
            assertThat(listener.channel().config().isAutoRead()).isTrue();

            listener.fireExceptionCaught(new io.netty.channel.unix.Errors.NativeIoException("accept(..)", -24));
            settle(server);
            assertThat(listener.channel().config().isAutoRead()).isFalse();
            assertThat(server.acceptPauseCount()).isEqualTo(1);

            // Accepting resumes by itself after the pause.
            try (Socket client = new Socket(LOOPBACK.getAddress(), server.localAddress().getPort())) {
                assertThat(server.accept()).succeedsWithin(BOUND);
                assertThat(client.isConnected()).isTrue();
            }
        }
    }
}
