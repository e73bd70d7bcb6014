package io.p2pd.node.signal;

import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link SignalInbox} accepts.
 *
 * @param allowUnsignedPeers the legacy switch, off by default: accept the original P2PD's unsigned messages.
 *     Even then an unsigned message is marked ({@link SignalReceipt#signed()} false, {@link SignalReceipt#mayDial()}
 *     false) so the node never dials an address because one asked it to
 * @param clockSkew how far the sender's clock may be from ours: a message is stale once our clock reaches its ttl
 *     plus this (the original allows none, and sends ttls 5 to 30 seconds ahead); default 10 seconds
 * @param maxLifetime the furthest ahead a ttl may be (plus the skew) before the message is
 *     {@link SignalDrop#FROM_THE_FUTURE}; bounds how long the replay cache must remember a message, and how far a
 *     flooder can push its own horizon. Default 35 seconds: the original sends ttls 5 to 30 seconds ahead
 * @param replayCacheCapacity how many message ids the replay cache keeps (about 200 bytes each, and up to twice
 *     as many senders' horizons, about 100 bytes each); default 16384. At the cap it forgets the id expiring soonest
 *     of the sender holding the most ids (of equals, the one first seen last), and drops that sender's later
 *     messages expiring no later than the forgotten one ({@link SignalDrop#REPLAY_WINDOW_FULL}): memory stays
 *     bounded whatever the rate, no replay gets in, and a flood from one key costs only that key's messages
 */
public record SignalPolicy(boolean allowUnsignedPeers, Duration clockSkew, Duration maxLifetime,
        int replayCacheCapacity) {

    /** Checks the values: durations from 0 to a day, capacity from 1 to 1,048,576. */
    public SignalPolicy {
        Objects.requireNonNull(clockSkew, "clockSkew");
        Objects.requireNonNull(maxLifetime, "maxLifetime");
        if (clockSkew.isNegative() || clockSkew.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("clockSkew must be 0 to 1 day, got " + clockSkew);
        }
        if (maxLifetime.isNegative() || maxLifetime.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("maxLifetime must be 0 to 1 day, got " + maxLifetime);
        }
        if (replayCacheCapacity < 1 || replayCacheCapacity > 1 << 20) {
            throw new IllegalArgumentException("replayCacheCapacity must be 1 to 1048576, got " + replayCacheCapacity);
        }
    }

    /** Signatures required, 10 s skew, 35 s longest lifetime, 16384 remembered ids. */
    public static SignalPolicy defaults() {
        return new SignalPolicy(false, Duration.ofSeconds(10), Duration.ofSeconds(35), 16384);
    }

    /** This policy with the legacy switch set. */
    public SignalPolicy withAllowUnsignedPeers(boolean allow) {
        return new SignalPolicy(allow, clockSkew, maxLifetime, replayCacheCapacity);
    }

    /** This policy with another replay cache capacity. */
    public SignalPolicy withReplayCacheCapacity(int capacity) {
        return new SignalPolicy(allowUnsignedPeers, clockSkew, maxLifetime, capacity);
    }
}
