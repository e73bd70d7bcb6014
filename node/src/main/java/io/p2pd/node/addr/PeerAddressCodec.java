package io.p2pd.node.addr;

import io.p2pd.nat.DeltaType;
import io.p2pd.nat.NatType;
import io.p2pd.nat.PortDelta;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.id.NodeId;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The text form of {@link PeerAddress}: a strict reader that walks the text once, left to right, reading
 * interface records by their brackets (so a {@code -} inside a record, a negative delta, is not taken for a part
 * separator), and the writer that prints what the original prints.
 */
final class PeerAddressCodec {

    private static final String NO_SIGNAL = "None";
    private static final String NO_INTERFACES = "0";
    private static final int RECORD_FIELDS = 8;
    private static final int MAX_QUOTE = 24;

    private PeerAddressCodec() {}

    // ---- reading -------------------------------------------------------------------------------------------

    static PeerAddress parse(CharSequence input) {
        if (input.length() > PeerAddress.MAX_TEXT_LENGTH) {
            throw new PeerAddressException("address",
                    input.length() + " characters, at most " + PeerAddress.MAX_TEXT_LENGTH);
        }
        String text = input.toString();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new PeerAddressException("address", "a character that is not printable ASCII at " + i);
            }
        }
        int end = text.indexOf('-');
        if (end < 0) {
            throw new PeerAddressException("address", "expected signal-v4-v6-node id-machine id");
        }
        List<Integer> signal = parseSignal(text.substring(0, end));
        Cursor at = new Cursor(end + 1);
        List<PeerInterface> v4 = parseFamily(text, at, "v4", false);
        List<PeerInterface> v6 = parseFamily(text, at, "v6", true);
        String rest = text.substring(at.pos);
        int dash = rest.indexOf('-');
        if (dash < 0 || rest.indexOf('-', dash + 1) >= 0) {
            throw new PeerAddressException("address", "expected node id-machine id after the interfaces");
        }
        String node = rest.substring(0, dash);
        String machine = rest.substring(dash + 1);
        if (!NodeId.isValid(node)) {
            throw new PeerAddressException("node id", quote(node) + " is not " + NodeId.LENGTH + " lowercase hex digits");
        }
        if (machine.length() != MachineId.LENGTH || !isLowerHex(machine)) {
            throw new PeerAddressException("machine id",
                    quote(machine) + " is not " + MachineId.LENGTH + " lowercase hex digits");
        }
        return new PeerAddress(signal, v4, v6, new NodeId(node), new MachineId(machine));
    }

    private static final class Cursor {
        int pos;

        Cursor(int pos) {
            this.pos = pos;
        }
    }

    private static List<Integer> parseSignal(String part) {
        if (part.equals(NO_SIGNAL)) {
            return List.of();
        }
        String[] items = part.split(",", -1);
        if (items.length > PeerAddress.MAX_SIGNALS) {
            throw new PeerAddressException("signal", items.length + " broker indexes, at most " + PeerAddress.MAX_SIGNALS);
        }
        List<Integer> out = new ArrayList<>(items.length);
        for (String item : items) {
            out.add(parseNumber("signal", item, false));
        }
        return out;
    }

    private static List<PeerInterface> parseFamily(String text, Cursor at, String family, boolean ipv6) {
        int p = at.pos;
        if (text.startsWith(NO_INTERFACES + "-", p)) {
            at.pos = p + 2;
            return List.of();
        }
        List<PeerInterface> records = new ArrayList<>();
        while (true) {
            if (p >= text.length() || text.charAt(p) != '[') {
                throw new PeerAddressException(family, "expected 0 or [record]|[record]... followed by -");
            }
            if (records.size() == PeerAddress.MAX_INTERFACES_PER_FAMILY) {
                throw new PeerAddressException(family, "more than " + PeerAddress.MAX_INTERFACES_PER_FAMILY + " interfaces");
            }
            int close = text.indexOf(']', p + 1);
            if (close < 0) {
                throw new PeerAddressException(family, "a record without its closing ]");
            }
            String inner = text.substring(p + 1, close);
            if (inner.indexOf('[') >= 0 || inner.indexOf('|') >= 0) {
                throw new PeerAddressException(family, "a record without its closing ]");
            }
            records.add(parseRecord(inner, family, ipv6));
            p = close + 1;
            if (p < text.length() && text.charAt(p) == '|') {
                p++;
                continue;
            }
            if (p < text.length() && text.charAt(p) == '-') {
                at.pos = p + 1;
                return records;
            }
            throw new PeerAddressException(family, "expected | or - after a record");
        }
    }

    private static PeerInterface parseRecord(String inner, String family, boolean ipv6) {
        String[] f = inner.split(",", -1);
        if (f.length != RECORD_FIELDS) {
            throw new PeerAddressException(family, "a record of " + f.length + " fields, expected " + RECORD_FIELDS);
        }
        int netiface = parseNumber("netiface index", f[0], false);
        int ifIndex = parseNumber("if index", f[1], false);
        InetAddress ext = parseIp("ext ip", f[2], ipv6);
        InetAddress nic = parseIp("nic ip", f[3], ipv6);
        int port = parseNumber("port", f[4], false);
        int natNumber = parseNumber("nat type", f[5], false);
        int deltaNumber = parseNumber("delta type", f[6], false);
        int deltaValue = parseNumber("delta value", f[7], true);
        NatType nat;
        try {
            nat = NatType.ofNumber(natNumber);
        } catch (IllegalArgumentException e) {
            throw new PeerAddressException("nat type", natNumber + " is outside 1..7");
        }
        DeltaType deltaType;
        try {
            deltaType = DeltaType.ofNumber(deltaNumber);
        } catch (IllegalArgumentException e) {
            throw new PeerAddressException("delta type", deltaNumber + " is outside 1..6");
        }
        PortDelta delta;
        try {
            delta = new PortDelta(deltaType, deltaValue);
        } catch (IllegalArgumentException e) {
            throw new PeerAddressException("delta value", "delta type " + deltaNumber + " takes no value, got " + deltaValue);
        }
        return new PeerInterface(netiface, ifIndex, ext, nic, port, nat, delta);
    }

    /**
     * A decimal number as the original prints one ({@code %d}): no sign unless negative and allowed, no leading
     * zeros, at most 6 digits (every field fits; more is refused before it can overflow).
     */
    private static int parseNumber(String field, String s, boolean signed) {
        int i = 0;
        boolean negative = false;
        if (signed && s.startsWith("-")) {
            negative = true;
            i = 1;
        }
        int digits = s.length() - i;
        if (digits < 1 || digits > 6) {
            throw new PeerAddressException(field, quote(s) + " is not a number");
        }
        int value = 0;
        for (int k = i; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c < '0' || c > '9') {
                throw new PeerAddressException(field, quote(s) + " is not a number");
            }
            value = value * 10 + (c - '0');
        }
        if (digits > 1 && s.charAt(i) == '0' || negative && value == 0) {
            throw new PeerAddressException(field, quote(s) + " is not written as the original writes numbers");
        }
        return negative ? -value : value;
    }

    private static InetAddress parseIp(String field, String s, boolean ipv6) {
        byte[] raw = ipv6 ? parseIpv6(s) : parseIpv4(s);
        if (raw == null) {
            throw new PeerAddressException(field, quote(s) + " is not an " + (ipv6 ? "IPv6" : "IPv4") + " address");
        }
        try {
            return ipv6 ? Inet6Address.getByAddress(null, raw, -1) : InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of 4 or 16 bytes was refused", e);
        }
    }

    /** Dotted decimal, four parts 0..255 without leading zeros (as Python's ipaddress requires); else null. */
    static byte[] parseIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || p.length() > 1 && p.charAt(0) == '0') {
                return null;
            }
            int v = 0;
            for (int k = 0; k < p.length(); k++) {
                char c = p.charAt(k);
                if (c < '0' || c > '9') {
                    return null;
                }
                v = v * 10 + (c - '0');
            }
            if (v > 255) {
                return null;
            }
            out[i] = (byte) v;
        }
        return out;
    }

    /**
     * RFC 4291 text: eight groups of 1 to 4 hex digits, one {@code ::} for a run of zero groups, optionally the
     * last two groups as dotted IPv4. No scope, no brackets, no prefix length. Null when not an IPv6 address.
     */
    static byte[] parseIpv6(String s) {
        if (s.length() < 2 || s.length() > 45) {
            return null;
        }
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        String head = gap >= 0 ? s.substring(0, gap) : s;
        if (gap >= 0 && head.indexOf('.') >= 0) {
            return null; // a dotted IPv4 may only end the address
        }
        String tail = gap >= 0 ? s.substring(gap + 2) : "";
        List<Integer> front = groups(head);
        List<Integer> back = groups(tail);
        if (front == null || back == null) {
            return null;
        }
        int total = front.size() + back.size();
        if (gap < 0 && total != 8 || gap >= 0 && total > 7) {
            return null;
        }
        int[] words = new int[8];
        for (int i = 0; i < front.size(); i++) {
            words[i] = front.get(i);
        }
        for (int i = 0; i < back.size(); i++) {
            words[8 - back.size() + i] = back.get(i);
        }
        byte[] out = new byte[16];
        for (int i = 0; i < 8; i++) {
            out[2 * i] = (byte) (words[i] >> 8);
            out[2 * i + 1] = (byte) words[i];
        }
        return out;
    }

    /** The 16-bit groups of a colon-separated run (a trailing dotted IPv4 counts as two); null when malformed. */
    private static List<Integer> groups(String run) {
        List<Integer> out = new ArrayList<>(8);
        if (run.isEmpty()) {
            return out;
        }
        String[] parts = run.split(":", -1);
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (i == parts.length - 1 && p.indexOf('.') >= 0) {
                byte[] v4 = parseIpv4(p);
                if (v4 == null) {
                    return null;
                }
                out.add((v4[0] & 0xff) << 8 | v4[1] & 0xff);
                out.add((v4[2] & 0xff) << 8 | v4[3] & 0xff);
                continue;
            }
            if (p.isEmpty() || p.length() > 4) {
                return null;
            }
            int v = 0;
            for (int k = 0; k < p.length(); k++) {
                int d = Character.digit(p.charAt(k), 16);
                if (d < 0) {
                    return null;
                }
                v = v << 4 | d;
            }
            out.add(v);
        }
        return out.size() > 8 ? null : out;
    }

    private static boolean isLowerHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static String quote(String s) {
        return "'" + (s.length() <= MAX_QUOTE ? s : s.substring(0, MAX_QUOTE) + "...") + "'";
    }

    // ---- writing -------------------------------------------------------------------------------------------

    static String format(PeerAddress a) {
        StringBuilder sb = new StringBuilder(256);
        if (a.signal().isEmpty()) {
            sb.append(NO_SIGNAL);
        } else {
            for (int i = 0; i < a.signal().size(); i++) {
                sb.append(i == 0 ? "" : ",").append(a.signal().get(i));
            }
        }
        appendFamily(sb.append('-'), a.v4());
        appendFamily(sb.append('-'), a.v6());
        return sb.append('-').append(a.nodeId().value()).append('-').append(a.machineId().value()).toString();
    }

    private static void appendFamily(StringBuilder sb, List<PeerInterface> records) {
        if (records.isEmpty()) {
            sb.append(NO_INTERFACES);
            return;
        }
        for (int i = 0; i < records.size(); i++) {
            appendRecord(sb.append(i == 0 ? "" : "|"), records.get(i));
        }
    }

    static void appendRecord(StringBuilder sb, PeerInterface r) {
        sb.append('[').append(r.netifaceIndex()).append(',').append(r.ifIndex()).append(',');
        appendIp(sb, r.externalIp());
        appendIp(sb.append(','), r.nicIp());
        sb.append(',').append(r.port()).append(',').append(r.nat().number()).append(',')
                .append(r.delta().type().number()).append(',').append(r.delta().value()).append(']');
    }

    /** IPv4 dotted; IPv6 fully expanded in lowercase, as the original's {@code ip_norm} prints it. */
    private static void appendIp(StringBuilder sb, InetAddress ip) {
        byte[] raw = ip.getAddress();
        if (raw.length == 4) {
            sb.append(raw[0] & 0xff).append('.').append(raw[1] & 0xff).append('.').append(raw[2] & 0xff).append('.')
                    .append(raw[3] & 0xff);
            return;
        }
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) {
                sb.append(':');
            }
            int word = (raw[i] & 0xff) << 8 | raw[i + 1] & 0xff;
            String hex = Integer.toHexString(word);
            sb.append("0".repeat(4 - hex.length())).append(hex);
        }
    }
}
