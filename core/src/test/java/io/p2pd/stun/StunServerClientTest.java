package io.p2pd.stun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.pipe.Proto;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Our client against our server, and against small fake servers, on loopback. */

class StunServerClientTest {
    static final InetAddress LO1 = ip("127.0.0.1");
    static final InetAddress LO2 = ip("127.0.0.2");
    static final InetSocketAddress ANY_LO1 = new InetSocketAddress(LO1, 0);
    static final StunClientConfig FAST = StunClientConfig.builder().initialRto(Duration.ofMillis(100))
            .timeLimit(Duration.ofSeconds(5)).build();

    static StunServer plain;
    static StunServer rfc5780;

    @BeforeAll
    static void start() {
        plain = StunServer.start(StunServerConfig.builder(LO1).software("p2pd test").build()).join();
        rfc5780 = StunServer.start(StunServerConfig.rfc5780(LO1, 0, LO2, 0)).join();
    }

    @AfterAll
    static void stop() {
        plain.closeAsync().join();
        rfc5780.closeAsync().join();
    }

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    static Throwable failure(CompletableFuture<?> f) {
        try {
            f.get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure, got " + f.join());
    }

    @Test
    void plainServerUdp() throws Exception {
        assertThat(plain.localAddresses()).hasSize(1);
        assertThat(plain.otherAddress()).isEmpty();
        try (StunSession s = await(StunSession.open(ANY_LO1, FAST))) {
            StunResult r = await(s.binding(plain.primaryAddress()));
            assertThat(r.mappedAddress()).isEqualTo(s.localAddress());
            assertThat(r.response().xorMappedAddress()).contains(s.localAddress());
            assertThat(r.response().mappedAddress()).contains(s.localAddress());
            assertThat(r.response().software()).contains("p2pd test");
            assertThat(r.localAddress()).isEqualTo(s.localAddress());
            assertThat(r.server()).isEqualTo(plain.primaryAddress());
            assertThat(r.replySource()).isEqualTo(plain.primaryAddress());
            assertThat(r.otherAddress()).isEmpty();
            assertThat(r.responseOrigin()).isEmpty();
            assertThat(r.changedAddress()).isEmpty();
            assertThat(s.pendingRequests()).isZero();
        }
    }

    @Test
    void plainServerTcp() throws Exception {
        StunResult r = await(StunClient.binding(Proto.TCP, ANY_LO1, plain.primaryAddress(), FAST));
        assertThat(r.mappedAddress()).isEqualTo(r.localAddress());
        assertThat(r.mappedAddress().getAddress()).isEqualTo(LO1);
        assertThat(r.replySource()).isEqualTo(plain.primaryAddress());
        assertThat(r.response().software()).contains("p2pd test");
    }

    @Test
    void ipv6Loopback() throws Exception {
        InetAddress v6 = ip("::1");
        try (StunServer s = await(StunServer.start(StunServerConfig.of(v6, 0)))) {
            StunResult udp = await(StunClient.binding(Proto.UDP, new InetSocketAddress(v6, 0), s.primaryAddress(), FAST));
            assertThat(udp.mappedAddress()).isEqualTo(udp.localAddress());
            assertThat(udp.mappedAddress().getAddress()).isEqualTo(v6);
            assertThat(udp.response().xorMappedAddress()).contains(udp.localAddress());
            StunResult tcp = await(StunClient.binding(Proto.TCP, s.primaryAddress(), FAST));
            assertThat(tcp.mappedAddress()).isEqualTo(tcp.localAddress());
            StunResult wildcard = await(StunClient.binding(Proto.UDP, s.primaryAddress(), FAST));
            assertThat(wildcard.mappedAddress().getAddress()).isEqualTo(v6);
        }
    }

    @Test
    void fixedPortInUseFailsWithTheBindError() throws Exception {
        int taken = plain.primaryAddress().getPort();
        Throwable e = failure(StunServer.start(StunServerConfig.of(LO1, taken)));
        assertThat(e).isInstanceOf(java.net.BindException.class)
                .hasMessageContaining("TCP to " + io.p2pd.net.HostPort.of(plain.primaryAddress()))
                .hasMessageContaining("in use");
    }

    @Test
    void oneShotUdpFromWildcard() throws Exception {
        StunResult r = await(StunClient.binding(Proto.UDP, plain.primaryAddress(), FAST));
        assertThat(r.mappedAddress().getAddress()).isEqualTo(LO1);
        assertThat(r.mappedAddress().getPort()).isEqualTo(r.localAddress().getPort());
    }

    @Test
    void rfc5780ServerAnswersFromTheAskedAddress() throws Exception {
        List<InetSocketAddress> all = rfc5780.localAddresses();
        assertThat(all).hasSize(4);
        InetSocketAddress primary = all.get(0);
        int p1 = primary.getPort();
        int p2 = all.get(1).getPort();
        assertThat(p2).isNotEqualTo(p1);
        assertThat(all).containsExactly(new InetSocketAddress(LO1, p1), new InetSocketAddress(LO1, p2),
                new InetSocketAddress(LO2, p1), new InetSocketAddress(LO2, p2));
        assertThat(rfc5780.otherAddress()).contains(new InetSocketAddress(LO2, p2));
        try (StunSession s = await(StunSession.open(ANY_LO1, FAST))) {
            // all four at once from one socket: matched by transaction id
            var plainF = s.binding(primary);
            var ipF = s.binding(primary, true, false);
            var portF = s.binding(primary, false, true);
            var bothF = s.binding(primary, true, true);
            StunResult r = await(plainF);
            assertThat(r.mappedAddress()).isEqualTo(s.localAddress());
            assertThat(r.otherAddress()).contains(new InetSocketAddress(LO2, p2));
            assertThat(r.responseOrigin()).contains(primary);
            assertThat(r.changedAddress()).isEmpty();
            assertThat(r.alternateAddress()).contains(new InetSocketAddress(LO2, p2));
            assertThat(await(ipF).replySource()).isEqualTo(new InetSocketAddress(LO2, p1));
            assertThat(await(ipF).responseOrigin()).contains(new InetSocketAddress(LO2, p1));
            assertThat(await(portF).replySource()).isEqualTo(new InetSocketAddress(LO1, p2));
            assertThat(await(bothF).replySource()).isEqualTo(new InetSocketAddress(LO2, p2));
            assertThat(await(bothF).mappedAddress()).isEqualTo(s.localAddress());
            // asked on the other address, OTHER-ADDRESS points back
            StunResult fromOther = await(s.binding(new InetSocketAddress(LO2, p2)));
            assertThat(fromOther.otherAddress()).contains(primary);
            assertThat(fromOther.replySource()).isEqualTo(new InetSocketAddress(LO2, p2));
        }
        StunResult tcp = await(StunClient.binding(Proto.TCP, ANY_LO1, new InetSocketAddress(LO2, p1), FAST));
        assertThat(tcp.mappedAddress()).isEqualTo(tcp.localAddress());
        assertThat(tcp.responseOrigin()).contains(new InetSocketAddress(LO2, p1));
        assertThat(tcp.otherAddress()).contains(new InetSocketAddress(LO1, p2));
    }

    @Test
    void rfc3489ClientGetsChangedAddress() throws Exception {
        StunClientConfig old = FAST.toBuilder().rfc3489(true).build();
        try (StunSession s = await(StunSession.open(ANY_LO1, old))) {
            InetSocketAddress primary = rfc5780.primaryAddress();
            StunResult r = await(s.binding(primary));
            assertThat(r.response().hasMagicCookie()).isFalse();
            assertThat(r.response().xorMappedAddress()).isEmpty();
            assertThat(r.mappedAddress()).isEqualTo(s.localAddress());
            assertThat(r.changedAddress()).isEqualTo(rfc5780.otherAddress());
            assertThat(r.otherAddress()).isEmpty();
            assertThat(r.response().sourceAddress()).contains(primary);
            StunResult changed = await(s.binding(primary, true, true));
            assertThat(changed.replySource()).isEqualTo(rfc5780.otherAddress().orElseThrow());
        }
    }

    @Test
    void rfc3489AttributesOnRequestWithCookieWhenConfigured() throws Exception {
        try (StunServer s = await(StunServer.start(StunServerConfig.builder(LO1).alternate(LO2, 0)
                .tcp(false).rfc3489Attributes(true).build()))) {
            StunResult r = await(StunClient.binding(Proto.UDP, ANY_LO1, s.primaryAddress(), FAST));
            assertThat(r.changedAddress()).isEqualTo(s.otherAddress());
            assertThat(r.otherAddress()).isEqualTo(s.otherAddress());
            assertThat(r.response().sourceAddress()).contains(s.primaryAddress());
        }
    }

    @Test
    void responsePortRedirectsTheAnswer() throws Exception {
        try (DatagramSocket asker = new DatagramSocket(new InetSocketAddress(LO1, 0));
             DatagramSocket listener = new DatagramSocket(new InetSocketAddress(LO1, 0))) {
            listener.setSoTimeout(10_000);
            StunMessage req = StunMessage.bindingRequest().responsePort(listener.getLocalPort())
                    .changeRequest(true, true).build();
            assertThat(StunMessage.decode(req.encode()).responsePort()).contains(listener.getLocalPort());
            byte[] b = req.encode();
            asker.send(new DatagramPacket(b, b.length, rfc5780.primaryAddress()));
            DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
            listener.receive(in);
            StunMessage reply = StunMessage.decode(Arrays.copyOf(in.getData(), in.getLength()));
            assertThat(reply.sameTransaction(req)).isTrue();
            assertThat(reply.xorMappedAddress()).contains((InetSocketAddress) asker.getLocalSocketAddress());
            assertThat(in.getSocketAddress()).isEqualTo(rfc5780.otherAddress().orElseThrow());
        }
    }

    @Test
    void changeRequestToPlainServerIsA420() throws Exception {
        try (StunSession s = await(StunSession.open(ANY_LO1, FAST))) {
            Throwable e = failure(s.binding(plain.primaryAddress(), true, false));
            assertThat(e).isInstanceOf(StunErrorResponseException.class);
            StunErrorResponseException err = (StunErrorResponseException) e;
            assertThat(err.code()).isEqualTo(420);
            assertThat(err.server()).isEqualTo(plain.primaryAddress());
            assertThat(e).hasMessageContaining("420");
        }
    }

    @Test
    void serverCountsAndIgnoresGarbageUdp() throws Exception {
        try (StunServer s = await(StunServer.start(StunServerConfig.of(LO1, 0)));
             DatagramSocket raw = new DatagramSocket(new InetSocketAddress(LO1, 0))) {
            raw.setSoTimeout(10_000);
            Random random = new Random(7);
            List<byte[]> garbage = new ArrayList<>();
            garbage.add(new byte[0]);
            garbage.add(new byte[]{1, 2, 3});
            byte[] badLength = StunMessage.bindingRequest().build().encode();
            badLength[3] = 8;
            garbage.add(badLength);
            byte[] badFingerprint = StunMessage.bindingRequest().fingerprint().build().encode();
            badFingerprint[badFingerprint.length - 1] ^= 1;
            garbage.add(badFingerprint);
            for (int i = 0; i < 20; i++) {
                byte[] g = new byte[random.nextInt(200)];
                random.nextBytes(g);
                garbage.add(g);
            }
            for (byte[] g : garbage) {
                raw.send(new DatagramPacket(g, g.length, s.primaryAddress()));
            }
            // a response (not a request) is ignored, not counted as malformed
            byte[] response = StunMessage.builder(1, StunMessage.MessageClass.SUCCESS_RESPONSE).build().encode();
            raw.send(new DatagramPacket(response, response.length, s.primaryAddress()));
            StunMessage request = StunMessage.bindingRequest().fingerprint().build();
            byte[] ok = request.encode();
            raw.send(new DatagramPacket(ok, ok.length, s.primaryAddress()));
            DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
            raw.receive(in); // the server handles one socket's datagrams in order: the garbage was seen first
            StunMessage reply = StunMessage.decode(Arrays.copyOf(in.getData(), in.getLength()));
            assertThat(reply.sameTransaction(request)).isTrue();
            assertThat(reply.checkFingerprint()).isTrue();
            assertThat(reply.xorMappedAddress()).contains((InetSocketAddress) raw.getLocalSocketAddress());
            assertThat(s.malformedCount()).isEqualTo(garbage.size());
            assertThat(s.ignoredCount()).isEqualTo(1);
            assertThat(s.requestCount()).isEqualTo(1);
        }
    }

    @Test
    void serverClosesTcpConnectionOnGarbageAndKeepsServing() throws Exception {
        try (StunServer s = await(StunServer.start(StunServerConfig.builder(LO1).udp(false).build()));
             Socket raw = new Socket()) {
            raw.connect(s.primaryAddress(), 10_000);
            raw.setSoTimeout(10_000);
            OutputStream o = raw.getOutputStream();
            byte[] garbage = new byte[24];
            garbage[3] = 4; // a well-framed 24-byte frame that is not STUN (no type bits issue, bad attribute)
            garbage[0] = (byte) 0xFF;
            o.write(garbage);
            o.flush();
            assertThat(raw.getInputStream().read()).isEqualTo(-1); // closed by the server
            assertThat(s.malformedCount()).isEqualTo(1);
            StunResult r = await(StunClient.binding(Proto.TCP, ANY_LO1, s.primaryAddress(), FAST));
            assertThat(r.mappedAddress()).isEqualTo(r.localAddress());
        }
    }

    @Test
    void tcpSeveralRequestsOnOneConnectionSplitAcrossWrites() throws Exception {
        try (Socket raw = new Socket()) {
            raw.connect(plain.primaryAddress(), 10_000);
            raw.setSoTimeout(10_000);
            StunMessage a = StunMessage.bindingRequest().build();
            StunMessage b = StunMessage.bindingRequest().software("second").build();
            byte[] both = new byte[a.encode().length + b.encode().length];
            System.arraycopy(a.encode(), 0, both, 0, a.encode().length);
            System.arraycopy(b.encode(), 0, both, a.encode().length, b.encode().length);
            OutputStream o = raw.getOutputStream();
            o.write(both, 0, 7); // framing must cope with partial headers
            o.flush();
            o.write(both, 7, both.length - 7);
            o.flush();
            var in = raw.getInputStream();
            for (StunMessage req : List.of(a, b)) {
                byte[] header = in.readNBytes(20);
                byte[] body = in.readNBytes(StunMessage.be16(header, 2));
                byte[] whole = Arrays.copyOf(header, 20 + body.length);
                System.arraycopy(body, 0, whole, 20, body.length);
                StunMessage reply = StunMessage.decode(whole);
                assertThat(reply.sameTransaction(req)).isTrue();
                assertThat(reply.xorMappedAddress()).contains((InetSocketAddress) raw.getLocalSocketAddress());
            }
        }
    }

    /** A fake UDP server that records requests and answers with whatever the test wants. */
    static final class Fake implements AutoCloseable {
        final DatagramSocket socket;
        final List<byte[]> received = new CopyOnWriteArrayList<>();
        final Thread thread;

        Fake(java.util.function.BiFunction<StunMessage, InetSocketAddress, List<byte[]>> answer) throws Exception {
            socket = new DatagramSocket(new InetSocketAddress(LO1, 0));
            thread = Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[2048];
                while (!socket.isClosed()) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        socket.receive(p);
                        byte[] data = Arrays.copyOf(p.getData(), p.getLength());
                        received.add(data);
                        for (byte[] out : answer.apply(StunMessage.decode(data), (InetSocketAddress) p.getSocketAddress())) {
                            socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                        }
                    } catch (Exception e) {
                        return;
                    }
                }
            });
        }

        InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    @Test
    void timeoutAfterRetransmissions() throws Exception {
        StunClientConfig cfg = StunClientConfig.builder().initialRto(Duration.ofMillis(20))
                .timeLimit(Duration.ofMillis(1500)).build();
        try (Fake silent = new Fake((m, from) -> List.of());
             StunSession s = await(StunSession.open(ANY_LO1, cfg))) {
            Throwable e = failure(s.binding(silent.address()));
            assertThat(e).isInstanceOf(StunTimeoutException.class)
                    .hasMessageContaining("from 127.0.0.1:" + silent.address().getPort() + " ") // no JDK slash
                    .hasMessageContaining("1500 ms");
            assertThat(((StunTimeoutException) e).server()).isEqualTo(silent.address());
            assertThat(((StunTimeoutException) e).timeLimit()).isEqualTo(Duration.ofMillis(1500));
            // retransmitted: several copies of the very same request
            assertThat(silent.received.size()).isGreaterThan(1).isLessThanOrEqualTo(7);
            assertThat(silent.received).allSatisfy(d -> assertThat(d).isEqualTo(silent.received.getFirst()));
            assertThat(s.pendingRequests()).isZero();
        }
    }

    @Test
    void wrongIdAndWrongClassRepliesAreIgnoredAndCounted() throws Exception {
        try (Fake liar = new Fake((req, from) -> {
            StunMessage wrongId = StunMessage.builder(1, StunMessage.MessageClass.SUCCESS_RESPONSE)
                    .xorMappedAddress(new InetSocketAddress(LO2, 1)).build();
            StunMessage indication = StunMessage.responseTo(req, StunMessage.MessageClass.INDICATION)
                    .xorMappedAddress(new InetSocketAddress(LO2, 2)).build();
            StunMessage noCookie = StunMessage.responseTo(req, StunMessage.MessageClass.SUCCESS_RESPONSE)
                    .cookieField(0x01020304).xorMappedAddress(new InetSocketAddress(LO2, 3)).build();
            StunMessage right = StunMessage.responseTo(req, StunMessage.MessageClass.SUCCESS_RESPONSE)
                    .xorMappedAddress(from).build();
            return List.of(wrongId.encode(), indication.encode(), noCookie.encode(), new byte[]{9, 9}, right.encode());
        });
             StunSession s = await(StunSession.open(ANY_LO1, FAST))) {
            StunResult r = await(s.binding(liar.address()));
            assertThat(r.mappedAddress()).isEqualTo(s.localAddress());
            assertThat(s.ignoredResponses()).isEqualTo(3);
            assertThat(s.malformedResponses()).isEqualTo(1);
        }
    }

    @Test
    void mappedAddressIsTheFallbackAndErrorsWithoutCodeAreProtocolErrors() throws Exception {
        try (Fake old = new Fake((req, from) -> List.of(StunMessage.responseTo(req,
                StunMessage.MessageClass.SUCCESS_RESPONSE).mappedAddress(new InetSocketAddress(LO2, 4242)).build().encode()));
             Fake broken = new Fake((req, from) -> List.of(StunMessage.responseTo(req,
                     StunMessage.MessageClass.ERROR_RESPONSE).build().encode()));
             StunSession s = await(StunSession.open(ANY_LO1, FAST))) {
            assertThat(await(s.binding(old.address())).mappedAddress()).isEqualTo(new InetSocketAddress(LO2, 4242));
            assertThat(failure(s.binding(broken.address()))).isInstanceOf(StunProtocolException.class)
                    .hasMessageContaining("without ERROR-CODE");
        }
    }

    @Test
    void closingTheSessionFailsPendingRequests() throws Exception {
        try (Fake silent = new Fake((m, from) -> List.of())) {
            StunSession s = await(StunSession.open(ANY_LO1, FAST));
            CompletableFuture<StunResult> f = s.binding(silent.address());
            s.close();
            s.close(); // idempotent
            assertThat(failure(f)).isInstanceOf(ClosedChannelException.class);
            assertThat(failure(s.binding(silent.address()))).isInstanceOf(ClosedChannelException.class);
        }
    }

    @Test
    void cancellingARequestForgetsIt() throws Exception {
        try (Fake silent = new Fake((m, from) -> List.of());
             StunSession s = await(StunSession.open(ANY_LO1, FAST))) {
            CompletableFuture<StunResult> f = s.binding(silent.address());
            assertThat(s.pendingRequests()).isEqualTo(1);
            f.cancel(false);
            assertThat(s.pendingRequests()).isZero();
            assertThat(f).isCancelled();
        }
    }

    @Test
    void manyConcurrentRequestsOnOneSession() throws Exception {
        try (StunSession s = await(StunSession.open(ANY_LO1, FAST))) {
            List<CompletableFuture<StunResult>> all = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                all.add(s.binding(i % 2 == 0 ? rfc5780.primaryAddress() : plain.primaryAddress()));
            }
            for (int i = 0; i < all.size(); i++) {
                StunResult r = await(all.get(i));
                assertThat(r.mappedAddress()).isEqualTo(s.localAddress());
                assertThat(r.server()).isEqualTo(i % 2 == 0 ? rfc5780.primaryAddress() : plain.primaryAddress());
            }
            assertThat(s.pendingRequests()).isZero();
        }
    }

    @Test
    void tcpConnectionRefused() throws Exception {
        int port;
        try (ServerSocket ss = new ServerSocket(0, 1, LO1)) {
            port = ss.getLocalPort();
        }
        Throwable e = failure(StunClient.binding(Proto.TCP, ANY_LO1, new InetSocketAddress(LO1, port), FAST));
        // the pipe's error: it names the server, and no Netty or OS call text ("finishConnect(..) failed") leaks
        assertThat(e).isInstanceOf(ConnectException.class).hasMessageContaining("127.0.0.1:" + port)
                .hasMessageNotContaining("(..)");
    }

    @Test
    void quorumAgreesAndNamesTheServers() throws Exception {
        try (StunServer b = await(StunServer.start(StunServerConfig.of(LO1, 0)));
             Fake silent = new Fake((m, from) -> List.of())) {
            List<InetSocketAddress> servers = List.of(silent.address(), plain.primaryAddress(), b.primaryAddress());
            StunConsensus c = await(StunClient.bindingQuorum(Proto.UDP, servers, FAST));
            assertThat(c.mappedIp()).isEqualTo(LO1);
            assertThat(c.servers()).containsExactlyInAnyOrder(plain.primaryAddress(), b.primaryAddress());
            assertThat(c.agreeing()).extracting(StunResult::mappedAddress).containsOnly(c.mappedAddress());
            StunConsensus tcp = await(StunClient.bindingQuorum(Proto.TCP,
                    List.of(plain.primaryAddress(), b.primaryAddress()), FAST));
            assertThat(tcp.mappedIp()).isEqualTo(LO1);
            assertThat(tcp.agreeing()).hasSize(2);
        }
    }

    @Test
    void quorumFailsWhenAgreementIsImpossible() throws Exception {
        StunClientConfig quick = FAST.toBuilder().timeLimit(Duration.ofMillis(500)).build();
        try (Fake silent = new Fake((m, from) -> List.of());
             Fake other = new Fake((req, from) -> List.of(StunMessage.responseTo(req,
                     StunMessage.MessageClass.SUCCESS_RESPONSE).xorMappedAddress(new InetSocketAddress(LO2, 9)).build().encode()))) {
            Throwable e = failure(StunClient.bindingQuorum(Proto.UDP,
                    List.of(silent.address(), other.address(), plain.primaryAddress()), 2, quick));
            assertThat(e).isInstanceOf(StunQuorumException.class).hasMessageContaining("no 2 of 3");
            assertThat(((StunQuorumException) e).failures()).singleElement().isInstanceOf(StunTimeoutException.class);
        }
        assertThatThrownBy(() -> StunClient.bindingQuorum(Proto.UDP, List.of(plain.primaryAddress()), 2, FAST))
                .isInstanceOf(IllegalArgumentException.class);
        StunConsensus one = await(StunClient.bindingQuorum(Proto.UDP, List.of(plain.primaryAddress()), FAST));
        assertThat(one.servers()).containsExactly(plain.primaryAddress());
    }

    @Test
    void unwrapOfJoinIsTheSpecificException() {
        StunClientConfig quick = FAST.toBuilder().timeLimit(Duration.ofMillis(200)).build();
        try (Fake silent = new Fake((m, from) -> List.of())) {
            assertThatThrownBy(() -> StunClient.binding(Proto.UDP, ANY_LO1, silent.address(), quick).join())
                    .isInstanceOf(CompletionException.class).hasCauseInstanceOf(StunTimeoutException.class);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
