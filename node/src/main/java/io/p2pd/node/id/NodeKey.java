package io.p2pd.node.id;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * A node's secp256k1 private key: it names the node ({@link #nodeId()}), signs what the node sends
 * ({@link #sign(byte[])}) and opens what peers encrypt to it ({@link #decrypt(byte[])}).
 *
 * <p>Two text forms, both read by {@link #parse(String)} and {@link #load(Path)}:
 * <ul>
 *   <li>{@link KeyFormat#HEX}: the 32-byte private scalar as 64 hex digits, what the original P2PD keeps in its
 *       {@code SECRET_KEY_DONT_SHARE_<port>.hex} file (python-ecdsa's {@code SigningKey.to_string()});</li>
 *   <li>{@link KeyFormat#PEM}: SEC1 {@code EC PRIVATE KEY} with the named curve and the public key, as OpenSSL and
 *       python-ecdsa's {@code to_pem()} write it; PKCS#8 {@code PRIVATE KEY} is read too.</li>
 * </ul>
 * Immutable and thread-safe. {@link #toString()} never shows the secret.
 */
public final class NodeKey {

    /** The text forms a key is saved in. */
    public enum KeyFormat {
        /** 64 hex digits, the original P2PD's key file. */
        HEX,
        /** SEC1 PEM ({@code -----BEGIN EC PRIVATE KEY-----}). */
        PEM
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern PEM_BLOCK =
            Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");
    private static final int MAX_TEXT = 16 * 1024;

    private final BigInteger d;
    private final NodePublicKey publicKey;

    private NodeKey(BigInteger d) {
        this.d = Secp256k1.checkScalar(d);
        ECPoint q = new FixedPointCombMultiplier().multiply(Secp256k1.DOMAIN.getG(), d).normalize();
        this.publicKey = new NodePublicKey(q);
    }

    /** A new random key. */
    public static NodeKey generate() {
        return generate(RANDOM);
    }

    /** A new key drawn from {@code random} (a {@link SecureRandom} outside tests). */
    public static NodeKey generate(SecureRandom random) {
        Objects.requireNonNull(random, "random");
        for (int attempt = 0; attempt < 64; attempt++) {
            BigInteger d = new BigInteger(256, random);
            if (d.signum() > 0 && d.compareTo(Secp256k1.N) < 0) {
                return new NodeKey(d);
            }
        }
        throw new IllegalStateException("random source gave no usable secp256k1 scalar in 64 draws");
    }

    /**
     * The key in either text form (see the class comment), surrounding white space ignored.
     *
     * @throws IllegalArgumentException if the text is neither form or the key is not a secp256k1 private key
     */
    public static NodeKey parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.length() > MAX_TEXT) {
            throw new IllegalArgumentException("not a node key: longer than " + MAX_TEXT + " characters");
        }
        String trimmed = text.strip();
        return trimmed.startsWith("-----BEGIN") ? fromPem(trimmed) : fromHex(trimmed);
    }

    /** The key from 64 hex digits (the original's key file), or IllegalArgumentException. */
    public static NodeKey fromHex(String hex) {
        String h = hex.strip();
        if (h.length() != 2 * Secp256k1.FIELD_BYTES) {
            throw new IllegalArgumentException("not a node key: expected 64 hex digits, got " + h.length() + " characters");
        }
        byte[] raw;
        try {
            raw = HexFormat.of().parseHex(h);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a node key: not hex");
        }
        return new NodeKey(new BigInteger(1, raw));
    }

    /** The key from 32 big-endian bytes, or IllegalArgumentException. */
    public static NodeKey fromBytes(byte[] scalar) {
        if (scalar.length != Secp256k1.FIELD_BYTES) {
            throw new IllegalArgumentException("not a node key: expected 32 bytes, got " + scalar.length);
        }
        return new NodeKey(new BigInteger(1, scalar));
    }

    /** The key from SEC1 or PKCS#8 PEM text on secp256k1, or IllegalArgumentException. */
    public static NodeKey fromPem(String pem) {
        Matcher m = PEM_BLOCK.matcher(pem);
        if (!m.find()) {
            throw new IllegalArgumentException("not a node key: no PEM block");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a node key: bad base64 in PEM");
        }
        String type = m.group(1);
        if (!type.equals("EC PRIVATE KEY") && !type.equals("PRIVATE KEY")) {
            throw new IllegalArgumentException("not a node key: PEM holds " + type);
        }
        ECPrivateKey sec1;
        ASN1Encodable curve;
        boolean ecAlgorithm = true;
        try {
            if (type.equals("EC PRIVATE KEY")) {
                sec1 = ECPrivateKey.getInstance(ASN1Primitive.fromByteArray(der));
                curve = sec1.getParametersObject();
            } else {
                PrivateKeyInfo info = PrivateKeyInfo.getInstance(ASN1Primitive.fromByteArray(der));
                ecAlgorithm = X9ObjectIdentifiers.id_ecPublicKey.equals(info.getPrivateKeyAlgorithm().getAlgorithm());
                curve = info.getPrivateKeyAlgorithm().getParameters();
                sec1 = ecAlgorithm ? ECPrivateKey.getInstance(info.parsePrivateKey()) : null;
            }
        } catch (IOException | RuntimeException e) {
            // BouncyCastle reports malformed DER with several runtime exception types; all mean the same here.
            throw new IllegalArgumentException("not a node key: malformed key structure in PEM");
        }
        if (!ecAlgorithm) {
            throw new IllegalArgumentException("not a node key: PKCS#8 key is not an EC key");
        }
        if (curve == null && type.equals("PRIVATE KEY")
                || curve != null && !Secp256k1.OID.equals(curve.toASN1Primitive())) {
            throw new IllegalArgumentException("not a node key: curve is not secp256k1");
        }
        return new NodeKey(sec1.getKey());
    }

    /**
     * Reads a key file in either form.
     *
     * @throws IOException if it cannot be read, or does not hold a secp256k1 private key (the message names the
     *     file)
     */
    public static NodeKey load(Path file) throws IOException {
        if (Files.size(file) > MAX_TEXT) {
            throw new IOException(file + ": not a node key (larger than " + MAX_TEXT + " bytes)");
        }
        String text = Files.readString(file, US_ASCII);
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the key to {@code file} in {@code format}, readable by its owner only where the file system has POSIX
     * permissions. The file is replaced whole or not at all (written beside it, then moved).
     */
    public void save(Path file, KeyFormat format) throws IOException {
        write(file, format, true);
    }

    /**
     * The key in {@code file}, or a new one saved there in {@code format} (parent folders created) when the file does
     * not exist: the original's behaviour for its key file. Two processes racing to create it end up with the same
     * key (the file is never replaced here).
     *
     * @throws IOException if the file cannot be read or written, or holds something that is not a node key
     */
    public static NodeKey loadOrCreate(Path file, KeyFormat format) throws IOException {
        if (Files.exists(file)) {
            return load(file);
        }
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        NodeKey fresh = generate();
        return fresh.write(file, format, false) ? fresh : load(file);
    }

    /**
     * Where the original keeps a node's key: {@code <home>/p2pd/SECRET_KEY_DONT_SHARE_<listen port>.hex} (home is
     * the user's home folder), so a Java node can take over a Python node's identity.
     */
    public static Path originalKeyFile(Path home, int listenPort) {
        if (listenPort < 1 || listenPort > 65535) {
            throw new IllegalArgumentException("listen port " + listenPort + " is outside 1..65535");
        }
        return home.resolve("p2pd").resolve("SECRET_KEY_DONT_SHARE_" + listenPort + ".hex");
    }

    /** Writes via a temporary file beside {@code file}; false when {@code replace} is off and the file exists. */
    private boolean write(Path file, KeyFormat format, boolean replace) throws IOException {
        Objects.requireNonNull(format, "format");
        Path dir = file.toAbsolutePath().getParent();
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, ".p2pd-key", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            tmp = Files.createTempFile(dir, ".p2pd-key", ".tmp");
        }
        try {
            Files.writeString(tmp, format == KeyFormat.HEX ? toHex() : toPem(), US_ASCII);
            if (!replace) {
                try {
                    // A hard link appears whole and fails if the name is taken: create-if-absent, atomically.
                    Files.createLink(file, tmp);
                    return true;
                } catch (FileAlreadyExistsException e) {
                    return false;
                } catch (UnsupportedOperationException | IOException noHardLinks) {
                    try {
                        Files.move(tmp, file); // without REPLACE_EXISTING: fails if the name is taken
                        return true;
                    } catch (FileAlreadyExistsException e) {
                        return false;
                    }
                }
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return true;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The private scalar as 64 lowercase hex digits, no newline: the original P2PD's key file. */
    public String toHex() {
        return HexFormat.of().formatHex(Secp256k1.fixed32(d));
    }

    /** SEC1 PEM with the named curve and the uncompressed public key, as python-ecdsa's {@code to_pem()}. */
    public String toPem() {
        ECPrivateKey sec1 = new ECPrivateKey(256, d, new DERBitString(publicKey.point().getEncoded(false)),
                Secp256k1.OID);
        byte[] der;
        try {
            der = sec1.getEncoded("DER");
        } catch (IOException e) {
            throw new IllegalStateException("DER encoding of a key failed", e);
        }
        String body = Base64.getMimeEncoder(64, "\n".getBytes(US_ASCII)).encodeToString(der);
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n-----END EC PRIVATE KEY-----\n";
    }

    /** The public half, which peers see. */
    public NodePublicKey publicKey() {
        return publicKey;
    }

    /** The node id this key names: see {@link NodeId#of(NodePublicKey)}. */
    public NodeId nodeId() {
        return publicKey.nodeId();
    }

    /**
     * Signs {@code data}: ECDSA on secp256k1 over its SHA-256, deterministic (RFC 6979), with the low s (so the
     * signature has one form), as 64 bytes r || s. {@link NodePublicKey#verify(byte[], byte[])} checks it.
     */
    public byte[] sign(byte[] data) {
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        signer.init(true, new ECPrivateKeyParameters(d, Secp256k1.DOMAIN));
        BigInteger[] rs = signer.generateSignature(NodePublicKey.sha256(data));
        BigInteger s = rs[1].compareTo(Secp256k1.HALF_N) > 0 ? Secp256k1.N.subtract(rs[1]) : rs[1];
        byte[] out = new byte[2 * Secp256k1.FIELD_BYTES];
        System.arraycopy(Secp256k1.fixed32(rs[0]), 0, out, 0, Secp256k1.FIELD_BYTES);
        System.arraycopy(Secp256k1.fixed32(s), 0, out, Secp256k1.FIELD_BYTES, Secp256k1.FIELD_BYTES);
        return out;
    }

    /**
     * Opens a message a peer encrypted to this key with the original P2PD's ECIES (see
     * {@link NodePublicKey#encrypt(byte[])}).
     *
     * @throws EciesException if the bytes are too short, the ephemeral key is not on the curve, the tag does not
     *     match or the padding is wrong: whatever the cause, the message is not for this key or was altered
     */
    public byte[] decrypt(byte[] message) throws EciesException {
        return Ecies.decrypt(this, message);
    }

    /**
     * ECDH with {@code peer}: the x coordinate of d * Q, 32 bytes, which the two keys derive alike and nobody else
     * can (a hole punch keys its TCP-MD5 signatures from it).
     */
    public byte[] sharedSecret(NodePublicKey peer) {
        return Ecies.sharedSecret(this, Objects.requireNonNull(peer, "peer").point());
    }

    BigInteger scalar() {
        return d;
    }

    /** Shows the node id only, never the secret. */
    @Override
    public String toString() {
        return "NodeKey[" + nodeId() + "]";
    }
}
