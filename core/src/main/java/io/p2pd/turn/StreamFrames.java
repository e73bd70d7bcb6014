package io.p2pd.turn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts a TCP or TLS control connection's byte stream into its messages (RFC 8656 section 12.5): STUN messages (first
 * two bits 00, 20-byte header plus the length it states) and ChannelData (bits 01, 4-byte header plus the length it
 * states, padded to a multiple of 4). The bytes come in chunks as read; a message may span chunks. Not thread-safe:
 * one per connection, on its loop.
 */
final class StreamFrames {
    private static final int STUN_HEADER = 20;

    private byte[] buffer = new byte[4096];
    private int size;

    /** Thrown when the stream holds something that is neither: the connection cannot be resynchronised. */
    static final class Garbled extends Exception {
        private static final long serialVersionUID = 1L;

        Garbled(String message) {
            super(message);
        }
    }

    /**
     * Adds {@code chunk} and returns the whole messages it completed, each with its padding removed (a ChannelData
     * message keeps its 4-byte header and exactly the length it states).
     *
     * @throws Garbled when the next message starts with bits 10 or 11
     */
    List<byte[]> add(byte[] chunk) throws Garbled {
        ensure(size + chunk.length);
        System.arraycopy(chunk, 0, buffer, size, chunk.length);
        size += chunk.length;
        List<byte[]> out = new ArrayList<>(1);
        int start = 0;
        while (size - start >= ChannelData.HEADER) {
            int first = buffer[start] & 0xFF;
            int length = ((buffer[start + 2] & 0xFF) << 8) | (buffer[start + 3] & 0xFF);
            int message;
            int onWire;
            if ((first & 0xC0) == 0) {
                message = STUN_HEADER + length;
                onWire = message;
            } else if (ChannelData.looksLikeChannelData(buffer[start])) {
                message = ChannelData.HEADER + length;
                onWire = message + ((4 - (length & 3)) & 3);
            } else {
                throw new Garbled(String.format("a message starting with 0x%02x is neither STUN nor ChannelData",
                        first));
            }
            if (size - start < onWire) {
                break;
            }
            out.add(Arrays.copyOfRange(buffer, start, start + message));
            start += onWire;
        }
        System.arraycopy(buffer, start, buffer, 0, size - start);
        size -= start;
        return out;
    }

    private void ensure(int capacity) {
        if (capacity > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(capacity, buffer.length * 2));
        }
    }
}
