package io.p2pd.node.id;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node keys on their own: text forms, files, node ids, signatures and ECIES, and what each refuses. */
class NodeKeyTest {

    static final String KEY = OriginalIdentityTest.KEY;

    @Test
    void hexAndPemReadBackTheSameKey() {
        NodeKey key = NodeKey.generate();
        assertThat(key.toHex()).hasSize(64).matches("[0-9a-f]+");
        assertThat(NodeKey.parse(key.toHex()).toHex()).isEqualTo(key.toHex());
        assertThat(NodeKey.parse("  " + key.toHex() + "\n").toHex()).isEqualTo(key.toHex());
        assertThat(key.toPem()).startsWith("-----BEGIN EC PRIVATE KEY-----\n").endsWith("-----END EC PRIVATE KEY-----\n");
        assertThat(NodeKey.parse(key.toPem()).publicKey()).isEqualTo(key.publicKey());
        assertThat(key.toString()).doesNotContain(key.toHex()).contains(key.nodeId().value());
    }

    @Test
    void textThatIsNotASecp256k1KeyIsRefused() {
        String zero = "0".repeat(64);
        String order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
        for (String bad : new String[] {"", "abc", zero, order, "g".repeat(64), KEY + "00",
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----",
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "-----BEGIN EC PRIVATE KEY-----"}) {
            assertThatThrownBy(() -> NodeKey.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("not a node key");
        }
        // A P-256 key is an EC key, but not a node key.
        String p256 = """
                -----BEGIN EC PRIVATE KEY-----
                MHcCAQEEIDCbC1tfgH5BKfRUE3ltMKP1BaRBPlcVJwQkOhgS+Nb6oAoGCCqGSM49
                AwEHoUQDQgAE6ntAh0WTe1Y1tUNvGjFfT8YUSKn9dRMH3BqcVR6oqFtl9bTjnwbS
                XzwdkPzeJYqhO0cefMNoxlPwxYk9pHzHaQ==
                -----END EC PRIVATE KEY-----
                """;
        assertThatThrownBy(() -> NodeKey.parse(p256)).hasMessageContaining("secp256k1");
    }

    @Test
    void savedKeysLoadBackAndAreOwnerOnly(@TempDir Path dir) throws IOException {
        NodeKey key = NodeKey.generate();
        Path hex = dir.resolve("SECRET_KEY_DONT_SHARE_51234.hex");
        Path pem = dir.resolve("node.pem");
        key.save(hex, NodeKey.KeyFormat.HEX);
        key.save(pem, NodeKey.KeyFormat.PEM);

        assertThat(Files.readString(hex)).isEqualTo(key.toHex());
        assertThat(NodeKey.load(hex).toHex()).isEqualTo(key.toHex());
        assertThat(NodeKey.load(pem).toHex()).isEqualTo(key.toHex());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(hex))).isEqualTo("rw-------");
        NodeKey next = NodeKey.generate();
        next.save(hex, NodeKey.KeyFormat.HEX);
        assertThat(NodeKey.load(hex).toHex()).isEqualTo(next.toHex());
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    "SECRET_KEY_DONT_SHARE_51234.hex", "node.pem");
        }

        Path junk = dir.resolve("junk");
        Files.writeString(junk, "not a key");
        assertThatThrownBy(() -> NodeKey.load(junk)).isInstanceOf(IOException.class)
                .hasMessageContaining("junk").hasMessageContaining("not a node key");
    }

    @Test
    void loadOrCreateKeepsTheFirstKeyAndUsesTheOriginalsPlace(@TempDir Path home) throws Exception {
        Path file = NodeKey.originalKeyFile(home, 51234);
        assertThat(file).isEqualTo(home.resolve("p2pd/SECRET_KEY_DONT_SHARE_51234.hex"));

        NodeKey first = NodeKey.loadOrCreate(file, NodeKey.KeyFormat.HEX);
        assertThat(Files.readString(file)).isEqualTo(first.toHex());
        assertThat(NodeKey.loadOrCreate(file, NodeKey.KeyFormat.HEX).toHex()).isEqualTo(first.toHex());

        // Racing creators agree on one key: the file is never replaced once it exists.
        Path raced = home.resolve("raced.pem");
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<NodeKey>>();
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(() -> NodeKey.loadOrCreate(raced, NodeKey.KeyFormat.PEM)));
            }
            java.util.Set<String> keys = new java.util.HashSet<>();
            for (var f : futures) {
                keys.add(f.get(30, java.util.concurrent.TimeUnit.SECONDS).toHex());
            }
            assertThat(keys).containsExactly(NodeKey.load(raced).toHex());
        } finally {
            pool.shutdownNow();
        }
        try (var files = Files.list(home)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("p2pd", "raced.pem");
        }
        assertThatThrownBy(() -> NodeKey.originalKeyFile(home, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theNodeIdIsTheStartOfTheSha256OfTheCompressedPublicKey() {
        NodeKey key = NodeKey.fromHex(KEY);
        byte[] compressed = key.publicKey().compressed();
        assertThat(compressed).hasSize(33);
        String expected = java.util.HexFormat.of().formatHex(NodePublicKey.sha256(compressed)).substring(0, 25);
        assertThat(key.nodeId().value()).isEqualTo(expected);
        assertThat(key.nodeId().matches(key.publicKey())).isTrue();
        assertThat(key.nodeId().matches(NodeKey.generate().publicKey())).isFalse();
        assertThat(NodePublicKey.fromHex(key.publicKey().toHex())).isEqualTo(key.publicKey());
        assertThatThrownBy(() -> new NodeId("ABC")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NodePublicKey.fromBytes(new byte[33])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void signaturesVerifyOnlyForTheirKeyDataAndLowS() {
        NodeKey key = NodeKey.generate();
        byte[] data = "hello".getBytes(StandardCharsets.US_ASCII);
        byte[] sig = key.sign(data);

        assertThat(sig).hasSize(64);
        assertThat(key.sign(data)).isEqualTo(sig);
        assertThat(key.publicKey().verify(data, sig)).isTrue();
        assertThat(key.publicKey().verify("hellO".getBytes(StandardCharsets.US_ASCII), sig)).isFalse();
        assertThat(NodeKey.generate().publicKey().verify(data, sig)).isFalse();
        assertThat(key.publicKey().verify(data, Arrays.copyOf(sig, 63))).isFalse();
        assertThat(key.publicKey().verify(data, new byte[64])).isFalse();
        // The high-s twin is a valid ECDSA signature too; accepting it would give each message two signatures.
        java.math.BigInteger s = new java.math.BigInteger(1, Arrays.copyOfRange(sig, 32, 64));
        byte[] twin = sig.clone();
        System.arraycopy(Secp256k1.fixed32(Secp256k1.N.subtract(s)), 0, twin, 32, 32);
        assertThat(key.publicKey().verify(data, twin)).isFalse();
    }

    @Test
    void eciesOpensForItsKeyOnlyAndRefusesAlteredMessages() {
        NodeKey key = NodeKey.generate(new SecureRandom());
        byte[] message = "a signal".getBytes(StandardCharsets.US_ASCII);
        byte[] sealed = key.publicKey().encrypt(message);

        assertThat(sealed).hasSize(33 + 16 + 32 + 16);
        assertThat(key.publicKey().encrypt(message)).isNotEqualTo(sealed);
        assertThat(open(key, sealed)).isEqualTo(message);
        assertThat(open(NodeKey.generate(), sealed)).isNull();
        for (int at : new int[] {0, 5, 33, 48, 49, 80, 81, sealed.length - 1}) {
            byte[] altered = sealed.clone();
            altered[at] ^= 0x40;
            assertThat(open(key, altered)).as("byte " + at).isNull();
        }
        assertThat(open(key, Arrays.copyOf(sealed, sealed.length - 1))).isNull();
        assertThat(open(key, Arrays.copyOf(sealed, 81))).isNull();
        assertThat(open(key, new byte[0])).isNull();
    }

    private static byte[] open(NodeKey key, byte[] sealed) {
        try {
            return key.decrypt(sealed);
        } catch (EciesException e) {
            assertThat(e.getMessage()).doesNotContain(key.toHex());
            return null;
        }
    }
}
