package io.p2pd.node.signal;

import static io.p2pd.node.signal.Fixtures.ADDR_A;
import static io.p2pd.node.signal.Fixtures.ADDR_B;
import static io.p2pd.node.signal.Fixtures.KEY_A;
import static io.p2pd.node.signal.Fixtures.KEY_B;
import static io.p2pd.node.signal.Fixtures.NOW;
import static io.p2pd.node.testing.Original.op;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.node.id.NodeKey;
import io.p2pd.node.testing.Original;
import java.net.StandardProtocolFamily;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Golden vectors, both ways, against the Python original's own message classes ({@code p2p_defs.py}) and receiving
 * code ({@code SigProtoHandlers.proto} in {@code p2p_protocol.py}), run through the test harness with fixed keys:
 * messages the original makes, plain and ECIES-encrypted, are read here and made again byte for byte; messages made
 * and signed here, plain and encrypted, are read by the original, which acts on the same fields.
 */
class SignalOriginalTest {

    static final HexFormat HEX = HexFormat.of();
    static final String EPHEMERAL = "00".repeat(31) + "07";
    static final String IV = "11".repeat(16);

    /** The messages both sides make: each type, both families, payloads of each shape. */
    static List<SignalMessage> messages() {
        SignalMessage getAddr = SignalMessage.of(SignalType.GET_ADDRESS, NOW + 5, "pAbc123", ADDR_A, ADDR_B);
        SignalMessage returnAddr = SignalMessage.of(SignalType.RETURN_ADDRESS, NOW + 6, "pAbc123", ADDR_A, ADDR_B);
        SignalMessage connect = new SignalMessage(SignalType.CONNECT, NOW + 5, "k9ZZq0", StandardProtocolFamily.INET,
                ADDR_A, 0, List.of(1), StandardProtocolFamily.INET6, ADDR_B, 1, Map.of(), Optional.empty());
        Map<String, Object> punch = new LinkedHashMap<>();
        punch.put("punch_mode", 1L);
        punch.put("ntp", "1000003.25");
        punch.put("mappings", List.of(List.of(40001L, 50001L), List.of(40002L, 50002L)));
        SignalMessage tcpPunch = SignalMessage.of(SignalType.TCP_PUNCH, NOW + 30, "punch77", ADDR_A, ADDR_B)
                .withPayload(punch);
        Map<String, Object> turn = new LinkedHashMap<>();
        turn.put("peer_tup", List.of("192.0.2.1", 3478L));
        // A string needing every kind of escape Python's json.dumps makes (short ones, control, DEL, non-ASCII,
        // a surrogate pair), so the bytes show we escape as it does.
        turn.put("relay_tup", List.of("q\"b\\n\n\r\t\b\f\u0001\u007f\u00e9\u2028\ud83d\ude00/", 50000L));
        turn.put("serv_id", 0L);
        SignalMessage relay = SignalMessage.of(SignalType.TURN, NOW + 10, "turn1", ADDR_A, ADDR_B).withPayload(turn);
        return List.of(getAddr, returnAddr, connect, tcpPunch, relay);
    }

    /** The fields as the original's constructors take them (its dict form). */
    static String fields(SignalMessage m) {
        byte[] plain = SignalCodec.plain(m);
        return new String(plain, 1, plain.length - 1, US_ASCII);
    }

    static Map<String, Object> make(SignalMessage m, NodeKey sender, NodeKey encryptTo) {
        Map<String, Object> r = op("signal_make", "type", m.type().code(), "fields", fields(m), "vk",
                sender.publicKey().toHex());
        if (encryptTo != null) {
            r.put("to", encryptTo.publicKey().toHex());
            r.put("ephemeral", EPHEMERAL);
            r.put("iv", IV);
        }
        return r;
    }

    static Map<String, Object> read(byte[] wire, NodeKey receiver, String receiverAddress, long now) {
        return op("signal_read", "payload", new String(wire, US_ASCII), "key", receiver.toHex(), "addr",
                receiverAddress, "now", (int) now);
    }

    @Test
    void messagesTheOriginalMakesAreReadAndMadeAgainByteForByte() throws Exception {
        List<SignalMessage> ms = messages();
        List<Map<String, Object>> requests = new ArrayList<>();
        for (SignalMessage m : ms) {
            requests.add(make(m, KEY_A, null));
            requests.add(make(m, KEY_A, KEY_B));
        }
        List<String> answers = Original.run(requests);

        Fixtures.Clock clock = new Fixtures.Clock();
        SignalInbox strict = new SignalInbox(KEY_B, SignalPolicy.defaults(), clock);
        SignalPolicy legacy = SignalPolicy.defaults().withAllowUnsignedPeers(true);
        for (int i = 0; i < ms.size(); i++) {
            SignalMessage expected = ms.get(i).withSenderKey(KEY_A.publicKey());
            byte[] plainWire = answers.get(2 * i).getBytes(US_ASCII);
            byte[] encryptedWire = answers.get(2 * i + 1).getBytes(US_ASCII);

            // Made again here: the same bytes, to the byte.
            assertThat(new String(SignalCodec.wire(false, SignalCodec.plain(expected)), US_ASCII))
                    .isEqualTo(answers.get(2 * i));
            SignalCodec.Outer outer = SignalCodec.outer(encryptedWire);
            assertThat(outer.encrypted()).isTrue();
            assertThat(KEY_B.decrypt(outer.body())).isEqualTo(SignalCodec.plain(expected));

            // Read here: unsigned, so refused by default and accepted, unable to make us dial, by the legacy switch.
            assertThat(strict.receive(plainWire)).isEqualTo(new SignalResult.Dropped(SignalDrop.UNSIGNED,
                    "unsigned message from " + ADDR_A.nodeId()));
            for (byte[] wire : List.of(plainWire, encryptedWire)) {
                // A fresh inbox each: the two are the same content in other bytes, which one inbox calls a replay.
                SignalResult r = new SignalInbox(KEY_B, legacy, clock).receive(wire);
                assertThat(r).isInstanceOf(SignalResult.Accepted.class);
                SignalReceipt receipt = ((SignalResult.Accepted) r).receipt();
                assertThat(receipt.message()).isEqualTo(expected);
                assertThat(receipt.signed()).isFalse();
                assertThat(receipt.mayDial()).isFalse();
                assertThat(receipt.encrypted()).isEqualTo(wire == encryptedWire);
            }
        }
    }

    @Test
    void messagesMadeAndSignedHereAreReadByTheOriginal() throws Exception {
        List<SignalMessage> ms = messages();
        SignalSealer sealer = new SignalSealer(KEY_A);
        List<Map<String, Object>> requests = new ArrayList<>();
        for (SignalMessage m : ms) {
            requests.add(read(sealer.sealPlaintext(m), KEY_B, ADDR_B.toString(), NOW));
            requests.add(read(sealer.seal(m, KEY_B.publicKey()), KEY_B, ADDR_B.toString(), NOW));
        }
        // The harness can fail: the original drops an expired message, and one for another node.
        requests.add(read(sealer.seal(ms.get(0), KEY_B.publicKey()), KEY_B, ADDR_B.toString(), NOW + 5));
        requests.add(read(sealer.sealPlaintext(ms.get(0)), KEY_A, ADDR_A.toString(), NOW));
        List<String> answers = Original.run(requests);

        List<String> classes = List.of("GetAddr", "ReturnAddr", "ConMsg", "TCPPunchMsg", "TURNMsg");
        for (int i = 0; i < ms.size(); i++) {
            SignalMessage m = ms.get(i).withSenderKey(KEY_A.publicKey());
            String expected = String.join("\n", classes.get(i), String.valueOf(m.type().code()), fields(m),
                    ADDR_A.toString(), ADDR_B.toString());
            assertThat(answers.get(2 * i)).as("plaintext %s", m.type()).isEqualTo(expected);
            assertThat(answers.get(2 * i + 1)).as("encrypted %s", m.type()).isEqualTo(expected);
        }
        assertThat(answers.subList(2 * ms.size(), answers.size())).containsExactly("None", "None");
    }
}
