package io.p2pd.stun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Malformed input (each decoder error path), RFC 3489 messages and a seeded random round trip. */
class StunMessageCodecTest {

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("\\s+", ""));
    }

    /** A header with the given length field followed by {@code body}. */
    static byte[] message(int lengthField, String body) {
        byte[] b = hex(body);
        byte[] out = new byte[20 + b.length];
        StunMessage.put16(out, 0, 0x0001);
        StunMessage.put16(out, 2, lengthField);
        StunMessage.put32(out, 4, StunMessage.MAGIC_COOKIE);
        System.arraycopy(b, 0, out, 20, b.length);
        return out;
    }

    static void rejects(byte[] data, String problem, int offset) {
        assertThatThrownBy(() -> StunMessage.decode(data))
                .isInstanceOf(StunDecodeException.class)
                .hasMessageContaining(problem)
                .satisfies(e -> assertThat(((StunDecodeException) e).offset()).isEqualTo(offset));
    }

    @Test
    void truncatedHeader() {
        rejects(new byte[0], "truncated header: 0 bytes", 0);
        rejects(Arrays.copyOf(StunMessageVectorsTest.REQUEST, 19), "truncated header: 19 bytes", 0);
    }

    /** Issue 17: one hierarchy; a caller catching StunException also catches a decode failure. */
    @Test
    void decodeFailureIsAStunException() {
        assertThatThrownBy(() -> StunMessage.decode(new byte[3])).isInstanceOf(StunException.class);
    }

    @Test
    void oversize() {
        rejects(new byte[StunMessage.MAX_LENGTH + 4], "oversize message", 0);
    }

    @Test
    void topBitsSet() {
        byte[] m = message(0, "");
        m[0] = (byte) 0x80;
        rejects(m, "first two bits", 0);
    }

    @Test
    void lengthNotMultipleOfFour() {
        rejects(message(3, "000000"), "not a multiple of 4", 2);
    }

    @Test
    void lengthFieldLies() {
        rejects(message(8, "80220000"), "says 8 bytes of attributes but 4 follow", 2);
        rejects(message(0, "80220000"), "says 0 bytes of attributes but 4 follow", 2);
        // every truncation of a real message is refused
        for (int n = 20; n < StunMessageVectorsTest.REQUEST.length; n++) {
            byte[] cut = Arrays.copyOf(StunMessageVectorsTest.REQUEST, n);
            assertThatThrownBy(() -> StunMessage.decode(cut)).isInstanceOf(StunDecodeException.class);
        }
    }

    @Test
    void attributeRunsPastTheEnd() {
        rejects(message(8, "80220008 41424344"), "attribute 0x8022 length 8 runs past the end (4 bytes left)", 22);
        rejects(message(8, "80220005 41424344"), "length 5 runs past the end", 22); // padding missing
    }

    @Test
    void badAddressFamily() {
        rejects(message(12, "00200008 0003a147 e112a643"), "unknown family 0x03", 25);
        rejects(message(8, "00010004 00010001"), "has 4 bytes, expected 8", 22);
        rejects(message(12, "00010008 00020001 7f000001"), "(IPv6) has 8 bytes, expected 20", 22);
        rejects(message(4, "802c0000"), "too short: 0 bytes", 20);
    }

    @Test
    void badFixedLengthAttributes() {
        rejects(message(8, "00030002 00040000"), "attribute 0x0003 has 2 bytes, expected 4", 22);
        rejects(message(12, "00080008 00000000 00000000"), "attribute 0x0008 has 8 bytes, expected 20", 22);
        rejects(message(8, "80280002 00000000"), "attribute 0x8028 has 2 bytes, expected 4", 22);
        rejects(message(8, "000a0003 00010200"), "UNKNOWN-ATTRIBUTES length 3 is odd", 22);
    }

    @Test
    void badErrorCode() {
        rejects(message(4, "00090000"), "ERROR-CODE too short", 22);
        rejects(message(8, "00090004 00000701"), "ERROR-CODE class 7 number 1", 26);
        rejects(message(8, "00090004 00000464"), "ERROR-CODE class 4 number 100", 26);
    }

    @Test
    void attributeAfterFingerprint() {
        rejects(message(16, "80280004 00000000 80220004 41424344"), "attribute after FINGERPRINT", 28);
    }

    @Test
    void unknownAttributesArePreservedAndSkipped() throws Exception {
        byte[] m = message(24, "7f010003 010203ff 00200008 0001a147 e112a643 fedc0000");
        StunMessage msg = StunMessage.decode(m);
        assertThat(msg.attributes()).extracting(StunAttribute::type).containsExactly(0x7f01, 0x0020, 0xfedc);
        assertThat(msg.attribute(0x7f01).orElseThrow().value()).isEqualTo(hex("010203"));
        assertThat(msg.attribute(0x7f01).orElseThrow().comprehensionRequired()).isTrue();
        assertThat(msg.xorMappedAddress().orElseThrow().getPort()).isEqualTo(32853);
        assertThat(msg.encode()).isEqualTo(m); // including the odd padding byte 0xff
    }

    @Test
    void attributesAfterIntegrityAreIgnoredByAccessors() throws Exception {
        StunMessage m = StunMessage.bindingRequest().messageIntegrity(new byte[]{1}).build();
        StunMessage withTrailer = StunMessage.decode(concat(m.encode(), hex("80220004 41424344"), 8));
        assertThat(withTrailer.attributes()).hasSize(2);
        assertThat(withTrailer.software()).isEmpty();
    }

    @Test
    void rfc3489MessageDecodes() throws Exception {
        // A classic 3489 binding response: no cookie, MAPPED-ADDRESS, SOURCE-ADDRESS, CHANGED-ADDRESS.
        byte[] m = hex("""
                01010024 0badcafe 01020304 05060708 090a0b0c
                00010008 00011f90 c0000201
                00040008 00010d96 c6336402
                00050008 00010d97 c6336403""");
        StunMessage msg = StunMessage.decode(m);
        assertThat(msg.hasMagicCookie()).isFalse();
        assertThat(msg.cookieField()).isEqualTo(0x0badcafe);
        assertThat(msg.messageClass()).isEqualTo(StunMessage.MessageClass.SUCCESS_RESPONSE);
        assertThat(msg.mappedAddress()).contains(isa("192.0.2.1", 8080));
        assertThat(msg.sourceAddress()).contains(isa("198.51.100.2", 3478));
        assertThat(msg.changedAddress()).contains(isa("198.51.100.3", 3479));
        assertThat(msg.xorMappedAddress()).isEmpty();
        assertThat(msg.encode()).isEqualTo(m);
        StunMessage request = StunMessage.bindingRequest().rfc3489().build();
        assertThat(request.hasMagicCookie()).isFalse();
        StunMessage answer = StunMessage.responseTo(request, StunMessage.MessageClass.SUCCESS_RESPONSE).build();
        assertThat(answer.sameTransaction(request)).isTrue();
        assertThat(StunMessage.decode(answer.encode()).cookieField()).isEqualTo(request.cookieField());
    }

    @Test
    void typeBitsInterleaveMethodAndClass() throws Exception {
        for (StunMessage.MessageClass c : StunMessage.MessageClass.values()) {
            StunMessage m = StunMessage.decode(StunMessage.builder(0xABC, c).build().encode());
            assertThat(m.method()).isEqualTo(0xABC);
            assertThat(m.messageClass()).isEqualTo(c);
        }
        assertThat(StunMessage.builder(1, StunMessage.MessageClass.SUCCESS_RESPONSE).build().type()).isEqualTo(0x0101);
        assertThat(StunMessage.builder(1, StunMessage.MessageClass.ERROR_RESPONSE).build().type()).isEqualTo(0x0111);
        assertThat(StunMessage.builder(1, StunMessage.MessageClass.INDICATION).build().type()).isEqualTo(0x0011);
    }

    @Test
    void errorCodeAndUnknownAttributesRoundTrip() throws Exception {
        StunMessage m = StunMessage.decode(StunMessage.builder(1, StunMessage.MessageClass.ERROR_RESPONSE)
                .errorCode(new StunErrorCode(420, "Unknown Attribute")).unknownAttributes(List.of(3, 0x7f01))
                .build().encode());
        assertThat(m.errorCode()).contains(new StunErrorCode(420, "Unknown Attribute"));
        assertThat(m.unknownAttributes()).containsExactly(3, 0x7f01);
    }

    /** Random messages with a fixed seed: build, encode, decode, compare every value. */
    @Test
    void randomRoundTrip() throws Exception {
        Random r = new Random(0x5EED);
        for (int i = 0; i < 2000; i++) {
            byte[] tid = new byte[12];
            r.nextBytes(tid);
            var cls = StunMessage.MessageClass.values()[r.nextInt(4)];
            int method = r.nextInt(0x1000);
            InetSocketAddress xor = randomAddress(r);
            InetSocketAddress mapped = randomAddress(r);
            InetSocketAddress other = randomAddress(r);
            String software = randomText(r);
            byte[] unknown = new byte[r.nextInt(9)];
            r.nextBytes(unknown);
            StunErrorCode error = new StunErrorCode(300 + r.nextInt(400), randomText(r));
            boolean changeIp = r.nextBoolean();
            boolean changePort = r.nextBoolean();
            byte[] key = new byte[r.nextInt(30)];
            r.nextBytes(key);
            StunMessage.Builder b = StunMessage.builder(method, cls).transactionId(tid)
                    .xorMappedAddress(xor).mappedAddress(mapped).otherAddress(other).responseOrigin(other)
                    .changedAddress(mapped).software(software).add(StunAttribute.of(0x7000 | r.nextInt(0x100), unknown))
                    .errorCode(error).changeRequest(changeIp, changePort);
            boolean integrity = r.nextBoolean();
            boolean fingerprint = r.nextBoolean();
            if (integrity) {
                b.messageIntegrity(key);
            }
            if (fingerprint) {
                b.fingerprint();
            }
            StunMessage built = b.build();
            byte[] wire = built.encode();
            assertThat(wire.length % 4).isZero();
            assertThat(StunMessage.be16(wire, 2)).isEqualTo(wire.length - 20);
            StunMessage m = StunMessage.decode(wire);
            assertThat(m).isEqualTo(built);
            assertThat(m.method()).isEqualTo(method);
            assertThat(m.messageClass()).isEqualTo(cls);
            assertThat(m.transactionId()).isEqualTo(tid);
            assertThat(m.xorMappedAddress()).contains(xor);
            assertThat(m.mappedAddress()).contains(mapped);
            assertThat(m.otherAddress()).contains(other);
            assertThat(m.responseOrigin()).contains(other);
            assertThat(m.changedAddress()).contains(mapped);
            assertThat(m.software()).contains(software);
            assertThat(m.errorCode()).contains(error);
            assertThat(m.changeRequest()).contains((changeIp ? 4 : 0) | (changePort ? 2 : 0));
            assertThat(m.checkIntegrity(key)).isEqualTo(integrity);
            assertThat(m.checkFingerprint()).isEqualTo(fingerprint);
            assertThat(m.encode()).isEqualTo(wire);
        }
    }

    /** Random garbage and random mutations of valid messages: only StunDecodeException, ever. */
    @Test
    void fuzzNeverThrowsAnythingElse() {
        Random r = new Random(42);
        List<byte[]> seeds = List.of(StunMessageVectorsTest.REQUEST, StunMessageVectorsTest.IPV4_RESPONSE,
                StunMessageVectorsTest.IPV6_RESPONSE, StunMessageVectorsTest.LONG_TERM_REQUEST);
        int decoded = 0;
        for (int i = 0; i < 20000; i++) {
            byte[] data;
            if (i % 2 == 0) {
                data = new byte[r.nextInt(120)];
                r.nextBytes(data);
            } else {
                data = seeds.get(r.nextInt(seeds.size())).clone();
                for (int k = 1 + r.nextInt(4); k > 0; k--) {
                    data[r.nextInt(data.length)] = (byte) r.nextInt(256);
                }
            }
            try {
                StunMessage m = StunMessage.decode(data);
                decoded++;
                // every accessor works on whatever decoded
                m.xorMappedAddress();
                m.mappedAddress();
                m.errorCode();
                m.software();
                m.unknownAttributes();
                m.changeRequest();
                m.checkFingerprint();
                m.checkIntegrity(new byte[]{1});
                assertThat(m.encode()).isEqualTo(data);
            } catch (StunDecodeException expected) {
                assertThat(expected.getMessage()).contains("at offset");
            }
        }
        assertThat(decoded).isPositive(); // mutations that keep the structure still decode
    }

    static byte[] concat(byte[] message, byte[] more, int growBy) {
        byte[] out = Arrays.copyOf(message, message.length + more.length);
        System.arraycopy(more, 0, out, message.length, more.length);
        StunMessage.put16(out, 2, StunMessage.be16(out, 2) + growBy);
        return out;
    }

    static InetSocketAddress isa(String ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), port);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static InetSocketAddress randomAddress(Random r) throws Exception {
        byte[] ip = new byte[r.nextBoolean() ? 4 : 16];
        r.nextBytes(ip);
        return new InetSocketAddress(InetAddress.getByAddress(ip), r.nextInt(65536));
    }

    static String randomText(Random r) {
        StringBuilder s = new StringBuilder();
        for (int n = r.nextInt(20); n > 0; n--) {
            s.appendCodePoint(r.nextInt(10) == 0 ? 0x30A0 + r.nextInt(0x60) : 'a' + r.nextInt(26));
        }
        return s.toString();
    }
}
