package io.p2pd.node.connect;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.node.connect.ProofFailedException.Reason;
import io.p2pd.node.id.NodeId;
import io.p2pd.node.id.NodeKey;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.ServerLimits;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The node-key proof between two TCP pipes on loopback. */
class PeerProofTest {
    static final NodeKey A = NodeKey.fromHex("0a".repeat(32));
    static final NodeKey B = NodeKey.fromHex("0b".repeat(32));
    static final NodeKey C = NodeKey.fromHex("0c".repeat(32));
    static final Duration LIMIT = Duration.ofSeconds(10);

    private Pipe server;
    private Pipe dialed;
    private Pipe accepted;

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    @BeforeEach
    void connect() throws Exception {
        server = await(Pipes.tcp().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).open());
        CompletableFuture<Pipe> next = server.accept();
        dialed = await(Pipes.tcp().dest(server.localAddress()).open());
        accepted = await(next);
    }

    @AfterEach
    void close() throws Exception {
        await(CompletableFuture.allOf(dialed.closeAsync(), accepted.closeAsync(), server.closeAsync()));
    }

    static ProofFailedException failure(CompletableFuture<?> f) {
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> f.get(30, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(ProofFailedException.class);
        return (ProofFailedException) e.getCause();
    }

    @Test
    void bothSidesLearnEachOthersIdAndTheSessionTheDialerNamed() throws Exception {
        CompletableFuture<ProvenPipe> dialer = PeerProof.runChoosing(dialed, A, B.nodeId(), "s-1", LIMIT, () -> true);
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, B, Optional.empty(), "", LIMIT);
        ProvenPipe atA = await(dialer);
        ProvenPipe atB = await(listener);
        assertThat(atA.peer()).isEqualTo(B.nodeId());
        assertThat(atB.peer()).isEqualTo(A.nodeId());
        assertThat(atA.peerKey()).isEqualTo(B.publicKey());
        assertThat(atA.sessionId()).isEqualTo("s-1");
        assertThat(atB.sessionId()).isEqualTo("s-1");
        assertThat(atA.pipe()).isSameAs(dialed);

        // The connection carries the user's bytes both ways afterwards.
        await(dialed.send("ping".getBytes(US_ASCII)));
        assertThat(await(accepted.recv()).text()).isEqualTo("ping");
        await(accepted.send("pong".getBytes(US_ASCII)));
        assertThat(await(dialed.recv()).text()).isEqualTo("pong");
    }

    @Test
    void aSimultaneousOpenWithBothSidesExpectingEachOtherProvesBoth() throws Exception {
        // Neither side is the listener: both name the peer and the same session, as two punching nodes do; the
        // punch's initiator chooses.
        CompletableFuture<ProvenPipe> one = PeerProof.runChoosing(dialed, A, B.nodeId(), "punch-7", LIMIT,
                () -> true);
        CompletableFuture<ProvenPipe> two = PeerProof.run(accepted, B, Optional.of(A.nodeId()), "punch-7", LIMIT);
        assertThat(await(one).peer()).isEqualTo(B.nodeId());
        assertThat(await(two).peer()).isEqualTo(A.nodeId());
    }

    @Test
    void aPeerWithAnotherKeyThanTheExpectedOneFailsAsWrongPeerAndIsClosed() throws Exception {
        CompletableFuture<ProvenPipe> dialer = PeerProof.runChoosing(dialed, A, B.nodeId(), "", LIMIT, () -> true);
        CompletableFuture<ProvenPipe> impostor = PeerProof.run(accepted, C, Optional.empty(), "", LIMIT);
        assertThat(failure(dialer).reason()).isEqualTo(Reason.WRONG_PEER);
        await(dialed.closeFuture());
        assertThat(dialed.isOpen()).isFalse();
        // The impostor never gets a proof from A: it sees the connection end.
        assertThat(failure(impostor).reason()).isEqualTo(Reason.CLOSED);
    }

    @Test
    void aListenerThatExpectsAnotherNodeRefusesTheDialer() throws Exception {
        CompletableFuture<ProvenPipe> dialer = PeerProof.runChoosing(dialed, C, B.nodeId(), "", LIMIT, () -> true);
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, B, Optional.of(A.nodeId()), "", LIMIT);
        assertThat(failure(listener).reason()).isEqualTo(Reason.WRONG_PEER);
        assertThat(failure(dialer).reason()).isEqualTo(Reason.CLOSED);
    }

    @Test
    void differentSessionsOnTheTwoSidesFailAsWrongSession() throws Exception {
        CompletableFuture<ProvenPipe> dialer = PeerProof.runChoosing(dialed, A, B.nodeId(), "one", LIMIT, () -> true);
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, B, Optional.empty(), "two", LIMIT);
        assertThat(failure(listener).reason()).isIn(Reason.WRONG_SESSION, Reason.CLOSED);
        assertThat(failure(dialer).reason()).isIn(Reason.WRONG_SESSION, Reason.CLOSED);
        assertThat(Arrays.asList(failure(listener).reason(), failure(dialer).reason()))
                .contains(Reason.WRONG_SESSION);
    }

    @Test
    void aHelloWithAKeyItCannotSignForFailsAsBadSignature() throws Exception {
        // A forger sends B's key in its hello but signs with C's key.
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, A, Optional.empty(), "", LIMIT);
        byte[] nonce = new byte[32];
        Arrays.fill(nonce, (byte) 7);
        await(dialed.send(PeerProof.frame(PeerProof.hello(B.publicKey(), nonce, "", true))));
        byte[] hello = readFrame(dialed, new ByteArrayOutputStream());
        PeerProof.Hello theirs = PeerProof.parseHello(hello);
        byte[] forged = C.sign(PeerProof.transcript(nonce, theirs.nonce(), B.publicKey(), A.publicKey(), "",
                true));
        await(dialed.send(PeerProof.frame(forged)));
        assertThat(failure(listener).reason()).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void aProofReplayedFromAnotherRunFailsAsBadSignature() throws Exception {
        // A signature B made for another connection (another nonce of A's) does not prove B here.
        byte[] nonce = new byte[32];
        byte[] oldNonceOfA = new byte[32];
        Arrays.fill(oldNonceOfA, (byte) 1);
        byte[] recorded = B.sign(PeerProof.transcript(nonce, oldNonceOfA, B.publicKey(), A.publicKey(), "",
                true));
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, A, Optional.empty(), "", LIMIT);
        await(dialed.send(PeerProof.frame(PeerProof.hello(B.publicKey(), nonce, "", true))));
        await(dialed.send(PeerProof.frame(recorded)));
        assertThat(failure(listener).reason()).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void aReflectedHelloIsRefused() throws Exception {
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, A, Optional.empty(), "", LIMIT);
        byte[] own = readFrame(dialed, new ByteArrayOutputStream());
        await(dialed.send(PeerProof.frame(own)));
        ProofFailedException e = failure(listener);
        assertThat(e.reason()).isEqualTo(Reason.MALFORMED);
        assertThat(e.getMessage()).contains("reflected");
    }

    @Test
    void garbageFailsAsMalformedAndClosesTheConnection() throws Exception {
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, B, Optional.empty(), "", LIMIT);
        await(dialed.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(US_ASCII)));
        assertThat(failure(listener).reason()).isEqualTo(Reason.MALFORMED);
        await(accepted.closeFuture());
        await(dialed.closeFuture()); // the dialer sees the end
    }

    @Test
    void aHelloOfAnotherVersionOrAWrongSizeIsMalformed() throws Exception {
        byte[] hello = PeerProof.hello(A.publicKey(), new byte[32], "", false);
        hello[0] = 1;
        assertThatThrownBy(() -> PeerProof.parseHello(hello)).isInstanceOf(ProofFailedException.class)
                .hasMessageContaining("version 1");
        byte[] cut = Arrays.copyOf(PeerProof.hello(A.publicKey(), new byte[32], "abc", false), 70);
        assertThatThrownBy(() -> PeerProof.parseHello(cut)).isInstanceOf(ProofFailedException.class)
                .hasMessageContaining("length");
        byte[] badKey = PeerProof.hello(A.publicKey(), new byte[32], "", false);
        badKey[2] = 9;
        assertThatThrownBy(() -> PeerProof.parseHello(badKey)).isInstanceOf(ProofFailedException.class)
                .hasMessageContaining("key");
        byte[] flags = PeerProof.hello(A.publicKey(), new byte[32], "", false);
        flags[1] = 4;
        assertThatThrownBy(() -> PeerProof.parseHello(flags)).isInstanceOf(ProofFailedException.class)
                .hasMessageContaining("flags");
    }

    @Test
    void theOriginalsConnectionLineFailsAsUnprovenOriginal() throws Exception {
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, B, Optional.empty(), "", LIMIT);
        await(dialed.send("P2P_CON_ID_EQ 3f9a1c\n".getBytes(US_ASCII)));
        assertThat(failure(listener).reason()).isEqualTo(Reason.UNPROVEN_ORIGINAL);
    }

    @Test
    void silenceFailsAsTimeoutWithinTheLimitAndClosesTheConnection() throws Exception {
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, B, Optional.empty(), "",
                Duration.ofMillis(300));
        ProofFailedException e = failure(listener);
        assertThat(e.reason()).isEqualTo(Reason.TIMEOUT);
        await(accepted.closeFuture());
    }

    @Test
    void aPeerClosingMidProofFailsAsClosed() throws Exception {
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, B, Optional.empty(), "", LIMIT);
        byte[] hello = PeerProof.frame(PeerProof.hello(A.publicKey(), new byte[32], "", false));
        await(dialed.send(Arrays.copyOf(hello, 20))); // half a hello, then gone
        await(dialed.closeAsync());
        assertThat(failure(listener).reason()).isEqualTo(Reason.CLOSED);
    }

    @Test
    void cancellingTheProofClosesTheConnection() throws Exception {
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, B, Optional.empty(), "", LIMIT);
        listener.cancel(false);
        await(accepted.closeFuture());
        assertThat(accepted.isOpen()).isFalse();
    }

    @Test
    void bytesTheDialerSendsRightAfterItsProofReachTheListenersFirstRecvIntact() throws Exception {
        // A hand-made dialer sends hello, proof, chosen frame and user bytes in one write, so the listener reads them together.
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, B, Optional.empty(), "", LIMIT);
        ByteArrayOutputStream extra = new ByteArrayOutputStream();
        byte[] theirHello = readFrame(dialed, extra);
        PeerProof.Hello b = PeerProof.parseHello(theirHello);
        byte[] nonce = new byte[32];
        Arrays.fill(nonce, (byte) 3);
        byte[] user = new byte[3000];
        for (int i = 0; i < user.length; i++) {
            user[i] = (byte) (i * 31 + 7);
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(PeerProof.frame(PeerProof.hello(A.publicKey(), nonce, "", true)));
        all.write(PeerProof.frame(A.sign(PeerProof.transcript(nonce, b.nonce(), A.publicKey(), b.key(), "", true))));
        all.write(PeerProof.frame(PeerProof.CHOSEN));
        all.write(user);
        await(dialed.send(all.toByteArray()));
        ProvenPipe proven = await(listener);
        assertThat(proven.peer()).isEqualTo(A.nodeId());
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < user.length) {
            got.write(await(accepted.recv()).data());
        }
        assertThat(got.toByteArray()).isEqualTo(user);
    }

    @Test
    void bytesEachSideSendsAsSoonAsItsProofCompletesArriveIntactBothWays() throws Exception {
        byte[] fromA = pattern(100_000, 3);
        byte[] fromB = pattern(100_000, 5);
        CompletableFuture<ProvenPipe> atA = PeerProof.runChoosing(dialed, A, B.nodeId(), "", LIMIT, () -> true)
                .thenCompose(p -> p.pipe().send(fromA).thenApply(x -> p));
        CompletableFuture<ProvenPipe> atB = PeerProof.run(accepted, B, Optional.empty(), "", LIMIT)
                .thenCompose(p -> p.pipe().send(fromB).thenApply(x -> p));
        await(atA);
        await(atB);
        assertThat(readN(accepted, fromA.length)).isEqualTo(fromA);
        assertThat(readN(dialed, fromB.length)).isEqualTo(fromB);
    }

    @Test
    void aChoosingDialerSendsItsProofOnlyForTheConnectionItClaimsSoBothSidesKeepTheSameOne() throws Exception {
        // A second connection between the same two pipes' ends: the dialer proves both, claims only the first.
        CompletableFuture<Pipe> next = server.accept();
        Pipe dialed2 = await(Pipes.tcp().dest(server.localAddress()).open());
        Pipe accepted2 = await(next);
        try {
            java.util.concurrent.atomic.AtomicBoolean won = new java.util.concurrent.atomic.AtomicBoolean();
            CompletableFuture<ProvenPipe> l1 = PeerProof.run(accepted, B, Optional.empty(), "", LIMIT);
            CompletableFuture<ProvenPipe> d1 = PeerProof.runChoosing(dialed, A, B.nodeId(), "d-1", LIMIT,
                    () -> won.compareAndSet(false, true));
            assertThat(await(d1).peer()).isEqualTo(B.nodeId());
            assertThat(await(l1).peer()).isEqualTo(A.nodeId());
            CompletableFuture<ProvenPipe> l2 = PeerProof.run(accepted2, B, Optional.empty(), "", LIMIT);
            CompletableFuture<ProvenPipe> d2 = PeerProof.runChoosing(dialed2, A, B.nodeId(), "d-1", LIMIT,
                    () -> won.compareAndSet(false, true));
            assertThat(failure(d2).reason()).isEqualTo(Reason.NOT_CHOSEN);
            // Told so, the listener counts a race's loser, not a broken proof.
            assertThat(failure(l2).reason()).isEqualTo(Reason.NOT_CHOSEN);
        } finally {
            dialed2.closeAsync();
            accepted2.closeAsync();
        }
    }

    @Test
    void aListenerThatChoosesProvesOnlyTheDialBackItClaimsAndTheDialerLearnsTheOtherWasNotChosen()
            throws Exception {
        CompletableFuture<Pipe> next = server.accept();
        Pipe dialed2 = await(Pipes.tcp().dest(server.localAddress()).open());
        Pipe accepted2 = await(next);
        try {
            java.util.concurrent.atomic.AtomicBoolean won = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
            PeerProof.Chooser chooser = (peer, session) -> {
                asked.add(peer + " " + session);
                return Optional.of(() -> won.compareAndSet(false, true));
            };
            CompletableFuture<ProvenPipe> l1 = PeerProof.runAnswering(accepted, A, Optional.empty(), LIMIT, chooser);
            CompletableFuture<ProvenPipe> d1 = PeerProof.run(dialed, B, Optional.of(A.nodeId()), "r-1", LIMIT);
            assertThat(await(l1).sessionId()).isEqualTo("r-1");
            assertThat(await(d1).peer()).isEqualTo(A.nodeId());
            CompletableFuture<ProvenPipe> l2 = PeerProof.runAnswering(accepted2, A, Optional.empty(), LIMIT, chooser);
            CompletableFuture<ProvenPipe> d2 = PeerProof.run(dialed2, B, Optional.of(A.nodeId()), "r-1", LIMIT);
            assertThat(failure(l2).reason()).isEqualTo(Reason.NOT_CHOSEN);
            assertThat(failure(d2).reason()).isEqualTo(Reason.NOT_CHOSEN);
            assertThat(asked).containsExactly(B.nodeId() + " r-1", B.nodeId() + " r-1");
        } finally {
            dialed2.closeAsync();
            accepted2.closeAsync();
        }
    }

    @Test
    void aListenerThatChoosesRefusesADialerThatChoosesTooAtOnce() throws Exception {
        CompletableFuture<ProvenPipe> l = PeerProof.runAnswering(accepted, A, Optional.empty(), LIMIT,
                (peer, session) -> Optional.of(() -> true));
        CompletableFuture<ProvenPipe> d = PeerProof.runChoosing(dialed, B, A.nodeId(), "r-1", LIMIT, () -> true);
        assertThat(failure(l).reason()).isEqualTo(Reason.MALFORMED);
        assertThat(failure(d).reason()).isIn(Reason.MALFORMED, Reason.CLOSED);
    }

    @Test
    void twoSidesThatBothChooseFailAtOnceInsteadOfWaitingForEachOther() throws Exception {
        CompletableFuture<ProvenPipe> one = PeerProof.runChoosing(dialed, A, B.nodeId(), "", LIMIT, () -> true);
        CompletableFuture<ProvenPipe> two = PeerProof.runChoosing(accepted, B, A.nodeId(), "", LIMIT, () -> true);
        assertThat(failure(one).reason()).isIn(Reason.MALFORMED, Reason.CLOSED);
        assertThat(failure(two).reason()).isIn(Reason.MALFORMED, Reason.CLOSED);
    }

    @Test
    void twoSidesThatNeitherChooseFailAtOnceWithoutSigning() throws Exception {
        CompletableFuture<ProvenPipe> one = PeerProof.run(dialed, A, Optional.of(B.nodeId()), "", LIMIT);
        CompletableFuture<ProvenPipe> two = PeerProof.run(accepted, B, Optional.of(A.nodeId()), "", LIMIT);
        assertThat(failure(one).reason()).isIn(Reason.MALFORMED, Reason.CLOSED);
        assertThat(failure(two).reason()).isIn(Reason.MALFORMED, Reason.CLOSED);
    }

    @Test
    void aListenerThatMayChooseButDoesNotForThisSessionFailsAtOnceAgainstADialerThatDoesNotChoose()
            throws Exception {
        CompletableFuture<ProvenPipe> l = PeerProof.runAnswering(accepted, A, Optional.empty(), LIMIT,
                (peer, session) -> Optional.empty());
        CompletableFuture<ProvenPipe> d = PeerProof.run(dialed, B, Optional.of(A.nodeId()), "other", LIMIT);
        assertThat(failure(l).reason()).isEqualTo(Reason.MALFORMED);
        // The dialer waited for a proof the listener might have sent; the listener's close ends that wait.
        assertThat(failure(d).reason()).isIn(Reason.MALFORMED, Reason.CLOSED);
    }

    @Test
    void aListenerSignsNothingBeforeTheChooserProvedItsKey() throws Exception {
        // A party without B's key claims to be B (a chooser) and sends a bad proof: the listener fails having sent
        // its hello and no signature the party could pass on.
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, A, Optional.empty(), "", LIMIT);
        await(dialed.send(PeerProof.frame(PeerProof.hello(B.publicKey(), new byte[32], "", true))));
        ByteArrayOutputStream after = new ByteArrayOutputStream();
        PeerProof.parseHello(readFrame(dialed, after));
        await(dialed.send(PeerProof.frame(new byte[64])));
        assertThat(failure(listener).reason()).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(readToEnd(dialed, after)).isEmpty();
    }

    @Test
    void aHelloWithThisNodesOwnKeyIsRefusedEvenWithAnotherNonceAndRole() throws Exception {
        // Two connections to A spliced together: A's hello from one, made a chooser's, sent into the other.
        CompletableFuture<ProvenPipe> listener = PeerProof.run(accepted, A, Optional.empty(), "", LIMIT);
        byte[] nonce = new byte[32];
        Arrays.fill(nonce, (byte) 9);
        await(dialed.send(PeerProof.frame(PeerProof.hello(A.publicKey(), nonce, "", true))));
        ProofFailedException e = failure(listener);
        assertThat(e.reason()).isEqualTo(Reason.MALFORMED);
        assertThat(e.getMessage()).contains("own key");
    }

    @Test
    void twoConnectionsToOneNodeWithSwappedHellosDoNotProveTheNodeToItself() throws Exception {
        CompletableFuture<Pipe> next = server.accept();
        Pipe dialed2 = await(Pipes.tcp().dest(server.localAddress()).open());
        Pipe accepted2 = await(next);
        try {
            CompletableFuture<ProvenPipe> l1 = PeerProof.run(accepted, A, Optional.empty(), "", LIMIT);
            CompletableFuture<ProvenPipe> l2 = PeerProof.run(accepted2, A, Optional.empty(), "", LIMIT);
            byte[] h1 = readFrame(dialed, new ByteArrayOutputStream());
            byte[] h2 = readFrame(dialed2, new ByteArrayOutputStream());
            h1[1] = PeerProof.CHOOSES; // the party makes each look like a chooser's
            h2[1] = PeerProof.CHOOSES;
            await(dialed.send(PeerProof.frame(h2)));
            await(dialed2.send(PeerProof.frame(h1)));
            assertThat(failure(l1).reason()).isEqualTo(Reason.MALFORMED);
            assertThat(failure(l2).reason()).isEqualTo(Reason.MALFORMED);
            assertThat(readToEnd(dialed, new ByteArrayOutputStream())).isEmpty();
            assertThat(readToEnd(dialed2, new ByteArrayOutputStream())).isEmpty();
        } finally {
            dialed2.closeAsync();
            accepted2.closeAsync();
        }
    }

    @Test
    void aProvenConnectionIsTakenOutOfTheServersIdleLimitAndAQuietStrangerIsNot() throws Exception {
        ServerLimits shortIdle = ServerLimits.builder().idleTimeout(Duration.ofMillis(300)).build();
        try (Pipe limited = await(Pipes.tcp().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .limits(shortIdle).open())) {
            CompletableFuture<Pipe> next = limited.accept();
            Pipe toPeer = await(Pipes.tcp().dest(limited.localAddress()).open());
            Pipe peerSide = await(next);
            CompletableFuture<ProvenPipe> listener = PeerProof.run(peerSide, B, Optional.empty(), "", LIMIT);
            await(PeerProof.runChoosing(toPeer, A, B.nodeId(), "", LIMIT, () -> true));
            await(listener);
            // A stranger opened after the proof, quiet from then on: closed by the idle limit. The proven connection
            // has been quiet longer by then, and stays open.
            CompletableFuture<Pipe> strangerNext = limited.accept();
            Pipe stranger = await(Pipes.tcp().dest(limited.localAddress()).open());
            await(await(strangerNext).closeFuture());
            await(stranger.closeFuture());
            assertThat(peerSide.isOpen()).isTrue();
            await(toPeer.send("still here".getBytes(US_ASCII)));
            assertThat(await(peerSide.recv()).text()).isEqualTo("still here");
            toPeer.close();
        }
    }

    @Test
    void misuseThrowsAtOnce() {
        assertThatThrownBy(() -> PeerProof.run(dialed, A, Optional.empty(), "x".repeat(65), LIMIT))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PeerProof.run(dialed, A, Optional.empty(), "a b", LIMIT))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PeerProof.run(dialed, A, Optional.empty(), "", Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PeerProof.run(server, A, Optional.empty(), "", LIMIT))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(dialed.isOpen()).isTrue();
        assertThat(new NodeId(A.nodeId().value())).isEqualTo(A.nodeId());
    }

    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * seed + (i >> 8));
        }
        return b;
    }

    static byte[] readN(Pipe pipe, int n) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < n) {
            got.write(await(pipe.recv()).data());
        }
        return got.toByteArray();
    }

    /** Everything {@code pipe} reads until its peer closes, after what {@code before} holds already. */
    static byte[] readToEnd(Pipe pipe, ByteArrayOutputStream before) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        got.write(before.toByteArray());
        while (true) {
            try {
                got.write(await(pipe.recv()).data());
            } catch (ExecutionException end) {
                assertThat(end.getCause()).isInstanceOf(io.p2pd.pipe.PipeClosedException.class);
                return got.toByteArray();
            }
        }
    }

    /** One frame's body read from {@code pipe}; bytes read past it go to {@code extra}. */
    static byte[] readFrame(Pipe pipe, ByteArrayOutputStream extra) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (true) {
            byte[] b = got.toByteArray();
            if (b.length >= 2) {
                int length = ((b[0] & 0xff) << 8) | (b[1] & 0xff);
                if (b.length >= 2 + length) {
                    extra.write(b, 2 + length, b.length - 2 - length);
                    return Arrays.copyOfRange(b, 2, 2 + length);
                }
            }
            got.write(await(pipe.recv()).data());
        }
    }
}
