package io.p2pd.node.punch;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatReport;
import io.p2pd.nat.NatType;
import io.p2pd.nat.PortDelta;
import java.util.Objects;

/**
 * One side's NAT as measured (section 5 of SPEC.md): its type and its port allocation ("delta"). The input of
 * {@link PortPredictor} and {@link PunchFeasibility}.
 *
 * @param type  the NAT type
 * @param delta the port-allocation type and its value
 */
public record NatBehaviour(NatType type, PortDelta delta) {

    public NatBehaviour {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(delta, "delta");
    }

    /** A type with a delta type and value, e.g. {@code of(SYMMETRIC, DEPENDENT, 2)}. */
    public static NatBehaviour of(NatType type, DeltaType deltaType, int deltaValue) {
        return new NatBehaviour(type, new PortDelta(deltaType, deltaValue));
    }

    /** A type with a delta type that has no value (equal, random, n/a). */
    public static NatBehaviour of(NatType type, DeltaType deltaType) {
        return new NatBehaviour(type, PortDelta.of(deltaType));
    }

    /** The type and delta of a detection's report. */
    public static NatBehaviour of(NatReport report) {
        return new NatBehaviour(report.natType(), report.delta());
    }

    /** True when there is no address translation: open internet or a UDP firewall (external port = local port). */
    boolean untranslated() {
        return type == NatType.OPEN_INTERNET || type == NatType.UDP_FIREWALL;
    }

    /**
     * True when a new destination gets a new mapping even from the same local port: a symmetric NAT, or a
     * destination-dependent delta whatever the type says.
     */
    boolean mapsPerDestination() {
        return type == NatType.SYMMETRIC || delta.type() == DeltaType.DEPENDENT;
    }

    /** E.g. "port restricted, delta preserving -20000" or "open internet, delta n/a". */
    @Override
    public String toString() {
        String value = switch (delta.type()) {
            case PRESERVING, INDEPENDENT, DEPENDENT -> (delta.value() >= 0 ? " +" : " ") + delta.value();
            default -> "";
        };
        return type.label() + ", delta " + delta.type().label() + value;
    }
}
