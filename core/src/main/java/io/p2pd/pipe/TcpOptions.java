package io.p2pd.pipe;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Options of TCP pipes only, given to {@link Pipes.TcpOpener#tcp}: a UDP opener has no way to take them. Each names
 * the original's key it stands for; the options every transport takes are in {@link PipeConf}.
 *
 * @param conTimeout   {@code con_timeout}: time limit of a TCP connect
 * @param sslHandshake {@code ssl_handshake}: time limit of a TLS handshake
 * @param framing      how a TCP stream is cut into messages (default: raw chunks, as the original)
 * @param tls          {@code use_ssl}: TLS when present, with its trust (clients) and identity (servers); empty,
 *                     the default, for none
 * @param linger       {@code linger}: SO_LINGER in whole seconds, when present (0 resets the connection on close)
 * @param halfClosure  keep sending after the peer's end of stream (off by default, as the original: the peer's end
 *                     closes the connection both ways). When on, the peer's FIN ends only the receive side: once what
 *                     was read before it is delivered, {@code recv()} fails with {@link PipeClosedException} and
 *                     links that pass the end on ({@code link(target, true)}) half-close their targets, while
 *                     {@code send} still works until the user calls {@link Pipe#shutdownOutput()} or closes the
 *                     pipe (end handlers and {@link Pipe#closeFuture()} wait for that close). Not for TLS (no
 *                     half-close there).
 */
public record TcpOptions(
        Duration conTimeout,
        Duration sslHandshake,
        Framing framing,
        Optional<Tls> tls,
        Optional<Duration> linger,
        boolean halfClosure) {

    private static final TcpOptions DEFAULTS = builder().build();

    public TcpOptions {
        PipeConf.positive("conTimeout", conTimeout);
        PipeConf.positive("sslHandshake", sslHandshake);
        Objects.requireNonNull(framing, "framing");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(linger, "linger");
        linger.ifPresent(d -> {
            if (d.isNegative() || d.toSeconds() > 0xFFFF) {
                throw new IllegalArgumentException("linger must be 0 to 65535 s, got " + d);
            }
            // SO_LINGER counts whole seconds: 500 ms would become 0, a reset instead of a graceful close.
            if (d.toNanosPart() != 0) {
                throw new IllegalArgumentException("linger must be whole seconds (SO_LINGER counts seconds), got "
                        + d);
            }
        });
    }

    /** The original's defaults: 2 s connect, 4 s handshake, raw chunks, no TLS, no linger. */
    public static TcpOptions defaults() {
        return DEFAULTS;
    }

    /** The defaults with this framing: the common case, {@code TcpOptions.framed(Framing.lines())}. */
    public static TcpOptions framed(Framing framing) {
        return builder().framing(framing).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from these options. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds {@link TcpOptions}; {@link #build()} checks every value. */
    public static final class Builder {
        private Duration conTimeout = Duration.ofSeconds(2);
        private Duration sslHandshake = Duration.ofSeconds(4);
        private Framing framing = Framing.raw();
        private Optional<Tls> tls = Optional.empty();
        private Optional<Duration> linger = Optional.empty();
        private boolean halfClosure;

        private Builder() {
        }

        private Builder(TcpOptions o) {
            conTimeout = o.conTimeout;
            sslHandshake = o.sslHandshake;
            framing = o.framing;
            tls = o.tls;
            linger = o.linger;
            halfClosure = o.halfClosure;
        }

        public Builder conTimeout(Duration v) { conTimeout = v; return this; }
        public Builder sslHandshake(Duration v) { sslHandshake = v; return this; }
        public Builder framing(Framing v) { framing = v; return this; }
        /**
         * Turns TLS on (the original's {@code use_ssl}) with these settings: {@link Tls#verifying()} for a client
         * that trusts the system store, {@link Tls#server} for a server (a server pipe opened without an identity
         * throws {@link IllegalArgumentException}).
         */
        public Builder tls(Tls v) { tls = Optional.of(Objects.requireNonNull(v, "tls")); return this; }
        /** Turns TLS off (the default). */
        public Builder noTls() { tls = Optional.empty(); return this; }
        /** SO_LINGER in whole seconds; {@code Duration.ZERO} resets the connection on close. */
        public Builder linger(Duration v) { linger = Optional.of(v); return this; }
        public Builder noLinger() { linger = Optional.empty(); return this; }
        /** Whether the connection keeps sending after the peer's end of stream (see {@link TcpOptions}). */
        public Builder halfClosure(boolean v) { halfClosure = v; return this; }

        /** @throws IllegalArgumentException naming the first option whose value is wrong */
        public TcpOptions build() {
            return new TcpOptions(conTimeout, sslHandshake, framing, tls, linger, halfClosure);
        }
    }
}
