package io.p2pd.turn;

import io.p2pd.nic.Family;
import io.p2pd.pipe.PipeConf;
import io.p2pd.pipe.Tls;
import io.p2pd.stun.StunCredentials;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a TURN allocation is made and kept.
 *
 * @param credentials       the long-term credentials (RFC 8489 section 9.2): user name and password
 * @param family            the relayed address's family (REQUESTED-ADDRESS-FAMILY is sent for IPv6)
 * @param lifetime          the lifetime asked for; the allocation is refreshed before the granted one runs out
 * @param channels          bind a channel to every peer that gets traffic (ChannelData, 4 bytes of overhead);
 *                          off: Send and Data indications only
 * @param permissionRefresh how often a permission is refreshed (under {@code permissionLifetime})
 * @param channelRefresh    how often a channel binding is refreshed (under {@code channelLifetime})
 * @param initialRto        the first UDP retransmission timeout of a request; each one doubles it
 * @param maxTransmissions  at most this many transmissions of one request
 * @param timeLimit         the time limit of one request (an Allocate's two rounds each have it)
 * @param closeTimeout      how long closing waits for the server to answer the Refresh that deletes the allocation
 * @param maxQueuedPerPeer  datagrams held per peer while its permission is being installed; more are dropped and
 *                          counted in {@link TurnStats#dropped()}
 * @param software          a SOFTWARE attribute for every request
 * @param fingerprint       add FINGERPRINT to every request and indication
 * @param bind              the control socket's local address; empty: the wildcard address of the server's family
 * @param pipeConf          the options of the relayed pipe (queue sizes, receive timeout, duplicate suppression, loop)
 * @param peer              the relayed pipe's default destination: {@code send(data)}, {@code request} and links into
 *                          the pipe go to this peer; empty: every send names its peer
 * @param transport         the control connection to the server: UDP (retransmissions), TCP or TLS (one connection,
 *                          no retransmission); the relay is UDP, or TCP from {@link TurnClient#allocateTcp}
 * @param tls               how a TLS control connection checks the server (only used with {@link TurnTransport#TLS})
 * @param permissionLifetime the server's permission lifetime (RFC 8656: 300 s; coturn's
 *                          {@code --permission-lifetime} changes it): a timed-out permission refresh is retried
 *                          until it runs out, and a permission whose peer had no traffic either way for that long is
 *                          no longer refreshed
 * @param channelLifetime   the server's channel binding lifetime (RFC 8656: 10 minutes; coturn's
 *                          {@code --channel-lifetime}), used for channels as {@code permissionLifetime} is for
 *                          permissions
 */
public record TurnConfig(StunCredentials credentials, Family family, Duration lifetime, boolean channels,
                         Duration permissionRefresh, Duration channelRefresh, Duration initialRto,
                         int maxTransmissions, Duration timeLimit, Duration closeTimeout, int maxQueuedPerPeer,
                         Optional<String> software, boolean fingerprint, Optional<InetSocketAddress> bind,
                         PipeConf pipeConf, Optional<InetSocketAddress> peer, TurnTransport transport,
                         Tls tls, Duration permissionLifetime, Duration channelLifetime) {

    public TurnConfig {
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(software, "software");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(pipeConf, "pipeConf");
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(tls, "tls");
        if (peer.isPresent() && peer.get().isUnresolved()) {
            throw new IllegalArgumentException("peer must be an IP address, got " + peer.get());
        }
        positive(lifetime, "lifetime");
        positive(permissionRefresh, "permissionRefresh");
        positive(channelRefresh, "channelRefresh");
        positive(initialRto, "initialRto");
        positive(timeLimit, "timeLimit");
        positive(closeTimeout, "closeTimeout");
        positive(permissionLifetime, "permissionLifetime");
        positive(channelLifetime, "channelLifetime");
        if (lifetime.toSeconds() < 1 || lifetime.toSeconds() > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("lifetime must be 1 s to 2^32-1 s: " + lifetime);
        }
        if (permissionRefresh.compareTo(permissionLifetime) >= 0) {
            throw new IllegalArgumentException("permissionRefresh must be under the permission lifetime ("
                    + permissionLifetime + "): " + permissionRefresh);
        }
        if (channelRefresh.compareTo(channelLifetime) >= 0) {
            throw new IllegalArgumentException("channelRefresh must be under the channel lifetime ("
                    + channelLifetime + "): " + channelRefresh);
        }
        if (maxTransmissions < 1) {
            throw new IllegalArgumentException("maxTransmissions must be at least 1: " + maxTransmissions);
        }
        if (maxQueuedPerPeer < 0) {
            throw new IllegalArgumentException("maxQueuedPerPeer must not be negative: " + maxQueuedPerPeer);
        }
        if (bind.isPresent() && bind.get().isUnresolved()) {
            throw new IllegalArgumentException("bind must be an IP address, got " + bind.get());
        }
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
    }

    /**
     * IPv4 relay, 600 s lifetime, channels on, permissions refreshed every 240 s and channels every 300 s (against
     * the RFC's 300 s and 10 minute lifetimes), 250 ms
     * initial RTO, 7 transmissions, 5 s per request, 2 s to delete on close, 64 datagrams queued per new peer,
     * FINGERPRINT on, a UDP control socket (TLS, when chosen, verifies the server against the system's trust store).
     */
    public static Builder builder(String username, String password) {
        return new Builder(new StunCredentials(username, password));
    }

    public Builder toBuilder() {
        Builder b = new Builder(credentials).family(family).lifetime(lifetime).channels(channels)
                .permissionRefresh(permissionRefresh).channelRefresh(channelRefresh).initialRto(initialRto)
                .maxTransmissions(maxTransmissions).timeLimit(timeLimit).closeTimeout(closeTimeout)
                .maxQueuedPerPeer(maxQueuedPerPeer).fingerprint(fingerprint).pipeConf(pipeConf).transport(transport)
                .tls(tls).permissionLifetime(permissionLifetime).channelLifetime(channelLifetime);
        software.ifPresent(b::software);
        bind.ifPresent(b::bind);
        peer.ifPresent(b::peer);
        return b;
    }

    @Override
    public String toString() {
        return "TurnConfig[" + credentials + ", " + family + ", lifetime " + lifetime + ", channels " + channels + ", control "
                + transport + "]";
    }

    public static final class Builder {
        private final StunCredentials credentials;
        private Family family = Family.V4;
        private Duration lifetime = Duration.ofSeconds(600);
        private boolean channels = true;
        private Duration permissionRefresh = Duration.ofSeconds(240);
        private Duration channelRefresh = Duration.ofSeconds(300);
        private Duration initialRto = Duration.ofMillis(250);
        private int maxTransmissions = 7;
        private Duration timeLimit = Duration.ofSeconds(5);
        private Duration closeTimeout = Duration.ofSeconds(2);
        private int maxQueuedPerPeer = 64;
        private String software;
        private boolean fingerprint = true;
        private InetSocketAddress bind;
        private PipeConf pipeConf = PipeConf.defaults();
        private InetSocketAddress peer;
        private TurnTransport transport = TurnTransport.UDP;
        private Tls tls = Tls.verifying();
        private Duration permissionLifetime = Duration.ofSeconds(300);
        private Duration channelLifetime = Duration.ofMinutes(10);

        private Builder(StunCredentials credentials) {
            this.credentials = credentials;
        }

        public Builder family(Family v) { family = v; return this; }
        public Builder lifetime(Duration v) { lifetime = v; return this; }
        public Builder channels(boolean v) { channels = v; return this; }
        public Builder permissionRefresh(Duration v) { permissionRefresh = v; return this; }
        public Builder channelRefresh(Duration v) { channelRefresh = v; return this; }
        public Builder initialRto(Duration v) { initialRto = v; return this; }
        public Builder maxTransmissions(int v) { maxTransmissions = v; return this; }
        public Builder timeLimit(Duration v) { timeLimit = v; return this; }
        public Builder closeTimeout(Duration v) { closeTimeout = v; return this; }
        public Builder maxQueuedPerPeer(int v) { maxQueuedPerPeer = v; return this; }
        public Builder software(String v) { software = Objects.requireNonNull(v, "software"); return this; }
        public Builder fingerprint(boolean v) { fingerprint = v; return this; }
        public Builder bind(InetSocketAddress v) { bind = Objects.requireNonNull(v, "bind"); return this; }
        public Builder pipeConf(PipeConf v) { pipeConf = v; return this; }
        public Builder peer(InetSocketAddress v) { peer = Objects.requireNonNull(v, "peer"); return this; }
        public Builder transport(TurnTransport v) { transport = Objects.requireNonNull(v, "transport"); return this; }
        /** The TLS trust of the control connection; {@link #transport} must be TLS for it to be used. */
        public Builder tls(Tls v) { tls = Objects.requireNonNull(v, "tls"); return this; }
        /** The server's permission lifetime, when it is not the RFC's 300 s (coturn's --permission-lifetime). */
        public Builder permissionLifetime(Duration v) { permissionLifetime = v; return this; }
        /** The server's channel lifetime, when it is not the RFC's 10 minutes (coturn's --channel-lifetime). */
        public Builder channelLifetime(Duration v) { channelLifetime = v; return this; }

        public TurnConfig build() {
            return new TurnConfig(credentials, family, lifetime, channels, permissionRefresh, channelRefresh,
                    initialRto, maxTransmissions, timeLimit, closeTimeout, maxQueuedPerPeer,
                    Optional.ofNullable(software), fingerprint, Optional.ofNullable(bind), pipeConf,
                    Optional.ofNullable(peer), transport, tls, permissionLifetime, channelLifetime);
        }
    }
}
