package io.p2pd.turn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.stun.StunMessage;
import io.p2pd.stun.StunMessage.MessageClass;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A TCP or TLS control connection's stream cut into STUN messages and ChannelData, whatever the chunks. */
class StreamFramesTest {

    @Test
    void stunAndPaddedChannelDataAreCutWhereverTheChunksEnd() throws Exception {
        byte[] stun = StunMessage.builder(StunMessage.METHOD_ALLOCATE, MessageClass.REQUEST).lifetime(600)
                .fingerprint().build().encode();
        byte[] odd = ChannelData.encode(0x4001, new byte[] {1, 2, 3, 4, 5}, true);
        byte[] even = ChannelData.encode(0x4fff, new byte[] {6, 7, 8, 9}, true);
        byte[] empty = ChannelData.encode(0x4000, new byte[0], true);
        assertThat(odd).hasSize(12);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (byte[] m : List.of(odd, stun, even, empty, stun)) {
            wire.write(m);
        }
        byte[] all = wire.toByteArray();
        // The padding is gone: a ChannelData message is its header and the length it states.
        List<byte[]> expected = List.of(Arrays.copyOf(odd, 9), stun, even, empty, stun);
        for (int chunk : new int[] {1, 3, 7, all.length}) {
            StreamFrames frames = new StreamFrames();
            List<byte[]> got = new ArrayList<>();
            for (int i = 0; i < all.length; i += chunk) {
                got.addAll(frames.add(Arrays.copyOfRange(all, i, Math.min(all.length, i + chunk))));
            }
            assertThat(got).as("chunks of %d", chunk).usingElementComparator(Arrays::compare)
                    .containsExactlyElementsOf(expected);
        }
    }

    @Test
    void aMessageLongerThanTheFirstBufferIsWaitedForWhole() throws Exception {
        byte[] big = ChannelData.encode(0x4002, new byte[65_535], true);
        StreamFrames frames = new StreamFrames();
        assertThat(frames.add(Arrays.copyOf(big, 30_000))).isEmpty();
        assertThat(frames.add(Arrays.copyOfRange(big, 30_000, big.length))).singleElement()
                .satisfies(m -> assertThat(m).hasSize(4 + 65_535));
    }

    @Test
    void bytesThatAreNeitherStunNorChannelDataCannotBeResynchronised() {
        StreamFrames frames = new StreamFrames();
        assertThatThrownBy(() -> frames.add(new byte[] {(byte) 0x80, 0, 0, 4, 1, 2, 3, 4}))
                .isInstanceOf(StreamFrames.Garbled.class).hasMessageContaining("0x80");
    }
}
