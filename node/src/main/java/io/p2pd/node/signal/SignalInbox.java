package io.p2pd.node.signal;

import io.p2pd.node.id.EciesException;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.id.NodePublicKey;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The receiving side of signalling: MQTT payloads in, accepted messages or drop reasons out. No network I/O.
 *
 * <p>Checks, in order (a message is counted under the first it fails, see {@link SignalDrop}): the hex and flag
 * byte; decryption with our key when the flag says encrypted; the type byte; the original's JSON fields; that it is
 * addressed to our node id; the signature (required unless {@link SignalPolicy#allowUnsignedPeers()}), made by the
 * key in {@code cipher.vk}, which must hash to the node id of the sender's address in {@code meta.src_buf}; the ttl
 * (stale once our clock reaches ttl + skew; refused when further ahead than the longest lifetime + skew); then the
 * replay cache (a message accepted once is never accepted again while its ttl runs; kept per sender, so a flood
 * from one key, or from many fresh ones, costs its sender and not the others).
 *
 * <p>Thread-safe: {@link #receive} may be called from several threads (one per broker); the replay cache takes a
 * short lock, everything else is per call.
 */
public final class SignalInbox {

    private final NodeKey key;
    private final SignalPolicy policy;
    private final InstantSource clock;
    private final ReplayCache replays;
    private final LongAdder accepted = new LongAdder();
    private final AtomicLongArray dropped = new AtomicLongArray(SignalDrop.values().length);

    /** An inbox for the node with {@code key}, on the system clock. */
    public SignalInbox(NodeKey key, SignalPolicy policy) {
        this(key, policy, InstantSource.system());
    }

    /** An inbox for the node with {@code key}, reading the time from {@code clock}. */
    public SignalInbox(NodeKey key, SignalPolicy policy, InstantSource clock) {
        this.key = Objects.requireNonNull(key, "key");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.replays = new ReplayCache(policy.replayCacheCapacity());
    }

    /** The policy this inbox applies. */
    public SignalPolicy policy() {
        return policy;
    }

    /** Checks one MQTT payload (as published: the hex text). Never throws for any content. */
    public SignalResult receive(byte[] wire) {
        Objects.requireNonNull(wire, "wire");
        SignalResult r = check(wire);
        if (r instanceof SignalResult.Dropped d) {
            dropped.incrementAndGet(d.reason().ordinal());
        } else {
            accepted.increment();
        }
        return r;
    }

    /** Counts a payload dropped unread for its size ({@link SignalDrop#MALFORMED}), as {@link #receive} would. */
    SignalResult.Dropped oversized(int length) {
        dropped.incrementAndGet(SignalDrop.MALFORMED.ordinal());
        return new SignalResult.Dropped(SignalDrop.MALFORMED,
                "payload: " + length + " bytes, at most " + SignalCodec.MAX_WIRE_CHARS);
    }

    /** Counts so far. */
    public SignalStats stats() {
        Map<SignalDrop, Long> m = new EnumMap<>(SignalDrop.class);
        for (SignalDrop d : SignalDrop.values()) {
            m.put(d, dropped.get(d.ordinal()));
        }
        return new SignalStats(accepted.sum(), m);
    }

    private SignalResult check(byte[] wire) {
        SignalCodec.Outer outer;
        try {
            outer = SignalCodec.outer(wire);
        } catch (SignalFormatException e) {
            return drop(SignalDrop.MALFORMED, e.getMessage());
        }
        byte[] plain = outer.body();
        if (outer.encrypted()) {
            try {
                plain = key.decrypt(plain);
            } catch (EciesException e) {
                return drop(SignalDrop.UNDECRYPTABLE, e.getMessage());
            }
        }
        SignalCodec.Decoded decoded;
        try {
            if (SignalCodec.type(plain) == null) {
                return drop(SignalDrop.UNKNOWN_TYPE, "type byte " + (plain[0] & 0xff));
            }
            decoded = SignalCodec.decode(plain);
        } catch (SignalFormatException e) {
            return drop(SignalDrop.MALFORMED, e.getMessage());
        }
        SignalMessage m = decoded.message();
        if (!m.destination().nodeId().equals(key.nodeId())) {
            return drop(SignalDrop.NOT_FOR_US, "addressed to " + m.destination().nodeId());
        }
        boolean signed = decoded.signature().isPresent();
        if (signed) {
            NodePublicKey sender = m.senderKey().orElse(null);
            if (sender == null || !m.source().nodeId().matches(sender)) {
                return drop(SignalDrop.WRONG_SENDER_KEY, "cipher.vk does not name " + m.source().nodeId());
            }
            if (!sender.verify(SignalCodec.covered(decoded.signedBytes(), outer.encrypted()),
                    decoded.signature().get())) {
                return drop(SignalDrop.BAD_SIGNATURE, "signature does not match, claimed sender " + m.source().nodeId());
            }
        } else if (!policy.allowUnsignedPeers()) {
            return drop(SignalDrop.UNSIGNED, "unsigned message from " + m.source().nodeId());
        }
        long now = clock.instant().getEpochSecond();
        long skew = policy.clockSkew().toSeconds();
        long expiresAt = m.ttl() + skew;
        if (now >= expiresAt) {
            return drop(SignalDrop.STALE, "ttl " + m.ttl() + " passed at " + now);
        }
        if (m.ttl() > now + policy.maxLifetime().toSeconds() + skew) {
            return drop(SignalDrop.FROM_THE_FUTURE, "ttl " + m.ttl() + " too far ahead of " + now);
        }
        byte[] idHash = sha256(decoded.signedBytes());
        String id = HexFormat.of().formatHex(idHash, 0, 16);
        switch (replays.check(m.source().nodeId().value(), id, expiresAt, sha256(wire), now)) {
            case DUPLICATE -> {
                return drop(SignalDrop.DUPLICATE, "message " + id + " seen before");
            }
            case REPLAYED -> {
                return drop(SignalDrop.REPLAYED, "message " + id + " seen before in other bytes");
            }
            case WINDOW_FULL -> {
                return drop(SignalDrop.REPLAY_WINDOW_FULL,
                        "replay cache full of " + m.source().nodeId() + "'s messages");
            }
            case NEW -> {
                return new SignalResult.Accepted(new SignalReceipt(m, outer.encrypted(), signed, id));
            }
        }
        throw new AssertionError("unreachable");
    }

    private static SignalResult drop(SignalDrop reason, String detail) {
        return new SignalResult.Dropped(reason, detail);
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}
