package io.p2pd.node.id;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A node's secp256k1 public key: what a peer needs to check the node's signatures ({@link #verify}) and to
 * encrypt to it ({@link #encrypt}). It travels as its 33-byte compressed SEC1 encoding ({@link #compressed()}), in
 * hex in the original P2PD's messages. Immutable; equal when the points are equal.
 */
public final class NodePublicKey {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final ECPoint point;
    private final byte[] compressed;

    NodePublicKey(ECPoint point) {
        this.point = point;
        this.compressed = point.getEncoded(true);
    }

    /**
     * The key from its SEC1 encoding, compressed (33 bytes) or not (65).
     *
     * @throws IllegalArgumentException if the bytes are not a point on secp256k1
     */
    public static NodePublicKey fromBytes(byte[] encoded) {
        return new NodePublicKey(Secp256k1.decodePoint(encoded.clone()));
    }

    /** The key from the hex of its SEC1 encoding, or IllegalArgumentException. */
    public static NodePublicKey fromHex(String hex) {
        byte[] raw;
        try {
            raw = HexFormat.of().parseHex(hex.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a secp256k1 public key: not hex");
        }
        return fromBytes(raw);
    }

    /** The 33-byte compressed encoding (a fresh copy). */
    public byte[] compressed() {
        return compressed.clone();
    }

    /** The compressed encoding in lowercase hex (66 digits), as the original's messages carry it. */
    public String toHex() {
        return HexFormat.of().formatHex(compressed);
    }

    /** The node id of this key: see {@link NodeId#of(NodePublicKey)}. */
    public NodeId nodeId() {
        return NodeId.of(this);
    }

    /**
     * True when {@code signature} is this key's signature of {@code data} as {@link NodeKey#sign(byte[])} makes it:
     * 64 bytes r || s over SHA-256, with the low s. Anything else (another length, the high-s twin of a valid
     * signature, values out of range) is false, never an exception.
     */
    public boolean verify(byte[] data, byte[] signature) {
        Objects.requireNonNull(data, "data");
        if (signature == null || signature.length != 2 * Secp256k1.FIELD_BYTES) {
            return false;
        }
        BigInteger r = new BigInteger(1, Arrays.copyOfRange(signature, 0, Secp256k1.FIELD_BYTES));
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature, Secp256k1.FIELD_BYTES, signature.length));
        if (r.signum() == 0 || r.compareTo(Secp256k1.N) >= 0 || s.signum() == 0 || s.compareTo(Secp256k1.HALF_N) > 0) {
            return false;
        }
        ECDSASigner verifier = new ECDSASigner();
        verifier.init(false, new ECPublicKeyParameters(point, Secp256k1.DOMAIN));
        return verifier.verifySignature(sha256(data), r, s);
    }

    /**
     * Encrypts {@code message} to this key with the original P2PD's ECIES (its {@code vendor/ecies}): a fresh
     * ephemeral key pair, ECDH to a 32-byte secret (the shared point's x), RC6-CBC (20 rounds, PKCS#7 padding)
     * under that secret with a random IV, and HMAC-SHA256 keyed with IV || secret over the ciphertext. Layout:
     * ephemeral public key (33, compressed) || IV (16) || tag (32) || ciphertext. The original's nodes decrypt it.
     */
    public byte[] encrypt(byte[] message) {
        return encrypt(message, RANDOM);
    }

    /** As {@link #encrypt(byte[])}, drawing the ephemeral key and IV from {@code random}. */
    public byte[] encrypt(byte[] message, SecureRandom random) {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(random, "random");
        NodeKey ephemeral = NodeKey.generate(random);
        byte[] iv = new byte[Ecies.IV_BYTES];
        random.nextBytes(iv);
        return Ecies.encrypt(point, message, ephemeral, iv);
    }

    ECPoint point() {
        return point;
    }

    static byte[] sha256(byte[] data) {
        SHA256Digest digest = new SHA256Digest();
        digest.update(data, 0, data.length);
        byte[] out = new byte[digest.getDigestSize()];
        digest.doFinal(out, 0);
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodePublicKey other && Arrays.equals(compressed, other.compressed);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(compressed);
    }

    /** The compressed encoding in hex. */
    @Override
    public String toString() {
        return toHex();
    }
}
