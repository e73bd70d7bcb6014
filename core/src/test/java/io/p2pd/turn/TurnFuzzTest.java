package io.p2pd.turn;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.p2pd.stun.StunDecodeException;
import io.p2pd.stun.StunMessage;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing (Jazzer) of what a TURN server (or anyone who can send to the control socket) feeds the
 * client: ChannelData frames and STUN messages with the TURN attributes. Without {@code JAZZER_FUZZ} each target runs
 * once per input of its seed corpus (src/test/resources/io/p2pd/turn/TurnFuzzTestInputs/&lt;method&gt;/); with
 * {@code JAZZER_FUZZ=1} it fuzzes. Only the documented outcomes may come out.
 */
class TurnFuzzTest {

    /** Any bytes: null, or a frame inside the bytes whose channel is valid and that encodes back to its prefix. */
    @FuzzTest(maxDuration = "60s")
    void channelData(byte[] data) {
        ChannelData.Frame frame = ChannelData.decode(data, data.length);
        if (frame == null) {
            return;
        }
        assertThat(frame.channel()).isBetween(ChannelData.MIN_CHANNEL, ChannelData.MAX_CHANNEL);
        assertThat(frame.offset() + frame.length()).isLessThanOrEqualTo(data.length);
        assertThat(ChannelData.looksLikeChannelData(data[0])).isTrue();
        byte[] payload = Arrays.copyOfRange(data, frame.offset(), frame.offset() + frame.length());
        byte[] again = ChannelData.encode(frame.channel(), payload, false);
        assertThat(again).isEqualTo(Arrays.copyOf(data, again.length));
        byte[] padded = ChannelData.encode(frame.channel(), payload, true);
        assertThat(padded.length % 4).isZero();
        assertThat(ChannelData.decode(padded, padded.length)).isEqualTo(frame);
    }

    /**
     * Any bytes as a STUN message: a {@link StunDecodeException}, or a message whose TURN accessors all work on what
     * the decoder accepted and that re-encodes byte for byte.
     */
    @FuzzTest(maxDuration = "60s")
    void turnAttributes(byte[] data) {
        StunMessage m;
        try {
            m = StunMessage.decode(data);
        } catch (StunDecodeException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        m.xorPeerAddress();
        m.xorRelayedAddress();
        m.xorMappedAddress();
        m.lifetime().ifPresent(l -> assertThat(l).isBetween(0L, 0xFFFF_FFFFL));
        m.channelNumber().ifPresent(c -> assertThat(c).isBetween(0, 0xFFFF));
        m.data();
        m.passwordAlgorithms();
        m.errorCode();
        m.realm();
        m.nonce();
        m.checkIntegrity(new byte[16]);
        m.checkIntegritySha256(new byte[32]);
        assertThat(m.encode()).isEqualTo(data);
    }
}
