package io.p2pd.stun;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One attribute as it appears on the wire: a 16-bit type and its value bytes. The padding bytes that
 * followed the value are kept (RFC 5389 lets them be anything and MESSAGE-INTEGRITY covers them), so a
 * decoded message re-encodes byte for byte. Equality ignores the padding.
 */
public final class StunAttribute {
    public static final int MAPPED_ADDRESS = 0x0001;
    public static final int CHANGE_REQUEST = 0x0003;
    public static final int SOURCE_ADDRESS = 0x0004;
    public static final int CHANGED_ADDRESS = 0x0005;
    public static final int USERNAME = 0x0006;
    public static final int MESSAGE_INTEGRITY = 0x0008;
    public static final int ERROR_CODE = 0x0009;
    public static final int UNKNOWN_ATTRIBUTES = 0x000A;
    public static final int REALM = 0x0014;
    public static final int NONCE = 0x0015;
    public static final int XOR_MAPPED_ADDRESS = 0x0020;
    /** RFC 5780: send the response to this port (of the request's source IP). */
    public static final int RESPONSE_PORT = 0x0027;
    public static final int SOFTWARE = 0x8022;
    public static final int FINGERPRINT = 0x8028;
    public static final int RESPONSE_ORIGIN = 0x802B;
    public static final int OTHER_ADDRESS = 0x802C;
    // TURN (RFC 8656, RFC 6062) and RFC 8489's newer integrity attributes
    public static final int CHANNEL_NUMBER = 0x000C;
    public static final int LIFETIME = 0x000D;
    public static final int XOR_PEER_ADDRESS = 0x0012;
    public static final int DATA = 0x0013;
    public static final int XOR_RELAYED_ADDRESS = 0x0016;
    public static final int REQUESTED_ADDRESS_FAMILY = 0x0017;
    public static final int EVEN_PORT = 0x0018;
    public static final int REQUESTED_TRANSPORT = 0x0019;
    public static final int DONT_FRAGMENT = 0x001A;
    public static final int MESSAGE_INTEGRITY_SHA256 = 0x001C;
    public static final int PASSWORD_ALGORITHM = 0x001D;
    public static final int USERHASH = 0x001E;
    public static final int RESERVATION_TOKEN = 0x0022;
    public static final int CONNECTION_ID = 0x002A;
    public static final int ADDITIONAL_ADDRESS_FAMILY = 0x8000;
    public static final int ADDRESS_ERROR_CODE = 0x8001;
    public static final int PASSWORD_ALGORITHMS = 0x8002;
    public static final int ALTERNATE_DOMAIN = 0x8003;
    public static final int ICMP = 0x8004;

    private final int type;
    private final byte[] value;
    private final byte[] padding;

    private StunAttribute(int type, byte[] value, byte[] padding) {
        if (type < 0 || type > 0xFFFF) {
            throw new IllegalArgumentException("attribute type out of range: " + type);
        }
        if (value.length > 0xFFFF) {
            throw new IllegalArgumentException("attribute value longer than 65535 bytes: " + value.length);
        }
        this.type = type;
        this.value = value;
        this.padding = padding;
    }

    /** An attribute with the given type and value (copied), padded with zeros. */
    public static StunAttribute of(int type, byte[] value) {
        return new StunAttribute(type, value.clone(), new byte[padLength(value.length)]);
    }

    /** Decoder path: the arrays are fresh copies already. */
    static StunAttribute wire(int type, byte[] value, byte[] padding) {
        return new StunAttribute(type, value, padding);
    }

    static int padLength(int length) {
        return (4 - (length & 3)) & 3;
    }

    public int type() {
        return type;
    }

    /** A copy of the value bytes (without padding). */
    public byte[] value() {
        return value.clone();
    }

    /** Comprehension-required attributes (type below 0x8000) must be understood by the receiver. */
    public boolean comprehensionRequired() {
        return type < 0x8000;
    }

    byte[] rawValue() {
        return value;
    }

    byte[] rawPadding() {
        return padding;
    }

    int encodedLength() {
        return 4 + value.length + padding.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StunAttribute a && a.type == type && Arrays.equals(a.value, value);
    }

    @Override
    public int hashCode() {
        return 31 * type + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return String.format("0x%04x=%s", type, HexFormat.of().formatHex(value));
    }
}
