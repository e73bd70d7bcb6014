package io.p2pd.node.id;

import java.util.Arrays;
import org.bouncycastle.crypto.BufferedBlockCipher;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.engines.RC6Engine;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.modes.CBCBlockCipher;
import org.bouncycastle.crypto.paddings.PKCS7Padding;
import org.bouncycastle.crypto.paddings.PaddedBufferedBlockCipher;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.bouncycastle.math.ec.ECPoint;

/**
 * The original P2PD's ECIES ({@code p2pd/vendor/ecies}), byte for byte: the secret is the x coordinate of the ECDH
 * point (32 bytes, as python-ecdsa's {@code generate_sharedsecret_bytes}), used directly as the RC6 key (no KDF:
 * the original has one but does not call it); RC6-32/20 in CBC mode with PKCS#7 padding; the tag is
 * HMAC-SHA256 keyed with IV || secret over the ciphertext (encrypt-then-MAC).
 */
final class Ecies {

    static final int IV_BYTES = 16;
    static final int TAG_BYTES = 32;
    static final int BLOCK_BYTES = 16;
    static final int HEADER_BYTES = Secp256k1.COMPRESSED_POINT_BYTES + IV_BYTES + TAG_BYTES;

    private Ecies() {}

    static byte[] encrypt(ECPoint receiver, byte[] message, NodeKey ephemeral, byte[] iv) {
        byte[] secret = sharedSecret(ephemeral, receiver);
        try {
            byte[] body = rc6Cbc(true, secret, iv, message);
            byte[] tag = tag(secret, iv, body);
            byte[] out = new byte[HEADER_BYTES + body.length];
            byte[] ephemeralPoint = ephemeral.publicKey().compressed();
            System.arraycopy(ephemeralPoint, 0, out, 0, ephemeralPoint.length);
            System.arraycopy(iv, 0, out, Secp256k1.COMPRESSED_POINT_BYTES, IV_BYTES);
            System.arraycopy(tag, 0, out, Secp256k1.COMPRESSED_POINT_BYTES + IV_BYTES, TAG_BYTES);
            System.arraycopy(body, 0, out, HEADER_BYTES, body.length);
            return out;
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("RC6 encryption failed", e); // padding on encrypt cannot fail
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    static byte[] decrypt(NodeKey receiver, byte[] message) throws EciesException {
        int bodyLength = message.length - HEADER_BYTES;
        if (bodyLength < BLOCK_BYTES || bodyLength % BLOCK_BYTES != 0) {
            throw new EciesException("not an ECIES message: " + message.length + " bytes");
        }
        ECPoint ephemeral;
        try {
            ephemeral = Secp256k1.decodePoint(Arrays.copyOf(message, Secp256k1.COMPRESSED_POINT_BYTES));
        } catch (IllegalArgumentException e) {
            throw new EciesException("not an ECIES message: bad ephemeral key");
        }
        byte[] iv = Arrays.copyOfRange(message, Secp256k1.COMPRESSED_POINT_BYTES, Secp256k1.COMPRESSED_POINT_BYTES + IV_BYTES);
        byte[] tag = Arrays.copyOfRange(message, Secp256k1.COMPRESSED_POINT_BYTES + IV_BYTES, HEADER_BYTES);
        byte[] body = Arrays.copyOfRange(message, HEADER_BYTES, message.length);
        byte[] secret = sharedSecret(receiver, ephemeral);
        try {
            if (!java.security.MessageDigest.isEqual(tag, tag(secret, iv, body))) {
                throw new EciesException("ECIES message does not authenticate");
            }
            return rc6Cbc(false, secret, iv, body);
        } catch (InvalidCipherTextException e) {
            throw new EciesException("ECIES message has bad padding");
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    /** ECDH: the x coordinate of d * Q, 32 bytes big-endian. */
    static byte[] sharedSecret(NodeKey own, ECPoint peer) {
        ECPoint shared = peer.multiply(own.scalar()).normalize();
        return shared.getAffineXCoord().getEncoded();
    }

    private static byte[] tag(byte[] secret, byte[] iv, byte[] body) {
        HMac mac = new HMac(new SHA256Digest());
        byte[] key = new byte[IV_BYTES + secret.length];
        System.arraycopy(iv, 0, key, 0, IV_BYTES);
        System.arraycopy(secret, 0, key, IV_BYTES, secret.length);
        mac.init(new KeyParameter(key));
        Arrays.fill(key, (byte) 0);
        mac.update(body, 0, body.length);
        byte[] out = new byte[TAG_BYTES];
        mac.doFinal(out, 0);
        return out;
    }

    private static byte[] rc6Cbc(boolean encrypt, byte[] key, byte[] iv, byte[] in) throws InvalidCipherTextException {
        BufferedBlockCipher cipher =
                new PaddedBufferedBlockCipher(CBCBlockCipher.newInstance(new RC6Engine()), new PKCS7Padding());
        cipher.init(encrypt, new ParametersWithIV(new KeyParameter(key), iv));
        byte[] out = new byte[cipher.getOutputSize(in.length)];
        int n = cipher.processBytes(in, 0, in.length, out, 0);
        n += cipher.doFinal(out, n);
        return n == out.length ? out : Arrays.copyOf(out, n);
    }
}
