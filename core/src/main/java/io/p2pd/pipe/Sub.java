package io.p2pd.pipe;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A subscription: which messages a queue or a handler wants, by pattern and by sender, both optional.
 *
 * <p>The pattern is a regular expression searched anywhere in the message (anchor it with {@code ^...$} to match the
 * whole message). It runs over the bytes read as ISO-8859-1, one character per byte, so any byte pattern can be
 * written ({@code \x00}) and ASCII text matches as written. The sender matches by IP value ({@code ::1} equals
 * {@code 0:0:0:0:0:0:0:1}) and by port, where port 0 means any port. Two subs are equal when their pattern text,
 * flags and sender are.
 */
public final class Sub {

    /** No pattern, no sender: every message. */
    public static final Sub ALL = new Sub(Optional.empty(), Optional.empty(), Optional.empty());

    private final Optional<Pattern> pattern;
    private final Optional<InetAddress> ip;
    private final Optional<Integer> port;

    private Sub(Optional<Pattern> pattern, Optional<InetAddress> ip, Optional<Integer> port) {
        this.pattern = pattern;
        this.ip = ip;
        this.port = port;
    }

    /** Messages in which {@code regex} is found. */
    public static Sub matching(String regex) {
        return new Sub(Optional.of(Pattern.compile(regex)), Optional.empty(), Optional.empty());
    }

    /** Messages in which {@code pattern} is found. */
    public static Sub matching(Pattern pattern) {
        return new Sub(Optional.of(pattern), Optional.empty(), Optional.empty());
    }

    /** Messages from {@code sender}'s IP and port (port 0: any port). The address must be resolved. */
    public static Sub from(InetSocketAddress sender) {
        if (sender.isUnresolved()) {
            throw new IllegalArgumentException("a subscription needs a resolved sender, got " + sender);
        }
        return new Sub(Optional.empty(), Optional.of(sender.getAddress()),
                sender.getPort() == 0 ? Optional.empty() : Optional.of(sender.getPort()));
    }

    /** This subscription narrowed to messages from {@code sender}. */
    public Sub andFrom(InetSocketAddress sender) {
        Sub from = from(sender);
        return new Sub(pattern, from.ip, from.port);
    }

    public Optional<Pattern> pattern() {
        return pattern;
    }

    /** The sender's IP this subscription wants, if any. */
    public Optional<InetAddress> ip() {
        return ip;
    }

    /** The sender's port this subscription wants; empty means any port. */
    public Optional<Integer> port() {
        return port;
    }

    /** Whether {@code msg} belongs to this subscription. */
    public boolean matches(Message msg) {
        return matches(msg, null);
    }

    /** As {@link #matches(Message)}, with the message's characters already made (or null to make them here). */
    boolean matches(Message msg, CharSequence chars) {
        InetSocketAddress sender = msg.sender();
        if (port.isPresent() && port.get() != sender.getPort()) {
            return false;
        }
        if (ip.isPresent() && !ip.get().equals(sender.getAddress())) {
            return false;
        }
        return pattern.isEmpty()
                || pattern.get().matcher(chars != null ? chars : new Latin1View(msg.data())).find();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sub s
                && ip.equals(s.ip) && port.equals(s.port)
                && pattern.map(Pattern::pattern).equals(s.pattern.map(Pattern::pattern))
                && pattern.map(Pattern::flags).equals(s.pattern.map(Pattern::flags));
    }

    @Override
    public int hashCode() {
        return Objects.hash(pattern.map(Pattern::pattern), ip, port);
    }

    @Override
    public String toString() {
        if (this.equals(ALL)) {
            return "Sub[all]";
        }
        return "Sub[" + pattern.map(p -> "/" + p.pattern() + "/").orElse("")
                + ip.map(a -> " from " + a.getHostAddress() + ":" + port.map(String::valueOf).orElse("*"))
                        .orElse("")
                + "]";
    }
}
