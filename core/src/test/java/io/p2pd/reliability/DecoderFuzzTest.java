package io.p2pd.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.p2pd.net.HostPort;
import io.p2pd.stun.StunDecodeException;
import io.p2pd.stun.StunMessage;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing (Jazzer) of the decoders that read what a peer or a user types: the STUN codec and the
 * address parser. Without {@code JAZZER_FUZZ} each target runs once per input of its committed seed corpus
 * (src/test/resources/io/p2pd/reliability/DecoderFuzzTestInputs/&lt;method&gt;/); with {@code JAZZER_FUZZ=1} it fuzzes
 * (RELIABILITY.md has the command). Only the documented errors may come out; anything else fails the target.
 */
class DecoderFuzzTest {

    /** Any bytes: a {@link StunDecodeException} or a message whose every accessor works and that re-encodes. */
    @FuzzTest(maxDuration = "60s")
    void stunDecode(byte[] data) {
        StunMessage m;
        try {
            m = StunMessage.decode(data);
        } catch (StunDecodeException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        // Accessors read the attributes the decoder validated: none may throw on a message decode accepted.
        m.method();
        m.messageClass();
        m.xorMappedAddress();
        m.mappedAddress();
        m.otherAddress();
        m.changedAddress();
        m.responseOrigin();
        m.sourceAddress();
        m.changeRequest();
        m.responsePort();
        m.errorCode();
        m.software();
        m.username();
        m.realm();
        m.nonce();
        m.unknownAttributes();
        m.hasFingerprint();
        m.checkFingerprint();
        m.checkIntegrity(new byte[16]);
        assertThat(m.toString()).isNotEmpty();
        // "A decoded message re-encodes byte for byte."
        assertThat(m.encode()).isEqualTo(data);
        try {
            assertThat(StunMessage.decode(m.encode())).isEqualTo(m);
        } catch (StunDecodeException e) {
            throw new AssertionError("re-encoded message does not decode: " + e, e);
        }
    }

    /** Any text: an {@link IllegalArgumentException}, or a destination whose text form parses back to it. */
    @FuzzTest(maxDuration = "60s")
    void hostPortParse(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        HostPort hp;
        try {
            hp = HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        assertThat(hp.host()).isNotBlank();
        assertThat(hp.port()).isBetween(0, 0xFFFF);
        assertThat(HostPort.parse(hp.toString())).isEqualTo(hp);
        hp.literal();
    }
}
