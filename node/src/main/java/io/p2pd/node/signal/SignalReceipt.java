package io.p2pd.node.signal;

/**
 * A message the {@link SignalInbox} accepted, and how far it can be trusted.
 *
 * @param message the message
 * @param encrypted whether it came encrypted to our key (a signed message may come in plaintext when its sender
 *     did not know our key yet). For a signed message the signature covers this flag, so it is the sender's
 *     choice: a third party cannot encrypt a captured plaintext message and have it pass for one that came
 *     encrypted. For an unsigned message it proves nothing
 * @param signed whether its signature was checked against the sender's key and node id; false only for the
 *     original's unsigned messages under {@link SignalPolicy#allowUnsignedPeers()}
 * @param id the message's id in the replay cache (hex of the first 16 bytes of the SHA-256 of what is signed, or of
 *     the plaintext when unsigned)
 */
public record SignalReceipt(SignalMessage message, boolean encrypted, boolean signed, String id) {

    /**
     * Whether the node may act on addresses in this message (dial, punch, relay): only when it is signed. An
     * unsigned message may be shown or answered, never make the node dial anything.
     */
    public boolean mayDial() {
        return signed;
    }
}
