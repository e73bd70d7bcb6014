package io.p2pd.nat;

/**
 * How a NAT picks the external port of a new mapping ("delta" type), numbered as the original P2PD numbers
 * it. Measured over several fresh local sockets opened one after another, each asking two destinations
 * (the server's primary and alternate address); see {@link PortDelta} for the value that goes with it.
 */
public enum DeltaType {
    /** No NAT (or nothing measurable): port allocation does not apply. */
    NOT_APPLICABLE(1, "n/a"),
    /** Every mapped port equals its local port. */
    EQUAL(2, "equal"),
    /** Mapped ports keep the distances between local ports: mapped = local + a fixed offset (the value). */
    PRESERVING(3, "preserving"),
    /**
     * The mapping does not depend on the destination, and each new mapping's port is the previous one's plus
     * a fixed delta (the value), whatever the local port.
     */
    INDEPENDENT(4, "independent"),
    /**
     * Each destination gets its own mapping (symmetric NAT), allocated one after another with a fixed delta
     * (the value): the next port can be predicted.
     */
    DEPENDENT(5, "dependent"),
    /** No pattern: ports are random. */
    RANDOM(6, "random");

    private final int number;
    private final String label;

    DeltaType(int number, String label) {
        this.number = number;
        this.label = label;
    }

    /** The original's number, 1 to 6. */
    public int number() {
        return number;
    }

    /** A readable name, e.g. "preserving". */
    public String label() {
        return label;
    }

    /** The type with the original's {@code number}; fails with IllegalArgumentException outside 1..6. */
    public static DeltaType ofNumber(int number) {
        for (DeltaType t : values()) {
            if (t.number == number) {
                return t;
            }
        }
        throw new IllegalArgumentException("no delta type " + number + " (1..6)");
    }
}
