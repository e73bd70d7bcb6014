package io.p2pd.turn;

/**
 * The ChannelData message (RFC 8656 section 12.4): a 2-byte channel number (0x4000-0x4FFF), a 2-byte length and the
 * data, padded to a multiple of 4 over stream transports only. Its first two bits are 01, which tells it apart from
 * STUN messages (00) on the same socket.
 */
final class ChannelData {
    static final int HEADER = 4;
    static final int MIN_CHANNEL = 0x4000;
    static final int MAX_CHANNEL = 0x4FFF;

    /** Where a decoded frame's data is: {@code length} bytes at {@code offset} of the datagram. */
    record Frame(int channel, int offset, int length) {
    }

    private ChannelData() {
    }

    /** Whether a message starting with this byte is ChannelData rather than STUN (RFC 8656 section 18, RFC 7983). */
    static boolean looksLikeChannelData(byte first) {
        return (first & 0xC0) == 0x40;
    }

    /** One ChannelData message holding {@code data}; {@code pad} rounds it to 4 bytes (stream transports). */
    static byte[] encode(int channel, byte[] data, boolean pad) {
        if (channel < MIN_CHANNEL || channel > MAX_CHANNEL) {
            throw new IllegalArgumentException(String.format("channel number 0x%04x is outside 0x4000-0x4fff",
                    channel));
        }
        if (data.length > 0xFFFF) {
            throw new IllegalArgumentException("ChannelData holds at most 65535 bytes, got " + data.length);
        }
        int padding = pad ? (4 - (data.length & 3)) & 3 : 0;
        byte[] out = new byte[HEADER + data.length + padding];
        out[0] = (byte) (channel >>> 8);
        out[1] = (byte) channel;
        out[2] = (byte) (data.length >>> 8);
        out[3] = (byte) data.length;
        System.arraycopy(data, 0, out, HEADER, data.length);
        return out;
    }

    /**
     * The frame at the start of {@code message}'s first {@code size} bytes, or null when they are not one: a channel
     * number outside 0x4000-0x4FFF (0x5000-0x7FFF are reserved), fewer bytes than the length field says. Over UDP
     * the bytes after the data (padding, if the sender added it) are ignored.
     */
    static Frame decode(byte[] message, int size) {
        if (size < HEADER || size > message.length) {
            return null;
        }
        int channel = ((message[0] & 0xFF) << 8) | (message[1] & 0xFF);
        int length = ((message[2] & 0xFF) << 8) | (message[3] & 0xFF);
        if (channel < MIN_CHANNEL || channel > MAX_CHANNEL || length > size - HEADER) {
            return null;
        }
        return new Frame(channel, HEADER, length);
    }
}
