package io.p2pd.stun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.pipe.Proto;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Short-term credentials (RFC 8489 section 9.1) between our client and our server, over UDP and TCP. */
class StunCredentialsTest {

    private static final StunCredentials ALICE = new StunCredentials("alice", "s3cret");
    private static final StunClientConfig QUICK = StunClientConfig.builder().initialRto(Duration.ofMillis(100))
            .timeLimit(Duration.ofSeconds(5)).build();

    static StunServer guarded;
    static StunServer open;

    @BeforeAll
    static void start() throws Exception {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        guarded = StunServer.start(StunServerConfig.builder(lo).credentials(ALICE).build()).join();
        open = StunServer.start(StunServerConfig.of(lo, 0)).join();
    }

    @AfterAll
    static void stop() {
        guarded.close();
        open.close();
    }

    private static StunClientConfig signedAs(StunCredentials c) {
        return QUICK.toBuilder().credentials(c).build();
    }

    @ParameterizedTest
    @EnumSource(Proto.class)
    void aSignedRequestGetsASignedAnswer(Proto proto) {
        StunResult r = StunClient.binding(proto, guarded.primaryAddress(), signedAs(ALICE)).join();

        assertThat(r.mappedAddress().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(r.response().checkIntegrity(StunMessage.shortTermKey("s3cret"))).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Proto.class)
    void anUnsignedRequestGets400AndAWrongUserOrPassword401(Proto proto) {
        long before = guarded.unauthenticatedCount();

        assertThat(code(proto, QUICK)).isEqualTo(StunErrorCode.BAD_REQUEST);
        assertThat(code(proto, signedAs(new StunCredentials("alice", "guess")))).isEqualTo(StunErrorCode.UNAUTHORIZED);
        assertThat(code(proto, signedAs(new StunCredentials("mallory", "s3cret"))))
                .isEqualTo(StunErrorCode.UNAUTHORIZED);
        assertThat(guarded.unauthenticatedCount() - before).isEqualTo(3);
    }

    private static int code(Proto proto, StunClientConfig config) {
        Throwable e = StunClient.binding(proto, guarded.primaryAddress(), config).handle((r, x) -> x).join();
        assertThat(e).isInstanceOf(StunErrorResponseException.class);
        return ((StunErrorResponseException) e).code();
    }

    @Test
    void overUdpAnUnsignedAnswerIsDroppedAsIfItNeverCame() throws Exception {
        StunClientConfig brief = signedAs(ALICE).toBuilder().timeLimit(Duration.ofMillis(600)).build();
        try (StunSession session = StunSession.open(new InetSocketAddress("127.0.0.1", 0), brief).join()) {
            // The open server answers (it understands USERNAME and MESSAGE-INTEGRITY and ignores them) unsigned.
            assertThatThrownBy(() -> session.binding(open.primaryAddress()).join())
                    .isInstanceOf(CompletionException.class).hasCauseInstanceOf(StunTimeoutException.class);
            assertThat(session.unsignedResponses()).isPositive();
        }
        assertThat(open.requestCount()).isPositive();
    }

    @Test
    void overTcpAnUnsignedAnswerFailsTheRequest() {
        assertThatThrownBy(() -> StunClient.binding(Proto.TCP, open.primaryAddress(), signedAs(ALICE)).join())
                .hasCauseInstanceOf(StunProtocolException.class).hasMessageContaining("not signed");
    }

    @Test
    void thePasswordStaysOutOfToStringAndRfc3489RequestsCannotBeSigned() {
        assertThat(ALICE.toString()).contains("alice").doesNotContain("s3cret");
        assertThatThrownBy(() -> QUICK.toBuilder().rfc3489(true).credentials(ALICE).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3489");
    }
}
