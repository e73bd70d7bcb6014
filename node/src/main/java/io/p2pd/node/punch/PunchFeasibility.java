package io.p2pd.node.punch;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.node.punch.PunchDecision.Verdict;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether two sides should try TCP hole punching, from their NAT types and deltas alone (no I/O), so a connector
 * skips what cannot work. The rows, in the order they are checked (the verdict does not depend on which side is
 * ours):
 * <ol>
 *   <li><b>Either side open internet (1) or full cone (3): direct suffices.</b> The other side dials it (direct,
 *       or reverse when the open side is the peer). A full cone NAT is measured over UDP; if it filters TCP after
 *       all, punching is the fallback, so {@link PunchDecision#punchable()} still tells whether that can work.
 *       This holds even opposite a blocked (7) side: it can still dial out.</li>
 *   <li><b>Either side blocked (7), or a NAT whose delta was not measured: no punch.</b> Its port allocation is
 *       unknown, so the other side does not know where to send its SYN.</li>
 *   <li><b>Either side symmetric (6) with the random delta: no punch.</b> Each new destination gets a random
 *       external port, even from a local port kept open, so neither side can tell the other where the SYN will
 *       come from. (random&lt;-&gt;random and random&lt;-&gt;masq of the lab.)</li>
 *   <li><b>A side whose NAT gives every connection the next step (symmetric, or the dependent delta; step not
 *       0), unless the other side is a UDP firewall (2): no punch.</b> The other side's NAT router (or host)
 *       refuses an early SYN with a reset, which ends that NAT entry, so the next attempt gets a new port, not the
 *       one the other side aims at; the SYNs would have to cross within one round trip between the routers, once
 *       per port. A UDP firewall drops an early SYN instead: the attempt stays pending and its port stays the same.
 *       (step-dependent&lt;-&gt;masq and step-dependent&lt;-&gt;step-independent of the lab; step-dependent&lt;-&gt;
 *       firewall punches.)</li>
 *   <li><b>Everything else: punch.</b> UDP firewalls (2) have no translation (external port = local port);
 *       restricted (4) and port restricted (5) NATs keep one mapping per local port, so with the random delta a
 *       mapping kept open is reused; the equal and preserving deltas predict from the local port, the
 *       independent and dependent ("step") deltas from the last mapping observed. (masq&lt;-&gt;masq,
 *       restricted&lt;-&gt;masq, offset&lt;-&gt;masq, offset&lt;-&gt;offset, step-independent&lt;-&gt;masq of the
 *       lab.)</li>
 * </ol>
 * The original refuses two port restricted NATs when either has the random delta; here a kept mapping is reused
 * and its exact external port sent to the peer, which is what a port-restricted filter needs.
 */
public final class PunchFeasibility {

    private PunchFeasibility() {
    }

    /** The decision for our side and the peer's; the verdict is the same with the sides swapped. */
    public static PunchDecision decide(NatBehaviour ours, NatBehaviour theirs) {
        Objects.requireNonNull(ours, "ours");
        Objects.requireNonNull(theirs, "theirs");
        Optional<String> ourObstacle = PortPredictor.obstacle(ours);
        Optional<String> theirObstacle = PortPredictor.obstacle(theirs);
        Optional<String> moving = moving(ours, theirs, "our side", "the peer")
                .or(() -> moving(theirs, ours, "the peer", "our side"));
        boolean punchable = ourObstacle.isEmpty() && theirObstacle.isEmpty() && moving.isEmpty();
        Optional<String> open = acceptsInbound(ours, "our side")
                .or(() -> acceptsInbound(theirs, "the peer"));
        if (open.isPresent()) {
            return new PunchDecision(Verdict.DIRECT_SUFFICES, punchable, "direct suffices: " + open.get()
                    + (punchable ? "; punching would work too" : ""));
        }
        if (ourObstacle.isPresent()) {
            return new PunchDecision(Verdict.NO_PUNCH, false, "no punch: our side (" + ours + "): "
                    + ourObstacle.get());
        }
        if (theirObstacle.isPresent()) {
            return new PunchDecision(Verdict.NO_PUNCH, false, "no punch: the peer (" + theirs + "): "
                    + theirObstacle.get());
        }
        if (moving.isPresent()) {
            return new PunchDecision(Verdict.NO_PUNCH, false, "no punch: " + moving.get());
        }
        return new PunchDecision(Verdict.PUNCH, true, "punch: both sides filter inbound connections and can predict"
                + " their ports (our side: " + PortPredictor.method(ours) + "; the peer: "
                + PortPredictor.method(theirs) + ")");
    }

    /**
     * Why {@code side}'s port moves away from the peer's aim, when it does: it gets a new port for every attempt
     * ({@link PortPredictor#movesOnEveryAttempt}) and {@code other} may refuse an early SYN with a reset rather than
     * drop it. Only a UDP firewall (2) is known to drop (the lab's does; a host without a filter, 1, answers with a
     * reset, and so do the lab's Linux NAT routers for a port they have no mapping for). The SYNs of the two sides
     * would then have to cross within one round trip between the two routers, once per port: in the lab that
     * succeeded in 1 of 10 tries (and in 0 of 18 with the peer aiming at a run of the next 16 ports, one attempt of
     * ours per 25 ms slot, though every port was predicted right).
     */
    private static Optional<String> moving(NatBehaviour side, NatBehaviour other, String who, String whom) {
        if (!PortPredictor.movesOnEveryAttempt(side) || other.type() == NatType.UDP_FIREWALL) {
            return Optional.empty();
        }
        return Optional.of(who + " (" + side + ") gets a new port, one step on, for every connection, and every"
                + " attempt that " + whom + " refuses with a reset (as a Linux NAT router or a host does with an"
                + " early SYN) is a new connection, so the port " + whom + " aims at moves on after each refusal;"
                + " only a side that drops early SYNs (a UDP firewall) can be punched to");
    }

    private static Optional<String> acceptsInbound(NatBehaviour nat, String who) {
        return switch (nat.type()) {
            case OPEN_INTERNET -> Optional.of(who + " has no NAT and no filter, so the other side can dial it");
            case FULL_CONE -> Optional.of(who + " is behind a full cone NAT, so the other side can dial its mapped"
                    + " port");
            default -> Optional.empty();
        };
    }

    /** A row or column of {@link #markdownTable()}: a label and one NAT that stands for it. */
    record Group(String label, NatBehaviour example) {
    }

    /**
     * The README's groups: every NAT type, with symmetric split by its delta (equal or preserving, a step, random).
     * Within a group every delta gives the same verdict, except that a restricted or port restricted NAT measured
     * with the dependent delta (a step, per destination) decides as a symmetric one with a step (the tests check
     * all of them).
     */
    static final List<Group> GROUPS = List.of(
            new Group("1 open internet", NatBehaviour.of(NatType.OPEN_INTERNET, DeltaType.NOT_APPLICABLE)),
            new Group("2 UDP firewall", NatBehaviour.of(NatType.UDP_FIREWALL, DeltaType.NOT_APPLICABLE)),
            new Group("3 full cone", NatBehaviour.of(NatType.FULL_CONE, DeltaType.EQUAL)),
            new Group("4 restricted", NatBehaviour.of(NatType.RESTRICTED, DeltaType.EQUAL)),
            new Group("5 port restricted", NatBehaviour.of(NatType.PORT_RESTRICTED, DeltaType.EQUAL)),
            new Group("6 symmetric, delta equal or preserving", NatBehaviour.of(NatType.SYMMETRIC, DeltaType.EQUAL)),
            new Group("6 symmetric, step delta", NatBehaviour.of(NatType.SYMMETRIC, DeltaType.DEPENDENT, 1)),
            new Group("6 symmetric, delta random", NatBehaviour.of(NatType.SYMMETRIC, DeltaType.RANDOM)),
            new Group("7 blocked", NatBehaviour.of(NatType.BLOCKED, DeltaType.NOT_APPLICABLE)));

    /**
     * The feasibility table in Markdown, as the README shows it: a row per group of our side, a column per group
     * of the peer's; "punch", "no", "direct" (punching would work too) or "direct only".
     */
    static String markdownTable() {
        StringBuilder b = new StringBuilder("| ours \\ peer |");
        GROUPS.forEach(g -> b.append(' ').append(g.label()).append(" |"));
        b.append("\n|---|");
        GROUPS.forEach(g -> b.append("---|"));
        for (Group row : GROUPS) {
            b.append("\n| ").append(row.label()).append(" |");
            for (Group column : GROUPS) {
                b.append(' ').append(cell(decide(row.example(), column.example()))).append(" |");
            }
        }
        return b.append('\n').toString();
    }

    private static String cell(PunchDecision d) {
        return switch (d.verdict()) {
            case PUNCH -> "punch";
            case NO_PUNCH -> "no";
            case DIRECT_SUFFICES -> d.punchable() ? "direct" : "direct only";
        };
    }
}
