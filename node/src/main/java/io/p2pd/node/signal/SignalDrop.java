package io.p2pd.node.signal;

/**
 * Why the {@link SignalInbox} dropped a message, counted per reason in {@link SignalStats}. The checks run in this
 * order, and a message is counted under the first one it fails.
 */
public enum SignalDrop {
    /** Not the original's envelope: bad hex, a bad flag byte, JSON that is not a message, a field missing or out of range. */
    MALFORMED,
    /** Encrypted, but not to this node's key, or altered on the way (the ECIES tag does not match). */
    UNDECRYPTABLE,
    /** A type byte the original does not have. */
    UNKNOWN_TYPE,
    /** Addressed to another node id ({@code routing.dest_buf}); the original drops these too. */
    NOT_FOR_US,
    /** No signature, and the legacy switch {@link SignalPolicy#allowUnsignedPeers()} is off. */
    UNSIGNED,
    /** Signed, but the key in {@code cipher.vk} is missing or does not hash to the sender's node id in {@code meta.src_buf}. */
    WRONG_SENDER_KEY,
    /** Signed by the claimed key, but the signature does not match the bytes (forged or altered). */
    BAD_SIGNATURE,
    /** Its ttl passed (more than the allowed clock skew ago). */
    STALE,
    /** Its ttl is further ahead than the longest lifetime plus the clock skew: it would outlive the replay cache. */
    FROM_THE_FUTURE,
    /**
     * The same message as one accepted before, byte for byte on the wire: what a node sends through two brokers
     * (or a broker delivers twice). Harmless; counted apart from {@link #REPLAYED}. A third party re-publishing a
     * captured message unchanged is counted here too: it cannot be told from a second broker's copy, and is
     * dropped the same way.
     */
    DUPLICATE,
    /**
     * The same signed content as one accepted before in other wire bytes: re-encrypted or re-wrapped, which our
     * senders never do (they seal once and send the same bytes everywhere), so someone replays it.
     */
    REPLAYED,
    /**
     * The replay cache was full and forgot messages of this sender that expire this late or later, so a replay could
     * not be told from a new message: dropped to be safe. The cache forgets from the sender holding the most ids, so
     * this falls on a sender that floods, not on one sending a few messages while another floods (see
     * {@link SignalPolicy#replayCacheCapacity()}).
     */
    REPLAY_WINDOW_FULL
}
