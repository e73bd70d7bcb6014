package io.p2pd.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Message bodies, made once before a run so sending never builds data on the hot path. */
final class Payload {

    private Payload() {
    }

    /** {@code batches[k]} holds k messages of {@code size} bytes back to back, for k = 0..window. */
    static byte[][] batches(int size, int window) {
        byte[] one = message(size);
        byte[][] out = new byte[window + 1][];
        for (int k = 0; k <= window; k++) {
            out[k] = new byte[k * size];
            for (int i = 0; i < k; i++) {
                System.arraycopy(one, 0, out[k], i * size, size);
            }
        }
        return out;
    }

    /** ASCII text, so subscription patterns scan realistic bytes; none of {@link SubPatterns} matches it. */
    static byte[] message(int size) {
        byte[] text = "topic=weather;seq=0999;body=".getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[size];
        Arrays.fill(out, (byte) 'x');
        System.arraycopy(text, 0, out, 0, Math.min(text.length, size));
        return out;
    }
}
