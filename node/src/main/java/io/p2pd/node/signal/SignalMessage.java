package io.p2pd.node.signal;

import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerInterface;
import io.p2pd.node.id.NodePublicKey;
import java.math.BigDecimal;
import java.net.StandardProtocolFamily;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One signalling message between nodes, with the fields of the original P2PD's {@code SigMsg} ({@code p2p_defs.py}).
 * Immutable. On the wire it is the type byte then the original's JSON, in this order:
 * <pre>
 * {"meta": {"ttl", "pipe_id", "af", "src_buf", "src_index", "addr_types"},
 *  "routing": {"af", "dest_buf", "dest_index"}, "payload": {...}, "cipher": {"vk"}}
 * </pre>
 * (see {@link SignalSealer} for the envelope around it and the signature we add).
 *
 * @param type the message type
 * @param ttl when the message expires, in Unix seconds (the original's name for it: it is a deadline, not a
 *     duration; the original sets it 5 to 30 seconds ahead and drops a message once its clock reaches it)
 * @param pipeId the exchange this message belongs to (a reply carries the id of the message it answers):
 *     1 to {@value #MAX_PIPE_ID} printable ASCII characters
 * @param family the address family of the sender's interface ({@code meta.af}: 2 for IPv4, 10 for IPv6)
 * @param source the sender's peer address ({@code meta.src_buf}); its node id names the sender
 * @param sourceIndex the if index of the sender's interface record to use, in {@code family}
 * @param addrTypes the address kinds the sender will try (the original's {@code EXT_BIND} 2, {@code NIC_BIND} 1,
 *     and its test-only 3 and 4): 1 to 4 of them
 * @param destinationFamily the family of the recipient's interface ({@code routing.af})
 * @param destination the recipient's peer address as the sender knows it ({@code routing.dest_buf}); its node id
 *     names the recipient
 * @param destinationIndex the if index of the recipient's interface record, in {@code destinationFamily}
 * @param payload the type's own fields (empty for connect and address messages), as JSON values: an ordered,
 *     unmodifiable map of String, Long (integers), BigDecimal (other numbers), Boolean, {@code null}-free lists
 *     and maps of the same
 * @param senderKey the sender's public key ({@code cipher.vk}), which the original encrypts its reply to; the
 *     {@link SignalSealer} always sets it to the key it signs with
 */
public record SignalMessage(
        SignalType type, long ttl, String pipeId, StandardProtocolFamily family, PeerAddress source,
        int sourceIndex, List<Integer> addrTypes, StandardProtocolFamily destinationFamily, PeerAddress destination,
        int destinationIndex, Map<String, Object> payload, Optional<NodePublicKey> senderKey) {

    /** The longest pipe id. */
    public static final int MAX_PIPE_ID = 64;
    /** The largest ttl accepted (2^53, the largest integer every JSON reader keeps exactly). */
    public static final long MAX_TTL = 1L << 53;
    /** The original's default address kinds, {@code [EXT_BIND, NIC_BIND]}. */
    public static final List<Integer> DEFAULT_ADDR_TYPES = List.of(2, 1);

    /**
     * Checks every field; the payload is deep-copied.
     *
     * @throws SignalFormatException naming the field at fault, such as an interface index that names no record of
     *     the address in that family (the original refuses those too)
     */
    public SignalMessage {
        require(type != null, "type", "missing");
        if (ttl < 0 || ttl > MAX_TTL) {
            throw new SignalFormatException("meta.ttl", "out of range");
        }
        checkPipeId(pipeId);
        require(family != null, "meta.af", "missing");
        require(destinationFamily != null, "routing.af", "missing");
        require(source != null, "meta.src_buf", "missing");
        require(destination != null, "routing.dest_buf", "missing");
        checkIndex(source, family, sourceIndex, "meta.src_index");
        checkIndex(destination, destinationFamily, destinationIndex, "routing.dest_index");
        require(addrTypes != null, "meta.addr_types", "missing");
        addrTypes = List.copyOf(addrTypes);
        require(!addrTypes.isEmpty() && addrTypes.size() <= 4, "meta.addr_types", "1 to 4 entries expected");
        for (int t : addrTypes) {
            require(t >= 1 && t <= 4, "meta.addr_types", "kind " + t + " is not 1 to 4");
        }
        require(payload != null, "payload", "missing");
        payload = freezeObject(payload, 0);
        require(senderKey != null, "cipher.vk", "missing (use Optional.empty())");
    }

    /**
     * A message with the original's defaults for what it leaves out (as its {@code GetAddr} does): IPv4, interface
     * record 0 on both sides, address kinds {@code [2, 1]}, an empty payload and no sender key (the sealer adds it).
     */
    public static SignalMessage of(SignalType type, long ttl, String pipeId, PeerAddress source,
            PeerAddress destination) {
        return new SignalMessage(type, ttl, pipeId, StandardProtocolFamily.INET, source, 0, DEFAULT_ADDR_TYPES,
                StandardProtocolFamily.INET, destination, 0, Map.of(), Optional.empty());
    }

    /** This message with another payload. */
    public SignalMessage withPayload(Map<String, Object> newPayload) {
        return new SignalMessage(type, ttl, pipeId, family, source, sourceIndex, addrTypes, destinationFamily,
                destination, destinationIndex, newPayload, senderKey);
    }

    /** This message with the sender key set. */
    public SignalMessage withSenderKey(NodePublicKey key) {
        return new SignalMessage(type, ttl, pipeId, family, source, sourceIndex, addrTypes, destinationFamily,
                destination, destinationIndex, payload, Optional.of(key));
    }

    /** This message sent from record {@code sourceIf} of the source to record {@code destinationIf} of the destination. */
    public SignalMessage withInterfaces(StandardProtocolFamily sourceFamily, int sourceIf,
            StandardProtocolFamily destFamily, int destinationIf) {
        return new SignalMessage(type, ttl, pipeId, sourceFamily, source, sourceIf, addrTypes, destFamily,
                destination, destinationIf, payload, senderKey);
    }

    private static void require(boolean ok, String field, String reason) {
        if (!ok) {
            throw new SignalFormatException(field, reason);
        }
    }

    private static void checkPipeId(String pipeId) {
        require(pipeId != null, "meta.pipe_id", "missing");
        require(!pipeId.isEmpty() && pipeId.length() <= MAX_PIPE_ID, "meta.pipe_id",
                "1 to " + MAX_PIPE_ID + " characters expected");
        for (int i = 0; i < pipeId.length(); i++) {
            char c = pipeId.charAt(i);
            require(c >= 0x20 && c <= 0x7e, "meta.pipe_id", "not printable ASCII");
        }
    }

    private static void checkIndex(PeerAddress address, StandardProtocolFamily family, int index, String field) {
        List<PeerInterface> records = family == StandardProtocolFamily.INET ? address.v4() : address.v6();
        for (PeerInterface r : records) {
            if (r.ifIndex() == index) {
                return;
            }
        }
        throw new SignalFormatException(field, "the address has no " + (family == StandardProtocolFamily.INET
                ? "IPv4" : "IPv6") + " interface record " + index);
    }

    private static final int MAX_DEPTH = 8;

    private static Map<String, Object> freezeObject(Map<?, ?> m, int depth) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            require(e.getKey() instanceof String, "payload", "a key that is not a string");
            out.put((String) e.getKey(), freeze(e.getValue(), depth + 1));
        }
        return Collections.unmodifiableMap(out);
    }

    private static Object freeze(Object v, int depth) {
        require(depth <= MAX_DEPTH, "payload", "nested deeper than " + MAX_DEPTH);
        if (v instanceof String || v instanceof Boolean || v instanceof Long) {
            return v;
        }
        if (v instanceof Integer i) {
            return i.longValue();
        }
        if (v instanceof BigDecimal d) {
            try {
                return d.longValueExact();
            } catch (ArithmeticException notALong) {
                return d;
            }
        }
        if (v instanceof Map<?, ?> m) {
            return freezeObject(m, depth);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object x : l) {
                out.add(freeze(x, depth + 1));
            }
            return Collections.unmodifiableList(out);
        }
        throw new SignalFormatException("payload", "a value that is not a JSON string, number, boolean, list or object"
                + (v == null ? " (null)" : ""));
    }

    @Override
    public String toString() {
        return "SignalMessage[" + type + " " + pipeId + " from " + source.nodeId() + " to " + destination.nodeId()
                + " ttl " + ttl + "]";
    }
}
