package io.p2pd.turn;

import static io.p2pd.turn.ScriptedTurn.LO;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.stun.StunAttribute;
import io.p2pd.stun.StunErrorCode;
import io.p2pd.stun.StunMessage;
import io.p2pd.stun.StunMessage.MessageClass;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * How an allocation lives through failures its server causes, against {@link ScriptedTurn} on loopback (coturn
 * cannot be told to answer one refresh with 437, lose another, or change its realm): refreshes of every kind that time
 * out are tried again until what they refresh runs out, a 437 to any of them ends the allocation with that cause,
 * idle permissions and channels expire, wrongly signed errors are not believed, and the credentials follow RFC 8489
 * section 9.2.5.
 */
class TurnFailureTest {
    static final InetSocketAddress PEER = new InetSocketAddress(LO, 9);
    static final long WAIT = 10;

    static TurnConfig.Builder config() {
        return TurnConfig.builder(Coturn.USER, Coturn.PASSWORD).initialRto(Duration.ofMillis(50))
                .timeLimit(Duration.ofMillis(300)).closeTimeout(Duration.ofMillis(300));
    }

    static TurnAllocation allocate(ScriptedTurn server, TurnConfig config) throws Exception {
        return TurnClient.allocate(server.address(), config).get(WAIT, TimeUnit.SECONDS);
    }

    static Throwable failure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(WAIT, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure, got " + f.join());
    }

    static TurnStats reach(TurnAllocation a, Predicate<TurnStats> condition) throws Exception {
        return a.statsReach(condition).get(WAIT, TimeUnit.SECONDS);
    }

    /** Answers requests of {@code method} that refresh with {@code refresh}, everything else with success. */
    static ScriptedTurn.Responder onRefreshOf(int method, ScriptedTurn.Responder refresh) {
        return (request, server) -> request.method() == method && server.isRefresh(request)
                ? refresh.answer(request, server) : server.ok(request);
    }

    static ScriptedTurn.Responder mismatch() {
        return (request, server) -> server.error(request, 437, "Allocation Mismatch", server.key());
    }

    static void assertEndedWith437(TurnAllocation a) throws Exception {
        a.pipe().closeFuture().get(WAIT, TimeUnit.SECONDS);
        assertThat(a.failure()).hasValueSatisfying(f -> {
            assertThat(f).isInstanceOf(TurnAllocationMismatchException.class);
            assertThat(((TurnAllocationMismatchException) f).code()).isEqualTo(437);
        });
    }

    @Test
    void aPermissionRefreshAnswered437EndsTheAllocationWithThatCause() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            server.responder = onRefreshOf(StunMessage.METHOD_CREATE_PERMISSION, mismatch());
            try (TurnAllocation a = allocate(server, config().permissionRefresh(Duration.ofMillis(200)).build())) {
                a.permit(PEER).get(WAIT, TimeUnit.SECONDS);
                assertEndedWith437(a);
            }
        }
    }

    @Test
    void aChannelRefreshAnswered437EndsTheAllocationWithThatCause() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            server.responder = onRefreshOf(StunMessage.METHOD_CHANNEL_BIND, mismatch());
            try (TurnAllocation a = allocate(server, config().channelRefresh(Duration.ofMillis(200)).build())) {
                a.pipe().send("to the peer".getBytes(UTF_8), PEER).get(WAIT, TimeUnit.SECONDS);
                assertEndedWith437(a);
            }
        }
    }

    @Test
    void aTimedOutPermissionRefreshIsTriedAgainBeforeThePermissionRunsOut() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            // The first refresh is lost, every retransmission of it too; the next one is answered.
            String[] lost = new String[1];
            server.responder = onRefreshOf(StunMessage.METHOD_CREATE_PERMISSION, (request, s) -> {
                String id = java.util.HexFormat.of().formatHex(request.transactionId());
                if (lost[0] == null || lost[0].equals(id)) {
                    lost[0] = id;
                    return null;
                }
                return s.ok(request);
            });
            try (TurnAllocation a = allocate(server, config().permissionRefresh(Duration.ofMillis(200))
                    .permissionLifetime(Duration.ofSeconds(5)).build())) {
                a.permit(PEER).get(WAIT, TimeUnit.SECONDS);
                TurnStats s = reach(a, st -> st.permissionRefreshes() >= 2);
                assertThat(s.expiredPermissions()).isZero();
                assertThat(server.transactions(StunMessage.METHOD_CREATE_PERMISSION)).isGreaterThanOrEqualTo(4);
                assertThat(a.failure()).isEmpty();
            }
        }
    }

    @Test
    void aTimedOutRefreshIsTriedAgainAndTheAllocationLives() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            server.lifetime = 2; // refreshed after 1 s
            String[] lost = new String[1];
            server.responder = (request, s) -> {
                String id = java.util.HexFormat.of().formatHex(request.transactionId());
                if (request.method() == StunMessage.METHOD_REFRESH && (lost[0] == null || lost[0].equals(id))) {
                    lost[0] = id;
                    return null;
                }
                return s.ok(request);
            };
            try (TurnAllocation a = allocate(server, config().build())) {
                TurnStats s = reach(a, st -> st.refreshes() >= 1);
                assertThat(s.refreshes()).isEqualTo(1);
                assertThat(server.transactions(StunMessage.METHOD_REFRESH)).isEqualTo(2);
                assertThat(a.failure()).isEmpty();
                assertThat(a.pipe().isOpen()).isTrue();
            }
        }
    }

    @Test
    void aRefreshNeverAnsweredEndsTheAllocationOnceItsLifetimeRanOut() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            server.lifetime = 2;
            server.responder = (request, s) -> request.method() == StunMessage.METHOD_REFRESH ? null : s.ok(request);
            TurnAllocation a = allocate(server, config().build());
            a.pipe().closeFuture().get(WAIT, TimeUnit.SECONDS);
            assertThat(a.failure()).hasValueSatisfying(f -> assertThat(f).isInstanceOf(TurnTimeoutException.class)
                    .hasMessageContaining("lifetime of 2 s ran out"));
            // Tried more than once before giving up.
            assertThat(server.transactions(StunMessage.METHOD_REFRESH)).isGreaterThanOrEqualTo(2);
            a.close();
        }
    }

    @Test
    void idlePermissionsAndChannelsExpireAndTheNextDatagramAsksAgain() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn();
             TurnAllocation a = allocate(server, config().permissionRefresh(Duration.ofMillis(200))
                     .permissionLifetime(Duration.ofMillis(600)).channelRefresh(Duration.ofMillis(200))
                     .channelLifetime(Duration.ofMillis(600)).build())) {
            a.pipe().send("first".getBytes(UTF_8), PEER).get(WAIT, TimeUnit.SECONDS);
            assertThat(server.data.poll(WAIT, TimeUnit.SECONDS)).isNotNull();
            TurnStats s = reach(a, st -> st.expiredPermissions() == 1 && st.expiredChannels() == 1);
            long permissions = server.transactions(StunMessage.METHOD_CREATE_PERMISSION);
            long channels = server.transactions(StunMessage.METHOD_CHANNEL_BIND);
            // Traffic again: a new permission and a new channel, the data waiting for the permission then sent.
            a.pipe().send("again".getBytes(UTF_8), PEER).get(WAIT, TimeUnit.SECONDS);
            byte[] again = server.data.poll(WAIT, TimeUnit.SECONDS);
            assertThat(again).isEqualTo("again".getBytes(UTF_8)); // a Send indication: the new channel is not bound yet
            assertThat(server.transactions(StunMessage.METHOD_CREATE_PERMISSION)).isEqualTo(permissions + 1);
            reach(a, st -> st.expiredChannels() == 2); // idle again, it goes again
            assertThat(server.transactions(StunMessage.METHOD_CHANNEL_BIND)).isGreaterThan(channels);
            // Bound again with the same number (a new one could be refused while the server still holds the old).
            assertThat(server.requests.stream().filter(r -> r.method() == StunMessage.METHOD_CHANNEL_BIND)
                    .map(r -> r.channelNumber().orElseThrow()).distinct()).containsExactly(ChannelData.MIN_CHANNEL);
            assertThat(s.dropped()).isZero();
        }
    }

    @Test
    void aDatagramTooLargeWithItsFramingIsDroppedAndCounted() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn();
             TurnAllocation a = allocate(server, config().build())) {
            a.permit(PEER).get(WAIT, TimeUnit.SECONDS);
            // 65,505 bytes fit a datagram, not with the 36 or more bytes of a Send indication around them.
            a.pipe().send(new byte[65_505], PEER).get(WAIT, TimeUnit.SECONDS);
            assertThat(reach(a, st -> st.dropped() >= 1).dropped()).isEqualTo(1);
            a.pipe().send("small".getBytes(UTF_8), PEER).get(WAIT, TimeUnit.SECONDS);
            assertThat(server.data.poll(WAIT, TimeUnit.SECONDS)).isEqualTo("small".getBytes(UTF_8));
            assertThat(a.pipe().isOpen()).isTrue();
        }
    }

    @Test
    void aStaleNonceWithANewRealmIsRetriedWithTheNewRealmsKey() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            server.responder = (request, s) -> {
                if (request.method() == StunMessage.METHOD_CREATE_PERMISSION && s.realm.equals("scripted.test")) {
                    s.realm = "moved.test";
                    s.nonce = "nonce-2";
                    return StunMessage.responseTo(request, MessageClass.ERROR_RESPONSE)
                            .errorCode(new StunErrorCode(438, "Stale Nonce")).realm(s.realm).nonce(s.nonce).build();
                }
                return s.ok(request);
            };
            try (TurnAllocation a = allocate(server, config().build())) {
                a.permit(PEER).get(WAIT, TimeUnit.SECONDS);
                assertThat(a.stats().staleNonces()).isEqualTo(1);
            }
        }
    }

    @Test
    void anErrorSignedWithAnotherKeyIsNotBelieved() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            byte[] other = StunMessage.longTermKey(Coturn.USER, "scripted.test", "not the password");
            server.responder = (request, s) -> request.method() == StunMessage.METHOD_CREATE_PERMISSION
                    ? s.error(request, 403, "Forbidden", other) : s.ok(request);
            try (TurnAllocation a = allocate(server, config().build())) {
                Throwable e = failure(a.permit(PEER));
                assertThat(e).isInstanceOf(TurnProtocolException.class).hasMessageContaining("not signed with our key");
                assertThat(a.stats().unsignedResponses()).isGreaterThanOrEqualTo(2); // each retransmission's answer
            }
        }
    }

    @Test
    void anErrorSignedWithOurKeyIsBelieved() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            server.responder = (request, s) -> request.method() == StunMessage.METHOD_CREATE_PERMISSION
                    ? s.error(request, 403, "Forbidden", s.key()) : s.ok(request);
            try (TurnAllocation a = allocate(server, config().build())) {
                assertThat(failure(a.permit(PEER))).isInstanceOf(TurnForbiddenException.class);
                assertThat(a.stats().unsignedResponses()).isZero();
            }
        }
    }

    @Test
    void md5OfferedInPasswordAlgorithmsIsEchoedAndSignedWithSha256Integrity() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            server.nonce = "obMatJos2AAAB" + "md5-only"; // the "password algorithms" feature bit
            server.passwordAlgorithms = StunAttribute.of(StunAttribute.PASSWORD_ALGORITHMS,
                    new byte[] {0, 1, 0, 0, 0, 2, 0, 0}); // MD5 first: MD5 it is (the first one supported)
            try (TurnAllocation a = allocate(server, config().build())) {
                a.permit(PEER).get(WAIT, TimeUnit.SECONDS);
                StunMessage signed = server.requests.getFirst();
                assertThat(signed.attribute(StunAttribute.PASSWORD_ALGORITHM).orElseThrow().value())
                        .containsExactly(new byte[] {0, 1, 0, 0});
                assertThat(signed.hasIntegritySha256()).isTrue();
                assertThat(signed.hasIntegrity()).isFalse();
            }
        }
    }

    @Test
    void aNonceThatAnnouncesPasswordAlgorithmsWithoutThemIsNotRetried() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            server.nonce = "obMatJos2AAAB" + "stripped";
            Throwable e = failure(TurnClient.allocate(server.address(), config().build()));
            assertThat(e).isInstanceOf(TurnProtocolException.class).hasMessageContaining("PASSWORD-ALGORITHMS");
            assertThat(server.requests).isEmpty();
        }
    }

    @Test
    void theNonceCookiesFeatureBitIsReadAsTheErratumNumbersIt() {
        assertThat(Allocation.passwordAlgorithmsBit("obMatJos2AAABrest")).isTrue();
        assertThat(Allocation.passwordAlgorithmsBit("obMatJos2AAACrest")).isFalse(); // username anonymity only
        assertThat(Allocation.passwordAlgorithmsBit("plain-nonce")).isFalse();
        assertThat(Allocation.passwordAlgorithmsBit("obMatJos2!!!!")).isFalse();
    }
}
