package io.p2pd.turn;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.stun.StunAttribute;
import io.p2pd.stun.StunErrorCode;
import io.p2pd.stun.StunMessage;
import io.p2pd.stun.StunMessage.MessageClass;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The client's checks of what a server answers, against {@link ScriptedTurn} on loopback (coturn answers correctly,
 * so it cannot show these): a success response not signed with our key is refused, MESSAGE-INTEGRITY-SHA256 is used
 * when the server offers SHA-256 in PASSWORD-ALGORITHMS, and 438 Stale Nonce is retried once.
 */
class TurnResponseCheckTest {

    static TurnConfig config() {
        return TurnConfig.builder(Coturn.USER, Coturn.PASSWORD).initialRto(Duration.ofMillis(50))
                .timeLimit(Duration.ofMillis(800)).closeTimeout(Duration.ofMillis(300)).build();
    }

    static Throwable failure(java.util.concurrent.CompletableFuture<?> f) throws Exception {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure");
    }

    /** Answers the Allocate with {@code allocate}, everything else with success. */
    static ScriptedTurn.Responder onAllocate(ScriptedTurn.Responder allocate) {
        return (request, s) -> request.method() == StunMessage.METHOD_ALLOCATE ? allocate.answer(request, s)
                : s.ok(request);
    }

    @Test
    void anAllocationWhoseCallerGaveUpIsDeleted() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            CountDownLatch deleted = new CountDownLatch(1);
            server.responder = (request, s) -> {
                if (request.method() == StunMessage.METHOD_REFRESH && request.lifetime().orElse(-1L) == 0) {
                    deleted.countDown();
                }
                return s.ok(request);
            };
            TurnClient.allocate(server.address(), config()).cancel(false);
            assertThat(deleted.await(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aSuccessSignedWithOurKeyIsAccepted() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn();
             TurnAllocation a = TurnClient.allocate(server.address(), config()).get(10, TimeUnit.SECONDS)) {
            assertThat(a.relayedAddress()).isEqualTo(ScriptedTurn.RELAYED);
            assertThat(a.stats().unsignedResponses()).isZero();
        }
    }

    @Test
    void anUnsignedSuccessIsRefused() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            server.responder = onAllocate((request, s) -> s.success(request).build());
            Throwable e = failure(TurnClient.allocate(server.address(), config()));
            assertThat(e).isInstanceOf(TurnProtocolException.class).hasMessageContaining("not signed with our key");
            assertThat(server.requests).isNotEmpty();
        }
    }

    @Test
    void aSuccessSignedWithAnotherKeyIsRefused() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            byte[] other = StunMessage.longTermKey(Coturn.USER, server.realm, "other");
            server.responder = onAllocate((request, s) -> s.success(request).messageIntegrity(other).build());
            Throwable e = failure(TurnClient.allocate(server.address(), config()));
            assertThat(e).isInstanceOf(TurnProtocolException.class).hasMessageContaining("not signed with our key");
        }
    }

    @Test
    void sha256IsUsedWhenTheServerOffersIt() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            server.passwordAlgorithms = StunAttribute.of(StunAttribute.PASSWORD_ALGORITHMS,
                    new byte[] {0, 2, 0, 0, 0, 1, 0, 0});
            try (TurnAllocation a = TurnClient.allocate(server.address(), config()).get(10, TimeUnit.SECONDS)) {
                assertThat(a.relayedAddress()).isEqualTo(ScriptedTurn.RELAYED);
                assertThat(server.requests).allSatisfy(r -> assertThat(r.hasIntegritySha256()).isTrue());
            }
        }
    }

    @Test
    void aStaleNonceIsRetriedOnceWithTheNewNonce() throws Exception {
        try (ScriptedTurn server = new ScriptedTurn()) {
            server.responder = onAllocate((request, s) -> {
                if (s.nonce.equals("nonce-1")) {
                    s.nonce = "nonce-2";
                    return StunMessage.responseTo(request, MessageClass.ERROR_RESPONSE)
                            .errorCode(new StunErrorCode(438, "Stale Nonce")).realm(s.realm).nonce(s.nonce).build();
                }
                return s.ok(request);
            });
            try (TurnAllocation a = TurnClient.allocate(server.address(), config()).get(10, TimeUnit.SECONDS)) {
                assertThat(a.relayedAddress()).isEqualTo(ScriptedTurn.RELAYED);
                assertThat(a.stats().staleNonces()).isEqualTo(1);
            }
        }
    }
}
