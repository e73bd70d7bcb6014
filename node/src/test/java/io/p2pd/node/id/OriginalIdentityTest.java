package io.p2pd.node.id;

import static io.p2pd.node.testing.Original.op;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.node.testing.Original;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Golden vectors, both ways, against the Python original (python-ecdsa and its vendored ECIES): the same key gives
 * the same public key, node id and PEM; a ciphertext the original makes with a pinned ephemeral key and IV is
 * opened here and re-made byte for byte, and ours are opened by the original; our signatures are the
 * deterministic ones python-ecdsa makes and it verifies them; the machine id and listen port match.
 */
class OriginalIdentityTest {

    private static final HexFormat HEX = HexFormat.of();
    static final String KEY = "8f2a559490e6ed3e0f6c2b5b2f0c1d3e4a5b6c7d8e9f00112233445566778899";
    static final String EPHEMERAL = "1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a";
    static final String IV = "000102030405060708090a0b0c0d0e0f";

    @Test
    void theSameKeyHasTheOriginalsPublicKeyNodeIdAndPem() throws Exception {
        NodeKey key = NodeKey.fromHex(KEY);
        String[] info = Original.run(List.of(op("key_info", "key", KEY))).get(0).split("\\|");

        assertThat(key.publicKey().toHex()).isEqualTo(info[0]);
        assertThat(key.nodeId().value()).isEqualTo(info[1]);
        assertThat(key.toPem()).isEqualTo(info[2]);
        assertThat(NodeKey.parse(info[2]).toHex()).isEqualTo(KEY);
        assertThat(NodeKey.parse(info[3]).toHex()).isEqualTo(KEY);
        NodeKey other = NodeKey.generate();
        assertThat(Original.run(List.of(op("key_from_pem", "pem", other.toPem()))).get(0)).isEqualTo(other.toHex());
    }

    @Test
    void eciesCiphertextsAreTheOriginalsByteForByteBothWays() throws Exception {
        NodeKey receiver = NodeKey.fromHex(KEY);
        byte[] message = "{\"meta\": {\"ttl\": 10}, \"payload\": \"punch at 12:00:00\"}".getBytes(StandardCharsets.UTF_8);
        byte[] oneBlock = "exactly sixteen!".getBytes(StandardCharsets.US_ASCII);
        List<String> made = Original.run(List.of(
                op("ecies_encrypt", "to", receiver.publicKey().toHex(), "ephemeral", EPHEMERAL, "iv", IV,
                        "message", HEX.formatHex(message)),
                op("ecies_encrypt", "to", receiver.publicKey().toHex(), "ephemeral", EPHEMERAL, "iv", IV,
                        "message", HEX.formatHex(oneBlock)),
                op("ecies_encrypt", "to", receiver.publicKey().toHex(), "ephemeral", EPHEMERAL, "iv", IV,
                        "message", "")));

        byte[][] plain = {message, oneBlock, new byte[0]};
        for (int i = 0; i < plain.length; i++) {
            byte[] theirs = HEX.parseHex(made.get(i));
            assertThat(receiver.decrypt(theirs)).isEqualTo(plain[i]);
            byte[] ours = Ecies.encrypt(receiver.publicKey().point(), plain[i], NodeKey.fromHex(EPHEMERAL), HEX.parseHex(IV));
            assertThat(HEX.formatHex(ours)).isEqualTo(made.get(i));
        }
        // 33 + 16 + 32 + the padded body: a full block of padding after a whole block.
        assertThat(HEX.parseHex(made.get(1))).hasSize(33 + 16 + 32 + 32);

        byte[] ours = receiver.publicKey().encrypt(message);
        String opened = Original.run(List.of(op("ecies_decrypt", "key", KEY, "cipher", HEX.formatHex(ours)))).get(0);
        assertThat(HEX.parseHex(opened)).isEqualTo(message);
    }

    @Test
    void signaturesAreTheDeterministicOnesAndTheOriginalVerifiesThem() throws Exception {
        NodeKey key = NodeKey.fromHex(KEY);
        byte[] data = "signed envelope".getBytes(StandardCharsets.US_ASCII);
        byte[] sig = key.sign(data);
        byte[] tampered = sig.clone();
        tampered[10] ^= 1;
        List<String> answers = Original.run(List.of(
                op("sign", "key", KEY, "message", HEX.formatHex(data)),
                op("verify", "public", key.publicKey().toHex(), "message", HEX.formatHex(data), "signature",
                        HEX.formatHex(sig)),
                op("verify", "public", key.publicKey().toHex(), "message", HEX.formatHex(data), "signature",
                        HEX.formatHex(tampered))));

        assertThat(HEX.formatHex(sig)).isEqualTo(answers.get(0));
        assertThat(answers.get(1)).isEqualTo("True");
        assertThat(answers.get(2)).isEqualTo("False");
    }

    @Test
    void machineIdAndListenPortAreTheOriginals() throws Exception {
        List<String> raws = List.of("4c4c4544004d3510804cb2c04f4e4d32\n", " 0123456789abcdef0123456789abcdef ", "x");
        List<java.util.Map<String, Object>> requests = raws.stream().map(r -> op("machine", "raw", r)).toList();
        List<String> answers = Original.run(requests);
        for (int i = 0; i < raws.size(); i++) {
            String[] expected = answers.get(i).split("\\|");
            MachineId id = MachineId.fromRawId(raws.get(i), MachineId.APP_ID);
            assertThat(id.value()).isEqualTo(expected[0]);
            assertThat(id.defaultListenPort()).isEqualTo(Integer.parseInt(expected[1]));
        }
    }
}
