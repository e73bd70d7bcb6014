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
 * both sides will).
 *
 * @param state request, answer or start
 */
record PunchPayload(String state, int punchMode, List<PortMapping> mappings, Optional<InetAddress> ip, long holdMs,
        long delayMs, boolean md5) {

    static final String REQUEST = "request";
    static final String ANSWER = "answer";
    static final String START = "start";
    /** The most mappings a payload may carry. */
    static final int MAX_MAPPINGS = 16;

    PunchPayload {
        mappings = List.copyOf(mappings);
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
        return m;
    }

    /**
     * Reads a payload.
     *
     * @throws IllegalArgumentException when a field is missing or out of range
     */
    static PunchPayload of(Map<String, Object> m) {
        if (!(m.get("state") instanceof String state)
                || !List.of(REQUEST, ANSWER, START).contains(state)) {
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
        return new PunchPayload(state, mode, mappings, ip, hold, delay, Boolean.TRUE.equals(m.get("md5")));
    }
}
