package io.p2pd.node.signal;

/**
 * A signalling message that cannot be read or built: bad hex, an unknown type, JSON that is not the original's
 * envelope, or a field that is missing or out of range. Unchecked, as an {@link IllegalArgumentException}: the
 * {@link SignalInbox} turns it into a {@link SignalDrop#MALFORMED} drop; a caller building a {@link SignalMessage}
 * from its own values has a bug. {@link #field()} names the field at fault (such as {@code meta.ttl}); the message
 * never quotes more than a short piece of the input.
 */
public final class SignalFormatException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String field;

    SignalFormatException(String field, String reason) {
        super("signal message: " + field + ": " + reason);
        this.field = field;
    }

    /** The field at fault, as a dotted JSON path ({@code meta.src_buf}) or {@code payload}, {@code type}, {@code sig}. */
    public String field() {
        return field;
    }
}
