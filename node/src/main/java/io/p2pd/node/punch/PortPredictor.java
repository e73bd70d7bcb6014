package io.p2pd.node.punch;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.node.punch.PortPrediction.Impossible;
import io.p2pd.node.punch.PortPrediction.Ports;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Predicts the external port of a side's next connection from its {@link NatBehaviour}: pure functions, no I/O.
 * There are three starting points, as a puncher has them:
 * <ul>
 *   <li>{@link #forFreshPort}: a new local port and nothing else. Enough without a NAT and for the equal and
 *       preserving deltas.</li>
 *   <li>{@link #afterMapping}: a new local port, right after STUN saw another socket's mapping. The step deltas
 *       (independent, dependent) count on from that mapping's external port.</li>
 *   <li>{@link #reusing}: the local port of a mapping kept open, bound again (SO_REUSEADDR/SO_REUSEPORT) for the
 *       connection. A NAT with one mapping per local port gives the same external port whatever the
 *       destination: the only way through a NAT with random ports.</li>
 * </ul>
 * Steps may be negative and wrap inside the {@link PortRange} (by default {@link PortRange#UNPRIVILEGED}). A step
 * of 0 predicts the same external port again (a NAT that reuses one port for different destinations). A step NAT
 * gives {@code candidates} ports, one step apart, in case other hosts behind it took allocations in between.
 */
public final class PortPredictor {

    /** The most candidates one prediction gives. */
    public static final int MAX_CANDIDATES = 64;

    private PortPredictor() {
    }

    /** {@link #forFreshPort(NatBehaviour, int, PortRange)} within {@link PortRange#UNPRIVILEGED}. */
    public static PortPrediction forFreshPort(NatBehaviour nat, int localPort) {
        return forFreshPort(nat, localPort, PortRange.UNPRIVILEGED);
    }

    /**
     * The external port of a connection from a new local port, with no mapping observed: the port itself without
     * a NAT or with the equal delta, the port plus the measured offset (wrapped in {@code range}) when preserving.
     * The step and random deltas are impossible from here.
     */
    public static PortPrediction forFreshPort(NatBehaviour nat, int localPort, PortRange range) {
        Objects.requireNonNull(nat, "nat");
        Objects.requireNonNull(range, "range");
        checkPort("localPort", localPort);
        Optional<PortPrediction> settled = settledBeforeTheDelta(nat, localPort);
        if (settled.isPresent()) {
            return settled.get();
        }
        return switch (nat.delta().type()) {
            case EQUAL -> new Ports(localPort, List.of(localPort), "external port = local port");
            case PRESERVING -> new Ports(localPort, List.of(range.move(localPort, nat.delta().value())),
                    "external port = local port " + signed(nat.delta().value()) + " (the measured offset)");
            case INDEPENDENT, DEPENDENT -> new Impossible(nat.delta().type().label()
                    + " delta: the next port follows the last mapping made, so one must be observed first");
            case RANDOM -> new Impossible(RANDOM_NEW_PORT);
            case NOT_APPLICABLE -> throw new AssertionError("handled by unmeasured");
        };
    }

    /** {@link #afterMapping(NatBehaviour, PortMapping, int, int, PortRange)} within {@link PortRange#UNPRIVILEGED}. */
    public static PortPrediction afterMapping(NatBehaviour nat, PortMapping last, int localPort, int candidates) {
        return afterMapping(nat, last, localPort, candidates, PortRange.UNPRIVILEGED);
    }

    /**
     * The external port of a connection from a new local port, made right after {@code last} was observed: the
     * local port without a NAT or with the equal delta; the local port plus {@code last}'s offset when preserving
     * (the offset just seen, wrapped in {@code range}); {@code last}'s external port plus 1 to {@code candidates}
     * steps for the step deltas, whatever the destination (independent) or because the peer is a new destination
     * (dependent). Random: impossible. When {@code localPort} is {@code last}'s own, this is {@link #reusing}.
     */
    public static PortPrediction afterMapping(NatBehaviour nat, PortMapping last, int localPort, int candidates,
                                              PortRange range) {
        Objects.requireNonNull(nat, "nat");
        Objects.requireNonNull(last, "last");
        Objects.requireNonNull(range, "range");
        checkPort("localPort", localPort);
        checkCandidates(candidates);
        if (localPort == last.localPort()) {
            return reusing(nat, last, candidates, range);
        }
        Optional<PortPrediction> settled = settledBeforeTheDelta(nat, localPort);
        if (settled.isPresent()) {
            return settled.get();
        }
        return switch (nat.delta().type()) {
            case EQUAL -> new Ports(localPort, List.of(localPort), "external port = local port");
            case PRESERVING -> new Ports(localPort, List.of(range.move(localPort, last.offset())),
                    "external port = local port " + signed(last.offset()) + " (the last mapping's offset)");
            case INDEPENDENT, DEPENDENT -> stepped(nat, last, localPort, candidates, range);
            case RANDOM -> new Impossible(RANDOM_NEW_PORT);
            case NOT_APPLICABLE -> throw new AssertionError("handled by unmeasured");
        };
    }

    /** {@link #reusing(NatBehaviour, PortMapping, int, PortRange)} within {@link PortRange#UNPRIVILEGED}. */
    public static PortPrediction reusing(NatBehaviour nat, PortMapping kept, int candidates) {
        return reusing(nat, kept, candidates, PortRange.UNPRIVILEGED);
    }

    /**
     * The external port of a connection to a new destination from the local port of {@code kept}, a mapping kept
     * open. A NAT with one mapping per local port (full cone, restricted, port restricted, any delta but
     * dependent) gives {@code kept}'s external port again. A NAT that maps per destination (symmetric, or the
     * dependent delta) makes a new mapping: the local port (equal), the local port plus {@code kept}'s offset
     * (preserving), {@code kept}'s external port plus 1 to {@code candidates} steps (step deltas); with random
     * ports it is impossible.
     */
    public static PortPrediction reusing(NatBehaviour nat, PortMapping kept, int candidates, PortRange range) {
        Objects.requireNonNull(nat, "nat");
        Objects.requireNonNull(kept, "kept");
        Objects.requireNonNull(range, "range");
        checkCandidates(candidates);
        int local = kept.localPort();
        Optional<PortPrediction> settled = settledBeforeTheDelta(nat, local);
        if (settled.isPresent()) {
            return settled.get();
        }
        if (!nat.mapsPerDestination()) {
            return new Ports(local, List.of(kept.externalPort()),
                    "the kept mapping's external port (one mapping per local port, whatever the destination)");
        }
        return switch (nat.delta().type()) {
            case EQUAL -> new Ports(local, List.of(local), "external port = local port");
            case PRESERVING -> new Ports(local, List.of(range.move(local, kept.offset())),
                    "external port = local port " + signed(kept.offset()) + " (the kept mapping's offset)");
            case INDEPENDENT, DEPENDENT -> stepped(nat, kept, local, candidates, range);
            case RANDOM -> new Impossible("symmetric NAT with random ports: a new destination gets a new random"
                    + " port, even from a kept local port");
            case NOT_APPLICABLE -> throw new AssertionError("handled by unmeasured");
        };
    }

    /**
     * Why no starting point gives a prediction for a connection to a new destination, or empty when one does:
     * blocked or unmeasured, or a symmetric NAT with random ports. {@link PunchFeasibility} decides from this.
     */
    static Optional<String> obstacle(NatBehaviour nat) {
        Optional<String> unknown = unmeasured(nat);
        if (unknown.isPresent()) {
            return unknown;
        }
        if (!nat.untranslated() && nat.mapsPerDestination() && nat.delta().type() == DeltaType.RANDOM) {
            return Optional.of("a symmetric NAT with random ports gives each new destination a port nobody can"
                    + " predict");
        }
        return Optional.empty();
    }

    /**
     * Whether every new connection of this side gets a new external port one step on, even to the same destination:
     * a NAT that maps per destination with a step delta other than 0 (the lab's step-dependent NAT). A punch attempt
     * that the peer's side refuses with a reset (a Linux router or host answers an early SYN so) closes the NAT's
     * entry, and the next attempt is a new connection: its port is no longer the one the peer aims at.
     * {@link PunchFeasibility} refuses such a side unless the peer's side drops early SYNs.
     */
    static boolean movesOnEveryAttempt(NatBehaviour nat) {
        DeltaType d = nat.delta().type();
        return !nat.untranslated() && nat.mapsPerDestination() && (d == DeltaType.INDEPENDENT
                || d == DeltaType.DEPENDENT) && nat.delta().value() != 0;
    }

    /** How a side without an {@link #obstacle} predicts, readable. */
    static String method(NatBehaviour nat) {
        if (nat.untranslated()) {
            return "no NAT, the external port is the local one";
        }
        int v = nat.delta().value();
        return switch (nat.delta().type()) {
            case EQUAL -> "the external port is the local one";
            case PRESERVING -> "the external port is the local one " + signed(v);
            case INDEPENDENT -> "each new mapping is the last one " + signed(v);
            case DEPENDENT -> "each new destination gets the last mapping " + signed(v);
            case RANDOM -> "it reuses a mapping kept open";
            case NOT_APPLICABLE -> throw new IllegalStateException("unmeasured: " + nat);
        };
    }

    private static final String RANDOM_NEW_PORT = "random delta: a new local port gets a port nobody can predict;"
            + " only a mapping kept open can be reused";

    /**
     * What every starting point answers before the delta type matters: impossible when the delta is unknown, the
     * local port itself without a NAT. Empty when the delta decides.
     */
    private static Optional<PortPrediction> settledBeforeTheDelta(NatBehaviour nat, int localPort) {
        Optional<String> unknown = unmeasured(nat);
        if (unknown.isPresent()) {
            return Optional.of(new Impossible(unknown.get()));
        }
        if (nat.untranslated()) {
            return Optional.of(new Ports(localPort, List.of(localPort), "no NAT: external port = local port"));
        }
        return Optional.empty();
    }

    private static Optional<String> unmeasured(NatBehaviour nat) {
        if (nat.type() == NatType.BLOCKED) {
            return Optional.of("UDP was blocked during NAT detection, so the NAT's port allocation is unknown");
        }
        if (!nat.untranslated() && nat.delta().type() == DeltaType.NOT_APPLICABLE) {
            return Optional.of("the NAT's port allocation was not measured");
        }
        return Optional.empty();
    }

    private static Ports stepped(NatBehaviour nat, PortMapping from, int localPort, int candidates,
                                 PortRange range) {
        int step = nat.delta().value();
        Set<Integer> ports = new LinkedHashSet<>();
        for (int k = 1; k <= candidates; k++) {
            ports.add(range.move(from.externalPort(), (long) k * step));
        }
        String basis = step == 0
                ? "the last mapping's external port again (step 0)"
                : "the last mapping's external port " + signed(step) + " per new mapping, wrapping in " + range;
        return new Ports(localPort, new ArrayList<>(ports), basis);
    }

    private static String signed(int v) {
        return v >= 0 ? "+ " + v : "- " + -v;
    }

    private static void checkCandidates(int candidates) {
        if (candidates < 1 || candidates > MAX_CANDIDATES) {
            throw new IllegalArgumentException("candidates must be 1 to " + MAX_CANDIDATES + ", got " + candidates);
        }
    }

    static void checkPort(String name, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(name + " must be 1 to 65535, got " + port);
        }
    }
}
