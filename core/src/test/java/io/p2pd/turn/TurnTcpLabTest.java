package io.p2pd.turn;

import static io.p2pd.turn.Coturn.LO;
import static io.p2pd.turn.TurnCoturnLabTest.WAIT;
import static io.p2pd.turn.TurnCoturnLabTest.await;
import static io.p2pd.turn.TurnStreamLabTest.failure;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.pipe.Framing;
import io.p2pd.pipe.Message;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.PipeClosedException;
import io.p2pd.pipe.Tls;
import io.p2pd.testing.Certificates;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TCP relays (RFC 6062) through coturn on loopback, with plain java.net TCP peers: Connect and ConnectionBind, incoming
 * ConnectionAttempts, the typed errors, and closing.
 */
@Tag("lab")
class TurnTcpLabTest {
    @TempDir
    static Path dir;
    static Coturn coturn;
    static Certificates certificate;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Coturn.installed(), "coturn is not installed (apt-get install coturn)");
        certificate = Certificates.selfSigned(dir, "localhost", "DNS:localhost,IP:127.0.0.1");
        coturn = Coturn.startTls(dir, certificate);
    }

    @AfterAll
    static void stop() {
        if (coturn != null) {
            coturn.close();
        }
    }

    static TurnConfig tcp() {
        return TurnCoturnLabTest.config().transport(TurnTransport.TCP).build();
    }

    static ServerSocket listener() throws Exception {
        ServerSocket s = new ServerSocket(0, 8, LO);
        s.setSoTimeout((int) WAIT.toMillis());
        return s;
    }

    static Socket accepted(ServerSocket s) throws Exception {
        Socket c = s.accept();
        c.setSoTimeout((int) WAIT.toMillis());
        return c;
    }

    static byte[] readExactly(InputStream in, int n) throws Exception {
        return in.readNBytes(n);
    }

    @Test
    void connectGivesAPipeToThePeerBothWaysAndHalfCloses() throws Exception {
        try (TurnTcpAllocation relay = await(TurnClient.allocateTcp(coturn.address(), tcp()));
             ServerSocket peerListener = listener()) {
            assertThat(relay.relayedAddress().getAddress()).isEqualTo(LO);
            InetSocketAddress peer = (InetSocketAddress) peerListener.getLocalSocketAddress();
            Pipe pipe = await(relay.connect(peer));
            try (Socket peerSide = accepted(peerListener)) {
                // The server dialled the peer from the relayed address.
                assertThat(peerSide.getRemoteSocketAddress()).isEqualTo(relay.relayedAddress());
                assertThat(relay.peerOf(pipe)).contains(peer);
                assertThat(relay.connections()).containsExactly(pipe);
                assertThat(pipe.remoteAddress()).contains(coturn.address());
                await(pipe.send("hello peer".getBytes(UTF_8)));
                assertThat(readExactly(peerSide.getInputStream(), 10)).asString(UTF_8).isEqualTo("hello peer");
                peerSide.getOutputStream().write("hello client".getBytes(UTF_8));
                assertThat(receive(pipe, 12)).asString(UTF_8).isEqualTo("hello client");
                // Our half-close reaches the server, which (coturn) ends the peer's connection: it relays no
                // half-close. Then it ends the data connection, and the pipe.
                await(pipe.shutdownOutput());
                assertThat(ended(peerSide)).isTrue();
                await(pipe.closeFuture());
                assertThat(relay.connections()).isEmpty();
                assertThat(relay.isOpen()).isTrue();
            }
        }
    }

    static final int HUNDRED_MB = 100 << 20;
    static final int CHUNK = 64 << 10;

    /**
     * 100 MB each way, one way after the other: coturn 4.6.1 can stop relaying one direction for good when both are
     * saturated at once (its socket on that direction's source leg keeps unread bytes while its other leg has nothing
     * to send and the far end reads), with a Python client and peer as with ours, so the directions take turns here.
     * scripts/coturn-tcp-stall.py shows it; RELIABILITY.md (TURN) has the evidence.
     */
    @Test
    void hundredMegabytesGoEachWayWithEqualSha256() throws Exception {
        var executor = java.util.concurrent.Executors.newFixedThreadPool(2);
        try (TurnTcpAllocation relay = await(TurnClient.allocateTcp(coturn.address(), tcp()));
             ServerSocket peerListener = listener()) {
            Pipe pipe = await(relay.connect((InetSocketAddress) peerListener.getLocalSocketAddress()));
            try (Socket peer = accepted(peerListener)) {
                var peerGot = executor.submit(() -> {
                    MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    byte[] buffer = new byte[CHUNK];
                    long total = 0;
                    for (int n; total < HUNDRED_MB && (n = peer.getInputStream().read(buffer)) > 0; total += n) {
                        sha.update(buffer, 0, n);
                    }
                    assertThat(total).isEqualTo(HUNDRED_MB);
                    return HexFormat.of().formatHex(sha.digest());
                });
                // Each send waits for the one before to be written: the pipe's back-pressure paces the sender.
                String clientSent = sendAll(2, chunk -> await(pipe.send(chunk)));
                assertThat(await(peerGot)).isEqualTo(clientSent);

                var peerSent = executor.submit(() -> sendAll(1, chunk -> peer.getOutputStream().write(chunk)));
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                long total = 0;
                while (total < HUNDRED_MB) {
                    byte[] data = await(pipe.recv(WAIT)).data();
                    sha.update(data);
                    total += data.length;
                }
                assertThat(total).isEqualTo(HUNDRED_MB);
                assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(await(peerSent));
                assertThat(pipe.isOpen()).isTrue();
            }
            // The peer closed: the data connection ends, the allocation stays.
            await(pipe.closeFuture());
            assertThat(relay.isOpen()).isTrue();
        } finally {
            executor.shutdownNow();
        }
    }

    interface ChunkSink {
        void write(byte[] chunk) throws Exception;
    }

    /** Sends 100 MB of seeded random bytes in 64 KiB chunks; returns their SHA-256. */
    static String sendAll(long seed, ChunkSink sink) throws Exception {
        Random random = new Random(seed);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (int sent = 0; sent < HUNDRED_MB; sent += CHUNK) {
            byte[] chunk = new byte[CHUNK];
            random.nextBytes(chunk);
            sha.update(chunk);
            sink.write(chunk);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static <T> T await(java.util.concurrent.Future<T> f) throws Exception {
        return f.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    }

    /** Whether the peer's connection ends: coturn resets it rather than closing it in order. */
    static boolean ended(Socket peer) throws Exception {
        try {
            return peer.getInputStream().read() == -1;
        } catch (java.net.SocketException reset) {
            return reset.getMessage().contains("reset");
        }
    }

    /** At least {@code n} bytes from {@code pipe}'s queue (a raw stream cuts messages where reads fall). */
    static byte[] receive(Pipe pipe, int n) throws Exception {
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        while (got.size() < n) {
            Message m = await(pipe.recv(WAIT));
            got.writeBytes(m.data());
        }
        return got.toByteArray();
    }

    @Test
    void aPeerDiallingTheRelayedAddressIsAcceptedOnceItsIpIsPermitted() throws Exception {
        try (TurnTcpAllocation relay = await(TurnClient.allocateTcp(coturn.address(), tcp(), Framing.lines()))) {
            var accepted = relay.accept();
            await(relay.permit(new InetSocketAddress(LO, 0)));
            try (Socket peer = new Socket()) {
                peer.setSoTimeout((int) WAIT.toMillis());
                peer.connect(relay.relayedAddress(), (int) WAIT.toMillis());
                // The peer speaks first: its line may come in the same read as the ConnectionBind answer.
                peer.getOutputStream().write("first line\nsecond".getBytes(UTF_8));
                Pipe pipe = await(accepted);
                assertThat(relay.peerOf(pipe)).contains((InetSocketAddress) peer.getLocalSocketAddress());
                assertThat(await(pipe.recv(WAIT)).data()).asString(UTF_8).isEqualTo("first line");
                peer.getOutputStream().write(" half\n".getBytes(UTF_8));
                assertThat(await(pipe.recv(WAIT)).data()).asString(UTF_8).isEqualTo("second half");
                await(pipe.send("answer".getBytes(UTF_8))); // lines framing adds the delimiter
                assertThat(readExactly(peer.getInputStream(), 7)).asString(UTF_8).isEqualTo("answer\n");
            }
        }
    }

    @Test
    void connectToAClosedPortFailsWith447() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, LO)) {
            closedPort = s.getLocalPort();
        }
        try (TurnTcpAllocation relay = await(TurnClient.allocateTcp(coturn.address(), tcp()))) {
            Throwable e = failure(relay.connect(new InetSocketAddress(LO, closedPort)));
            assertThat(e).isInstanceOf(TurnConnectionFailedException.class);
            assertThat(((TurnConnectionFailedException) e).code()).isEqualTo(447);
            assertThat(e.getMessage()).contains("Connect to 127.0.0.1:" + closedPort).contains("447");
            assertThat(relay.isOpen()).isTrue();
            assertThat(relay.connections()).isEmpty();
        }
    }

    @Test
    void aSecondConnectToTheSamePeerFailsWith446AndAPeerOfTheOtherFamilyWith443() throws Exception {
        try (TurnTcpAllocation relay = await(TurnClient.allocateTcp(coturn.address(), tcp()));
             ServerSocket peerListener = listener()) {
            InetSocketAddress peer = (InetSocketAddress) peerListener.getLocalSocketAddress();
            Pipe first = await(relay.connect(peer));
            try (Socket accepted = accepted(peerListener)) {
                assertThat(accepted.getRemoteSocketAddress()).isEqualTo(relay.relayedAddress());
                Throwable again = failure(relay.connect(peer));
                assertThat(again).isInstanceOf(TurnConnectionExistsException.class);
                assertThat(((TurnConnectionExistsException) again).code()).isEqualTo(446);
                assertThat(first.isOpen()).isTrue();
            }
            Throwable v6 = failure(relay.connect(new InetSocketAddress("::1", peer.getPort())));
            assertThat(v6).isInstanceOf(TurnAddressFamilyException.class);
            assertThat(((TurnAddressFamilyException) v6).code()).isEqualTo(443);
        }
    }

    @Test
    void aPeerWithoutAPermissionIsNotAccepted() throws Exception {
        try (TurnTcpAllocation relay = await(TurnClient.allocateTcp(coturn.address(), tcp()))) {
            var accepted = relay.accept();
            try (Socket peer = new Socket()) {
                peer.setSoTimeout((int) WAIT.toMillis());
                // The server refuses the connection (coturn resets it): no ConnectionAttempt reaches the client.
                boolean refused;
                try {
                    peer.connect(relay.relayedAddress(), (int) WAIT.toMillis());
                    refused = ended(peer);
                } catch (java.net.SocketException reset) {
                    refused = true;
                }
                assertThat(refused).isTrue();
            }
            // A permitted peer's connection is the first one accepted.
            await(relay.permit(new InetSocketAddress(LO, 0)));
            try (Socket peer = new Socket()) {
                peer.connect(relay.relayedAddress(), (int) WAIT.toMillis());
                Pipe pipe = await(accepted);
                assertThat(relay.peerOf(pipe)).contains((InetSocketAddress) peer.getLocalSocketAddress());
            }
        }
    }

    @Test
    void closingDeletesTheAllocationAndEndsTheDataConnections() throws Exception {
        try (Coturn verbose = Coturn.start(dir, "-V"); ServerSocket peerListener = listener()) {
            TurnTcpAllocation relay = await(TurnClient.allocateTcp(verbose.address(), tcp()));
            Pipe pipe = await(relay.connect((InetSocketAddress) peerListener.getLocalSocketAddress()));
            try (Socket peerSide = accepted(peerListener)) {
                var accepting = relay.accept();
                relay.close();
                assertThat(relay.isOpen()).isFalse();
                assertThat(pipe.isOpen()).isFalse();
                assertThat(failure(accepting)).isInstanceOf(PipeClosedException.class);
                // The server closed the peer's connection with the data connection.
                assertThat(ended(peerSide)).isTrue();
                assertThat(verbose.log()).containsPattern("refreshed, realm=<p2pd.test>, username=<alice>, lifetime=0")
                        .contains("REFRESH processed, success");
                assertThat(failure(relay.connect(new InetSocketAddress(LO, 9)))).isInstanceOf(PipeClosedException.class);
            }
        }
    }

    @Test
    void theServerDyingEndsTheDataConnectionsAndWaitingAcceptsWithTheConnectionLost() throws Exception {
        Coturn doomed = Coturn.start(dir);
        try (ServerSocket peerListener = listener()) {
            TurnTcpAllocation relay = await(TurnClient.allocateTcp(doomed.address(), tcp()));
            Pipe pipe = await(relay.connect((InetSocketAddress) peerListener.getLocalSocketAddress()));
            try (Socket peer = accepted(peerListener)) {
                assertThat(peer.isConnected()).isTrue();
                var accepting = relay.accept();
                doomed.close(); // SIGTERM: coturn closes its connections as it exits
                await(pipe.closeFuture());
                assertThat(failure(accepting)).isInstanceOf(TurnConnectionLostException.class);
                assertThat(relay.failure()).hasValueSatisfying(f -> assertThat(f)
                        .isInstanceOf(TurnConnectionLostException.class).hasMessageContaining("TCP control connection"));
                assertThat(relay.isOpen()).isFalse();
                relay.close(); // returns at once after the loss
            }
        } finally {
            doomed.close();
        }
    }

    @Test
    void overTlsTheDataConnectionIsTlsToo() throws Exception {
        TurnConfig tls = TurnCoturnLabTest.config().transport(TurnTransport.TLS)
                .tls(Tls.trusting(certificate.x509())).build();
        try (TurnTcpAllocation relay = await(TurnClient.allocateTcp(coturn.tlsAddress(), tls));
             ServerSocket peerListener = listener()) {
            Pipe pipe = await(relay.connect((InetSocketAddress) peerListener.getLocalSocketAddress()));
            try (Socket peerSide = accepted(peerListener)) {
                assertThat(pipe.remoteAddress()).contains(coturn.tlsAddress());
                await(pipe.send("over tls".getBytes(UTF_8)));
                assertThat(readExactly(peerSide.getInputStream(), 8)).asString(UTF_8).isEqualTo("over tls");
                peerSide.getOutputStream().write("back".getBytes(UTF_8));
                assertThat(receive(pipe, 4)).asString(UTF_8).isEqualTo("back");
                assertThatThrownBy(pipe::shutdownOutput).isInstanceOf(IllegalStateException.class);
            }
        }
    }

    @Test
    void aTcpRelayNeedsAStreamControlConnection() {
        assertThatThrownBy(() -> TurnClient.allocateTcp(coturn.address(), TurnCoturnLabTest.config().build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TCP or TLS control connection");
    }
}
