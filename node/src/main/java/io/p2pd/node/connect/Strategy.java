package io.p2pd.node.connect;

import java.util.Locale;

/** How a connection between two nodes is made. */
public enum Strategy {
    /** Dial the peer's listening port: its LAN address when both share an external IP, else its external one. */
    DIRECT,
    /** Ask the peer, by a signed signal, to dial our listening port. */
    REVERSE,
    /** TCP hole punching: both sides open toward each other's predicted mapping at an agreed moment. */
    PUNCH,
    /** A TURN relay carries the stream. */
    RELAY;

    /** The lowercase name, as the command line and JSON write it ({@code direct}, {@code reverse}, ...). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The strategy named {@code label} (any case).
     *
     * @throws IllegalArgumentException naming the label and the known ones when it is none of them
     */
    public static Strategy ofLabel(String label) {
        for (Strategy s : values()) {
            if (s.label().equalsIgnoreCase(label.strip())) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown strategy '" + label + "' (known: direct, reverse, punch, relay)");
    }
}
