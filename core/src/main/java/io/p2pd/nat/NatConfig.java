package io.p2pd.nat;

import io.p2pd.stun.StunClientConfig;
import io.p2pd.nic.AddressNotLocalException;
import io.p2pd.nic.Route;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * How {@link NatDetector} detects.
 *
 * @param servers      STUN servers (their primary addresses), tried in order until one answers with an alternate
 *                     address; RFC 5780 servers (OTHER-ADDRESS) and RFC 3489 ones (CHANGED-ADDRESS) both do
 * @param bindIp       the local IP to send from; empty: the IP the OS routes to the first server by (found
 *                     without sending anything). A concrete IP is needed to tell "no NAT" from a NAT.
 * @param timeLimit    the whole detection, both test series included; past it, detection fails
 * @param probeTimeout how long one test waits for an answer before counting it as "no answer"; a filtering
 *                     NAT makes at least one test wait this long
 * @param deltaSockets fresh sockets for the port-allocation test (0 skips it: delta "n/a"); 3 by default
 * @param stun         request settings (retransmission, RFC 3489 requests, SOFTWARE); its time limit is replaced by
 *                     {@code probeTimeout}
 * @param progress     told one line per step, for a live display; called from a detection thread, never an
 *                     event loop, and must not throw
 */
public record NatConfig(List<InetSocketAddress> servers, Optional<InetAddress> bindIp, Duration timeLimit,
                        Duration probeTimeout, int deltaSockets, StunClientConfig stun, Consumer<String> progress) {

    public NatConfig {
        servers = List.copyOf(servers);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no STUN servers");
        }
        Objects.requireNonNull(bindIp, "bindIp");
        Objects.requireNonNull(timeLimit, "timeLimit");
        Objects.requireNonNull(probeTimeout, "probeTimeout");
        Objects.requireNonNull(stun, "stun");
        Objects.requireNonNull(progress, "progress");
        if (timeLimit.isNegative() || timeLimit.isZero()) {
            throw new IllegalArgumentException("timeLimit must be positive: " + timeLimit);
        }
        if (probeTimeout.isNegative() || probeTimeout.isZero()) {
            throw new IllegalArgumentException("probeTimeout must be positive: " + probeTimeout);
        }
        if (deltaSockets < 0 || deltaSockets > 16) {
            throw new IllegalArgumentException("deltaSockets not in 0..16: " + deltaSockets);
        }
    }

    /** Defaults (see {@link Builder}) for these servers. */
    public static NatConfig of(InetSocketAddress... servers) {
        return builder(List.of(servers)).build();
    }

    public static Builder builder(List<InetSocketAddress> servers) {
        return new Builder(servers);
    }

    public Builder toBuilder() {
        Builder b = new Builder(servers).timeLimit(timeLimit).probeTimeout(probeTimeout).deltaSockets(deltaSockets)
                .stun(stun).progress(progress);
        bindIp.ifPresent(b::bindIp);
        return b;
    }

    /** Defaults: the routed IP, 5 s time limit, 1 s per test, 3 port-allocation sockets, 100 ms first RTO. */
    public static final class Builder {
        private final List<InetSocketAddress> servers;
        private InetAddress bindIp;
        private Duration timeLimit = Duration.ofSeconds(5);
        private Duration probeTimeout = Duration.ofSeconds(1);
        private int deltaSockets = 3;
        private StunClientConfig stun = StunClientConfig.builder().initialRto(Duration.ofMillis(100)).build();
        private Consumer<String> progress = line -> { };

        private Builder(List<InetSocketAddress> servers) {
            this.servers = List.copyOf(servers);
        }

        public Builder bindIp(InetAddress ip) {
            this.bindIp = Objects.requireNonNull(ip, "ip");
            return this;
        }

        /**
         * Detects the NAT in front of {@code route}: sends from the route's first address.
         *
         * @throws AddressNotLocalException when this machine no longer has that address
         */
        public Builder route(Route route) {
            return bindIp(route.bind(0).ip());
        }

        public Builder timeLimit(Duration d) {
            this.timeLimit = d;
            return this;
        }

        public Builder probeTimeout(Duration d) {
            this.probeTimeout = d;
            return this;
        }

        public Builder deltaSockets(int n) {
            this.deltaSockets = n;
            return this;
        }

        public Builder stun(StunClientConfig c) {
            this.stun = c;
            return this;
        }

        public Builder progress(Consumer<String> p) {
            this.progress = p;
            return this;
        }

        public NatConfig build() {
            return new NatConfig(servers, Optional.ofNullable(bindIp), timeLimit, probeTimeout, deltaSockets, stun,
                    progress);
        }
    }
}
