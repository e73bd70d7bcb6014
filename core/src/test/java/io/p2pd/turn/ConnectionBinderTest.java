package io.p2pd.turn;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.p2pd.stun.StunAttribute;
import io.p2pd.stun.StunErrorCode;
import io.p2pd.stun.StunMessage;
import io.p2pd.stun.StunMessage.MessageClass;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The ConnectionBind exchange on a data connection, on an embedded channel: what the server sends before and with its
 * answer, split or glued to the peer's first bytes, and each way it can go wrong.
 */
class ConnectionBinderTest {
    static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 3478);
    static final InetSocketAddress PEER = new InetSocketAddress("127.0.0.1", 4000);
    static final byte[] KEY = StunMessage.longTermKey("alice", "realm", "pw");
    static final int ID = 0x01020304;

    /** Signs as the allocation does: with its nonce unless the connection was given its own. */
    final List<String> noncesUsed = new ArrayList<>();
    final ConnectionBinder.Signer signer = new ConnectionBinder.Signer() {
        @Override
        public StunMessage sign(StunMessage.Builder b, Optional<String> nonce, Optional<String> realm) {
            String n = nonce.orElse("allocation nonce");
            noncesUsed.add(n);
            String r = realm.orElse("realm");
            return b.username("alice").realm(r).nonce(n).messageIntegrity(keyOf(r)).build();
        }

        @Override
        public boolean signedByUs(StunMessage m, Optional<String> realm) {
            return m.checkIntegrity(keyOf(realm.orElse("realm")));
        }
    };

    static byte[] keyOf(String realm) {
        return StunMessage.longTermKey("alice", realm, "pw");
    }
    final ConnectionBinder binder = new ConnectionBinder(signer, SERVER, ID, PEER, Duration.ofSeconds(5));
    final EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    /** The binder in front, started; returns the ConnectionBind it sent. */
    CompletableFuture<Void> start() {
        channel.pipeline().addLast(binder);
        CompletableFuture<Void> bound = binder.bind();
        channel.runPendingTasks();
        return bound;
    }

    StunMessage sent() throws Exception {
        ByteBuf out = channel.readOutbound();
        try {
            return StunMessage.decode(ByteBufUtil.getBytes(out));
        } finally {
            out.release();
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    static byte[] success(StunMessage request) {
        return StunMessage.responseTo(request, MessageClass.SUCCESS_RESPONSE).messageIntegrity(KEY).build().encode();
    }

    static byte[] error(StunMessage request, int code, String nonce) {
        StunMessage.Builder b = StunMessage.responseTo(request, MessageClass.ERROR_RESPONSE)
                .errorCode(new StunErrorCode(code, "reason " + code));
        if (nonce != null) {
            b.realm("realm").nonce(nonce);
        }
        return b.build().encode();
    }

    void receive(byte[] bytes) {
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
    }

    /** Everything that passed the binder, as one string. */
    String passed() {
        StringBuilder s = new StringBuilder();
        for (ByteBuf b; (b = channel.readInbound()) != null; ) {
            s.append(b.toString(UTF_8));
            b.release();
        }
        return s.toString();
    }

    static Throwable failure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(1, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure");
    }

    @Test
    void theRequestIsASignedConnectionBindWithTheConnectionId() throws Exception {
        start();
        StunMessage request = sent();
        assertThat(request.method()).isEqualTo(StunMessage.METHOD_CONNECTION_BIND);
        assertThat(request.messageClass()).isEqualTo(MessageClass.REQUEST);
        assertThat(request.attribute(StunAttribute.CONNECTION_ID)).hasValueSatisfying(a ->
                assertThat(a.value()).containsExactly(1, 2, 3, 4));
        assertThat(request.checkIntegrity(KEY)).isTrue();
    }

    @Test
    void thePeersBytesInTheSameReadAsTheAnswerPassOnAndNothingOfTheAnswerDoes() throws Exception {
        CompletableFuture<Void> bound = start();
        receive(concat(success(sent()), "first bytes".getBytes(UTF_8)));
        assertThat(bound).isCompleted();
        assertThat(passed()).isEqualTo("first bytes");
        assertThat(channel.pipeline().get(ConnectionBinder.class)).isNull();
        receive("more".getBytes(UTF_8));
        assertThat(passed()).isEqualTo("more");
    }

    @Test
    void anAnswerSplitAcrossReadsIsWaitedFor() throws Exception {
        CompletableFuture<Void> bound = start();
        byte[] answer = concat(success(sent()), "x".getBytes(UTF_8));
        receive(Arrays.copyOf(answer, 7));
        receive(Arrays.copyOfRange(answer, 7, 25));
        assertThat(bound).isNotDone();
        assertThat(passed()).isEmpty();
        receive(Arrays.copyOfRange(answer, 25, answer.length));
        assertThat(bound).isCompleted();
        assertThat(passed()).isEqualTo("x");
    }

    @Test
    void aStaleNonceIsRetriedOnceWithTheNonceTheServerGaveTheConnection() throws Exception {
        CompletableFuture<Void> bound = start();
        receive(error(sent(), StunErrorCode.STALE_NONCE, "connection nonce"));
        StunMessage retry = sent();
        assertThat(retry.nonce()).contains("connection nonce");
        receive(error(retry, StunErrorCode.STALE_NONCE, "another"));
        assertThat(failure(bound)).isInstanceOf(TurnErrorResponseException.class)
                .hasMessageContaining("ConnectionBind for 127.0.0.1:4000").hasMessageContaining("438");
        assertThat(noncesUsed).containsExactly("allocation nonce", "connection nonce");
    }

    @Test
    void errorsHaveTheirTypes() throws Exception {
        CompletableFuture<Void> bound = start();
        receive(error(sent(), 447, null));
        Throwable e = failure(bound);
        assertThat(e).isInstanceOf(TurnConnectionFailedException.class);
        assertThat(((TurnConnectionFailedException) e).code()).isEqualTo(447);
        assertThat(passed()).isEmpty();

        ConnectionBinder other = new ConnectionBinder(signer, SERVER, ID, PEER, Duration.ofSeconds(5));
        EmbeddedChannel second = new EmbeddedChannel(other);
        try {
            CompletableFuture<Void> f = other.bind();
            second.runPendingTasks();
            ByteBuf out = second.readOutbound();
            StunMessage request = StunMessage.decode(ByteBufUtil.getBytes(out));
            out.release();
            second.writeInbound(Unpooled.wrappedBuffer(error(request, 446, null)));
            assertThat(failure(f)).isInstanceOf(TurnConnectionExistsException.class);
        } finally {
            second.finishAndReleaseAll();
        }
    }

    @Test
    void aSuccessNotSignedWithOurKeyIsRefused() throws Exception {
        CompletableFuture<Void> bound = start();
        receive(StunMessage.responseTo(sent(), MessageClass.SUCCESS_RESPONSE).build().encode());
        assertThat(failure(bound)).isInstanceOf(TurnProtocolException.class).hasMessageContaining("not signed");
    }

    @Test
    void bytesThatAreNotStunAreRefused() throws Exception {
        CompletableFuture<Void> bound = start();
        sent();
        receive("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(UTF_8));
        assertThat(failure(bound)).isInstanceOf(TurnProtocolException.class).hasMessageContaining("not STUN");
        assertThat(passed()).isEmpty();
    }

    @Test
    void theConnectionClosingFirstIsTheConnectionLost() throws Exception {
        CompletableFuture<Void> bound = start();
        sent();
        channel.close();
        assertThat(failure(bound)).isInstanceOf(TurnConnectionLostException.class)
                .hasMessageContaining("closed before it answered ConnectionBind");
    }

    @Test
    void noAnswerWithinTheTimeLimitIsATimeout() throws Exception {
        channel.freezeTime();
        CompletableFuture<Void> bound = start();
        sent();
        channel.advanceTimeBy(5, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(failure(bound)).isInstanceOf(TurnTimeoutException.class)
                .hasMessageContaining("ConnectionBind for 127.0.0.1:4000");
    }

    @Test
    void anErrorSignedWithAnotherKeyIsRefusedNotBelieved() throws Exception {
        CompletableFuture<Void> bound = start();
        receive(StunMessage.responseTo(sent(), MessageClass.ERROR_RESPONSE).errorCode(new StunErrorCode(447,
                "forged")).messageIntegrity(keyOf("elsewhere")).build().encode());
        assertThat(failure(bound)).isInstanceOf(TurnProtocolException.class).hasMessageContaining("not signed");
    }

    @Test
    void a401WithAnotherRealmIsRetriedWithTheKeyOfThatRealm() throws Exception {
        CompletableFuture<Void> bound = start();
        receive(StunMessage.responseTo(sent(), MessageClass.ERROR_RESPONSE).errorCode(new StunErrorCode(
                StunErrorCode.UNAUTHORIZED, "Unauthorized")).realm("other realm").nonce("n2").build().encode());
        StunMessage retry = sent();
        assertThat(retry.realm()).contains("other realm");
        assertThat(retry.nonce()).contains("n2");
        assertThat(retry.checkIntegrity(keyOf("other realm"))).isTrue();
        receive(StunMessage.responseTo(retry, MessageClass.SUCCESS_RESPONSE).messageIntegrity(keyOf("other realm"))
                .build().encode());
        assertThat(bound).isCompleted();
    }

    @Test
    void anAnswerWithABrokenFingerprintIsDroppedAndTheNextOneTaken() throws Exception {
        CompletableFuture<Void> bound = start();
        StunMessage request = sent();
        byte[] damaged = StunMessage.responseTo(request, MessageClass.SUCCESS_RESPONSE).messageIntegrity(KEY)
                .fingerprint().build().encode();
        damaged[damaged.length - 1] ^= 1;
        receive(damaged);
        assertThat(bound).isNotDone();
        receive(StunMessage.responseTo(request, MessageClass.SUCCESS_RESPONSE).messageIntegrity(KEY).fingerprint()
                .build().encode());
        assertThat(bound).isCompleted();
    }

    @Test
    void aStunMessageBeforeTheRequestIsRefused() throws Exception {
        channel.pipeline().addLast(binder);
        receive(StunMessage.builder(StunMessage.METHOD_CONNECTION_BIND, MessageClass.SUCCESS_RESPONSE).build()
                .encode());
        CompletableFuture<Void> bound = binder.bind();
        channel.runPendingTasks();
        assertThat(failure(bound)).isInstanceOf(TurnProtocolException.class).hasMessageContaining("before");
        assertThat(channel.outboundMessages()).isEmpty();
    }
}
