package io.p2pd.node.signal;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import io.p2pd.internal.Json;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerAddressException;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.id.NodePublicKey;
import java.math.BigDecimal;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The wire format, byte for byte with the original: the MQTT payload is the hex text of a flag byte (0 plain, 1
 * ECIES-encrypted to the recipient) then the body; the plaintext is the type byte then {@code json.dumps} of the
 * message (Python's default separators {@code ", "} and {@code ": "}, non-ASCII escaped). The original writes
 * {@code cipher.vk} hex-encoded twice (the hex text of the key's hex text); so do we. Our signature is one more
 * top-level member, last: {@code , "sig": "<128 hex>"}} (the original reads members by name and ignores it).
 */
final class SignalCodec {

    /**
     * Signatures cover this, then the flag byte (so a plaintext message cannot pass for one that came encrypted),
     * then the type byte and the JSON without its sig member: they sign nothing else.
     */
    static final byte[] SIGNATURE_CONTEXT = "p2pd-java signal v2\0".getBytes(US_ASCII);
    /**
     * The longest MQTT payload read or sent: 8 KiB of body as hex. The largest real message, a TCP punch between
     * addresses with every interface (4 IPv4, 4 IPv6 written in full) and the original's most port mappings (100),
     * signed and encrypted, takes 8,932 bytes
     * ({@code SignalInboxTest#theLargestRealMessageFitsTheCapWithRoomAndALargerOneIsMalformed}).
     */
    static final int MAX_WIRE_CHARS = 16 * 1024;

    private static final String SIG_HEAD = ", \"sig\": \"";
    private static final int SIG_HEX = 128;
    private static final int SIG_SUFFIX = SIG_HEAD.length() + SIG_HEX + 2;
    private static final int IPV4_AF = 2;
    /** What IPv6 is called on the wire: the sender's AF_INET6 (Linux 10, Windows 23, BSDs 28, macOS 30). */
    private static final List<Integer> IPV6_AFS = List.of(10, 23, 28, 30);
    private static final HexFormat HEX = HexFormat.of();

    private SignalCodec() {}

    // ---- making

    /** Type byte then the original's JSON: what the original's {@code SigMsg.pack()} makes of these fields. */
    static byte[] plain(SignalMessage m) {
        String json = PyJson.write(tree(m));
        byte[] text = json.getBytes(US_ASCII);
        byte[] out = new byte[1 + text.length];
        out[0] = (byte) m.type().code();
        System.arraycopy(text, 0, out, 1, text.length);
        return out;
    }

    /** {@link #plain} with our signature member added last, for a payload whose flag says {@code encrypted}. */
    static byte[] signedPlain(SignalMessage m, NodeKey key, boolean encrypted) {
        byte[] unsigned = plain(m);
        byte[] sig = key.sign(covered(concat(SIGNATURE_CONTEXT, unsigned), encrypted));
        byte[] tail = (SIG_HEAD + HEX.formatHex(sig) + "\"}").getBytes(US_ASCII);
        byte[] out = Arrays.copyOf(unsigned, unsigned.length - 1 + tail.length);
        System.arraycopy(tail, 0, out, unsigned.length - 1, tail.length);
        return out;
    }

    /** The MQTT payload: ASCII hex of the flag byte and body. */
    static byte[] wire(boolean encrypted, byte[] body) {
        byte[] framed = new byte[1 + body.length];
        framed[0] = (byte) (encrypted ? 1 : 0);
        System.arraycopy(body, 0, framed, 1, body.length);
        return HEX.formatHex(framed).getBytes(US_ASCII);
    }

    private static Map<String, Object> tree(SignalMessage m) {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("ttl", m.ttl());
        meta.put("pipe_id", m.pipeId());
        meta.put("af", (long) af(m.family()));
        meta.put("src_buf", m.source().toString());
        meta.put("src_index", (long) m.sourceIndex());
        meta.put("addr_types", m.addrTypes());
        Map<String, Object> routing = new LinkedHashMap<>();
        routing.put("af", (long) af(m.destinationFamily()));
        routing.put("dest_buf", m.destination().toString());
        routing.put("dest_index", (long) m.destinationIndex());
        Map<String, Object> cipher = new LinkedHashMap<>();
        // The original's to_h of the key's hex text; of nothing, "00".
        cipher.put("vk", m.senderKey().map(k -> HEX.formatHex(k.toHex().getBytes(US_ASCII))).orElse("00"));
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("meta", meta);
        top.put("routing", routing);
        top.put("payload", m.payload());
        top.put("cipher", cipher);
        return top;
    }

    private static int af(StandardProtocolFamily f) {
        return f == StandardProtocolFamily.INET ? IPV4_AF : IPV6_AFS.get(0);
    }

    // ---- reading

    /** The flag and body of an MQTT payload. */
    record Outer(boolean encrypted, byte[] body) {}

    /** Reads the hex text and flag byte; the body is not looked at. */
    static Outer outer(byte[] wire) {
        if (wire.length > MAX_WIRE_CHARS) {
            throw new SignalFormatException("payload", wire.length + " bytes, at most " + MAX_WIRE_CHARS);
        }
        if (wire.length < 4 || wire.length % 2 != 0) {
            throw new SignalFormatException("payload", "not hex of a flag byte and a body");
        }
        byte[] framed = new byte[wire.length / 2];
        for (int i = 0; i < framed.length; i++) {
            int hi = Character.digit(wire[2 * i], 16);
            int lo = Character.digit(wire[2 * i + 1], 16);
            if (hi < 0 || lo < 0 || wire[2 * i] < 0 || wire[2 * i + 1] < 0) {
                throw new SignalFormatException("payload", "not hex");
            }
            framed[i] = (byte) (hi << 4 | lo);
        }
        if (framed[0] != 0 && framed[0] != 1) {
            throw new SignalFormatException("flag", "flag byte " + (framed[0] & 0xff) + ", expected 0 or 1");
        }
        return new Outer(framed[0] == 1, Arrays.copyOfRange(framed, 1, framed.length));
    }

    /**
     * A decoded plaintext: the message, and when it carries a signature, the signature and the signed content (the
     * context, type byte and JSON without the sig member; the signature covers it with the flag byte, see
     * {@link #covered}). The content names the message in the replay cache (or the whole plaintext when unsigned).
     */
    record Decoded(SignalMessage message, Optional<byte[]> signature, byte[] signedBytes) {}

    /** The type byte of a plaintext, or null when the original has no such type. */
    static SignalType type(byte[] plain) {
        if (plain.length == 0) {
            throw new SignalFormatException("type", "empty message");
        }
        return SignalType.ofCode(plain[0] & 0xff);
    }

    /** Reads a plaintext whose type byte is known. */
    static Decoded decode(byte[] plain) {
        SignalType type = type(plain);
        if (type == null) {
            throw new SignalFormatException("type", "unknown type " + (plain[0] & 0xff));
        }
        String text;
        try {
            text = UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(plain, 1, plain.length - 1)).toString();
        } catch (CharacterCodingException e) {
            throw new SignalFormatException("json", "not UTF-8");
        }
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new SignalFormatException("json", "not JSON (" + clip(e.getMessage()) + ")");
        }
        Map<String, Object> top = object(parsed, "json");
        Map<String, Object> meta = object(required(top, "meta", "meta"), "meta");
        Map<String, Object> routing = object(required(top, "routing", "routing"), "routing");
        Map<String, Object> payload = object(top.getOrDefault("payload", Map.of()), "payload");
        Map<String, Object> cipher = object(top.getOrDefault("cipher", Map.of()), "cipher");

        long ttl = integer(required(meta, "ttl", "meta.ttl"), "meta.ttl");
        String pipeId = string(required(meta, "pipe_id", "meta.pipe_id"), "meta.pipe_id");
        StandardProtocolFamily family = family(meta.getOrDefault("af", (long) IPV4_AF), "meta.af");
        PeerAddress source = address(required(meta, "src_buf", "meta.src_buf"), "meta.src_buf");
        int sourceIndex = index(meta.getOrDefault("src_index", 0L), "meta.src_index");
        List<Integer> addrTypes = addrTypes(meta.getOrDefault("addr_types", SignalMessage.DEFAULT_ADDR_TYPES));
        StandardProtocolFamily destFamily = family(routing.getOrDefault("af", (long) IPV4_AF), "routing.af");
        PeerAddress destination = address(required(routing, "dest_buf", "routing.dest_buf"), "routing.dest_buf");
        int destIndex = index(routing.getOrDefault("dest_index", 0L), "routing.dest_index");
        Optional<NodePublicKey> senderKey = senderKey(cipher.getOrDefault("vk", ""));
        SignalMessage m = new SignalMessage(type, ttl, pipeId, family, source, sourceIndex, addrTypes, destFamily,
                destination, destIndex, payload, senderKey);

        Object sig = top.get("sig");
        if (sig == null) {
            return new Decoded(m, Optional.empty(), plain);
        }
        // The signature covers the bytes before its member, closed: the member must be last and exactly ours.
        String hex = string(sig, "sig");
        String suffix = SIG_HEAD + hex + "\"}";
        byte[] signature = sigBytes(hex);
        if (signature == null || !text.endsWith(suffix)) {
            throw new SignalFormatException("sig", "not " + SIG_HEX + " lowercase hex digits as the last member");
        }
        int unsignedEnd = plain.length - SIG_SUFFIX;
        byte[] covered = new byte[SIGNATURE_CONTEXT.length + unsignedEnd + 1];
        System.arraycopy(SIGNATURE_CONTEXT, 0, covered, 0, SIGNATURE_CONTEXT.length);
        System.arraycopy(plain, 0, covered, SIGNATURE_CONTEXT.length, unsignedEnd);
        covered[covered.length - 1] = '}';
        return new Decoded(m, Optional.of(signature), covered);
    }

    private static Object required(Map<String, Object> m, String key, String field) {
        Object v = m.get(key);
        if (v == null) {
            throw new SignalFormatException(field, "missing");
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object v, String field) {
        if (!(v instanceof Map)) {
            throw new SignalFormatException(field, "not a JSON object");
        }
        return (Map<String, Object>) v;
    }

    private static String string(Object v, String field) {
        if (!(v instanceof String s)) {
            throw new SignalFormatException(field, "not a string");
        }
        return s;
    }

    private static long integer(Object v, String field) {
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof BigDecimal d) {
            try {
                return d.longValueExact();
            } catch (ArithmeticException e) {
                throw new SignalFormatException(field, "not an integer in range");
            }
        }
        throw new SignalFormatException(field, "not an integer");
    }

    private static int index(Object v, String field) {
        long i = integer(v, field);
        if (i < 0 || i > 65535) {
            throw new SignalFormatException(field, "out of range");
        }
        return (int) i;
    }

    private static StandardProtocolFamily family(Object v, String field) {
        long af = integer(v, field);
        if (af == IPV4_AF) {
            return StandardProtocolFamily.INET;
        }
        if (af >= 0 && af < 256 && IPV6_AFS.contains((int) af)) {
            return StandardProtocolFamily.INET6;
        }
        throw new SignalFormatException(field, "address family " + af + " is neither IPv4 nor IPv6");
    }

    private static PeerAddress address(Object v, String field) {
        String text = string(v, field);
        try {
            return PeerAddress.parse(text);
        } catch (PeerAddressException e) {
            throw new SignalFormatException(field, clip(e.getMessage()));
        }
    }

    private static List<Integer> addrTypes(Object v) {
        if (!(v instanceof List<?> l) || l.size() > 4) {
            throw new SignalFormatException("meta.addr_types", "not a list of up to 4 integers");
        }
        List<Integer> out = new ArrayList<>(l.size());
        for (Object x : l) {
            long t = integer(x, "meta.addr_types");
            if (t < 1 || t > 4) {
                throw new SignalFormatException("meta.addr_types", "kind " + t + " is not 1 to 4");
            }
            out.add((int) t);
        }
        return out;
    }

    /** The original's cipher.vk: "" or "00" for none, else hex of the key's hex text (or, leniently, of the key). */
    private static Optional<NodePublicKey> senderKey(Object v) {
        String outer = string(v, "cipher.vk");
        if (outer.isEmpty() || outer.equals("00")) {
            return Optional.empty();
        }
        try {
            byte[] raw = HexFormat.of().parseHex(outer);
            if (raw.length == 33 || raw.length == 65) {
                return Optional.of(NodePublicKey.fromBytes(raw));
            }
            return Optional.of(NodePublicKey.fromHex(new String(raw, US_ASCII)));
        } catch (IllegalArgumentException e) {
            throw new SignalFormatException("cipher.vk", "not a secp256k1 public key in hex");
        }
    }

    /** The signature's bytes when {@code hex} is exactly 128 lowercase hex digits (its only form), else null. */
    private static byte[] sigBytes(String hex) {
        if (hex.length() != SIG_HEX) {
            return null;
        }
        try {
            byte[] raw = HEX.parseHex(hex);
            return HEX.formatHex(raw).equals(hex) ? raw : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * What a signature covers: {@code content} (the context, type byte and JSON without the sig member, as
     * {@link Decoded#signedBytes}) with the flag byte put after the context.
     */
    static byte[] covered(byte[] content, boolean encrypted) {
        byte[] out = new byte[content.length + 1];
        System.arraycopy(content, 0, out, 0, SIGNATURE_CONTEXT.length);
        out[SIGNATURE_CONTEXT.length] = (byte) (encrypted ? 1 : 0);
        System.arraycopy(content, SIGNATURE_CONTEXT.length, out, SIGNATURE_CONTEXT.length + 1,
                content.length - SIGNATURE_CONTEXT.length);
        return out;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String clip(String s) {
        return s == null ? "" : s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }
}
