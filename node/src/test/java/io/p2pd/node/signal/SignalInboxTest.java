package io.p2pd.node.signal;

import static io.p2pd.node.signal.Fixtures.ADDR_A;
import static io.p2pd.node.signal.Fixtures.ADDR_B;
import static io.p2pd.node.signal.Fixtures.ADDR_C;
import static io.p2pd.node.signal.Fixtures.KEY_A;
import static io.p2pd.node.signal.Fixtures.KEY_B;
import static io.p2pd.node.signal.Fixtures.KEY_C;
import static io.p2pd.node.signal.Fixtures.NOW;
import static io.p2pd.node.signal.Fixtures.getAddr;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.node.addr.PeerAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Every drop rule of {@link SignalInbox}, its counts, and the bound of the replay cache. */
class SignalInboxTest {

    final Fixtures.Clock clock = new Fixtures.Clock();
    final SignalInbox inboxB = new SignalInbox(KEY_B, SignalPolicy.defaults(), clock);
    final SignalSealer sealerA = new SignalSealer(KEY_A);

    SignalDrop dropReason(SignalResult r) {
        assertThat(r).isInstanceOf(SignalResult.Dropped.class);
        return ((SignalResult.Dropped) r).reason();
    }

    SignalReceipt accepted(SignalResult r) {
        assertThat(r).as("%s", r).isInstanceOf(SignalResult.Accepted.class);
        return ((SignalResult.Accepted) r).receipt();
    }

    static byte[] wire(boolean encrypted, byte[] body) {
        return SignalCodec.wire(encrypted, body);
    }

    @Test
    void aSignedEncryptedMessageIsAcceptedWithItsFields() {
        SignalMessage sent = getAddr("pipe1").withPayload(Map.of("k", "v"));
        SignalReceipt r = accepted(inboxB.receive(sealerA.seal(sent, KEY_B.publicKey())));
        assertThat(r.encrypted()).isTrue();
        assertThat(r.signed()).isTrue();
        assertThat(r.mayDial()).isTrue();
        assertThat(r.message()).isEqualTo(sent.withSenderKey(KEY_A.publicKey()));
        assertThat(inboxB.stats().accepted()).isEqualTo(1);
        assertThat(inboxB.stats().droppedTotal()).isZero();
    }

    @Test
    void aSignedPlaintextMessageIsAcceptedAndMarkedPlaintext() {
        SignalReceipt r = accepted(inboxB.receive(sealerA.sealPlaintext(getAddr("pipe2"))));
        assertThat(r.encrypted()).isFalse();
        assertThat(r.signed()).isTrue();
    }

    @Test
    void malformedPayloadsAreDroppedAsMalformed() {
        byte[] ok = SignalCodec.signedPlain(getAddr("p").withSenderKey(KEY_A.publicKey()), KEY_A, false);
        List<byte[]> bad = List.of(
                "zz".getBytes(US_ASCII),
                "0".getBytes(US_ASCII),
                ("02" + HexFormat.of().formatHex(ok)).getBytes(US_ASCII),
                wire(false, new byte[] {4, '{', '}'}),
                wire(false, new byte[] {4, 'n', 'o'}),
                wire(false, "\4{\"meta\": {\"ttl\": 5}, \"routing\": {}}".getBytes(US_ASCII)),
                wire(false, new String(ok, US_ASCII).replace("\"ttl\": 1000005", "\"ttl\": \"1\"").getBytes(US_ASCII)),
                wire(false, new String(ok, US_ASCII).replace("\"src_index\": 0", "\"src_index\": 3").getBytes(US_ASCII)),
                wire(false, new String(ok, US_ASCII).replace("\"sig\": \"", "\"sig\": \"0").getBytes(US_ASCII)),
                new byte[SignalCodec.MAX_WIRE_CHARS + 2]);
        for (byte[] b : bad) {
            assertThat(dropReason(inboxB.receive(b))).isEqualTo(SignalDrop.MALFORMED);
        }
        assertThat(inboxB.stats().dropped(SignalDrop.MALFORMED)).isEqualTo(bad.size());
        assertThat(inboxB.stats().accepted()).isZero();
    }

    @Test
    void theLargestRealMessageFitsTheCapWithRoomAndALargerOneIsMalformed() {
        // Both addresses with every interface (4 per family, IPv6 written in full, the widest numbers), and a TCP
        // punch payload with the original's most port mappings (MAX_PREDICT_NO, 100).
        List<String> v4 = new ArrayList<>();
        List<String> v6 = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            v4.add("[" + (65532 + i) + "," + i + ",203.0.113.255,192.168.100.200,65535,5,3,-65535]");
            v6.add("[" + (65532 + i) + "," + i + ",2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff,"
                    + "fe80:0000:0000:0000:ffff:ffff:ffff:ffff,65535,5,3,-65535]");
        }
        PeerAddress fullA = Fixtures.address("0,1,2,3,4,5", String.join("|", v4), String.join("|", v6), KEY_A);
        PeerAddress fullB = Fixtures.address("0,1,2,3,4,5", String.join("|", v4), String.join("|", v6), KEY_B);
        List<Object> mappings = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            mappings.add(List.of(65535L, 65535L, 65535L));
        }
        SignalMessage punch = SignalMessage.of(SignalType.TCP_PUNCH, NOW + 30, "p".repeat(32), fullA, fullB)
                .withPayload(Map.of("punch_mode", 2L, "ntp", new java.math.BigDecimal("1733390000.123456789"),
                        "mappings", mappings));
        byte[] sealed = sealerA.seal(punch, KEY_B.publicKey());
        assertThat(sealed.length).as("the largest real message, sealed").isLessThan(SignalCodec.MAX_WIRE_CHARS * 3 / 4);
        accepted(inboxB.receive(sealed));

        // One over the cap is dropped unread, and the sealer refuses to make one.
        byte[] over = Arrays.copyOf(sealed, SignalCodec.MAX_WIRE_CHARS + 2);
        Arrays.fill(over, sealed.length, over.length, (byte) '0');
        assertThat(dropReason(inboxB.receive(over))).isEqualTo(SignalDrop.MALFORMED);
        SignalMessage huge = punch.withPayload(Map.of("pad", "x".repeat(SignalCodec.MAX_WIRE_CHARS / 2)));
        assertThatThrownBy(() -> sealerA.seal(huge, KEY_B.publicKey())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too large");
    }

    @Test
    void anUnknownTypeIsDroppedAsSuch() {
        byte[] ok = SignalCodec.signedPlain(getAddr("p").withSenderKey(KEY_A.publicKey()), KEY_A, false);
        ok[0] = 9;
        assertThat(dropReason(inboxB.receive(wire(false, ok)))).isEqualTo(SignalDrop.UNKNOWN_TYPE);
    }

    @Test
    void aMessageEncryptedToAnotherKeyIsUndecryptable() {
        SignalMessage toC = SignalMessage.of(SignalType.GET_ADDRESS, NOW + 5, "p", ADDR_A, ADDR_C);
        assertThat(dropReason(inboxB.receive(sealerA.seal(toC, KEY_C.publicKey()))))
                .isEqualTo(SignalDrop.UNDECRYPTABLE);
    }

    @Test
    void aMessageForAnotherNodeIsNotForUs() {
        SignalMessage toC = SignalMessage.of(SignalType.GET_ADDRESS, NOW + 5, "p", ADDR_A, ADDR_C);
        assertThat(dropReason(inboxB.receive(sealerA.sealPlaintext(toC)))).isEqualTo(SignalDrop.NOT_FOR_US);
    }

    @Test
    void unsignedMessagesAreDroppedUnlessTheLegacySwitchIsOnAndThenNeverMayDial() {
        byte[] unsigned = wire(false, SignalCodec.plain(getAddr("legacy").withSenderKey(KEY_A.publicKey())));
        assertThat(dropReason(inboxB.receive(unsigned))).isEqualTo(SignalDrop.UNSIGNED);
        assertThat(inboxB.stats().dropped(SignalDrop.UNSIGNED)).isEqualTo(1);

        SignalInbox legacy = new SignalInbox(KEY_B, SignalPolicy.defaults().withAllowUnsignedPeers(true), clock);
        SignalReceipt r = accepted(legacy.receive(unsigned));
        assertThat(r.signed()).isFalse();
        assertThat(r.mayDial()).isFalse();
        // The legacy switch does not lift the other rules: the same message twice is still a duplicate.
        assertThat(dropReason(legacy.receive(unsigned))).isEqualTo(SignalDrop.DUPLICATE);
    }

    @Test
    void aSignatureByAKeyThatDoesNotNameTheSenderIsWrongSenderKey() {
        // C signs a message claiming to come from A, with its own key in cipher.vk.
        byte[] forged = SignalCodec.signedPlain(getAddr("p").withSenderKey(KEY_C.publicKey()), KEY_C, false);
        assertThat(dropReason(inboxB.receive(wire(false, forged)))).isEqualTo(SignalDrop.WRONG_SENDER_KEY);
        // And with A's key in cipher.vk but C's signature: a bad signature.
        byte[] forged2 = SignalCodec.signedPlain(getAddr("p").withSenderKey(KEY_A.publicKey()), KEY_C, false);
        assertThat(dropReason(inboxB.receive(wire(false, forged2)))).isEqualTo(SignalDrop.BAD_SIGNATURE);
        assertThat(inboxB.stats().dropped(SignalDrop.WRONG_SENDER_KEY)).isEqualTo(1);
        assertThat(inboxB.stats().dropped(SignalDrop.BAD_SIGNATURE)).isEqualTo(1);
    }

    @Test
    void aSignedMessageAlteredOnTheWayHasABadSignature() {
        byte[] ok = SignalCodec.signedPlain(getAddr("pipeX").withSenderKey(KEY_A.publicKey()), KEY_A, false);
        byte[] altered = new String(ok, US_ASCII).replace("pipeX", "pipeY").getBytes(US_ASCII);
        assertThat(dropReason(inboxB.receive(wire(false, altered)))).isEqualTo(SignalDrop.BAD_SIGNATURE);
        assertThat(accepted(inboxB.receive(wire(false, ok))).message().pipeId()).isEqualTo("pipeX");
    }

    @Test
    void staleMessagesAreDroppedAfterTheTtlAndTheAllowedSkew() {
        SignalMessage m = getAddr("old"); // ttl NOW + 5, skew 10 s: stale from NOW + 15
        clock.seconds.set(NOW + 15);
        assertThat(dropReason(inboxB.receive(sealerA.seal(m, KEY_B.publicKey())))).isEqualTo(SignalDrop.STALE);
        clock.seconds.set(NOW + 14);
        accepted(inboxB.receive(sealerA.seal(m, KEY_B.publicKey())));
    }

    @Test
    void messagesExpiringTooFarAheadAreFromTheFuture() {
        // Longest lifetime 35 s (the original sends ttls at most 30 s ahead) plus 10 s skew.
        SignalMessage far = SignalMessage.of(SignalType.CONNECT, NOW + 46, "far", ADDR_A, ADDR_B);
        assertThat(dropReason(inboxB.receive(sealerA.seal(far, KEY_B.publicKey()))))
                .isEqualTo(SignalDrop.FROM_THE_FUTURE);
        SignalMessage near = SignalMessage.of(SignalType.CONNECT, NOW + 45, "near", ADDR_A, ADDR_B);
        accepted(inboxB.receive(sealerA.seal(near, KEY_B.publicKey())));
    }

    @Test
    void aPlaintextMessageEncryptedByAThirdPartyCannotPassForOneThatCameEncrypted() {
        // C read A's signed plaintext on the way, and encrypts it to B to have it taken for a confidential one.
        byte[] plaintext = sealerA.sealPlaintext(getAddr("clear"));
        byte[] body = SignalCodec.outer(plaintext).body();
        byte[] rewrapped = wire(true, KEY_B.publicKey().encrypt(body));
        assertThat(dropReason(inboxB.receive(rewrapped))).isEqualTo(SignalDrop.BAD_SIGNATURE);
        // As it was, it is accepted, and says it came in plaintext.
        assertThat(accepted(inboxB.receive(plaintext)).encrypted()).isFalse();
    }

    @Test
    void theSameBytesTwiceAreADuplicateAndTheSameContentInOtherBytesIsAReplay() {
        SignalMessage m = getAddr("once");
        byte[] sealed = sealerA.seal(m, KEY_B.publicKey());
        accepted(inboxB.receive(sealed));
        assertThat(dropReason(inboxB.receive(sealed))).isEqualTo(SignalDrop.DUPLICATE);
        // Sealed again: the same signed content under another ECIES ephemeral key, as a replayer re-wraps it.
        assertThat(dropReason(inboxB.receive(sealerA.seal(m, KEY_B.publicKey())))).isEqualTo(SignalDrop.REPLAYED);
        assertThat(dropReason(inboxB.receive(sealerA.sealPlaintext(m)))).isEqualTo(SignalDrop.REPLAYED);
        SignalStats s = inboxB.stats();
        assertThat(s.accepted()).isEqualTo(1);
        assertThat(s.dropped(SignalDrop.DUPLICATE)).isEqualTo(1);
        assertThat(s.dropped(SignalDrop.REPLAYED)).isEqualTo(2);
        // Once its ttl and skew pass, it is forgotten, and stale.
        clock.seconds.set(NOW + 15);
        assertThat(dropReason(inboxB.receive(sealed))).isEqualTo(SignalDrop.STALE);
    }

    @Test
    void theReplayCacheStaysWithinItsCapacityAndRefusesWhatItCanNoLongerCheck() {
        ReplayCache cache = new ReplayCache(4);
        SignalInbox small = new SignalInbox(KEY_B, SignalPolicy.defaults().withReplayCacheCapacity(4), clock);
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            // Later messages expire later, so the cache forgets the earliest ones.
            SignalMessage m = SignalMessage.of(SignalType.CONNECT, NOW + 5 + i, "p" + i, ADDR_A, ADDR_B);
            sent.add(sealerA.seal(m, KEY_B.publicKey()));
            accepted(small.receive(sent.get(i)));
        }
        // The forgotten first six are refused (they might be replays); the last four are known duplicates.
        for (int i = 0; i < 6; i++) {
            assertThat(dropReason(small.receive(sent.get(i)))).isEqualTo(SignalDrop.REPLAY_WINDOW_FULL);
        }
        for (int i = 6; i < 10; i++) {
            assertThat(dropReason(small.receive(sent.get(i)))).isEqualTo(SignalDrop.DUPLICATE);
        }
        // A new message expiring after the forgotten ones still gets in.
        accepted(small.receive(sealerA.seal(
                SignalMessage.of(SignalType.CONNECT, NOW + 20, "fresh", ADDR_A, ADDR_B), KEY_B.publicKey())));

        for (int i = 0; i < 10_000; i++) {
            assertThat(cache.check("a", "id" + i, NOW + 100 + i, new byte[] {1}, NOW))
                    .isEqualTo(ReplayCache.Verdict.NEW);
            assertThat(cache.size()).isLessThanOrEqualTo(4);
        }
        assertThat(cache.check("a", "id0", NOW + 100, new byte[] {1}, NOW)).isEqualTo(ReplayCache.Verdict.WINDOW_FULL);
        assertThat(cache.check("a", "id9999", NOW + 10_099, new byte[] {1}, NOW))
                .isEqualTo(ReplayCache.Verdict.DUPLICATE);
        assertThat(cache.check("a", "id9999", NOW + 10_099, new byte[] {2}, NOW))
                .isEqualTo(ReplayCache.Verdict.REPLAYED);
        // Expired entries leave as time passes.
        cache.check("a", "later", NOW + 20_000, new byte[] {1}, NOW + 19_999);
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void aThirdPartyFloodingPastTheCacheBoundCostsOnlyItselfAndGenuineMessagesStillGetIn() {
        int capacity = 64;
        SignalInbox small = new SignalInbox(KEY_B, SignalPolicy.defaults().withReplayCacheCapacity(capacity), clock);
        byte[] before = sealerA.seal(getAddr("before"), KEY_B.publicKey());
        accepted(small.receive(before));
        // C, with its own key, sends validly signed messages expiring as late as the policy lets it.
        SignalSealer sealerC = new SignalSealer(KEY_C);
        List<byte[]> flood = new ArrayList<>();
        for (int i = 0; i < 4 * capacity; i++) {
            byte[] m = sealerC.sealPlaintext(SignalMessage.of(SignalType.CONNECT, NOW + 30, "f" + i, ADDR_C, ADDR_B));
            flood.add(m);
            SignalResult r = small.receive(m);
            if (i >= capacity) {
                // Past the bound the cache forgets C's own ids, so C's horizon rises over its own messages.
                assertThat(dropReason(r)).isEqualTo(SignalDrop.REPLAY_WINDOW_FULL);
            } else {
                accepted(r);
            }
        }
        // A's messages, expiring sooner than every one of C's, still get in; A's earlier one is still known.
        accepted(small.receive(sealerA.seal(getAddr("during"), KEY_B.publicKey())));
        assertThat(dropReason(small.receive(before))).isEqualTo(SignalDrop.DUPLICATE);
        // C's replays are refused: the recent ones known, the forgotten ones behind C's own horizon.
        for (byte[] m : flood) {
            assertThat(dropReason(small.receive(m))).isIn(SignalDrop.DUPLICATE, SignalDrop.REPLAY_WINDOW_FULL);
        }
        assertThat(dropReason(small.receive(flood.get(0)))).isEqualTo(SignalDrop.REPLAY_WINDOW_FULL);
        assertThat(small.stats().accepted()).isEqualTo(capacity + 2);
    }

    @Test
    void aFloodFromFreshKeysStaysBoundedAndForgetsTheFreshKeysFirst() {
        ReplayCache cache = new ReplayCache(4);
        assertThat(cache.check("genuine", "g1", NOW + 5, new byte[] {1}, NOW)).isEqualTo(ReplayCache.Verdict.NEW);
        for (int i = 0; i < 10_000; i++) {
            assertThat(cache.check("fresh" + i, "id" + i, NOW + 100 + i, new byte[] {1}, NOW))
                    .isEqualTo(ReplayCache.Verdict.NEW);
            assertThat(cache.size()).isLessThanOrEqualTo(4);
            assertThat(cache.senders()).isLessThanOrEqualTo(8);
        }
        assertThat(cache.check("genuine", "g1", NOW + 5, new byte[] {1}, NOW)).isEqualTo(ReplayCache.Verdict.DUPLICATE);
        assertThat(cache.check("genuine", "g2", NOW + 4, new byte[] {1}, NOW)).isEqualTo(ReplayCache.Verdict.NEW);
        // Forgotten fresh keys' replays are refused (their horizon, or the floor once they are gone), and everything
        // leaves once expired.
        assertThat(cache.check("fresh9999", "id9999", NOW + 10_099, new byte[] {2}, NOW))
                .isEqualTo(ReplayCache.Verdict.WINDOW_FULL);
        assertThat(cache.check("fresh5", "id5", NOW + 105, new byte[] {1}, NOW))
                .isEqualTo(ReplayCache.Verdict.WINDOW_FULL);
        cache.check("later", "x", NOW + 20_000, new byte[] {1}, NOW + 19_999);
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.senders()).isEqualTo(1);
    }

    @Test
    void oneMessageFromTwoBrokersAtOnceIsAcceptedExactlyOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 50; round++) {
                byte[] sealed = sealerA.seal(getAddr("race" + round), KEY_B.publicKey());
                List<Callable<SignalResult>> tasks = List.of(() -> inboxB.receive(sealed), () -> inboxB.receive(sealed),
                        () -> inboxB.receive(sealed), () -> inboxB.receive(sealed));
                int acceptedCount = 0;
                for (Future<SignalResult> f : pool.invokeAll(tasks, 30, TimeUnit.SECONDS)) {
                    if (f.get() instanceof SignalResult.Accepted) {
                        acceptedCount++;
                    } else {
                        assertThat(dropReason(f.get())).isEqualTo(SignalDrop.DUPLICATE);
                    }
                }
                assertThat(acceptedCount).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(inboxB.stats().accepted()).isEqualTo(50);
        assertThat(inboxB.stats().dropped(SignalDrop.DUPLICATE)).isEqualTo(150);
    }

    @Test
    void theSealerRefusesMisuse() {
        assertThatThrownBy(() -> new SignalSealer(KEY_C).seal(getAddr("p"), KEY_B.publicKey()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not this node");
        assertThatThrownBy(() -> sealerA.seal(getAddr("p"), KEY_C.publicKey()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("recipient key");
        assertThatThrownBy(() -> SignalMessage.of(SignalType.CONNECT, NOW, "p", ADDR_A, ADDR_B)
                .withInterfaces(java.net.StandardProtocolFamily.INET6, 0, java.net.StandardProtocolFamily.INET, 0))
                .isInstanceOf(SignalFormatException.class)
                .satisfies(e -> assertThat(((SignalFormatException) e).field()).isEqualTo("meta.src_index"));
        assertThatThrownBy(() -> SignalMessage.of(SignalType.CONNECT, NOW, "", ADDR_A, ADDR_B))
                .isInstanceOf(SignalFormatException.class).hasMessageContaining("meta.pipe_id");
    }
}
