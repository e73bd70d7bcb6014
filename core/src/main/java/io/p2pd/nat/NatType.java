package io.p2pd.nat;

/** What a NAT (or firewall) does to UDP, numbered as the original P2PD numbers it (RFC 3489 classes). */
public enum NatType {
    /** No NAT and no filter: the mapped address is the local one and unsolicited packets come in. */
    OPEN_INTERNET(1, "open internet"),
    /** No NAT, but inbound packets from addresses not sent to are dropped (RFC 3489's symmetric UDP firewall). */
    UDP_FIREWALL(2, "UDP firewall"),
    /** One mapping per local port, and anyone may send to it. */
    FULL_CONE(3, "full cone"),
    /** One mapping per local port; inbound only from IPs the local port has sent to. */
    RESTRICTED(4, "restricted"),
    /** One mapping per local port; inbound only from IP and port pairs the local port has sent to. */
    PORT_RESTRICTED(5, "port restricted"),
    /** A different mapping for each destination. */
    SYMMETRIC(6, "symmetric"),
    /** No answer from any server: UDP does not get through. */
    BLOCKED(7, "blocked");

    private final int number;
    private final String label;

    NatType(int number, String label) {
        this.number = number;
        this.label = label;
    }

    /** The original's number, 1 to 7. */
    public int number() {
        return number;
    }

    /** A readable name, e.g. "port restricted". */
    public String label() {
        return label;
    }

    /** True when there is a NAT in front of the host (types 3 to 6). */
    public boolean isNat() {
        return this == FULL_CONE || this == RESTRICTED || this == PORT_RESTRICTED || this == SYMMETRIC;
    }

    /** The type with the original's {@code number}; fails with IllegalArgumentException outside 1..7. */
    public static NatType ofNumber(int number) {
        for (NatType t : values()) {
            if (t.number == number) {
                return t;
            }
        }
        throw new IllegalArgumentException("no NAT type " + number + " (1..7)");
    }
}
