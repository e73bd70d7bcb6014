package io.p2pd.node.signal;

import io.p2pd.node.id.NodeKey;
import io.p2pd.node.id.NodePublicKey;
import java.util.Objects;

/**
 * The sending side of signalling: a message and the recipient's key in, the MQTT payload out. No network I/O;
 * immutable and thread-safe.
 *
 * <p>Every message is signed by this node's key: the {@code cipher.vk} field is set to our public key, and the
 * signature (secp256k1 ECDSA, SHA-256, RFC 6979, low s, 64 bytes r || s, in lowercase hex) covers the context
 * {@code "p2pd-java signal v2"} and a NUL byte, the flag byte (1 encrypted, 0 plaintext: a third party cannot
 * encrypt a plaintext message and have it taken for one that travelled encrypted), then the type byte and the JSON
 * as it would be without the signature member (ending in its closing brace); that member is added last, as {@code , "sig": "<hex>"}. The original reads
 * members by name and ignores it, so Python nodes read our messages. The payload is the original's: hex of a flag
 * byte (1 encrypted, 0 plaintext) and the body, ECIES-encrypted to the recipient's key with the original's cipher.
 *
 * <p>A message to a peer whose key we know is always encrypted ({@link #seal}); {@link #sealPlaintext} is only for
 * a first message to a peer whose key we do not know yet (its address carries only the hash of it).
 */
public final class SignalSealer {

    private final NodeKey key;

    /** A sealer signing as the node with {@code key}. */
    public SignalSealer(NodeKey key) {
        this.key = Objects.requireNonNull(key, "key");
    }

    /**
     * Signs the message and encrypts it to {@code recipient}.
     *
     * @throws IllegalArgumentException if the message's source address is not this node's (its node id), the
     *     recipient key does not hash to the node id of the message's destination, or the sealed message would be
     *     over the 16 KiB a receiver reads
     */
    public byte[] seal(SignalMessage message, NodePublicKey recipient) {
        Objects.requireNonNull(recipient, "recipient");
        byte[] plain = signed(message, true);
        if (!message.destination().nodeId().matches(recipient)) {
            throw new IllegalArgumentException("recipient key does not belong to " + message.destination().nodeId());
        }
        return checkedSize(SignalCodec.wire(true, recipient.encrypt(plain)));
    }

    /**
     * Signs the message and leaves it readable by anyone: only for a peer whose key is not known yet.
     *
     * @throws IllegalArgumentException if the message's source address is not this node's, or the sealed message
     *     would be over the 16 KiB a receiver reads
     */
    public byte[] sealPlaintext(SignalMessage message) {
        return checkedSize(SignalCodec.wire(false, signed(message, false)));
    }

    /** What a receiver would drop unread is refused here, so the sender knows. */
    private static byte[] checkedSize(byte[] wire) {
        if (wire.length > SignalCodec.MAX_WIRE_CHARS) {
            throw new IllegalArgumentException("the message takes " + wire.length + " bytes sealed, over the "
                    + SignalCodec.MAX_WIRE_CHARS + " a receiver reads: its payload is too large");
        }
        return wire;
    }

    private byte[] signed(SignalMessage message, boolean encrypted) {
        Objects.requireNonNull(message, "message");
        if (!message.source().nodeId().equals(key.nodeId())) {
            throw new IllegalArgumentException("the message's source address is " + message.source().nodeId()
                    + ", not this node (" + key.nodeId() + ")");
        }
        return SignalCodec.signedPlain(message.withSenderKey(key.publicKey()), key, encrypted);
    }
}
