package io.p2pd.node.id;

import java.util.HexFormat;
import java.util.Objects;

/**
 * A node's name: the first 25 hex digits (100 bits) of the SHA-256 of its compressed public key, as the original
 * P2PD derives it ({@code sha256(vk.to_string("compressed")).hexdigest()[:25]}). It is the node's signalling topic
 * and a field of its peer address.
 *
 * @param value 25 lowercase hex digits
 */
public record NodeId(String value) {

    /** Hex digits in a node id. */
    public static final int LENGTH = 25;

    /** Fails with IllegalArgumentException unless {@code value} is 25 lowercase hex digits. */
    public NodeId {
        Objects.requireNonNull(value, "value");
        if (!isValid(value)) {
            throw new IllegalArgumentException("not a node id: expected " + LENGTH + " lowercase hex digits");
        }
    }

    /** The id of {@code key}. */
    public static NodeId of(NodePublicKey key) {
        String hex = HexFormat.of().formatHex(NodePublicKey.sha256(key.compressed()));
        return new NodeId(hex.substring(0, LENGTH));
    }

    /** True when {@code key} hashes to this id (so a message signed by it may claim this id). */
    public boolean matches(NodePublicKey key) {
        return equals(of(key));
    }

    /** True when {@code text} is 25 lowercase hex digits. */
    public static boolean isValid(CharSequence text) {
        return isLowerHex(text, LENGTH);
    }

    static boolean isLowerHex(CharSequence text, int length) {
        if (text.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /** The 25 hex digits. */
    @Override
    public String toString() {
        return value;
    }
}
