package io.p2pd.stun;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.zip.CRC32;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An immutable STUN message (RFC 8489 / 5389, and RFC 3489 messages, which lack the magic cookie).
 *
 * <p>{@link #decode} validates the header and every attribute it knows eagerly, so the typed accessors
 * never fail later; unknown attributes are kept, in order, and re-encoded as they came. Typed accessors
 * only look at attributes before MESSAGE-INTEGRITY, as RFC 8489 section 14.5 asks (FINGERPRINT aside).
 */
public final class StunMessage {
    public static final int MAGIC_COOKIE = 0x2112A442;
    public static final int HEADER_LENGTH = 20;
    /** The largest message: a 20-byte header and the 16-bit length field's maximum, rounded to 4. */
    public static final int MAX_LENGTH = HEADER_LENGTH + 0xFFFC;
    public static final int METHOD_BINDING = 0x001;
    /** TURN methods (RFC 8656, RFC 6062). */
    public static final int METHOD_ALLOCATE = 0x003;
    public static final int METHOD_REFRESH = 0x004;
    public static final int METHOD_SEND = 0x006;
    public static final int METHOD_DATA = 0x007;
    public static final int METHOD_CREATE_PERMISSION = 0x008;
    public static final int METHOD_CHANNEL_BIND = 0x009;
    public static final int METHOD_CONNECT = 0x00A;
    public static final int METHOD_CONNECTION_BIND = 0x00B;
    public static final int METHOD_CONNECTION_ATTEMPT = 0x00C;
    /** PASSWORD-ALGORITHM values (RFC 8489 section 18.5). */
    public static final int PASSWORD_ALGORITHM_MD5 = 0x0001;
    public static final int PASSWORD_ALGORITHM_SHA256 = 0x0002;
    static final int FINGERPRINT_XOR = 0x5354554E;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The class bits of the message type. */
    public enum MessageClass {
        REQUEST, INDICATION, SUCCESS_RESPONSE, ERROR_RESPONSE;

        /** True for the two response classes. */
        public boolean isResponse() {
            return this == SUCCESS_RESPONSE || this == ERROR_RESPONSE;
        }
    }

    private final int method;
    private final MessageClass messageClass;
    private final int cookie;
    private final byte[] transactionId;
    private final List<StunAttribute> attributes;

    private StunMessage(int method, MessageClass messageClass, int cookie, byte[] transactionId,
                        List<StunAttribute> attributes) {
        this.method = method;
        this.messageClass = messageClass;
        this.cookie = cookie;
        this.transactionId = transactionId;
        this.attributes = List.copyOf(attributes);
    }

    // ---------------------------------------------------------------- accessors

    /** The 12-bit method, e.g. {@link #METHOD_BINDING}. */
    public int method() {
        return method;
    }

    public MessageClass messageClass() {
        return messageClass;
    }

    /** The 16-bit message type field (method and class bits interleaved). */
    public int type() {
        return typeOf(method, messageClass);
    }

    /** True when bytes 4-7 hold the magic cookie (RFC 5389+); false for an RFC 3489 message. */
    public boolean hasMagicCookie() {
        return cookie == MAGIC_COOKIE;
    }

    /** Bytes 4-7 of the header: the magic cookie, or the first 32 bits of an RFC 3489 transaction id. */
    public int cookieField() {
        return cookie;
    }

    /** A copy of the 96-bit transaction id (bytes 8-19). */
    public byte[] transactionId() {
        return transactionId.clone();
    }

    /** True when both cookie fields and transaction ids are equal: how a response is matched to its request. */
    public boolean sameTransaction(StunMessage other) {
        return other.cookie == cookie && Arrays.equals(other.transactionId, transactionId);
    }

    /** All attributes, in wire order, including MESSAGE-INTEGRITY and FINGERPRINT when present. */
    public List<StunAttribute> attributes() {
        return attributes;
    }

    /** The first attribute of a type, among those before MESSAGE-INTEGRITY (FINGERPRINT is always seen). */
    public Optional<StunAttribute> attribute(int type) {
        for (StunAttribute a : attributes) {
            if (a.type() == type) {
                return Optional.of(a);
            }
            if ((a.type() == StunAttribute.MESSAGE_INTEGRITY || a.type() == StunAttribute.MESSAGE_INTEGRITY_SHA256)
                    && type != StunAttribute.FINGERPRINT) {
                break;
            }
        }
        return Optional.empty();
    }

    public Optional<InetSocketAddress> xorMappedAddress() {
        return attribute(StunAttribute.XOR_MAPPED_ADDRESS).map(a -> address(a.rawValue(), true));
    }

    public Optional<InetSocketAddress> mappedAddress() {
        return attribute(StunAttribute.MAPPED_ADDRESS).map(a -> address(a.rawValue(), false));
    }

    public Optional<InetSocketAddress> otherAddress() {
        return attribute(StunAttribute.OTHER_ADDRESS).map(a -> address(a.rawValue(), false));
    }

    public Optional<InetSocketAddress> changedAddress() {
        return attribute(StunAttribute.CHANGED_ADDRESS).map(a -> address(a.rawValue(), false));
    }

    public Optional<InetSocketAddress> responseOrigin() {
        return attribute(StunAttribute.RESPONSE_ORIGIN).map(a -> address(a.rawValue(), false));
    }

    public Optional<InetSocketAddress> sourceAddress() {
        return attribute(StunAttribute.SOURCE_ADDRESS).map(a -> address(a.rawValue(), false));
    }

    /** The CHANGE-REQUEST flags: bit 0x04 change IP, bit 0x02 change port. */
    public Optional<Integer> changeRequest() {
        return attribute(StunAttribute.CHANGE_REQUEST).map(a -> be32(a.rawValue(), 0) & 0x06);
    }

    /** The RESPONSE-PORT (RFC 5780): where the response should go instead of the source port. */
    public Optional<Integer> responsePort() {
        return attribute(StunAttribute.RESPONSE_PORT).map(a -> be16(a.rawValue(), 0));
    }

    public Optional<StunErrorCode> errorCode() {
        return attribute(StunAttribute.ERROR_CODE).map(a -> {
            byte[] v = a.rawValue();
            int code = (v[2] & 0x07) * 100 + (v[3] & 0xFF);
            return new StunErrorCode(code, utf8(Arrays.copyOfRange(v, 4, v.length)));
        });
    }

    public Optional<String> software() {
        return attribute(StunAttribute.SOFTWARE).map(a -> utf8(a.rawValue()));
    }

    public Optional<String> username() {
        return attribute(StunAttribute.USERNAME).map(a -> utf8(a.rawValue()));
    }

    public Optional<String> realm() {
        return attribute(StunAttribute.REALM).map(a -> utf8(a.rawValue()));
    }

    public Optional<String> nonce() {
        return attribute(StunAttribute.NONCE).map(a -> utf8(a.rawValue()));
    }

    /** TURN: the peer of a permission, channel, Send or Data indication. */
    public Optional<InetSocketAddress> xorPeerAddress() {
        return attribute(StunAttribute.XOR_PEER_ADDRESS).map(a -> address(a.rawValue(), true));
    }

    /** TURN: the relayed transport address of an allocation (the first, when a server gives one per family). */
    public Optional<InetSocketAddress> xorRelayedAddress() {
        return attribute(StunAttribute.XOR_RELAYED_ADDRESS).map(a -> address(a.rawValue(), true));
    }

    /** TURN: LIFETIME in seconds (unsigned 32 bits). */
    public Optional<Long> lifetime() {
        return attribute(StunAttribute.LIFETIME).map(a -> be32(a.rawValue(), 0) & 0xFFFF_FFFFL);
    }

    /** TURN: the channel number of CHANNEL-NUMBER (the upper 16 bits; the rest is RFFU). */
    public Optional<Integer> channelNumber() {
        return attribute(StunAttribute.CHANNEL_NUMBER).map(a -> be16(a.rawValue(), 0));
    }

    /** TURN: a copy of the DATA attribute's bytes. */
    public Optional<byte[]> data() {
        return attribute(StunAttribute.DATA).map(StunAttribute::value);
    }

    /** The algorithm numbers of PASSWORD-ALGORITHMS (RFC 8489 section 14.11), in the server's order. */
    public List<Integer> passwordAlgorithms() {
        return attribute(StunAttribute.PASSWORD_ALGORITHMS).map(a -> {
            byte[] v = a.rawValue();
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i + 4 <= v.length; ) {
                out.add(be16(v, i));
                int params = be16(v, i + 2);
                i += 4 + params + StunAttribute.padLength(params);
            }
            return List.copyOf(out);
        }).orElse(List.of());
    }

    /** The attribute types listed in UNKNOWN-ATTRIBUTES (in a 420 error response). */
    public List<Integer> unknownAttributes() {
        return attribute(StunAttribute.UNKNOWN_ATTRIBUTES).map(a -> {
            byte[] v = a.rawValue();
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i + 1 < v.length; i += 2) {
                out.add(be16(v, i));
            }
            return List.copyOf(out);
        }).orElse(List.of());
    }

    // ---------------------------------------------------------------- integrity and fingerprint

    /**
     * The short-term credential key: the password under the OpaqueString profile of RFC 8265 (NFC, non-ASCII spaces
     * as ASCII spaces, nothing else changed) as UTF-8 (RFC 8489 section 9.1.1).
     *
     * @throws IllegalArgumentException when the password is empty or holds a code point OpaqueString disallows
     *         (a control character, an unassigned or default-ignorable code point, ...)
     */
    public static byte[] shortTermKey(String password) {
        return OpaqueString.enforce(password, "password").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The long-term credential key: MD5(username ":" realm ":" SASLprep(password)), as RFC 5389 defined it and the
     * RFC 5769 vectors check (RFC 8489 section 9.2.2 moved to OpaqueString; only short-term credentials are used by
     * this library's client and server).
     */
    public static byte[] longTermKey(String username, String realm, String password) {
        try {
            String s = username + ":" + realm + ":" + Saslprep.prepare(password);
            return MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("MD5 is missing from this JDK", e);
        }
    }

    /**
     * The long-term credential key with the SHA-256 password algorithm (RFC 8489 sections 9.2.2 and 18.5):
     * SHA-256(username ":" OpaqueString(realm) ":" OpaqueString(password)).
     */
    public static byte[] longTermKeySha256(String username, String realm, String password) {
        try {
            String s = username + ":" + OpaqueString.enforce(realm, "realm") + ":"
                    + OpaqueString.enforce(password, "password");
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** True when the message carries MESSAGE-INTEGRITY-SHA256 (checked or not). */
    public boolean hasIntegritySha256() {
        return indexOf(StunAttribute.MESSAGE_INTEGRITY_SHA256) >= 0;
    }

    /**
     * True when the message carries MESSAGE-INTEGRITY-SHA256 and its HMAC-SHA256 under {@code key} (truncated to the
     * attribute's length, 16 to 32 bytes) matches.
     */
    public boolean checkIntegritySha256(byte[] key) {
        int index = indexOf(StunAttribute.MESSAGE_INTEGRITY_SHA256);
        if (index < 0) {
            return false;
        }
        byte[] got = attributes.get(index).rawValue();
        byte[] expected = hmacSha256(key, encodePrefix(index, 4 + got.length));
        return MessageDigest.isEqual(Arrays.copyOf(expected, got.length), got);
    }

    /** True when the message carries MESSAGE-INTEGRITY (checked or not). */
    public boolean hasIntegrity() {
        return indexOf(StunAttribute.MESSAGE_INTEGRITY) >= 0;
    }

    /**
     * True when the message carries MESSAGE-INTEGRITY and its HMAC-SHA1 under {@code key} matches
     * (computed over the message up to the attribute, length field ending at it).
     */
    public boolean checkIntegrity(byte[] key) {
        int index = indexOf(StunAttribute.MESSAGE_INTEGRITY);
        if (index < 0) {
            return false;
        }
        byte[] expected = hmac(key, encodePrefix(index, 24));
        return MessageDigest.isEqual(expected, attributes.get(index).rawValue());
    }

    /** True when the last attribute is FINGERPRINT and its CRC-32 (xor 0x5354554e) matches. */
    public boolean checkFingerprint() {
        int last = attributes.size() - 1;
        if (last < 0 || attributes.get(last).type() != StunAttribute.FINGERPRINT) {
            return false;
        }
        return be32(attributes.get(last).rawValue(), 0) == crc(encodePrefix(last, 8));
    }

    /** True when a FINGERPRINT attribute is present (anywhere). */
    public boolean hasFingerprint() {
        return indexOf(StunAttribute.FINGERPRINT) >= 0;
    }

    // ---------------------------------------------------------------- encoding

    /** The wire form: header and attributes exactly as held (a decoded message re-encodes byte for byte). */
    public byte[] encode() {
        return encodePrefix(attributes.size(), 0);
    }

    /** The header and the first {@code count} attributes, with a length field that counts {@code extra} more bytes. */
    private byte[] encodePrefix(int count, int extra) {
        int length = 0;
        for (int i = 0; i < count; i++) {
            length += attributes.get(i).encodedLength();
        }
        byte[] out = new byte[HEADER_LENGTH + length];
        put16(out, 0, type());
        put16(out, 2, length + extra);
        put32(out, 4, cookie);
        System.arraycopy(transactionId, 0, out, 8, 12);
        int at = HEADER_LENGTH;
        for (int i = 0; i < count; i++) {
            StunAttribute a = attributes.get(i);
            put16(out, at, a.type());
            put16(out, at + 2, a.rawValue().length);
            System.arraycopy(a.rawValue(), 0, out, at + 4, a.rawValue().length);
            System.arraycopy(a.rawPadding(), 0, out, at + 4 + a.rawValue().length, a.rawPadding().length);
            at += a.encodedLength();
        }
        return out;
    }

    private int indexOf(int type) {
        for (int i = 0; i < attributes.size(); i++) {
            if (attributes.get(i).type() == type) {
                return i;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------- decoding

    /** Decodes a whole message (one datagram, or one TCP frame). */
    public static StunMessage decode(byte[] data) throws StunDecodeException {
        return decode(data, 0, data.length);
    }

    /**
     * Decodes the message in {@code data[offset, offset+length)}; the range must hold exactly one message.
     * Never throws anything but {@link StunDecodeException}, whatever the bytes (an out-of-range
     * {@code offset}/{@code length} is a caller bug: {@link IndexOutOfBoundsException}).
     */
    public static StunMessage decode(byte[] data, int offset, int length) throws StunDecodeException {
        Objects.checkFromIndexSize(offset, length, data.length);
        byte[] b = Arrays.copyOfRange(data, offset, offset + length);
        if (b.length < HEADER_LENGTH) {
            throw new StunDecodeException("truncated header: " + b.length + " bytes, a STUN header has 20", 0);
        }
        if (b.length > MAX_LENGTH) {
            throw new StunDecodeException("oversize message: " + b.length + " bytes, at most " + MAX_LENGTH, 0);
        }
        int type = be16(b, 0);
        if ((type & 0xC000) != 0) {
            throw new StunDecodeException(String.format("first two bits of the type 0x%04x are not zero", type), 0);
        }
        int bodyLength = be16(b, 2);
        if ((bodyLength & 3) != 0) {
            throw new StunDecodeException("message length " + bodyLength + " is not a multiple of 4", 2);
        }
        if (HEADER_LENGTH + bodyLength != b.length) {
            throw new StunDecodeException("message length field says " + bodyLength + " bytes of attributes but "
                    + (b.length - HEADER_LENGTH) + " follow the header", 2);
        }
        int cookie = be32(b, 4);
        byte[] tid = Arrays.copyOfRange(b, 8, 20);
        List<StunAttribute> attrs = new ArrayList<>();
        int at = HEADER_LENGTH;
        boolean fingerprintSeen = false;
        while (at < b.length) {
            if (fingerprintSeen) {
                throw new StunDecodeException("attribute after FINGERPRINT", at);
            }
            if (b.length - at < 4) {
                throw new StunDecodeException("truncated attribute header", at);
            }
            int attrType = be16(b, at);
            int attrLength = be16(b, at + 2);
            int padded = attrLength + StunAttribute.padLength(attrLength);
            if (padded > b.length - at - 4) {
                throw new StunDecodeException(String.format("attribute 0x%04x length %d runs past the end (%d bytes left)",
                        attrType, attrLength, b.length - at - 4), at + 2);
            }
            byte[] value = Arrays.copyOfRange(b, at + 4, at + 4 + attrLength);
            validate(attrType, value, at);
            attrs.add(StunAttribute.wire(attrType, value, Arrays.copyOfRange(b, at + 4 + attrLength, at + 4 + padded)));
            fingerprintSeen = attrType == StunAttribute.FINGERPRINT;
            at += 4 + padded;
        }
        return new StunMessage(methodOf(type), classOf(type), cookie, tid, attrs);
    }

    /** Checks the value of every attribute type we interpret, so the accessors cannot fail later. */
    private static void validate(int type, byte[] v, int at) throws StunDecodeException {
        switch (type) {
            case StunAttribute.MAPPED_ADDRESS, StunAttribute.XOR_MAPPED_ADDRESS, StunAttribute.OTHER_ADDRESS,
                 StunAttribute.CHANGED_ADDRESS, StunAttribute.RESPONSE_ORIGIN, StunAttribute.SOURCE_ADDRESS,
                 StunAttribute.XOR_PEER_ADDRESS, StunAttribute.XOR_RELAYED_ADDRESS -> {
                if (v.length < 4) {
                    throw new StunDecodeException(String.format("address attribute 0x%04x too short: %d bytes",
                            type, v.length), at);
                }
                int family = v[1] & 0xFF;
                int expected = switch (family) {
                    case 1 -> 8;
                    case 2 -> 20;
                    default -> throw new StunDecodeException(String.format(
                            "address attribute 0x%04x has unknown family 0x%02x", type, family), at + 5);
                };
                if (v.length != expected) {
                    throw new StunDecodeException(String.format("address attribute 0x%04x (%s) has %d bytes, expected %d",
                            type, family == 1 ? "IPv4" : "IPv6", v.length, expected), at + 2);
                }
            }
            case StunAttribute.CHANGE_REQUEST, StunAttribute.FINGERPRINT, StunAttribute.RESPONSE_PORT,
                 StunAttribute.LIFETIME, StunAttribute.CHANNEL_NUMBER, StunAttribute.REQUESTED_TRANSPORT,
                 StunAttribute.REQUESTED_ADDRESS_FAMILY, StunAttribute.CONNECTION_ID -> exact(type, v, 4, at);
            case StunAttribute.MESSAGE_INTEGRITY_SHA256 -> {
                if (v.length < 16 || v.length > 32 || (v.length & 3) != 0) {
                    throw new StunDecodeException("MESSAGE-INTEGRITY-SHA256 has " + v.length
                            + " bytes, expected 16 to 32 in steps of 4", at + 2);
                }
            }
            case StunAttribute.PASSWORD_ALGORITHMS -> {
                int i = 0;
                while (i < v.length) {
                    if (v.length - i < 4) {
                        throw new StunDecodeException("PASSWORD-ALGORITHMS ends inside an entry", at + 4 + i);
                    }
                    int params = be16(v, i + 2);
                    i += 4 + params + StunAttribute.padLength(params);
                    if (i > v.length) {
                        throw new StunDecodeException("PASSWORD-ALGORITHMS parameters run past the end", at + 6 + i);
                    }
                }
            }
            case StunAttribute.MESSAGE_INTEGRITY -> exact(type, v, 20, at);
            case StunAttribute.ERROR_CODE -> {
                if (v.length < 4) {
                    throw new StunDecodeException("ERROR-CODE too short: " + v.length + " bytes", at + 2);
                }
                int cls = v[2] & 0x07;
                int number = v[3] & 0xFF;
                if (cls < 3 || cls > 6 || number > 99) {
                    throw new StunDecodeException("ERROR-CODE class " + cls + " number " + number
                            + " is not a code 300-699", at + 6);
                }
            }
            case StunAttribute.UNKNOWN_ATTRIBUTES -> {
                if ((v.length & 1) != 0) {
                    throw new StunDecodeException("UNKNOWN-ATTRIBUTES length " + v.length + " is odd", at + 2);
                }
            }
            default -> { // unknown or free-form (text) attribute: nothing to check
            }
        }
    }

    private static void exact(int type, byte[] v, int length, int at) throws StunDecodeException {
        if (v.length != length) {
            throw new StunDecodeException(String.format("attribute 0x%04x has %d bytes, expected %d",
                    type, v.length, length), at + 2);
        }
    }

    // ---------------------------------------------------------------- helpers

    static int typeOf(int method, MessageClass cls) {
        int c = cls.ordinal();
        return (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2)
                | ((c & 1) << 4) | ((c & 2) << 7);
    }

    private static int methodOf(int type) {
        return (type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2);
    }

    private static MessageClass classOf(int type) {
        return MessageClass.values()[((type >> 4) & 1) | ((type >> 7) & 2)];
    }

    /** Decodes a validated address value; XOR'd with the magic cookie (and the transaction id for IPv6). */
    private InetSocketAddress address(byte[] v, boolean xor) {
        int port = be16(v, 2);
        byte[] ip = Arrays.copyOfRange(v, 4, v.length);
        if (xor) {
            port ^= MAGIC_COOKIE >>> 16;
            xorIp(ip, transactionId);
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("validated address has a bad length", e); // cannot happen
        }
    }

    private static void xorIp(byte[] ip, byte[] tid) {
        byte[] mask = new byte[16];
        put32(mask, 0, MAGIC_COOKIE);
        System.arraycopy(tid, 0, mask, 4, 12);
        for (int i = 0; i < ip.length; i++) {
            ip[i] ^= mask[i];
        }
    }

    static byte[] encodeAddress(InetSocketAddress address, boolean xor, byte[] tid) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address: " + address);
        }
        byte[] ip = address.getAddress().getAddress(); // a fresh copy, 4 or 16 bytes (a v6 scope id does not travel)
        byte[] v = new byte[4 + ip.length];
        v[1] = (byte) (address.getAddress() instanceof Inet4Address ? 1 : 2);
        int port = address.getPort();
        if (xor) {
            port ^= MAGIC_COOKIE >>> 16;
            xorIp(ip, tid);
        }
        put16(v, 2, port);
        System.arraycopy(ip, 0, v, 4, ip.length);
        return v;
    }

    static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            // An empty key is legal for HMAC but not for SecretKeySpec: one zero byte is the same HMAC key.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA1"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 is missing from this JDK", e);
        }
    }

    static byte[] hmacSha256(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    static int crc(byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(data);
        return (int) crc.getValue() ^ FINGERPRINT_XOR;
    }

    private static String utf8(byte[] v) {
        return new String(v, StandardCharsets.UTF_8); // malformed sequences become U+FFFD, never an exception
    }

    static int be16(byte[] b, int at) {
        return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }

    static int be32(byte[] b, int at) {
        return (be16(b, at) << 16) | be16(b, at + 2);
    }

    static void put16(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    static void put32(byte[] b, int at, int v) {
        put16(b, at, v >>> 16);
        put16(b, at + 2, v);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StunMessage m && m.method == method && m.messageClass == messageClass
                && m.cookie == cookie && Arrays.equals(m.transactionId, transactionId)
                && m.attributes.equals(attributes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(method, messageClass, cookie, Arrays.hashCode(transactionId), attributes);
    }

    @Override
    public String toString() {
        return String.format("StunMessage[method=0x%03x, %s, %s%s, %s]", method, messageClass,
                hasMagicCookie() ? "" : "rfc3489 ", HexFormat.of().formatHex(transactionId), attributes);
    }

    // ---------------------------------------------------------------- building

    /** A builder for a new message of the given method and class, with a random transaction id. */
    public static Builder builder(int method, MessageClass messageClass) {
        return new Builder(method, messageClass);
    }

    /** A binding request builder. */
    public static Builder bindingRequest() {
        return builder(METHOD_BINDING, MessageClass.REQUEST);
    }

    /** A response builder that answers {@code request}: same method and transaction (cookie field included). */
    public static Builder responseTo(StunMessage request, MessageClass messageClass) {
        Builder b = new Builder(request.method, messageClass);
        b.cookie = request.cookie;
        b.transactionId = request.transactionId.clone();
        return b;
    }

    /**
     * Builds messages. XOR'd addresses are computed at {@link #build()} with the final transaction id;
     * MESSAGE-INTEGRITY and FINGERPRINT, when asked for, are appended last, in that order.
     */
    public static final class Builder {
        private final int method;
        private final MessageClass messageClass;
        private int cookie = MAGIC_COOKIE;
        private byte[] transactionId;
        private final List<Function<byte[], StunAttribute>> attributes = new ArrayList<>();
        private byte[] integrityKey;
        private byte[] integritySha256Key;
        private boolean fingerprint;

        private Builder(int method, MessageClass messageClass) {
            if (method < 0 || method > 0xFFF) {
                throw new IllegalArgumentException("method out of range 0-0xfff: " + method);
            }
            this.method = method;
            this.messageClass = Objects.requireNonNull(messageClass, "messageClass");
            this.transactionId = new byte[12];
            RANDOM.nextBytes(transactionId);
        }

        /** Sets the 96-bit transaction id. */
        public Builder transactionId(byte[] id) {
            if (id.length != 12) {
                throw new IllegalArgumentException("a transaction id has 12 bytes, got " + id.length);
            }
            this.transactionId = id.clone();
            return this;
        }

        /** Makes an RFC 3489 message: bytes 4-7 hold random transaction id bits instead of the magic cookie. */
        public Builder rfc3489() {
            int c;
            do {
                c = RANDOM.nextInt();
            } while (c == MAGIC_COOKIE);
            return cookieField(c);
        }

        /** Sets bytes 4-7 of the header (the magic cookie unless the message is RFC 3489 style). */
        public Builder cookieField(int value) {
            this.cookie = value;
            return this;
        }

        public Builder add(StunAttribute attribute) {
            Objects.requireNonNull(attribute, "attribute");
            attributes.add(tid -> attribute);
            return this;
        }

        public Builder xorMappedAddress(InetSocketAddress a) {
            Objects.requireNonNull(a, "address");
            attributes.add(tid -> StunAttribute.of(StunAttribute.XOR_MAPPED_ADDRESS, encodeAddress(a, true, tid)));
            return this;
        }

        public Builder mappedAddress(InetSocketAddress a) {
            return address(StunAttribute.MAPPED_ADDRESS, a);
        }

        public Builder otherAddress(InetSocketAddress a) {
            return address(StunAttribute.OTHER_ADDRESS, a);
        }

        public Builder changedAddress(InetSocketAddress a) {
            return address(StunAttribute.CHANGED_ADDRESS, a);
        }

        public Builder responseOrigin(InetSocketAddress a) {
            return address(StunAttribute.RESPONSE_ORIGIN, a);
        }

        public Builder sourceAddress(InetSocketAddress a) {
            return address(StunAttribute.SOURCE_ADDRESS, a);
        }

        /** TURN: XOR-PEER-ADDRESS, XOR'd with the final transaction id at {@link #build()}. */
        public Builder xorPeerAddress(InetSocketAddress a) {
            Objects.requireNonNull(a, "address");
            attributes.add(tid -> StunAttribute.of(StunAttribute.XOR_PEER_ADDRESS, encodeAddress(a, true, tid)));
            return this;
        }

        /** TURN: XOR-RELAYED-ADDRESS (a server's answer to Allocate). */
        public Builder xorRelayedAddress(InetSocketAddress a) {
            Objects.requireNonNull(a, "address");
            attributes.add(tid -> StunAttribute.of(StunAttribute.XOR_RELAYED_ADDRESS, encodeAddress(a, true, tid)));
            return this;
        }

        /** TURN: LIFETIME in seconds, 0 to 2^32-1. */
        public Builder lifetime(long seconds) {
            if (seconds < 0 || seconds > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("lifetime out of range 0-4294967295 s: " + seconds);
            }
            byte[] v = new byte[4];
            put32(v, 0, (int) seconds);
            return add(StunAttribute.of(StunAttribute.LIFETIME, v));
        }

        /** TURN: REQUESTED-TRANSPORT with an IP protocol number (17 UDP, 6 TCP). */
        public Builder requestedTransport(int protocol) {
            if (protocol < 0 || protocol > 0xFF) {
                throw new IllegalArgumentException("protocol number out of range 0-255: " + protocol);
            }
            return add(StunAttribute.of(StunAttribute.REQUESTED_TRANSPORT, new byte[] {(byte) protocol, 0, 0, 0}));
        }

        /** TURN: REQUESTED-ADDRESS-FAMILY, 1 for IPv4, 2 for IPv6. */
        public Builder requestedAddressFamily(int family) {
            if (family != 1 && family != 2) {
                throw new IllegalArgumentException("address family is 1 (IPv4) or 2 (IPv6), got " + family);
            }
            return add(StunAttribute.of(StunAttribute.REQUESTED_ADDRESS_FAMILY, new byte[] {(byte) family, 0, 0, 0}));
        }

        /** TURN: CHANNEL-NUMBER, 0x4000 to 0x4FFF (RFC 8656 section 12). */
        public Builder channelNumber(int channel) {
            if (channel < 0x4000 || channel > 0x4FFF) {
                throw new IllegalArgumentException(String.format("channel number 0x%04x is outside 0x4000-0x4fff",
                        channel));
            }
            byte[] v = new byte[4];
            put16(v, 0, channel);
            return add(StunAttribute.of(StunAttribute.CHANNEL_NUMBER, v));
        }

        /** TURN: the DATA attribute (copied). */
        public Builder data(byte[] data) {
            return add(StunAttribute.of(StunAttribute.DATA, data));
        }

        private Builder address(int type, InetSocketAddress a) {
            return add(StunAttribute.of(type, encodeAddress(a, false, null)));
        }

        /** CHANGE-REQUEST (RFC 5780 / 3489): ask for the answer from the other IP and/or the other port. */
        public Builder changeRequest(boolean changeIp, boolean changePort) {
            byte[] v = new byte[4];
            v[3] = (byte) ((changeIp ? 0x04 : 0) | (changePort ? 0x02 : 0));
            return add(StunAttribute.of(StunAttribute.CHANGE_REQUEST, v));
        }

        /** RESPONSE-PORT (RFC 5780): ask for the response on another local port. */
        public Builder responsePort(int port) {
            if (port < 0 || port > 0xFFFF) {
                throw new IllegalArgumentException("port out of range 0-65535: " + port);
            }
            byte[] v = new byte[4];
            put16(v, 0, port);
            return add(StunAttribute.of(StunAttribute.RESPONSE_PORT, v));
        }

        public Builder errorCode(StunErrorCode error) {
            byte[] reason = error.reason().getBytes(StandardCharsets.UTF_8);
            byte[] v = new byte[4 + reason.length];
            v[2] = (byte) (error.code() / 100);
            v[3] = (byte) (error.code() % 100);
            System.arraycopy(reason, 0, v, 4, reason.length);
            return add(StunAttribute.of(StunAttribute.ERROR_CODE, v));
        }

        public Builder unknownAttributes(List<Integer> types) {
            byte[] v = new byte[types.size() * 2];
            for (int i = 0; i < types.size(); i++) {
                put16(v, i * 2, types.get(i));
            }
            return add(StunAttribute.of(StunAttribute.UNKNOWN_ATTRIBUTES, v));
        }

        public Builder software(String s) {
            return text(StunAttribute.SOFTWARE, s);
        }

        public Builder username(String s) {
            return text(StunAttribute.USERNAME, s);
        }

        public Builder realm(String s) {
            return text(StunAttribute.REALM, s);
        }

        public Builder nonce(String s) {
            return text(StunAttribute.NONCE, s);
        }

        private Builder text(int type, String s) {
            return add(StunAttribute.of(type, s.getBytes(StandardCharsets.UTF_8)));
        }

        /** Appends MESSAGE-INTEGRITY with this key (see {@link #shortTermKey} and {@link #longTermKey}). */
        public Builder messageIntegrity(byte[] key) {
            this.integrityKey = key.clone();
            return this;
        }

        /**
         * Appends MESSAGE-INTEGRITY-SHA256 (32 bytes) with this key, after MESSAGE-INTEGRITY when both are asked for
         * (RFC 8489 section 14.6).
         */
        public Builder messageIntegritySha256(byte[] key) {
            this.integritySha256Key = key.clone();
            return this;
        }

        /** Appends FINGERPRINT as the last attribute. */
        public Builder fingerprint() {
            this.fingerprint = true;
            return this;
        }

        public StunMessage build() {
            List<StunAttribute> list = new ArrayList<>(attributes.size() + 2);
            for (Function<byte[], StunAttribute> f : attributes) {
                list.add(f.apply(transactionId));
            }
            StunMessage m = new StunMessage(method, messageClass, cookie, transactionId.clone(), list);
            if (integrityKey != null) {
                byte[] mac = hmac(integrityKey, m.encodePrefix(list.size(), 24));
                list.add(StunAttribute.of(StunAttribute.MESSAGE_INTEGRITY, mac));
                m = new StunMessage(method, messageClass, cookie, transactionId.clone(), list);
            }
            if (integritySha256Key != null) {
                byte[] mac = hmacSha256(integritySha256Key, m.encodePrefix(list.size(), 36));
                list.add(StunAttribute.of(StunAttribute.MESSAGE_INTEGRITY_SHA256, mac));
                m = new StunMessage(method, messageClass, cookie, transactionId.clone(), list);
            }
            if (fingerprint) {
                byte[] v = new byte[4];
                put32(v, 0, crc(m.encodePrefix(list.size(), 8)));
                list.add(StunAttribute.of(StunAttribute.FINGERPRINT, v));
                m = new StunMessage(method, messageClass, cookie, transactionId.clone(), list);
            }
            int length = m.encodePrefix(list.size(), 0).length;
            if (length > MAX_LENGTH) {
                throw new IllegalArgumentException("message too large: " + length + " bytes");
            }
            return m;
        }
    }
}
