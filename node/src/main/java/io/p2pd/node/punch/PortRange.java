package io.p2pd.node.punch;

/**
 * The ports a NAT allocates external ports from, first to last inclusive. A NAT that counts ports up or down by a
 * step (and a preserving NAT whose offset runs past the end) starts again at the other end of this range, so
 * predictions wrap inside it.
 *
 * <p>The delta measurement does not show a NAT's pool, only a few consecutive ports. {@link #UNPRIVILEGED}, 1024 to
 * 65535, is the assumption when nothing else is known: the ports NATs (Linux netfilter among them) give to
 * connections from unprivileged source ports. A NAT configured with a narrower pool (e.g. an SNAT rule to
 * 20000-29999) is predicted right across its wrap only when that pool is passed in.
 *
 * @param first the lowest port, 1 to 65535
 * @param last  the highest port, {@code first} to 65535
 */
public record PortRange(int first, int last) {

    /** 1024 to 65535: the assumed pool when the NAT's own is not known. */
    public static final PortRange UNPRIVILEGED = new PortRange(1024, 65535);

    public PortRange {
        if (first < 1 || last > 65535 || first > last) {
            throw new IllegalArgumentException("port range " + first + "-" + last + " is not within 1-65535");
        }
    }

    /** How many ports the range holds. */
    public int size() {
        return last - first + 1;
    }

    /** True when {@code port} is in the range. */
    public boolean contains(int port) {
        return port >= first && port <= last;
    }

    /**
     * {@code port} moved by {@code distance} (negative: downwards), wrapping from one end of the range to the
     * other. A port outside the range is first counted as if the range repeated over the whole number line, so
     * the result is always inside it.
     */
    public int move(int port, long distance) {
        long index = Math.floorMod((long) port - first + distance, (long) size());
        return (int) (first + index);
    }

    @Override
    public String toString() {
        return first + "-" + last;
    }
}
