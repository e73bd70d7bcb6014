package io.p2pd.node.signal;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing (Jazzer) of the signalling envelope decoder, which reads bytes from anyone who can publish
 * to a broker. Without {@code JAZZER_FUZZ} it runs once per input of the committed seed corpus
 * (src/test/resources/io/p2pd/node/signal/SignalFuzzTestInputs/envelopeDecode/); with {@code JAZZER_FUZZ=1} it
 * fuzzes. The input is read as a plaintext (type byte and JSON), where only {@link SignalFormatException} may come
 * out and a message read is made again into bytes that read back equal; and as an MQTT payload given to an inbox
 * (legacy switch on, to reach past the signature check), which never throws.
 */
class SignalFuzzTest {

    static final SignalInbox INBOX = new SignalInbox(Fixtures.KEY_B,
            SignalPolicy.defaults().withAllowUnsignedPeers(true), new Fixtures.Clock());

    @FuzzTest(maxDuration = "60s")
    void envelopeDecode(byte[] data) {
        SignalResult r = INBOX.receive(data);
        assertThat(r).isNotNull();
        SignalCodec.Decoded d;
        try {
            d = SignalCodec.decode(data);
        } catch (SignalFormatException e) {
            assertThat(e.field()).isNotBlank();
            assertThat(e.getMessage()).startsWith("signal message: " + e.field() + ": ");
            return;
        }
        SignalMessage again = SignalCodec.decode(SignalCodec.plain(d.message())).message();
        assertThat(again).isEqualTo(d.message());
    }
}
