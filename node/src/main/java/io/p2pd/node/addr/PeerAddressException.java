package io.p2pd.node.addr;

import java.util.Objects;

/**
 * A peer address that cannot be parsed or built: the text is malformed, or a field is out of range. Unchecked, as
 * an {@link IllegalArgumentException}: a caller holding text from the network catches it; a caller building an
 * address from its own values has a bug. {@link #field()} names the field at fault and the message says where
 * and why; the message never quotes more than a short piece of the input.
 */
public final class PeerAddressException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String field;

    PeerAddressException(String field, String message) {
        super("peer address: " + field + ": " + message);
        this.field = Objects.requireNonNull(field, "field");
    }

    /**
     * The field at fault: {@code "address"} (the whole text or its layout), {@code "signal"}, {@code "v4"} or
     * {@code "v6"} (a family's list of interfaces), {@code "interfaces"}, {@code "netiface index"},
     * {@code "if index"}, {@code "ext ip"}, {@code "nic ip"}, {@code "port"}, {@code "nat type"},
     * {@code "delta type"}, {@code "delta value"}, {@code "node id"} or {@code "machine id"}.
     */
    public String field() {
        return field;
    }
}
