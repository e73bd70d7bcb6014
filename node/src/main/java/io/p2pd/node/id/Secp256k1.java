package io.p2pd.node.id;

import java.math.BigInteger;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.math.ec.ECPoint;

/** The curve every node key is on, and the few conversions the key classes share. */
final class Secp256k1 {

    static final ASN1ObjectIdentifier OID = SECObjectIdentifiers.secp256k1;
    static final X9ECParameters X9 = CustomNamedCurves.getByOID(OID);
    static final ECDomainParameters DOMAIN = new ECDomainParameters(X9.getCurve(), X9.getG(), X9.getN(), X9.getH());
    static final BigInteger N = X9.getN();
    static final BigInteger HALF_N = N.shiftRight(1);

    /** Bytes of a scalar or coordinate, big-endian, fixed width. */
    static final int FIELD_BYTES = 32;
    static final int COMPRESSED_POINT_BYTES = 33;

    private Secp256k1() {}

    /** A valid private scalar, 1 to n - 1, or IllegalArgumentException. */
    static BigInteger checkScalar(BigInteger d) {
        if (d.signum() <= 0 || d.compareTo(N) >= 0) {
            throw new IllegalArgumentException("not a node key: the private scalar is outside 1..n-1");
        }
        return d;
    }

    /** A point on the curve from its SEC1 encoding (compressed or not), or IllegalArgumentException. */
    static ECPoint decodePoint(byte[] encoded) {
        if (encoded.length != COMPRESSED_POINT_BYTES && encoded.length != 65) {
            throw new IllegalArgumentException("not a secp256k1 public key: " + encoded.length + " bytes (33 or 65)");
        }
        ECPoint p;
        try {
            p = DOMAIN.getCurve().decodePoint(encoded);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a secp256k1 public key: not a point on the curve");
        }
        if (p.isInfinity() || !p.isValid()) {
            throw new IllegalArgumentException("not a secp256k1 public key: not a point on the curve");
        }
        return p.normalize();
    }

    /** {@code value} as exactly 32 big-endian bytes. */
    static byte[] fixed32(BigInteger value) {
        byte[] raw = value.toByteArray();
        byte[] out = new byte[FIELD_BYTES];
        int copy = Math.min(raw.length, FIELD_BYTES);
        System.arraycopy(raw, raw.length - copy, out, FIELD_BYTES - copy, copy);
        return out;
    }
}
