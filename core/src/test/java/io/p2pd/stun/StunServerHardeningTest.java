package io.p2pd.stun;

import static io.p2pd.stun.StunServerClientTest.FAST;
import static io.p2pd.stun.StunServerClientTest.LO1;
import static io.p2pd.stun.StunServerClientTest.LO2;
import static io.p2pd.stun.StunServerClientTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.pipe.Proto;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Issue 18: the STUN server stays bounded and keeps answering under hostile clients (loopback only). */
class StunServerHardeningTest {

    /** Answers one binding request on {@code raw}, proving the connection was admitted and is served. */
    private static StunMessage ask(Socket raw) throws Exception {
        StunMessage request = StunMessage.bindingRequest().build();
        raw.getOutputStream().write(request.encode());
        raw.getOutputStream().flush();
        StunMessage reply = readMessage(raw);
        assertThat(reply.sameTransaction(request)).isTrue();
        return reply;
    }

    private static StunMessage readMessage(Socket raw) throws Exception {
        DataInputStream in = new DataInputStream(raw.getInputStream());
        byte[] header = new byte[StunMessage.HEADER_LENGTH];
        in.readFully(header);
        byte[] whole = Arrays.copyOf(header, header.length + (((header[2] & 0xFF) << 8) | (header[3] & 0xFF)));
        in.readFully(whole, header.length, whole.length - header.length);
        return StunMessage.decode(whole);
    }

    /**
     * Item 1: clients that pipeline binding requests and never read (two of them). The server stops reading each (its pending
     * answers stay bounded by its own counter), closes them once their answers stayed backed up for
     * {@code writeStallTimeout}, and a legitimate client is answered meanwhile and after.
     */
    @Test
    void nonReadingPipelinersAreBoundedAndClosed() throws Exception {
        // Each makes the server answer what the socket buffers hold before it stalls: seconds of work under PARANOID
        // leak detection on a loaded machine.
        int clients = 2;
        // 64 MB each, far beyond what the socket buffers hold: about 140 MB of answers each if the server kept reading
        int requestsEach = 3_200_000;
        StunServerConfig config = StunServerConfig.builder(LO1).writeStallTimeout(Duration.ofMillis(500))
                .idleTimeout(Duration.ofMinutes(1)).build();
        try (StunServer s = await(StunServer.start(config))) {
            byte[] burst = new byte[20 * 1000];
            for (int k = 0; k < 1000; k++) {
                System.arraycopy(StunMessage.bindingRequest().build().encode(), 0, burst, k * 20, 20);
            }
            List<CompletableFuture<Integer>> writers = new ArrayList<>();
            List<Socket> sockets = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                Socket raw = new Socket();
                raw.setReceiveBufferSize(4096);
                raw.connect(s.primaryAddress(), 10_000);
                sockets.add(raw);
                // Writes until done or until the server closes the connection; returns the requests written.
                writers.add(CompletableFuture.supplyAsync(() -> {
                    int written = 0;
                    try {
                        OutputStream o = raw.getOutputStream();
                        while (written < requestsEach) {
                            o.write(burst);
                            written += 1000;
                        }
                    } catch (IOException closedByTheServer) {
                        // expected: the server closed the stuck connection
                    }
                    return written;
                }, r -> Thread.ofVirtual().start(r)));
            }
            StunResult legit = await(StunClient.binding(Proto.TCP, new InetSocketAddress(LO2, 0), s.primaryAddress(),
                    FAST));
            assertThat(legit.mappedAddress().getAddress()).isEqualTo(LO2);
            for (CompletableFuture<Integer> w : writers) {
                // cut short: the server closed it (a generous bound: a loaded machine took over 30 s for 4 clients)
                assertThat(w.get(120, TimeUnit.SECONDS)).isLessThan(requestsEach);
            }
            for (Socket raw : sockets) {
                raw.close();
            }
            assertThat(s.timedOutConnectionCount()).isGreaterThanOrEqualTo(clients);
            // about 270 KB with back-pressure; over 2 MB (and growing with the run) without it
            assertThat(s.peakPendingBytes()).isLessThan(1L << 20);
            StunResult after = await(StunClient.binding(Proto.TCP, new InetSocketAddress(LO2, 0), s.primaryAddress(),
                    FAST));
            assertThat(after.mappedAddress().getAddress()).isEqualTo(LO2);
        }
    }

    /** Item 5: a connection past the per-IP cap is closed at once; another IP is still served. */
    @Test
    void connectionsPastThePerIpCapAreRefused() throws Exception {
        StunServerConfig config = StunServerConfig.builder(LO1).udp(false).maxConnectionsPerIp(2).build();
        try (StunServer s = await(StunServer.start(config));
             Socket a = new Socket(); Socket b = new Socket(); Socket c = new Socket()) {
            for (Socket raw : List.of(a, b)) {
                raw.connect(s.primaryAddress(), 10_000);
                raw.setSoTimeout(10_000);
                ask(raw);
            }
            c.connect(s.primaryAddress(), 10_000);
            c.setSoTimeout(10_000);
            assertThat(c.getInputStream().read()).isEqualTo(-1);
            assertThat(s.refusedConnectionCount()).isEqualTo(1);
            StunResult other = await(StunClient.binding(Proto.TCP, new InetSocketAddress(LO2, 0), s.primaryAddress(),
                    FAST));
            assertThat(other.mappedAddress().getAddress()).isEqualTo(LO2);
            assertThat(ask(a).messageClass()).isEqualTo(StunMessage.MessageClass.SUCCESS_RESPONSE); // still served
        }
    }

    /** Item 5: a connection that sends no whole request is closed after firstMessageTimeout; others are served. */
    @Test
    void aConnectionWithoutAWholeRequestIsClosed() throws Exception {
        StunServerConfig config = StunServerConfig.builder(LO1).udp(false)
                .firstMessageTimeout(Duration.ofMillis(300)).build();
        try (StunServer s = await(StunServer.start(config)); Socket silent = new Socket(); Socket half = new Socket()) {
            silent.connect(s.primaryAddress(), 10_000);
            silent.setSoTimeout(10_000);
            half.connect(s.primaryAddress(), 10_000);
            half.setSoTimeout(10_000);
            half.getOutputStream().write(Arrays.copyOf(StunMessage.bindingRequest().build().encode(), 12));
            assertThat(silent.getInputStream().read()).isEqualTo(-1);
            assertThat(half.getInputStream().read()).isEqualTo(-1);
            assertThat(s.timedOutConnectionCount()).isEqualTo(2);
            StunResult legit = await(StunClient.binding(Proto.TCP, s.primaryAddress(), FAST));
            assertThat(legit.mappedAddress().getAddress()).isEqualTo(LO1);
        }
    }

    /** Item 3: 16,000 unknown comprehension-required attributes get a 420 that lists at most 16 of them. */
    @Test
    void manyUnknownAttributesGetABoundedAnswer() throws Exception {
        StunMessage.Builder b = StunMessage.bindingRequest();
        for (int k = 0; k < 16_000; k++) {
            b.add(StunAttribute.of(0x3000 + k, new byte[0]));
        }
        StunMessage request = b.build();
        try (StunServer s = await(StunServer.start(StunServerConfig.builder(LO1).udp(false).build()));
             Socket raw = new Socket()) {
            raw.connect(s.primaryAddress(), 10_000);
            raw.setSoTimeout(10_000);
            raw.getOutputStream().write(request.encode());
            StunMessage reply = readMessage(raw);
            assertThat(reply.sameTransaction(request)).isTrue();
            assertThat(reply.errorCode()).map(StunErrorCode::code).contains(StunErrorCode.UNKNOWN_ATTRIBUTE);
            assertThat(reply.unknownAttributes()).hasSize(StunServer.MAX_UNKNOWN_LISTED)
                    .startsWith(0x3000, 0x3001);
            assertThat(reply.encode().length).isLessThan(400);
        }
    }

    /** Item 3, the cost by counting: the scan looks at each attribute once and stops at the last type it lists. */
    @Test
    void unknownAttributeScanIsLinearAndStopsWhenTheListIsFull() {
        List<StunAttribute> distinct = new ArrayList<>();
        List<StunAttribute> repeated = new ArrayList<>();
        for (int k = 0; k < 16_000; k++) {
            distinct.add(StunAttribute.of(0x3000 + k, new byte[0]));
            repeated.add(StunAttribute.of(0x3000 + k % 3, new byte[0]));
        }
        AtomicInteger checks = new AtomicInteger();
        assertThat(StunServer.unknownRequired(distinct, t -> checks.incrementAndGet() < 0))
                .hasSize(StunServer.MAX_UNKNOWN_LISTED);
        assertThat(checks.get()).isEqualTo(StunServer.MAX_UNKNOWN_LISTED);
        checks.set(0);
        assertThat(StunServer.unknownRequired(repeated, t -> checks.incrementAndGet() < 0))
                .containsExactly(0x3000, 0x3001, 0x3002);
        assertThat(checks.get()).isEqualTo(16_000);
    }

    /**
     * Item 6: a UDP request of 8,000 bytes is answered (the old listener cut datagrams at 2,048 bytes); one over
     * {@link StunServer#MAX_UDP_REQUEST} is dropped and counted.
     */
    @Test
    void largeUdpRequestsUpToTheLimitAreAnswered() throws Exception {
        try (StunServer s = await(StunServer.start(StunServerConfig.builder(LO1).tcp(false).build()));
             DatagramSocket raw = new DatagramSocket(new InetSocketAddress(LO1, 0))) {
            raw.setSoTimeout(10_000);
            StunMessage large = StunMessage.bindingRequest().add(StunAttribute.of(0x8022, new byte[7976])).build();
            StunMessage tooLarge = StunMessage.bindingRequest()
                    .add(StunAttribute.of(0x8022, new byte[StunServer.MAX_UDP_REQUEST])).build();
            StunMessage small = StunMessage.bindingRequest().build();
            assertThat(large.encode().length).isEqualTo(8000);
            for (StunMessage m : List.of(large, tooLarge, small)) {
                raw.send(new DatagramPacket(m.encode(), m.encode().length, s.primaryAddress()));
            }
            // one socket's datagrams are handled in order: two answers, the large one's first
            for (StunMessage expected : List.of(large, small)) {
                DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
                raw.receive(in);
                StunMessage reply = StunMessage.decode(Arrays.copyOf(in.getData(), in.getLength()));
                assertThat(reply.sameTransaction(expected)).isTrue();
                assertThat(reply.messageClass()).isEqualTo(StunMessage.MessageClass.SUCCESS_RESPONSE);
            }
            assertThat(s.oversizedCount()).isEqualTo(1);
        }
    }

    /** Issue 17: close() waits as Pipe.close() does; once it returns, nothing listens any more. */
    @Test
    void closeWaitsForEveryListener() throws Exception {
        StunServer s = await(StunServer.start(StunServerConfig.of(LO1, 0)));
        InetSocketAddress at = s.primaryAddress();
        try (Socket open = new Socket()) {
            open.connect(at, 10_000);
            open.setSoTimeout(10_000);
            ask(open);
            s.close();
            assertThat(s.closeAsync()).isDone();
            assertThat(s.connectionCount()).isZero();
            assertThat(open.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket late = new Socket()) {
            assertThat(CompletableFuture.runAsync(() -> {
                try {
                    late.connect(at, 10_000);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            })).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                    .withRootCauseInstanceOf(java.net.ConnectException.class);
        }
        s.close(); // idempotent
    }
}
