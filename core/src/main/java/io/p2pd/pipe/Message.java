package io.p2pd.pipe;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One received message: a datagram, a TCP chunk (or a whole frame when the pipe frames its stream), and who sent it.
 *
 * <p>The array is the message's own copy: the pipe never reuses or changes it after delivery, and it is not copied
 * again on the way to handlers and queues, so treat it as read-only.
 */
public record Message(byte[] data, InetSocketAddress sender) {

    public Message {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(sender, "sender");
    }

    /** The bytes decoded as UTF-8. */
    public String text() {
        return new String(data, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        // Contents stay out of logs and exception messages by default.
        return "Message[" + data.length + " bytes from " + sender + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Message m && sender.equals(m.sender) && java.util.Arrays.equals(data, m.data);
    }

    @Override
    public int hashCode() {
        return 31 * sender.hashCode() + java.util.Arrays.hashCode(data);
    }
}
