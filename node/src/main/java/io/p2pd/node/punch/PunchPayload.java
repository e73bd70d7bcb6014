package io.p2pd.node.punch;

import io.p2pd.net.HostPort;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The payload of a {@code TCP_PUNCH} signal. The original's fields keep their names and meaning
 * ({@code TCPPunchMsg} of its {@code p2p_defs.py}): {@code punch_mode} (1 LAN, 2 remote, 3 same machine),
 * {@code ntp} (its NTP meeting time, a decimal string; we send "0": see {@link HolePunch}) and {@code mappings}
 * ({@code [local port, reply port, predicted external port]} each; we send 0 as the reply port, as the original
 * does). Ours, which the original ignores: {@code state} (request, answer or start), {@code ip} (the external IP the
 * mappings are on), {@code hold_ms} (how long the answering side took before answering, taken off the measured
 * round trip), {@code delay_ms} (the start margin: each side starts that long after its own reference moment) and
 * {@code md5} (the sender has no NAT and can sign its SYNs with TCP-MD5: see {@link PunchOpen}; in an answer, that
 * both sides will). A side that cannot take part answers a request with the state {@code refused}, no mappings, and
 * {@code reason} (why, readable; at most {@value #MAX_REASON} characters, printable ASCII kept), so the initiator
 * fails at once instead of waiting out its answer limit.
 *
 * @param state request, answer, start or refused
 * @param reason why a side refused (in a refusal only)
 */
record PunchPayload(String state, int punchMode, List<PortMapping> mappings, Optional<InetAddress> ip, long holdMs,
        long delayMs, boolean md5, Optional<String> reason) {

    static final String REQUEST = "request";
    static final String ANSWER = "answer";
    static final String START = "start";
    static final String REFUSED = "refused";
    /** The longest reason a refusal carries; a longer one is cut. */
    static final int MAX_REASON = 300;
    /** The most mappings a payload may carry. */
    static final int MAX_MAPPINGS = 16;

    PunchPayload {
        mappings = List.copyOf(mappings);
        reason = reason.map(PunchPayload::printable);
    }

    /** A payload without a reason: a request, answer or start. */
    PunchPayload(String state, int punchMode, List<PortMapping> mappings, Optional<InetAddress> ip, long holdMs,
            long delayMs, boolean md5) {
        this(state, punchMode, mappings, ip, holdMs, delayMs, md5, Optional.empty());
    }

    /** A refusal saying why. */
    static PunchPayload refusal(int punchMode, String reason) {
        return new PunchPayload(REFUSED, punchMode, List.of(), Optional.empty(), 0, 0, false, Optional.of(reason));
    }

    /** {@code text} cut to {@link #MAX_REASON} characters, anything but printable ASCII replaced (a peer wrote it). */
    private static String printable(String text) {
        StringBuilder b = new StringBuilder(Math.min(text.length(), MAX_REASON));
        for (int i = 0; i < text.length() && b.length() < MAX_REASON; i++) {
            char c = text.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("punch_mode", (long) punchMode);
        m.put("ntp", "0");
        List<Object> list = new ArrayList<>();
        for (PortMapping p : mappings) {
            list.add(List.of((long) p.localPort(), 0L, (long) p.externalPort()));
        }
        m.put("mappings", list);
        m.put("state", state);
        ip.ifPresent(a -> m.put("ip", a.getHostAddress()));
        m.put("hold_ms", holdMs);
        m.put("delay_ms", delayMs);
        m.put("md5", md5);
        reason.ifPresent(r -> m.put("reason", r));
        return m;
    }

    /**
     * Reads a payload.
     *
     * @throws IllegalArgumentException when a field is missing or out of range
     */
    static PunchPayload of(Map<String, Object> m) {
        if (!(m.get("state") instanceof String state)
                || !List.of(REQUEST, ANSWER, START, REFUSED).contains(state)) {
            throw new IllegalArgumentException("state: missing or unknown");
        }
        int mode = m.get("punch_mode") instanceof Long l && l >= 1 && l <= 3 ? l.intValue() : 2;
        List<PortMapping> mappings = new ArrayList<>();
        if (m.get("mappings") instanceof List<?> list) {
            if (list.size() > MAX_MAPPINGS) {
                throw new IllegalArgumentException("mappings: more than " + MAX_MAPPINGS);
            }
            for (Object o : list) {
                if (!(o instanceof List<?> t) || t.size() != 3 || !(t.get(0) instanceof Long local)
                        || !(t.get(2) instanceof Long remote)) {
                    throw new IllegalArgumentException("mappings: [local, reply, remote] expected");
                }
                if (local < 1 || local > 65535 || remote < 1 || remote > 65535) {
                    throw new IllegalArgumentException("mappings: a port outside 1..65535");
                }
                mappings.add(new PortMapping(local.intValue(), remote.intValue()));
            }
        }
        Optional<InetAddress> ip = Optional.empty();
        if (m.get("ip") instanceof String s) {
            try {
                ip = s.length() <= 45 ? new HostPort(s, 1).literal() : Optional.empty();
            } catch (IllegalArgumentException e) {
                ip = Optional.empty();
            }
            if (ip.isEmpty()) {
                throw new IllegalArgumentException("ip: not an IP address");
            }
        }
        long hold = m.get("hold_ms") instanceof Long h ? Math.max(0, Math.min(h, 60_000)) : 0;
        long delay = m.get("delay_ms") instanceof Long d ? Math.max(0, Math.min(d, 10_000)) : 0;
        Optional<String> reason = m.get("reason") instanceof String r ? Optional.of(r) : Optional.empty();
        return new PunchPayload(state, mode, mappings, ip, hold, delay, Boolean.TRUE.equals(m.get("md5")), reason);
    }
}
