package io.p2pd.nat;

import java.util.Objects;

/**
 * A port-allocation type with its value: the fixed offset for {@link DeltaType#PRESERVING}, the fixed
 * step between consecutive mappings for {@link DeltaType#INDEPENDENT} and {@link DeltaType#DEPENDENT},
 * and 0 for the others.
 */
public record PortDelta(DeltaType type, int value) {

    public PortDelta {
        Objects.requireNonNull(type, "type");
        boolean valued = type == DeltaType.PRESERVING || type == DeltaType.INDEPENDENT || type == DeltaType.DEPENDENT;
        if (!valued && value != 0) {
            throw new IllegalArgumentException(type + " has no value, got " + value);
        }
    }

    /** A type without a value. */
    public static PortDelta of(DeltaType type) {
        return new PortDelta(type, 0);
    }
}
