package io.p2pd.pipe;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * How a TCP pipe cuts its byte stream into messages.
 *
 * <p>{@link #raw()} (the default, as in the original) hands over chunks as they are read: a message may hold part of
 * what the peer sent, or several sends. The other framings give handlers and subscriptions whole messages, and add
 * the framing to what {@link Pipe#send} writes, so two framed pipes exchange exactly the messages sent. A frame
 * larger than {@code readerLimit} closes the connection with a {@link FrameTooLongException} as its cause.
 * UDP pipes ignore framing: a datagram already is a message.
 */
public sealed interface Framing {

    /** Chunks as read. */
    static Framing raw() {
        return Raw.INSTANCE;
    }

    /** Messages ended by {@code delimiter}, which is removed on receipt and appended on send. */
    static Framing delimited(byte[] delimiter) {
        return new Delimited(delimiter);
    }

    /** Lines ended by {@code \n}. */
    static Framing lines() {
        return new Delimited("\n".getBytes(StandardCharsets.US_ASCII));
    }

    /** Messages after a big-endian length of {@code lengthBytes} (2 or 4), which counts the message only. */
    static Framing lengthPrefixed(int lengthBytes) {
        return new LengthPrefixed(lengthBytes);
    }

    /**
     * STUN over TCP (RFC 8489 section 6.2.2): a message is its 20-byte header and the number of bytes the header's
     * length field (bytes 2 and 3) states. Nothing is added on send: a STUN message carries its own length.
     * {@code readerLimit} bounds the whole message, header included.
     */
    static Framing stun() {
        return Stun.INSTANCE;
    }

    /** Chunks as read. */
    enum Raw implements Framing {
        INSTANCE
    }

    /** STUN messages, cut by the length in their header. */
    enum Stun implements Framing {
        INSTANCE
    }

    /** Messages ended by a delimiter. */
    record Delimited(byte[] delimiter) implements Framing {
        public Delimited {
            if (delimiter.length == 0) {
                throw new IllegalArgumentException("framing delimiter is empty");
            }
            delimiter = delimiter.clone();
        }

        @Override
        public byte[] delimiter() {
            return delimiter.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Delimited d && Arrays.equals(delimiter, d.delimiter);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(delimiter);
        }

        @Override
        public String toString() {
            return "Delimited[" + Arrays.toString(delimiter) + "]";
        }
    }

    /** Messages after a 2- or 4-byte big-endian length. */
    record LengthPrefixed(int lengthBytes) implements Framing {
        public LengthPrefixed {
            if (lengthBytes != 2 && lengthBytes != 4) {
                throw new IllegalArgumentException("framing length prefix must be 2 or 4 bytes, got " + lengthBytes);
            }
        }

        /** The largest message the prefix can state. */
        long maxLength() {
            return lengthBytes == 2 ? 0xFFFF : Integer.MAX_VALUE;
        }
    }
}
