package io.p2pd.reliability;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.net.HostPort;
import io.p2pd.pipe.FrameTooLongException;
import io.p2pd.pipe.Framing;
import io.p2pd.pipe.Message;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.PipeClosedException;
import io.p2pd.pipe.PipeConf;
import io.p2pd.pipe.TcpOptions;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import io.p2pd.pipe.Sub;
import io.p2pd.pipe.Tls;
import io.p2pd.stun.StunClientConfig;
import io.p2pd.stun.StunMessage;
import io.p2pd.stun.StunResult;
import io.p2pd.stun.StunSession;
import io.p2pd.testing.Certificates;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input on live pipes over loopback: what a hostile or broken peer can send, and what the pipe must do with it.
 * Each test also checks that the pipe (or server) still works for well-behaved peers afterwards.
 */
class BadInputTest {

    static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    /** The cause of a failed future's join. */
    static Throwable failure(CompletableFuture<?> f) {
        try {
            f.join();
        } catch (CompletionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected " + f + " to fail");
    }

    /** A TCP server pipe on loopback that puts each accepted connection in {@code accepted}. */
    static Pipe server(PipeConf conf, TcpOptions tcp, LinkedBlockingQueue<Pipe> accepted, MsgHandler handler) {
        Pipes.TcpOpener o = Pipes.tcp().bind(LOOPBACK).conf(conf).tcp(tcp).upHandler(accepted::add);
        if (handler != null) {
            o.msgHandler(handler);
        }
        return o.open().join();
    }

    static Pipe take(LinkedBlockingQueue<Pipe> q) throws InterruptedException {
        Pipe p = q.poll(10, TimeUnit.SECONDS);
        assertThat(p).as("an accepted connection within 10 s").isNotNull();
        return p;
    }

    @Test
    void oversizedDatagramsAreDroppedAndCountedAndTheRestDelivered() throws Exception {
        PipeConf conf = PipeConf.builder().readerLimit(1024).build();
        try (Pipe server = Pipes.udp().bind(LOOPBACK).conf(conf).open().join();
             DatagramSocket peer = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            server.subscribe(Sub.ALL);
            InetSocketAddress to = server.localAddress();
            byte[][] sends = {new byte[2000], "small".getBytes(UTF_8), new byte[1025], new byte[65_000],
                    new byte[1024]};
            for (byte[] s : sends) {
                peer.send(new DatagramPacket(s, s.length, to));
            }

            assertThat(server.recv(Duration.ofSeconds(5)).join().text()).isEqualTo("small");
            assertThat(server.recv(Duration.ofSeconds(5)).join().data()).hasSize(1024);
            assertThat(server.stats().oversized()).isEqualTo(3);
            assertThat(server.stats().received()).isEqualTo(2);
            // Still serving.
            peer.send(new DatagramPacket("after".getBytes(UTF_8), 5, to));
            assertThat(server.recv(Duration.ofSeconds(5)).join().text()).isEqualTo("after");
        }
    }

    @Test
    void aFrameOverReaderLimitClosesThatConnectionWithFrameTooLongAndTheServerStaysUp() throws Exception {
        PipeConf conf = PipeConf.builder().readerLimit(64).build();
        TcpOptions lines = TcpOptions.framed(Framing.lines());
        LinkedBlockingQueue<Pipe> accepted = new LinkedBlockingQueue<>();
        try (Pipe server = server(conf, lines, accepted, MsgHandler.plain((m, p) -> p.send(m.data())))) {
            InetSocketAddress at = server.localAddress();
            try (Pipe bad = Pipes.tcp().dest(at).conf(conf).tcp(lines).open().join()) {
                Pipe conn = take(accepted);
                bad.send("ok".getBytes(UTF_8)).join();
                assertThat(bad.recv().join().text()).isEqualTo("ok");
                bad.send("x".repeat(100).getBytes(UTF_8)).join();

                conn.closeFuture().get(10, TimeUnit.SECONDS);
                assertThat(conn.closeCause()).get().isInstanceOf(FrameTooLongException.class);
                bad.closeFuture().get(10, TimeUnit.SECONDS);
                assertThat(bad.isOpen()).isFalse();
            }
            assertThat(server.isOpen()).isTrue();
            try (Pipe good = Pipes.tcp().dest(at).conf(conf).tcp(lines).open().join()) {
                good.send("x".repeat(64).getBytes(UTF_8)).join();
                assertThat(good.recv().join().text()).isEqualTo("x".repeat(64));
            }
        }
    }

    @Test
    void garbageBeforeATlsHandshakeDropsThatConnectionAndTheServerStaysUp(@TempDir Path dir) throws Exception {
        Certificates cert = Certificates.selfSigned(dir, "localhost", "DNS:localhost,IP:127.0.0.1");
        TcpOptions serverConf = TcpOptions.builder().tls(Tls.server(cert.certificate(), cert.key())).build();
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).tcp(serverConf)
                .msgHandler(MsgHandler.plain((m, p) -> p.send(m.data()))).open().join()) {
            int port = server.localAddress().getPort();
            byte[] garbage = new byte[4096];
            new Random(7).nextBytes(garbage);
            List<byte[]> attacks = List.of("GET / HTTP/1.0\r\n\r\n".getBytes(UTF_8), garbage,
                    // A TLS record header announcing a huge handshake record, then nothing sensible.
                    new byte[] {0x16, 0x03, 0x01, 0x7f, (byte) 0xff, 0x01, 0, 0, 0});
            for (byte[] attack : attacks) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setSoTimeout(10_000);
                    InputStream in = s.getInputStream();
                    int read;
                    try {
                        s.getOutputStream().write(attack);
                        s.getOutputStream().flush();
                        do {
                            read = in.read(new byte[512]); // maybe a TLS alert, then the end
                        } while (read > 0);
                    } catch (java.net.SocketException e) {
                        // Closed with our garbage unread: the kernel resets instead of ending in order.
                        assertThat(e.getMessage()).contains("reset");
                        read = -1;
                    }
                    assertThat(read).as("server closed the connection").isEqualTo(-1);
                }
            }
            assertThat(server.isOpen()).isTrue();
            TcpOptions clientConf = TcpOptions.builder().tls(Tls.trusting(cert.x509())).build();
            try (Pipe client = Pipes.tcp().dest(new HostPort("localhost", port)).tcp(clientConf)
                    .open().join()) {
                client.send("still up".getBytes(UTF_8)).join();
                assertThat(client.recv().join().text()).isEqualTo("still up");
            }
        }
    }

    @Test
    void stunRepliesWithAWrongTransactionIdOrCookieAreIgnoredAndCountedAndTheRightOneAccepted() throws Exception {
        // A fake server answers each request three times: wrong transaction id, wrong cookie, then correctly.
        MsgHandler fake = (m, p) -> {
            StunMessage req = StunMessage.decode(m.data());
            byte[] right = StunMessage.responseTo(req, StunMessage.MessageClass.SUCCESS_RESPONSE)
                    .xorMappedAddress(m.sender()).build().encode();
            byte[] wrongId = right.clone();
            wrongId[19] ^= 0x5a;
            byte[] wrongCookie = right.clone();
            wrongCookie[4] ^= 0x01;
            p.send(wrongId, m.sender());
            p.send(wrongCookie, m.sender());
            return p.send(right, m.sender());
        };
        // One transmission and a long RTO: no retransmission can add replies, so the counts are exact.
        StunClientConfig cfg = StunClientConfig.builder().initialRto(Duration.ofSeconds(10)).maxTransmissions(1)
                .timeLimit(Duration.ofSeconds(10)).build();
        try (Pipe server = Pipes.udp().bind(LOOPBACK).msgHandler(fake).open().join();
             StunSession session = StunSession.open(new InetSocketAddress("127.0.0.1", 0), cfg).join()) {
            StunResult r = session.binding(server.localAddress()).get(15, TimeUnit.SECONDS);

            assertThat(r.mappedAddress()).isEqualTo(session.localAddress());
            assertThat(session.ignoredResponses()).isEqualTo(2);
            assertThat(session.malformedResponses()).isZero();
            assertThat(server.stats().handlerErrors()).isZero();
        }
    }

    @Test
    @SuppressWarnings("try") // the test closes a resource early on purpose
    void aPeerResetMidStreamEndsThePipeOnceFailsPendingRecvAndSetsCloseCause() throws Exception {
        LinkedBlockingQueue<Pipe> accepted = new LinkedBlockingQueue<>();
        AtomicInteger ends = new AtomicInteger();
        try (Pipe server = server(PipeConf.defaults(), TcpOptions.defaults(), accepted, null)) {
            server.addUpHandler(p -> {
                p.subscribe(Sub.ALL);
                p.addEndHandler(x -> ends.incrementAndGet());
            });
            try (Socket peer = new Socket("127.0.0.1", server.localAddress().getPort())) {
                Pipe conn = take(accepted);
                peer.getOutputStream().write("first".getBytes(UTF_8));
                assertThat(conn.recv(Duration.ofSeconds(10)).join().text()).isEqualTo("first");
                CompletableFuture<Message> pending = conn.recv(Duration.ofSeconds(30));

                peer.setSoLinger(true, 0);
                peer.close(); // RST

                assertThat(failure(pending)).isInstanceOf(PipeClosedException.class);
                conn.closeFuture().get(10, TimeUnit.SECONDS);
                assertThat(conn.closeCause()).as("reset is an error").isPresent();
                assertThat(conn.closeCause().get()).isInstanceOf(java.io.IOException.class);
                conn.close();
                conn.close();
                assertThat(ends.get()).as("end handlers run once").isEqualTo(1);
                assertThat(failure(conn.send("late".getBytes(UTF_8)))).isInstanceOf(PipeClosedException.class);
            }
            assertThat(server.isOpen()).isTrue();
        }
    }

    @Test
    @SuppressWarnings("try") // the test closes a resource early on purpose
    void messagesQueuedBeforeAResetCanStillBeReceived() throws Exception {
        TcpOptions lines = TcpOptions.builder().framing(Framing.lines()).build();
        LinkedBlockingQueue<Pipe> accepted = new LinkedBlockingQueue<>();
        CountDownLatch arrived = new CountDownLatch(2);
        try (Pipe server = server(PipeConf.defaults(), lines, accepted,
                MsgHandler.plain((m, p) -> arrived.countDown()))) {
            server.addUpHandler(p -> p.subscribe(Sub.ALL));
            try (Socket peer = new Socket("127.0.0.1", server.localAddress().getPort())) {
                Pipe conn = take(accepted);
                peer.getOutputStream().write("one\ntwo\n".getBytes(UTF_8));
                assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
                peer.setSoLinger(true, 0);
                peer.close();
                conn.closeFuture().get(10, TimeUnit.SECONDS);

                assertThat(conn.closeCause()).isPresent();
                assertThat(conn.recv().join().text()).isEqualTo("one");
                assertThat(conn.recv().join().text()).isEqualTo("two");
                assertThat(failure(conn.recv())).isInstanceOf(PipeClosedException.class);
            }
        }
    }

    @Test
    void aHalfClosedPeerHasAllItsDataReceivedThenThePipeEnds() throws Exception {
        // A small queue so the pipe stops reading (back-pressure) while the FIN is already on its way.
        PipeConf conf = PipeConf.builder().maxQsize(4).build();
        LinkedBlockingQueue<Pipe> accepted = new LinkedBlockingQueue<>();
        byte[] sent = new byte[1 << 20];
        new Random(11).nextBytes(sent);
        try (Pipe server = server(conf, TcpOptions.defaults(), accepted, null)) {
            server.addUpHandler(p -> p.subscribe(Sub.ALL));
            try (Socket peer = new Socket("127.0.0.1", server.localAddress().getPort())) {
                Pipe conn = take(accepted);
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    try {
                        OutputStream out = peer.getOutputStream();
                        for (int at = 0; at < sent.length; at += 10_000) {
                            out.write(sent, at, Math.min(10_000, sent.length - at));
                        }
                        peer.shutdownOutput();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                Throwable end = null;
                for (int i = 0; i < 100_000 && end == null; i++) {
                    try {
                        got.writeBytes(conn.recv(Duration.ofSeconds(10)).join().data());
                    } catch (CompletionException e) {
                        end = e.getCause();
                    }
                }
                writer.get(10, TimeUnit.SECONDS);
                assertThat(end).isInstanceOf(PipeClosedException.class);
                assertThat(got.toByteArray()).as("every byte before the FIN, in order").isEqualTo(sent);
                conn.closeFuture().get(10, TimeUnit.SECONDS);
                assertThat(conn.isOpen()).isFalse();
                assertThat(conn.closeCause()).as("a FIN is an orderly end").isEmpty();
            }
        }
    }

    @Test
    void aClientThatConnectsAndNeverSendsDoesNotHoldUpOthers() throws Exception {
        LinkedBlockingQueue<Pipe> accepted = new LinkedBlockingQueue<>();
        try (Pipe server = server(PipeConf.defaults(), TcpOptions.defaults(), accepted,
                MsgHandler.plain((m, p) -> p.send(m.data())))) {
            InetSocketAddress at = server.localAddress();
            List<Socket> silent = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    silent.add(new Socket("127.0.0.1", at.getPort()));
                }
                for (int i = 0; i < 20; i++) {
                    try (Pipe c = Pipes.open(Proto.TCP, at).join()) {
                        c.send(("hello " + i).getBytes(UTF_8)).join();
                        assertThat(c.recv().join().text()).isEqualTo("hello " + i);
                    }
                }
                // The silent ones were kept all along: each still gets its echo when it finally speaks.
                for (Socket s : silent) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write('z');
                    assertThat(s.getInputStream().read()).isEqualTo('z');
                }
            } finally {
                for (Socket s : silent) {
                    s.close();
                }
            }
        }
    }
}
