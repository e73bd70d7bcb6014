package io.p2pd.node.punch;

import java.util.Objects;

/**
 * What {@link PunchFeasibility#decide} says of a pair of sides.
 *
 * @param verdict   punch, no punch, or a direct connection suffices
 * @param punchable whether both sides can predict their external ports, so a punch can work: always for
 *                  {@link Verdict#PUNCH}, never for {@link Verdict#NO_PUNCH}, either for
 *                  {@link Verdict#DIRECT_SUFFICES} (a fallback when direct fails after all)
 * @param reason    why, readable by a user, e.g. "no punch: the peer's NAT: a symmetric NAT with random ports ..."
 */
public record PunchDecision(Verdict verdict, boolean punchable, String reason) {

    /** The kinds of decision. */
    public enum Verdict {
        /** Both sides filter inbound connections and can predict their ports: punch. */
        PUNCH,
        /** One side accepts inbound connections: dial it (direct or reverse); no punch needed. */
        DIRECT_SUFFICES,
        /** Punching cannot work: a side's port cannot be predicted (and neither side accepts inbound). */
        NO_PUNCH
    }

    public PunchDecision {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
        if (verdict == Verdict.PUNCH && !punchable || verdict == Verdict.NO_PUNCH && punchable) {
            throw new IllegalArgumentException(verdict + " with punchable " + punchable);
        }
    }
}
