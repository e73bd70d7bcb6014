package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.testing.Certificates;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS pipes: verification on by default, explicit trust, time limits, and openssl as the peer. */
class TlsTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @TempDir
    static Path dir;
    static Certificates localhost;
    static Certificates stranger;

    @BeforeAll
    static void makeCertificates() throws Exception {
        localhost = Certificates.selfSigned(dir, "localhost", "DNS:localhost,IP:127.0.0.1");
        stranger = Certificates.selfSigned(dir, "stranger.test", "DNS:stranger.test");
    }

    private static Pipe echoServer(Certificates identity) {
        return Pipes.tcp().bind(LOOPBACK)
                .tcp(TcpOptions.builder().tls(Tls.server(identity.certificate(), identity.key())).build())
                .msgHandler((m, p) -> p.send(m.data())).open().join();
    }

    private static TcpOptions trusting(Certificates cert) throws Exception {
        return TcpOptions.builder().tls(Tls.trusting(cert.x509())).build();
    }

    @Test
    void aClientTrustingTheCertificateTalksToTheServerByName() throws Exception {
        try (Pipe server = echoServer(localhost);
             Pipe client = Pipes.tcp().dest(new io.p2pd.net.HostPort("localhost",
                     server.localAddress().getPort())).tcp(trusting(localhost)).open().join()) {
            client.send("secret".getBytes(UTF_8)).join();

            assertThat(client.recv().join().text()).isEqualTo("secret");
        }
    }

    @Test
    void inPlaceHandlersEchoOverTlsEveryByteOfAMegabyte() throws Exception {
        byte[] sent = new byte[1 << 20];
        new Random(3).nextBytes(sent);
        try (Pipe server = Pipes.tcp().bind(LOOPBACK)
                .tcp(TcpOptions.builder().tls(Tls.server(localhost.certificate(), localhost.key())).build())
                .msgHandler(MsgHandler.inPlace((data, sender, pipe) -> pipe.send(data))).open().join();
             Pipe client = Pipes.tcp().dest(server.localAddress()).tcp(trusting(localhost))
                     .open().join()) {
            client.send(sent);
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            while (back.size() < sent.length) {
                back.write(client.recv().join().data());
            }

            assertThat(back.toByteArray()).isEqualTo(sent);
        }
    }

    @Test
    void chunksAfterTlsNeverExceedReaderLimit() throws Exception {
        int limit = 1000;
        byte[] big = new byte[50_000];
        new Random(5).nextBytes(big);
        ChunkCollector chunks = new ChunkCollector(big.length);
        try (Pipe server = Pipes.tcp().bind(LOOPBACK)
                .conf(PipeConf.builder().readerLimit(limit).build())
                .tcp(TcpOptions.builder().tls(Tls.server(localhost.certificate(), localhost.key())).build())
                .msgHandler(chunks.handler()).open().join();
             Pipe client = Pipes.tcp().dest(server.localAddress()).tcp(trusting(localhost))
                     .open().join()) {
            client.send(big).join();

            assertThat(chunks.whole.get(30, TimeUnit.SECONDS)).isEqualTo(big);
            assertThat(chunks.sizes).allMatch(size -> size <= limit);
        }
    }

    @Test
    void verificationIsOnByDefault() {
        try (Pipe server = echoServer(localhost)) {
            TcpOptions defaults = TcpOptions.builder().tls(Tls.verifying()).build();

            assertThatThrownBy(() -> Pipes.tcp().dest(server.localAddress()).tcp(defaults)
                    .open().join())
                    .cause().isInstanceOf(SSLHandshakeException.class)
                    .hasMessageContaining("TLS handshake with 127.0.0.1:" + server.localAddress().getPort());
        }
    }

    @Test
    void aTrustedCertificateForAnotherNameIsRefused() throws Exception {
        try (Pipe server = echoServer(stranger)) {
            assertThatThrownBy(() -> Pipes.tcp().dest(new io.p2pd.net.HostPort("localhost",
                    server.localAddress().getPort())).tcp(trusting(stranger)).open().join())
                    .cause().isInstanceOf(SSLHandshakeException.class);
        }
    }

    @Test
    void insecureIsAnExplicitChoice() {
        try (Pipe server = echoServer(stranger);
             Pipe client = Pipes.tcp().dest(server.localAddress())
                     .tcp(TcpOptions.builder().tls(Tls.insecure()).build()).open().join()) {
            client.send("anyway".getBytes(UTF_8)).join();

            assertThat(client.recv().join().text()).isEqualTo("anyway");
            // No half-close over TLS here: a misuse, as accept() on a client.
            assertThatThrownBy(client::shutdownOutput).isExactlyInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aServerThatNeverSpeaksTlsHitsTheHandshakeLimit() throws Exception {
        try (ServerSocket mute = new ServerSocket(0, 10, LOOPBACK.getAddress())) {
            TcpOptions conf = TcpOptions.builder().tls(Tls.insecure()).sslHandshake(Duration.ofMillis(300)).build();

            assertThatThrownBy(() -> Pipes.tcp().dest((InetSocketAddress) mute.getLocalSocketAddress())
                    .tcp(conf).open().join())
                    .cause().isInstanceOf(SSLHandshakeException.class).hasMessageContaining("timed out");
        }
    }

    @Test
    void garbageBeforeTheHandshakeClosesThatConnectionOnly() throws Exception {
        try (Pipe server = echoServer(localhost)) {
            try (Socket garbage = new Socket(LOOPBACK.getAddress(), server.localAddress().getPort())) {
                garbage.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(UTF_8));
                // The server drops the connection: the peer sees end of stream (or a reset).
                int read;
                try {
                    read = garbage.getInputStream().read();
                } catch (IOException reset) {
                    read = -1;
                }
                assertThat(read).isEqualTo(-1);
            }
            try (Pipe client = Pipes.tcp().dest(server.localAddress())
                    .tcp(trusting(localhost)).open().join()) {
                client.send("still serving".getBytes(UTF_8)).join();
                assertThat(client.recv().join().text()).isEqualTo("still serving");
            }
            assertThat(((TcpServerPipe) server).tlsFailures()).isEqualTo(1);
        }
    }

    @Test
    void aTlsServerNeedsAnIdentity() {
        assertThatThrownBy(() -> Pipes.tcp().bind(LOOPBACK)
                .tcp(TcpOptions.builder().tls(Tls.verifying()).build()).open())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Tls.server");
        // TLS on UDP does not compile: only Pipes.tcp() takes TcpOptions.
    }

    @Test
    void ourClientAgainstOpensslServer() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, LOOPBACK.getAddress())) {
            port = probe.getLocalPort();
        }
        Process server = new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:" + port,
                "-cert", localhost.certificate().toString(), "-key", localhost.key().toString(),
                "-rev", "-quiet").redirectErrorStream(true).start();
        try {
            Pipe client = null;
            // s_server starts in its own time: retry the connect until it listens (bounded).
            for (int attempt = 0; attempt < 100 && client == null; attempt++) {
                try {
                    client = Pipes.tcp().dest(new io.p2pd.net.HostPort("localhost", port))
                            .tcp(trusting(localhost)).open().get(5, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException refused) {
                    assertThat(server.isAlive()).isTrue();
                    server.waitFor(50, TimeUnit.MILLISECONDS);
                }
            }
            assertThat(client).isNotNull();
            try (Pipe tls = client) {
                // -rev makes s_server answer each line reversed.
                tls.send("hello openssl\n".getBytes(UTF_8)).join();
                StringBuilder got = new StringBuilder();
                while (!got.toString().contains("lssnepo olleh")) {
                    got.append(tls.recv(Duration.ofSeconds(10)).join().text());
                }
                assertThat(got.toString()).contains("lssnepo olleh");
            }
        } finally {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void opensslClientAgainstOurServer() throws Exception {
        try (Pipe server = echoServer(localhost)) {
            Process client = new ProcessBuilder("openssl", "s_client", "-connect",
                    "127.0.0.1:" + server.localAddress().getPort(), "-servername", "localhost",
                    "-CAfile", localhost.certificate().toString(), "-verify_return_error", "-quiet")
                    .redirectErrorStream(true).start();
            try {
                OutputStream in = client.getOutputStream();
                in.write("echo me\n".getBytes(UTF_8));
                in.flush();
                BufferedReader out = new BufferedReader(new InputStreamReader(client.getInputStream(), UTF_8));
                String line;
                do {
                    line = out.readLine();
                } while (line != null && !line.equals("echo me"));
                assertThat(line).isEqualTo("echo me");
            } finally {
                client.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
