package io.p2pd.pipe;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Coverage-guided fuzzing of the TCP framing decoders, exactly as a pipe installs them ({@link StreamSetup}), in an
 * {@link EmbeddedChannel}. The input's first three bytes choose the framing, the readerLimit (64 + byte) and the
 * size of each read (1 + byte); the rest is the stream. What comes out is checked against a plain model of the
 * framing: the same whole frames, in order, however the stream was cut, and a {@link TooLongFrameException} (which
 * the pipe turns into a {@link FrameTooLongException} closing the connection) exactly when a frame is longer than
 * readerLimit. Lives in io.p2pd.pipe for the package-private {@link StreamSetup}. Corpus:
 * src/test/resources/io/p2pd/pipe/FramingFuzzTestInputs/framingDecoders.
 */
class FramingFuzzTest {

    private static final byte[] CRLF = "\r\n".getBytes(StandardCharsets.US_ASCII);

    @FuzzTest(maxDuration = "60s")
    void framingDecoders(byte[] input) {
        if (input.length < 3) {
            return;
        }
        int mode = (input[0] & 0xFF) % 4;
        int limit = 64 + (input[1] & 0xFF);
        int chunk = 1 + (input[2] & 0xFF);
        byte[] stream = Arrays.copyOfRange(input, 3, input.length);
        Framing framing = switch (mode) {
            case 0 -> Framing.lines();
            case 1 -> Framing.delimited(CRLF);
            case 2 -> Framing.lengthPrefixed(2);
            default -> Framing.lengthPrefixed(4);
        };
        Expected expected = model(framing, limit, stream);

        EmbeddedChannel ch = new EmbeddedChannel();
        List<byte[]> frames = new ArrayList<>();
        Throwable error = null;
        try {
            StreamSetup.install(ch, PipeConf.builder().readerLimit(limit).build(),
                    TcpOptions.builder().framing(framing).build(), Optional.empty());
            for (int at = 0; at < stream.length && error == null; ) {
                int n = Math.min(stream.length - at, chunk);
                try {
                    ch.writeInbound(Unpooled.wrappedBuffer(stream, at, n));
                } catch (Exception e) {
                    error = e; // the pipe closes the connection here: feed no more
                }
                at += n;
                for (Object o; (o = ch.readInbound()) != null; ) {
                    ByteBuf frame = (ByteBuf) o;
                    try {
                        frames.add(ByteBufUtil.getBytes(frame));
                    } finally {
                        frame.release();
                    }
                }
            }
        } catch (javax.net.ssl.SSLException e) {
            throw new AssertionError(e);
        }
        // The connection ends (after an error the pipe closes it): the decoder gets a last look at what it holds,
        // which may fail again or give frames that followed a refused one; those must still be whole.
        List<byte[]> last = new ArrayList<>();
        try {
            ch.finish();
        } catch (Exception e) {
            assertThat(e).isInstanceOf(TooLongFrameException.class);
        } finally {
            for (Object o; (o = ch.readInbound()) != null; ) {
                ByteBuf frame = (ByteBuf) o;
                last.add(ByteBufUtil.getBytes(frame));
                frame.release();
            }
            ch.finishAndReleaseAll();
        }
        if (error == null) {
            assertThat(last).as("nothing more at the end of a good stream").isEmpty();
        }
        last.forEach(f -> assertThat(f.length).isLessThanOrEqualTo(limit));
        assertThat(frames).as("whole frames, in order").containsExactlyElementsOf(expected.frames);
        switch (expected.tooLong) {
            case YES -> assertThat(error).as("a frame over readerLimit %d", limit)
                    .isInstanceOf(TooLongFrameException.class);
            case NO -> assertThat(error).as("no frame over readerLimit %d", limit).isNull();
            case MAYBE -> {
                if (error != null) {
                    assertThat(error).isInstanceOf(TooLongFrameException.class);
                }
            }
        }
        frames.forEach(f -> assertThat(f.length).isLessThanOrEqualTo(limit));
    }

    private enum TooLong { NO, MAYBE, YES }

    /**
     * The frames the stream holds, and whether it holds one over the limit. MAYBE: the stream ends in an unfinished
     * delimited frame that is over the limit only if the bytes that could begin the delimiter are not one; the
     * decoder may fail now or when the next byte comes.
     */
    private record Expected(List<byte[]> frames, TooLong tooLong) {
    }

    /** The framing as its documentation states it, over the whole stream at once. */
    private static Expected model(Framing framing, int limit, byte[] s) {
        List<byte[]> frames = new ArrayList<>();
        if (framing instanceof Framing.Delimited d) {
            byte[] delim = d.delimiter();
            int start = 0;
            while (true) {
                int end = indexOf(s, delim, start);
                if (end < 0) {
                    int rest = s.length - start;
                    return new Expected(frames, rest - (delim.length - 1) > limit ? TooLong.YES
                            : rest > limit ? TooLong.MAYBE : TooLong.NO);
                }
                if (end - start > limit) {
                    return new Expected(frames, TooLong.YES);
                }
                frames.add(Arrays.copyOfRange(s, start, end));
                start = end + delim.length;
            }
        }
        int prefix = ((Framing.LengthPrefixed) framing).lengthBytes();
        int at = 0;
        while (s.length - at >= prefix) {
            long len = 0;
            for (int i = 0; i < prefix; i++) {
                len = (len << 8) | (s[at + i] & 0xFF);
            }
            if (len > limit) {
                return new Expected(frames, TooLong.YES);
            }
            if (s.length - at - prefix < len) {
                break;
            }
            frames.add(Arrays.copyOfRange(s, at + prefix, at + prefix + (int) len));
            at += prefix + (int) len;
        }
        return new Expected(frames, TooLong.NO);
    }

    private static int indexOf(byte[] s, byte[] d, int from) {
        outer:
        for (int i = from; i + d.length <= s.length; i++) {
            for (int j = 0; j < d.length; j++) {
                if (s[i + j] != d[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
