package io.p2pd.node.addr;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.p2pd.node.id.MachineId;
import io.p2pd.node.id.NodeId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A peer address: what another node needs to reach this one, in the original P2PD's text format so Java and
 * Python nodes read each other's addresses. Immutable.
 *
 * <p>The text is five parts joined by {@code -}:
 * <pre>
 * signal - v4 interfaces - v6 interfaces - node id - machine id
 * 0,3    - [0,0,203.0.113.5,192.168.1.20,51234,5,3,2] - 0 - 3f2a…(25 hex) - 9c0e…(64 hex)
 * </pre>
 * <ul>
 *   <li>signal: the indexes of the signalling brokers the node listens on, comma separated, or {@code None};</li>
 *   <li>per family, up to {@value #MAX_INTERFACES_PER_FAMILY} records {@code [netiface, if, ext ip, nic ip, port,
 *       nat type, delta type, delta value]} joined by {@code |}, or {@code 0} when the family has none (see
 *       {@link PeerInterface}); IPv4 in dotted decimal, IPv6 printed fully expanded as the original prints it
 *       ({@code 2001:0db8:0000:…}) and read in any RFC 4291 form;</li>
 *   <li>the node id (25 hex digits) and the machine id (64 hex digits).</li>
 * </ul>
 *
 * <p>Where we differ from the original, on purpose: the original splits the text at every {@code -}, so a record
 * with a negative delta value (which it prints itself) makes it drop the whole address; we read records by their
 * brackets, so negative deltas round-trip here (a Python node still cannot read them). The original skips records
 * it cannot read and keeps broker indexes it does not know silently; {@link #parse} refuses the whole address
 * with a {@link PeerAddressException} naming the field. Numbers must be written as the original writes them (no
 * sign on positives, no leading zeros), so every address {@link #parse} accepts prints back to the same text,
 * except IPv6 addresses written in a short form.
 *
 * @param signal broker indexes (0 to {@value #MAX_SIGNAL_INDEX}, at most {@value #MAX_SIGNALS}, no repeats)
 * @param v4 the IPv4 interface records, at most {@value #MAX_INTERFACES_PER_FAMILY}
 * @param v6 the IPv6 interface records, at most {@value #MAX_INTERFACES_PER_FAMILY}
 * @param nodeId the node's id
 * @param machineId the node's machine id
 */
public record PeerAddress(List<Integer> signal, List<PeerInterface> v4, List<PeerInterface> v6, NodeId nodeId,
        MachineId machineId) {

    /** Records per address family the format allows. */
    public static final int MAX_INTERFACES_PER_FAMILY = 4;
    /** Broker indexes an address may list (the original sends through up to 3 and reads up to 6). */
    public static final int MAX_SIGNALS = 6;
    /** The largest broker index (the original's compact form stores one in a byte). */
    public static final int MAX_SIGNAL_INDEX = 255;
    /** The longest text {@link #parse} reads; a full address is well under 1500 characters. */
    public static final int MAX_TEXT_LENGTH = 4096;

    /**
     * Checks every field and copies the lists.
     *
     * @throws PeerAddressException naming the field at fault: too many or repeated broker indexes, too many or no
     *     interface records, a record in the wrong family list, an if index used twice in a family, a missing id
     */
    public PeerAddress {
        if (signal == null) {
            throw new PeerAddressException("signal", "missing");
        }
        signal = List.copyOf(signal);
        if (signal.size() > MAX_SIGNALS) {
            throw new PeerAddressException("signal", signal.size() + " broker indexes, at most " + MAX_SIGNALS);
        }
        Set<Integer> seen = new HashSet<>();
        for (int index : signal) {
            if (index < 0 || index > MAX_SIGNAL_INDEX) {
                throw new PeerAddressException("signal", index + " is outside 0.." + MAX_SIGNAL_INDEX);
            }
            if (!seen.add(index)) {
                throw new PeerAddressException("signal", "broker index " + index + " listed twice");
            }
        }
        v4 = checkFamily("v4", v4, false);
        v6 = checkFamily("v6", v6, true);
        if (v4.isEmpty() && v6.isEmpty()) {
            throw new PeerAddressException("interfaces", "none in either family: the peer cannot be reached");
        }
        if (nodeId == null) {
            throw new PeerAddressException("node id", "missing");
        }
        if (machineId == null) {
            throw new PeerAddressException("machine id", "missing");
        }
    }

    private static List<PeerInterface> checkFamily(String family, List<PeerInterface> records, boolean ipv6) {
        if (records == null) {
            throw new PeerAddressException(family, "missing");
        }
        if (records.size() > MAX_INTERFACES_PER_FAMILY) {
            throw new PeerAddressException(family,
                    records.size() + " interfaces, at most " + MAX_INTERFACES_PER_FAMILY);
        }
        Set<Integer> indexes = new HashSet<>();
        List<PeerInterface> copy = new ArrayList<>(records.size());
        for (PeerInterface r : records) {
            if (r == null) {
                throw new PeerAddressException(family, "a missing interface record");
            }
            if (r.isIpv6() != ipv6) {
                throw new PeerAddressException("ext ip", "an " + (ipv6 ? "IPv4" : "IPv6") + " address in the "
                        + family + " records");
            }
            if (!indexes.add(r.ifIndex())) {
                throw new PeerAddressException("if index", r.ifIndex() + " used twice in the " + family + " records");
            }
            copy.add(r);
        }
        return List.copyOf(copy);
    }

    /**
     * Reads an address in the original's text form (surrounding white space is not allowed: the text is compared
     * byte for byte elsewhere).
     *
     * @throws PeerAddressException if it is malformed or a field is out of range; {@link PeerAddressException#field()}
     *     names the field
     */
    public static PeerAddress parse(CharSequence text) {
        Objects.requireNonNull(text, "text");
        return PeerAddressCodec.parse(text);
    }

    /** As {@link #parse(CharSequence)}, from ASCII bytes (the form addresses travel in). */
    public static PeerAddress parse(byte[] ascii) {
        Objects.requireNonNull(ascii, "ascii");
        if (ascii.length > MAX_TEXT_LENGTH) {
            throw new PeerAddressException("address", ascii.length + " bytes, at most " + MAX_TEXT_LENGTH);
        }
        for (byte b : ascii) {
            if (b < 0x21 || b > 0x7e) {
                throw new PeerAddressException("address", "a byte that is not printable ASCII");
            }
        }
        return PeerAddressCodec.parse(new String(ascii, US_ASCII));
    }

    /** The records of both families, IPv4 first. */
    public List<PeerInterface> interfaces() {
        List<PeerInterface> all = new ArrayList<>(v4.size() + v6.size());
        all.addAll(v4);
        all.addAll(v6);
        return List.copyOf(all);
    }

    /** The address in the original's text form, as ASCII bytes. */
    public byte[] toBytes() {
        return toString().getBytes(US_ASCII);
    }

    /** The address in the original's text form. */
    @Override
    public String toString() {
        return PeerAddressCodec.format(this);
    }
}
