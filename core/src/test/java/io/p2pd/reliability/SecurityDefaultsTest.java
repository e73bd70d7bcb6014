package io.p2pd.reliability;

import static io.p2pd.reliability.BadInputTest.LOOPBACK;
import static io.p2pd.reliability.BadInputTest.failure;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.net.HostPort;
import io.p2pd.pipe.Framing;
import io.p2pd.pipe.Message;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.PipeConf;
import io.p2pd.pipe.TcpOptions;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import io.p2pd.pipe.Tls;
import io.p2pd.testing.Certificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secure by default: TLS verifies, queues are bounded, and message contents stay out of logs. (The flood bounds,
 * which need to look at a queue, are in io.p2pd.pipe.FloodBoundsTest.)
 */
class SecurityDefaultsTest {

    private static final String SECRET = "hunter2-SECRET-7f3a9c";

    @Test
    void aClientWithDefaultOptionsRefusesASelfSignedServer(@TempDir Path dir) throws Exception {
        Certificates cert = Certificates.selfSigned(dir, "localhost", "DNS:localhost,IP:127.0.0.1");
        AtomicInteger messages = new AtomicInteger();
        try (Pipe server = Pipes.tcp().bind(LOOPBACK)
                .tcp(TcpOptions.builder().tls(Tls.server(cert.certificate(), cert.key())).build())
                .msgHandler(MsgHandler.plain((m, p) -> messages.incrementAndGet())).open().join()) {
            int port = server.localAddress().getPort();
            assertThat(TcpOptions.defaults().tls()).as("TLS is off unless asked for").isEmpty();

            // The original's use_ssl alone: the default trust (the system store), which does not know this certificate.
            TcpOptions tlsOn = TcpOptions.builder().tls(Tls.verifying()).build();
            for (HostPort dest : new HostPort[] {new HostPort("localhost", port), new HostPort("127.0.0.1", port)}) {
                Throwable e = failure(Pipes.tcp().dest(dest).tcp(tlsOn).open());
                assertThat(e).as("refused %s", dest).isInstanceOf(SSLException.class);
            }
            // The same server is fine once its certificate is trusted explicitly: the refusal was the verification.
            try (Pipe ok = Pipes.tcp().dest(new HostPort("localhost", port))
                    .tcp(TcpOptions.builder().tls(Tls.trusting(cert.x509())).build()).open().join()) {
                ok.send("hi".getBytes(UTF_8)).join();
            }
            assertThat(server.isOpen()).isTrue();
        }
    }

    @Test
    void queuesAreBoundedByDefault() {
        assertThat(PipeConf.defaults().maxQsize()).isEqualTo(PipeConf.DEFAULT_MAX_QSIZE).isEqualTo(1024);
        assertThat(PipeConf.defaults().readerLimit()).isEqualTo(64 * 1024);
    }

    @Test
    void noLogLinePrintsMessageContents() throws Exception {
        PrintStream realErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        CountDownLatch failures = new CountDownLatch(3);
        MsgHandler throwing = MsgHandler.plain((m, p) -> {
            failures.countDown();
            throw new IllegalStateException("handler refuses " + m); // Message.toString: size and sender only
        });
        PipeConf small = PipeConf.builder().readerLimit(64).build();
        TcpOptions lines = TcpOptions.framed(Framing.lines());
        System.setErr(new PrintStream(captured, true, UTF_8));
        try (Pipe udp = Pipes.udp().bind(LOOPBACK).msgHandler(throwing).open().join();
             Pipe tcp = Pipes.tcp().bind(LOOPBACK).conf(small).tcp(lines).msgHandler(throwing).open().join()) {
            try (Pipe u = Pipes.open(Proto.UDP, udp.localAddress()).join();
                 Pipe t = Pipes.tcp().dest(tcp.localAddress()).conf(small).tcp(lines).open().join()) {
                u.send(("udp " + SECRET).getBytes(UTF_8)).join();
                t.send(("tcp " + SECRET).getBytes(UTF_8)).join();
                t.send(("again " + SECRET).getBytes(UTF_8)).join();
                assertThat(failures.await(10, TimeUnit.SECONDS)).isTrue();
                // A frame over the limit that carries the secret: the connection closes, the secret is not shown.
                t.send((SECRET + "x".repeat(80)).getBytes(UTF_8)).join();
                t.closeFuture().get(10, TimeUnit.SECONDS);
                // A message on a closed pipe, and a message's own text form.
                failure(t.send(SECRET.getBytes(UTF_8)));
                assertThat(new Message(SECRET.getBytes(UTF_8), new InetSocketAddress("127.0.0.1", 1)).toString())
                        .doesNotContain(SECRET);
            }
            assertThat(udp.stats().handlerErrors()).isEqualTo(1);
        } finally {
            System.setErr(realErr);
        }
        String log = captured.toString(UTF_8);
        realErr.print(log);
        assertThat(log).as("the handler failures were logged (the capture works)").contains("message handler");
        assertThat(log).doesNotContain(SECRET).doesNotContain("hunter2");
    }
}
