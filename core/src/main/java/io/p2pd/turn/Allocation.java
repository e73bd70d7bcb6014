package io.p2pd.turn;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.internal.UdpPipeFactory;
import io.p2pd.net.EventLoops;
import io.p2pd.net.HostPort;
import io.p2pd.nic.Family;
import io.p2pd.pipe.Framing;
import io.p2pd.pipe.Message;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.PipeClosedException;
import io.p2pd.pipe.PipeConf;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import io.p2pd.pipe.TcpOptions;
import io.p2pd.stun.StunAttribute;
import io.p2pd.stun.StunDecodeException;
import io.p2pd.stun.StunErrorCode;
import io.p2pd.stun.StunMessage;
import io.p2pd.stun.StunMessage.MessageClass;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TURN allocation over a UDP control socket or a TCP or TLS control connection: the long-term credential exchange, the transactions with their
 * retransmissions, the refresh timers of the allocation, its permissions and its channels, and the data path both
 * ways. Everything but the counters and {@link #start} belongs to the event loop of the control socket.
 */
final class Allocation {
    private static final Logger LOG = LoggerFactory.getLogger(Allocation.class);
    private static final int UDP = 17;
    /**
     * SO_RCVBUF of the UDP control socket unless the relayed pipe's PipeConf names one: every peer's datagrams come
     * back through this one socket, and at 12,500 datagrams/s a 1 MiB buffer still lost 2-21% to the kernel while the
     * JVM was not reading (BENCHMARKS.md, TURN). The OS caps it at net.core.rmem_max.
     */
    static final int CONTROL_RECEIVE_BUFFER = 4 << 20;
    private static final String NONCE_COOKIE = "obMatJos2";
    /** The longest wait between two tries of a timed-out refresh. */
    private static final long MAX_RETRY_DELAY_MILLIS = 30_000;

    private final TurnConfig config;
    private final InetSocketAddress server;
    private final EventLoop loop;
    /** Over TCP and TLS: one connection, no retransmission, messages cut from the stream, ChannelData padded. */
    private final boolean stream;
    private final StreamFrames frames = new StreamFrames();
    /**
     * Datagram bytes written to a TCP or TLS control connection and not yet taken by the OS: above
     * {@link #MAX_UNSENT} a datagram is dropped and counted, as a full UDP socket buffer drops it, rather than queued
     * without bound behind a slow connection. On the loop.
     */
    private long unsent;
    private static final long MAX_UNSENT = 1 << 20;
    private Pipe control;
    private RelayChannel relay;
    /** REQUESTED-TRANSPORT: UDP, or TCP for an RFC 6062 relay (see TcpRelay). Set before the loop runs. */
    private int requestedTransport = UDP;
    /** Takes ConnectionAttempt indications of a TCP relay; null for a UDP one. */
    private java.util.function.Consumer<StunMessage> connectionAttempts;
    private Pipe pipe;

    // The long-term credential state (RFC 8489 section 9.2), learnt from the first 401.
    private String realm;
    private String nonce;
    private byte[] key;
    /** The server's PASSWORD-ALGORITHMS, echoed in every signed request; null when it sent none (MD5, RFC 5389). */
    private StunAttribute passwordAlgorithms;
    /** The algorithm of {@link #key}: the first of PASSWORD-ALGORITHMS this client supports, or MD5 without them. */
    private int passwordAlgorithm = StunMessage.PASSWORD_ALGORITHM_MD5;

    private InetSocketAddress relayed;
    private Optional<InetSocketAddress> mapped = Optional.empty();
    private volatile long lifetimeSeconds;
    private Optional<String> software = Optional.empty();

    private final Map<String, Transaction> transactions = new HashMap<>();
    private final Map<InetAddress, Permission> permissions = new HashMap<>();
    private final Map<InetSocketAddress, Binding> bindings = new HashMap<>();
    private final Map<Integer, Binding> byChannel = new HashMap<>();
    private int nextChannel = ChannelData.MIN_CHANNEL;
    private ScheduledFuture<?> refreshTimer;
    /** When the granted lifetime runs out (System.nanoTime), from the latest Allocate or Refresh. On the loop. */
    private long expiresAt;
    /** Refresh attempts that timed out since the last accepted one. On the loop. */
    private int refreshRetries;
    private CompletableFuture<Void> released;
    private volatile Throwable failure;
    /** Futures waiting for the counters to reach a state (tests of the refresh timers). On the loop. */
    private final java.util.List<Map.Entry<java.util.function.Predicate<TurnStats>, CompletableFuture<TurnStats>>>
            watchers = new java.util.ArrayList<>();

    private final AtomicLong sentChannelData = new AtomicLong();
    private final AtomicLong sentIndications = new AtomicLong();
    private final AtomicLong receivedChannelData = new AtomicLong();
    private final AtomicLong receivedIndications = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong ignored = new AtomicLong();
    private final AtomicLong unsigned = new AtomicLong();
    private final AtomicLong refreshes = new AtomicLong();
    private final AtomicLong permissionRefreshes = new AtomicLong();
    private final AtomicLong channelRefreshes = new AtomicLong();
    private final AtomicLong staleNonces = new AtomicLong();
    private final AtomicLong expiredPermissions = new AtomicLong();
    private final AtomicLong expiredChannels = new AtomicLong();

    private Allocation(TurnConfig config, InetSocketAddress server, EventLoop loop) {
        this.config = config;
        this.server = server;
        this.loop = loop;
        this.stream = config.transport().stream();
    }

    /** Opens the control socket, allocates, and completes with the allocation and its relayed pipe. */
    static CompletableFuture<TurnAllocation> start(InetSocketAddress server, TurnConfig config) {
        return start(server, config, UDP, null);
    }

    /**
     * As {@link #start(InetSocketAddress, TurnConfig)}, asking for a relay of {@code protocol} (REQUESTED-TRANSPORT:
     * 17 UDP, 6 TCP); {@code attempts}, when not null, takes the ConnectionAttempt indications (RFC 6062) on the loop.
     */
    static CompletableFuture<TurnAllocation> start(InetSocketAddress server, TurnConfig config, int protocol,
            java.util.function.Consumer<StunMessage> attempts) {
        EventLoop loop = config.pipeConf().loop().map(g -> g.next()).orElseGet(() -> EventLoops.shared().next());
        Allocation a = new Allocation(config, server, loop);
        a.requestedTransport = protocol;
        a.connectionAttempts = attempts;
        InetSocketAddress bind = config.bind().orElseGet(() -> new InetSocketAddress(
                server.getAddress() instanceof Inet6Address ? "::" : "0.0.0.0", 0));
        PipeConf controlConf = controlConf(config, loop);
        CompletableFuture<TurnAllocation> result = new LoopSafeFuture<>();
        a.openControl(bind, controlConf)
                .thenComposeAsync(control -> {
                    a.control = control;
                    return a.allocate().whenComplete((ok, e) -> {
                        if (e != null) {
                            control.closeAsync();
                        }
                    });
                }, loop)
                .whenComplete((allocation, e) -> {
                    if (e != null) {
                        result.completeExceptionally(unwrap(e));
                    } else if (!result.complete(allocation)) {
                        // The caller gave up (cancelled, timed out): nobody else will delete this allocation.
                        allocation.closeAsync();
                    }
                });
        return result;
    }

    /**
     * The UDP control socket's options: on the relayed pipe's loop, so the allocation's state has one thread, with a
     * receive buffer for the bursts of every peer at once, {@link #CONTROL_RECEIVE_BUFFER} or the pipe's own.
     */
    static PipeConf controlConf(TurnConfig config, EventLoop loop) {
        int asked = config.pipeConf().receiveBuffer();
        return PipeConf.builder().loop(loop).receiveBuffer(asked > 0 ? asked : CONTROL_RECEIVE_BUFFER).build();
    }

    /** The UDP control socket, or the TCP or TLS control connection to the server. */
    private CompletableFuture<Pipe> openControl(InetSocketAddress bind, PipeConf udpConf) {
        if (!stream) {
            return Pipes.udp().bind(bind).conf(udpConf).msgHandler(MsgHandler.plain((msg, p) -> onControl(msg)))
                    .open();
        }
        // Raw chunks: the stream mixes STUN messages and ChannelData, which StreamFrames tells apart.
        TcpOptions.Builder tcp = TcpOptions.builder().framing(Framing.raw()).conTimeout(config.timeLimit())
                .sslHandshake(config.timeLimit());
        if (config.transport() == TurnTransport.TLS) {
            tcp.tls(config.tls());
        }
        PipeConf conf = PipeConf.builder().loop(loop).readerLimit(1 << 16).build();
        Pipes.TcpOpener opener = Pipes.tcp().dest(server).conf(conf).tcp(tcp.build())
                .msgHandler(MsgHandler.plain((msg, p) -> onStreamBytes(msg.data())));
        config.bind().ifPresent(opener::bind);
        return opener.open().thenApply(pipe -> {
            pipe.addEndHandler(ended -> loop.execute(() -> controlEnded(ended.closeCause())));
            return pipe;
        });
    }

    /** The control connection ended: unless we closed it, the allocation is gone with it (RFC 8656 section 3.1). */
    private void controlEnded(Optional<Throwable> cause) {
        if (released != null) {
            return;
        }
        lost(new TurnConnectionLostException("the " + config.transport() + " control connection to TURN server "
                + HostPort.of(server) + " ended" + cause.map(c -> " (" + describe(c) + ")").orElse(" (closed by the "
                + "server)") + "; the allocation ends with it"));
    }

    /** Fails every open request at once with {@code cause} (nothing can answer them) and ends the allocation. */
    private void lost(TurnException cause) {
        for (Transaction t : java.util.List.copyOf(transactions.values())) {
            t.future.completeExceptionally(cause);
        }
        fail(cause);
    }

    private static String describe(Throwable t) {
        return t.getMessage() != null ? t.getClass().getSimpleName() + ": " + t.getMessage()
                : t.getClass().getSimpleName();
    }

    // ---------------------------------------------------------------- allocating

    private CompletableFuture<TurnAllocation> allocate() {
        return notTurnIfSilent(transact(this::allocateRequest, "Allocate")).thenCompose(first -> {
            if (first.messageClass() == MessageClass.SUCCESS_RESPONSE) {
                return LoopSafeFuture.failed(new TurnProtocolException("TURN server " + HostPort.of(server)
                        + " allocated without asking for credentials; refused (this client authenticates)"));
            }
            StunErrorCode error = errorOf(first);
            if (error.code() != StunErrorCode.UNAUTHORIZED) {
                return LoopSafeFuture.failed(allocateRefused(error));
            }
            if (first.realm().isEmpty() || first.nonce().isEmpty()) {
                return LoopSafeFuture.failed(new TurnProtocolException("TURN server " + HostPort.of(server)
                        + " answered 401 without REALM and NONCE: not the long-term credential mechanism"));
            }
            Optional<TurnProtocolException> unusable = learnCredentials(first);
            if (unusable.isPresent()) {
                return LoopSafeFuture.failed(unusable.get());
            }
            return signed(this::allocateRequest, "Allocate");
        }).thenCompose(this::allocated);
    }

    /**
     * A server that never answers Allocate may be a STUN server that drops what it does not know (coturn with
     * --stun-only does): one Binding request tells that apart from a server that is not there.
     */
    private CompletableFuture<StunMessage> notTurnIfSilent(CompletableFuture<StunMessage> allocate) {
        return allocate.exceptionallyCompose(e -> {
            Throwable cause = unwrap(e);
            if (!(cause instanceof TurnTimeoutException)) {
                return LoopSafeFuture.failed(cause);
            }
            return transact(StunMessage::bindingRequest, "Binding").handle((binding, none) -> binding != null
                    && binding.messageClass() == MessageClass.SUCCESS_RESPONSE
                    ? new TurnNotSupportedException("server " + HostPort.of(server) + " is not a TURN server: it "
                            + "answers STUN Binding requests but never answered Allocate", 0)
                    : cause).thenCompose(t -> LoopSafeFuture.<StunMessage>failed(t));
        });
    }

    private StunMessage.Builder allocateRequest() {
        StunMessage.Builder b = StunMessage.builder(StunMessage.METHOD_ALLOCATE, MessageClass.REQUEST)
                .requestedTransport(requestedTransport).lifetime(config.lifetime().toSeconds());
        if (config.family() == Family.V6) {
            b.requestedAddressFamily(2);
        }
        return b;
    }

    /** An error to the Allocate that says the server does not do TURN at all, or the typed refusal. */
    private TurnException allocateRefused(StunErrorCode error) {
        if (error.code() == StunErrorCode.BAD_REQUEST || error.code() == StunErrorCode.UNKNOWN_ATTRIBUTE
                || error.code() == 405) {
            return new TurnNotSupportedException("server " + HostPort.of(server) + " is not a TURN server: it "
                    + "answered Allocate with " + error, error.code());
        }
        return TurnErrorResponseException.of(server, "Allocate", error);
    }

    /**
     * The realm, nonce and key from a 401, as RFC 8489 section 9.2.5 says: when the 401 carries PASSWORD-ALGORITHMS
     * (with or without the nonce cookie), the signed requests echo it, name the first algorithm on it this client
     * supports in PASSWORD-ALGORITHM (MD5 too), and are signed with MESSAGE-INTEGRITY-SHA256 only; without it, MD5
     * and MESSAGE-INTEGRITY. Empty, or why no signed retry may be made: a nonce cookie whose "password algorithms"
     * bit is set without PASSWORD-ALGORITHMS (a downgrade), or no algorithm this client supports.
     */
    private Optional<TurnProtocolException> learnCredentials(StunMessage challenge) {
        Optional<StunAttribute> offered = challenge.attribute(StunAttribute.PASSWORD_ALGORITHMS);
        String nonceValue = challenge.nonce().orElseThrow();
        if (offered.isEmpty() && passwordAlgorithmsBit(nonceValue)) {
            return Optional.of(new TurnProtocolException("TURN server " + HostPort.of(server) + " sent a nonce that "
                    + "announces PASSWORD-ALGORITHMS without the attribute (RFC 8489 section 9.2.5: no retry)"));
        }
        int chosen = StunMessage.PASSWORD_ALGORITHM_MD5;
        if (offered.isPresent()) {
            Optional<Integer> supported = challenge.passwordAlgorithms().stream()
                    .filter(a -> a == StunMessage.PASSWORD_ALGORITHM_MD5 || a == StunMessage.PASSWORD_ALGORITHM_SHA256)
                    .findFirst();
            if (supported.isEmpty()) {
                return Optional.of(new TurnProtocolException("TURN server " + HostPort.of(server) + " offers only "
                        + "password algorithms this client does not support: " + challenge.passwordAlgorithms()));
            }
            chosen = supported.get();
        }
        realm = challenge.realm().orElseThrow();
        nonce = nonceValue;
        passwordAlgorithms = offered.orElse(null);
        passwordAlgorithm = chosen;
        key = keyFor(realm);
        return Optional.empty();
    }

    private byte[] keyFor(String realmValue) {
        String user = config.credentials().username();
        String password = config.credentials().password();
        return passwordAlgorithm == StunMessage.PASSWORD_ALGORITHM_SHA256
                ? StunMessage.longTermKeySha256(user, realmValue, password)
                : StunMessage.longTermKey(user, realmValue, password);
    }

    /** RFC 8489 section 9.2: "obMatJos2" then the base64 of 24 feature bits; "password algorithms" is bit 0. */
    static boolean passwordAlgorithmsBit(String nonceValue) {
        if (!nonceValue.startsWith(NONCE_COOKIE) || nonceValue.length() < NONCE_COOKIE.length() + 4) {
            return false;
        }
        byte[] features;
        try {
            features = java.util.Base64.getDecoder().decode(nonceValue.substring(NONCE_COOKIE.length(),
                    NONCE_COOKIE.length() + 4));
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
        // Bit 0 is the last bit of the 24 (erratum 6290: the bits are numbered from the right; the RFC's own test
        // vector, "AAAC" with USERHASH, reads that way).
        return (features[2] & 0x01) != 0;
    }

    private CompletableFuture<TurnAllocation> allocated(StunMessage response) {
        Optional<InetSocketAddress> relayedAddress = response.xorRelayedAddress();
        if (relayedAddress.isEmpty()) {
            return LoopSafeFuture.failed(new TurnProtocolException("TURN server " + HostPort.of(server)
                    + " answered Allocate without XOR-RELAYED-ADDRESS"));
        }
        relayed = relayedAddress.get();
        mapped = response.xorMappedAddress();
        lifetimeSeconds = response.lifetime().orElse(config.lifetime().toSeconds());
        expiresAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(lifetimeSeconds);
        software = response.software();
        relay = new RelayChannel(this, relayed);
        CompletableFuture<TurnAllocation> result = new LoopSafeFuture<>();
        loop.register(relay).addListener(f -> {
            if (!f.isSuccess()) {
                release();
                result.completeExceptionally(f.cause());
                return;
            }
            try {
                pipe = UdpPipeFactory.over(relay, config.pipeConf(), config.peer());
            } catch (RuntimeException e) {
                relay.close();
                result.completeExceptionally(e);
                return;
            }
            scheduleRefresh();
            result.complete(new TurnAllocation(this));
        });
        return result;
    }

    // ---------------------------------------------------------------- refreshing

    /** Before the granted lifetime runs out: a minute before, or half way for lifetimes under two minutes. */
    static Duration refreshDelay(long lifetimeSeconds) {
        long millis = lifetimeSeconds * 1000;
        return Duration.ofMillis(lifetimeSeconds >= 120 ? millis - 60_000 : millis / 2);
    }

    private void scheduleRefresh() {
        refreshTimer = loop.schedule(this::refresh, refreshDelay(lifetimeSeconds).toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Refreshes the allocation. A refusal ends it at once; a timeout is tried again, with a back-off, until the
     * granted lifetime really ran out (the server may have been busy or a burst lost), and only then ends it.
     */
    private void refresh() {
        if (released != null) {
            return;
        }
        signed(() -> StunMessage.builder(StunMessage.METHOD_REFRESH, MessageClass.REQUEST)
                .lifetime(config.lifetime().toSeconds()), "Refresh").whenComplete((response, e) -> {
                    if (released != null) {
                        return;
                    }
                    if (e != null) {
                        Throwable cause = unwrap(e);
                        long retry = cause instanceof TurnTimeoutException ? retryDelay(refreshRetries, expiresAt) : -1;
                        if (retry < 0) {
                            fail(cause instanceof TurnTimeoutException timeout ? expired(timeout) : cause);
                            return;
                        }
                        refreshRetries++;
                        LOG.debug("TURN allocation {} via {}: refresh timed out, again in {} ms", relayed, server,
                                retry);
                        refreshTimer = loop.schedule(this::refresh, retry, TimeUnit.MILLISECONDS);
                        return;
                    }
                    refreshRetries = 0;
                    refreshes.incrementAndGet();
                    statsChanged();
                    lifetimeSeconds = response.lifetime().orElse(lifetimeSeconds);
                    expiresAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(lifetimeSeconds);
                    scheduleRefresh();
                });
    }

    private TurnTimeoutException expired(TurnTimeoutException last) {
        return new TurnTimeoutException(server, "Refresh (tried " + (refreshRetries + 1) + " times until the "
                + "allocation's lifetime of " + lifetimeSeconds + " s ran out)", last.timeLimit(), last.transmissions());
    }

    /**
     * The wait before trying a timed-out refresh again: the initial RTO doubled per earlier retry, at most 30 s and
     * at most half the time left; -1 once {@code expiresAtNanos} passed (what it refreshes is gone on the server).
     */
    private long retryDelay(int retries, long expiresAtNanos) {
        long left = TimeUnit.NANOSECONDS.toMillis(expiresAtNanos - System.nanoTime());
        if (left <= 0) {
            return -1;
        }
        long backOff = Math.min(config.initialRto().toMillis() << Math.min(retries, 20), MAX_RETRY_DELAY_MILLIS);
        return Math.min(backOff, left / 2);
    }

    /** The allocation is lost (a refresh failed): the relayed pipe ends, and {@link #failure()} says why. */
    private void fail(Throwable cause) {
        if (failure == null && released == null) {
            failure = cause;
            LOG.debug("TURN allocation {} via {} failed: {}", relayed, server, cause.toString());
        }
        if (relay != null) {
            relay.close();
        } else {
            release();
        }
    }

    // ---------------------------------------------------------------- permissions and channels

    /** A permission for {@code peer}'s IP; completes once the server installed it. Any thread. */
    CompletableFuture<Void> permit(InetSocketAddress peer) {
        CompletableFuture<Void> result = new LoopSafeFuture<>();
        loop.execute(() -> {
            if (released != null) {
                result.completeExceptionally(closed());
                return;
            }
            Permission p = permissions.get(peer.getAddress());
            if (p == null || p.installed.isCompletedExceptionally()) {
                p = newPermission(peer);
            }
            p.installed.whenComplete((v, e) -> {
                if (e != null) {
                    result.completeExceptionally(unwrap(e));
                } else {
                    result.complete(null);
                }
            });
        });
        return result;
    }

    private Permission newPermission(InetSocketAddress peer) {
        Permission p = new Permission(peer);
        permissions.put(peer.getAddress(), p);
        createPermission(p);
        return p;
    }

    private void createPermission(Permission p) {
        signed(() -> StunMessage.builder(StunMessage.METHOD_CREATE_PERMISSION, MessageClass.REQUEST)
                .xorPeerAddress(p.peer), "CreatePermission for " + HostPort.of(p.peer)).whenComplete((r, e) -> {
                    if (permissions.get(p.peer.getAddress()) != p || released != null) {
                        return;
                    }
                    if (e != null && p.refreshed) {
                        permissionRefreshFailed(p, unwrap(e));
                        return;
                    }
                    if (e != null) {
                        p.installed.completeExceptionally(unwrap(e));
                        dropped.addAndGet(p.queue.size());
                        p.queue.clear();
                        return;
                    }
                    if (p.refreshed) {
                        permissionRefreshes.incrementAndGet();
                        statsChanged();
                    }
                    p.accepted(config.permissionLifetime());
                    p.installed.complete(null);
                    while (!p.queue.isEmpty()) {
                        Queued q = p.queue.poll();
                        transmit(q.data, q.peer);
                    }
                    p.timer = loop.schedule(() -> refreshPermission(p), config.permissionRefresh().toMillis(),
                            TimeUnit.MILLISECONDS);
                });
    }

    /**
     * Refreshes {@code p}, unless its peer had no traffic either way for a whole permission lifetime. A TCP relay's
     * permissions are kept until close: its peers' bytes go over data connections this allocation never sees, and a
     * permit() there is what lets a peer dial in at all, so it would lapse silently while looking idle.
     */
    private void refreshPermission(Permission p) {
        if (requestedTransport == UDP && p.idleFor(config.permissionLifetime())) {
            // Idle: let the server's permission run out; the next datagram to that IP asks for a new one.
            expirePermission(p);
            return;
        }
        p.refreshed = true;
        createPermission(p);
    }

    private void expirePermission(Permission p) {
        permissions.remove(p.peer.getAddress());
        expiredPermissions.incrementAndGet();
        statsChanged();
    }

    /**
     * A permission refresh failed: a 437 means the server has no allocation for us any more, which ends it with that
     * cause; a timeout is tried again until the permission's lifetime runs out; anything else (or running out) lets
     * the permission go, and the next datagram to that IP asks for a new one.
     */
    private void permissionRefreshFailed(Permission p, Throwable cause) {
        if (endedOrRetried(p, cause, () -> createPermission(p))) {
            return;
        }
        LOG.debug("permission refresh for {} failed: {}", p.peer, cause.toString());
        if (cause instanceof TurnTimeoutException) {
            expirePermission(p);
        } else {
            permissions.remove(p.peer.getAddress());
        }
    }

    /**
     * The common part of a failed permission or channel refresh: true when it ended the allocation (the answer says
     * the server lost it) or {@code again} is scheduled (a timeout, with time left before {@code r} runs out); false
     * when the caller lets {@code r} go.
     */
    private boolean endedOrRetried(Refreshed r, Throwable cause, Runnable again) {
        if (allocationGone(cause)) {
            fail(cause);
            return true;
        }
        long retry = cause instanceof TurnTimeoutException ? retryDelay(r.retries, r.expiresAt) : -1;
        if (retry < 0) {
            return false;
        }
        r.retries++;
        r.timer = loop.schedule(again, retry, TimeUnit.MILLISECONDS);
        return true;
    }

    /** A refresh answer that means the server no longer holds this allocation (RFC 8656: 437 to this 5-tuple). */
    private static boolean allocationGone(Throwable cause) {
        return cause instanceof TurnAllocationMismatchException || cause instanceof TurnConnectionLostException;
    }

    private void bindChannel(Binding b) {
        signed(() -> StunMessage.builder(StunMessage.METHOD_CHANNEL_BIND, MessageClass.REQUEST)
                .channelNumber(b.number).xorPeerAddress(b.peer), "ChannelBind for " + HostPort.of(b.peer))
                .whenComplete((r, e) -> {
                    if (bindings.get(b.peer) != b || released != null) {
                        return;
                    }
                    if (e != null && b.bound) {
                        channelRefreshFailed(b, unwrap(e));
                        return;
                    }
                    if (e != null) {
                        // Indications still carry the data; the number is not reused for another peer.
                        LOG.debug("ChannelBind {} for {} failed: {}", b.number, b.peer, unwrap(e).toString());
                        b.failed = true;
                        return;
                    }
                    if (b.bound) {
                        channelRefreshes.incrementAndGet();
                        statsChanged();
                    }
                    b.bound = true;
                    b.accepted(config.channelLifetime());
                    b.timer = loop.schedule(() -> refreshChannel(b), config.channelRefresh().toMillis(),
                            TimeUnit.MILLISECONDS);
                });
    }

    /** Refreshes {@code b}, unless its peer had no traffic either way for a whole channel lifetime. */
    private void refreshChannel(Binding b) {
        if (b.idleFor(config.channelLifetime())) {
            expireChannel(b);
            return;
        }
        bindChannel(b);
    }

    /**
     * The channel is no longer refreshed and runs out on the server; data to the peer goes in indications. The next
     * datagram binds the same number to the same peer again: a new number could be refused while the server still
     * holds the old binding, and the old number may not go to another peer (RFC 8656 section 12).
     */
    private void expireChannel(Binding b) {
        b.bound = false;
        b.idle = true;
        expiredChannels.incrementAndGet();
        statsChanged();
    }

    /** As {@link #permissionRefreshFailed}, for a channel: 437 ends the allocation, a timeout is tried again. */
    private void channelRefreshFailed(Binding b, Throwable cause) {
        if (endedOrRetried(b, cause, () -> bindChannel(b))) {
            return;
        }
        LOG.debug("ChannelBind refresh {} for {} failed: {}", b.number, b.peer, cause.toString());
        expireChannel(b);
    }

    // ---------------------------------------------------------------- data

    /** A datagram the relayed pipe sends to {@code peer}. On the loop. */
    void sendToPeer(byte[] data, InetSocketAddress peer) {
        if (released != null || peer.isUnresolved()) {
            dropped.incrementAndGet();
            return;
        }
        Permission p = permissions.get(peer.getAddress());
        if (p == null || failedButRetryable(p)) {
            // A failure other than the server's refusal (a timeout, a lost answer) is asked again by the next
            // datagram, one request at a time: data queues behind it meanwhile.
            p = newPermission(peer);
        }
        p.lastTraffic = System.nanoTime();
        if (p.installed.isCompletedExceptionally()) {
            dropped.incrementAndGet();
        } else if (!p.installed.isDone()) {
            if (p.queue.size() >= config.maxQueuedPerPeer()) {
                dropped.incrementAndGet();
            } else {
                p.queue.add(new Queued(data, peer));
            }
        } else {
            transmit(data, peer);
        }
    }

    /** Whether {@code p} failed for a reason that may pass on another try: anything but a 403 (forbidden peer). */
    private static boolean failedButRetryable(Permission p) {
        return p.installed.isCompletedExceptionally()
                && !(unwrap(p.installed.exceptionNow()) instanceof TurnForbiddenException);
    }

    private PipeClosedException closed() {
        return new PipeClosedException("TURN allocation " + relayed + " via " + HostPort.of(server) + " is closed");
    }

    /** Sends to a permitted peer: over its channel once bound, in a Send indication until then. */
    private void transmit(byte[] data, InetSocketAddress peer) {
        Binding b = bindings.get(peer);
        if (b == null && config.channels() && nextChannel <= ChannelData.MAX_CHANNEL) {
            b = new Binding(peer, nextChannel++);
            bindings.put(peer, b);
            byChannel.put(b.number, b);
            bindChannel(b);
        } else if (b != null && b.idle) {
            b.idle = false;
            bindChannel(b);
        }
        if (stream && unsent >= MAX_UNSENT) {
            dropped.incrementAndGet();
            return;
        }
        if (b != null) {
            b.lastTraffic = System.nanoTime();
        }
        if (b != null && b.bound) {
            sentChannelData.incrementAndGet();
            sendData(ChannelData.encode(b.number, data, stream));
            return;
        }
        StunMessage.Builder send = StunMessage.builder(StunMessage.METHOD_SEND, MessageClass.INDICATION)
                .xorPeerAddress(peer).data(data);
        if (config.fingerprint()) {
            send.fingerprint();
        }
        sentIndications.incrementAndGet();
        sendData(send.build().encode());
    }

    /** A datagram for a peer, in ChannelData or a Send indication; over a stream, counted until written. */
    private void sendData(byte[] message) {
        if (!stream) {
            if (message.length > PipeConf.MAX_DATAGRAM) {
                // The pipe took it (the data fits a datagram), the TURN framing around it does not.
                droppedOne();
                return;
            }
            // A write the OS refuses (no buffer space, message too long) is a datagram lost here: counted.
            control.send(message, server).whenComplete((v, e) -> {
                if (e != null) {
                    loop.execute(this::droppedOne);
                }
            });
            return;
        }
        unsent += message.length;
        control.send(message).whenComplete((v, e) -> loop.execute(() -> {
            unsent -= message.length;
            if (e != null) {
                droppedOne();
            }
        }));
    }

    private void droppedOne() {
        dropped.incrementAndGet();
        statsChanged();
    }

    private CompletableFuture<Void> sendControl(byte[] message) {
        return stream ? control.send(message) : control.send(message, server);
    }

    /** A chunk of the control connection's stream: each whole message it completes. On the loop. */
    private void onStreamBytes(byte[] chunk) {
        java.util.List<byte[]> messages;
        try {
            messages = frames.add(chunk);
        } catch (StreamFrames.Garbled e) {
            lost(new TurnConnectionLostException("TURN server " + HostPort.of(server) + " sent " + e.getMessage()
                    + " on the " + config.transport() + " control connection"));
            return;
        }
        for (byte[] m : messages) {
            onControlMessage(m);
        }
    }

    /** Everything the UDP control socket receives. On the loop. */
    private void onControl(Message msg) {
        if (!msg.sender().equals(server)) {
            ignored.incrementAndGet();
            return;
        }
        onControlMessage(msg.data());
    }

    /** One STUN message or ChannelData message from the server. On the loop. */
    private void onControlMessage(byte[] d) {
        if (d.length > 0 && ChannelData.looksLikeChannelData(d[0])) {
            ChannelData.Frame frame = ChannelData.decode(d, d.length);
            Binding b = frame == null ? null : byChannel.get(frame.channel());
            if (b == null || relay == null) {
                ignored.incrementAndGet();
                return;
            }
            receivedChannelData.incrementAndGet();
            heardFrom(b.peer);
            byte[] data = new byte[frame.length()];
            System.arraycopy(d, frame.offset(), data, 0, frame.length());
            relay.deliver(data, b.peer);
            return;
        }
        StunMessage m;
        try {
            m = StunMessage.decode(d);
        } catch (StunDecodeException e) {
            ignored.incrementAndGet();
            return;
        }
        if (fingerprintBroken(m)) {
            ignored.incrementAndGet();
            return;
        }
        if (m.messageClass() == MessageClass.INDICATION && m.method() == StunMessage.METHOD_DATA) {
            Optional<InetSocketAddress> peer = m.xorPeerAddress();
            Optional<byte[]> data = m.data();
            if (peer.isEmpty() || data.isEmpty() || relay == null) {
                ignored.incrementAndGet();
                return;
            }
            receivedIndications.incrementAndGet();
            heardFrom(peer.get());
            relay.deliver(data.get(), peer.get());
            return;
        }
        if (m.messageClass() == MessageClass.INDICATION && m.method() == StunMessage.METHOD_CONNECTION_ATTEMPT
                && connectionAttempts != null && released == null) {
            connectionAttempts.accept(m);
            return;
        }
        if (m.messageClass().isResponse()) {
            onResponse(m);
        } else {
            ignored.incrementAndGet();
        }
    }

    /** Traffic from {@code peer} keeps its permission and channel from expiring as idle. */
    private void heardFrom(InetSocketAddress peer) {
        long now = System.nanoTime();
        Permission p = permissions.get(peer.getAddress());
        if (p != null) {
            p.lastTraffic = now;
        }
        Binding b = bindings.get(peer);
        if (b != null) {
            b.lastTraffic = now;
        }
    }

    void ignoredOne() {
        ignored.incrementAndGet();
    }

    // ---------------------------------------------------------------- transactions

    /**
     * A signed request: USERNAME, REALM, NONCE, (PASSWORD-ALGORITHMS and PASSWORD-ALGORITHM,) then
     * MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256. A 438 Stale Nonce is retried once with the new nonce; a success
     * completes it; an error response fails it with its typed exception.
     */
    private CompletableFuture<StunMessage> signed(Supplier<StunMessage.Builder> request, String what) {
        return transact(() -> sign(request.get()), what).thenCompose(first -> {
            if (first.messageClass() == MessageClass.ERROR_RESPONSE
                    && errorOf(first).code() == StunErrorCode.STALE_NONCE && first.nonce().isPresent()) {
                if (passwordAlgorithmsBit(first.nonce().get())
                        && first.attribute(StunAttribute.PASSWORD_ALGORITHMS).isEmpty()) {
                    return LoopSafeFuture.failed(new TurnProtocolException("TURN server " + HostPort.of(server)
                            + " answered " + what + " with 438 and a nonce that announces PASSWORD-ALGORITHMS without "
                            + "the attribute (RFC 8489 section 9.2.5: no retry)"));
                }
                staleNonces.incrementAndGet();
                nonce = first.nonce().get();
                if (first.realm().isPresent() && !first.realm().get().equals(realm)) {
                    // The key is derived from the realm: a new realm needs the new key.
                    realm = first.realm().get();
                    key = keyFor(realm);
                }
                return transact(() -> sign(request.get()), what);
            }
            return LoopSafeFuture.completed(first);
        }).thenCompose(response -> response.messageClass() == MessageClass.SUCCESS_RESPONSE
                ? LoopSafeFuture.completed(response)
                : LoopSafeFuture.failed(TurnErrorResponseException.of(server, what, errorOf(response))));
    }

    private StunMessage.Builder sign(StunMessage.Builder b) {
        b.username(config.credentials().username()).realm(realm).nonce(nonce);
        if (passwordAlgorithms != null) {
            b.add(passwordAlgorithms);
            b.add(StunAttribute.of(StunAttribute.PASSWORD_ALGORITHM,
                    new byte[] {(byte) (passwordAlgorithm >> 8), (byte) passwordAlgorithm, 0, 0}));
            b.messageIntegritySha256(key);
        } else {
            b.messageIntegrity(key);
        }
        return b;
    }

    /**
     * Sends a request and retransmits it over UDP as STUN does (RFC 8489 section 6.2.1) until a response comes or
     * the time limit passes. Completes with the response, success or error; a success response to a signed request
     * counts only when signed with our key (any other is dropped, as if it never came).
     */
    private CompletableFuture<StunMessage> transact(Supplier<StunMessage.Builder> make, String what) {
        StunMessage.Builder b = make.get();
        config.software().ifPresent(b::software);
        if (config.fingerprint()) {
            b.fingerprint();
        }
        StunMessage request = b.build();
        Transaction t = new Transaction(request, what, key != null && request.hasIntegrity()
                || request.hasIntegritySha256());
        String id = idOf(request);
        transactions.put(id, t);
        t.future.whenComplete((r, e) -> {
            transactions.remove(id);
            cancel(t.deadline);
            cancel(t.retransmit);
        });
        Duration limit = released != null ? min(config.closeTimeout(), config.timeLimit()) : config.timeLimit();
        t.deadline = loop.schedule(() -> t.future.completeExceptionally(t.unsignedSeen > 0 ? notSigned(t)
                : new TurnTimeoutException(server, what, limit, t.transmissions)), limit.toMillis(),
                TimeUnit.MILLISECONDS);
        transmit(t, config.initialRto());
        return t.future;
    }

    private void transmit(Transaction t, Duration rto) {
        if (t.future.isDone()) {
            return;
        }
        t.transmissions++;
        sendControl(t.bytes).whenComplete((v, e) -> {
            if (e != null) {
                t.future.completeExceptionally(e);
            }
        });
        // Over TCP and TLS the stream is reliable: one transmission, then only the time limit (RFC 8489 6.2.2).
        if (!stream && t.transmissions < config.maxTransmissions()) {
            t.retransmit = loop.schedule(() -> transmit(t, rto.multipliedBy(2)), rto.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    private void onResponse(StunMessage m) {
        Transaction t = transactions.get(idOf(m));
        if (t == null || m.method() != t.request.method()) {
            ignored.incrementAndGet();
            return;
        }
        if (t.signed && !acceptableAnswer(m, this::authentic)) {
            unsigned.incrementAndGet();
            t.unsignedSeen++;
            if (stream) {
                // Over a reliable transport the transaction ends at once (no retransmission could fix it).
                t.future.completeExceptionally(notSigned(t));
            }
            return;
        }
        t.future.complete(m);
    }

    private TurnProtocolException notSigned(Transaction t) {
        return new TurnProtocolException("TURN server " + HostPort.of(server) + " answered " + t.what + " only with "
                + t.unsignedSeen + " response(s) not signed with our key; refused");
    }

    /**
     * Whether a response to a signed request may be taken (RFC 8489 section 9.2.5): a success must carry our
     * signature, and any response that carries one (an error too) must carry ours; an error without one (401, 438,
     * most refusals) is taken as is. The one check of every signed exchange, on the control connection and on data
     * connections (ConnectionBinder).
     */
    static boolean acceptableAnswer(StunMessage m, java.util.function.Predicate<StunMessage> signedByUs) {
        boolean signedByServer = m.hasIntegrity() || m.hasIntegritySha256();
        return m.messageClass() != MessageClass.SUCCESS_RESPONSE && !signedByServer || signedByUs.test(m);
    }

    /** A message with a FINGERPRINT that does not match: damaged or not STUN, dropped as if it never came. */
    static boolean fingerprintBroken(StunMessage m) {
        return m.hasFingerprint() && !m.checkFingerprint();
    }

    /** Signed with our key, by the integrity attribute our request used. */
    private boolean authentic(StunMessage m) {
        return passwordAlgorithms != null ? m.checkIntegritySha256(key) : m.checkIntegrity(key);
    }

    private StunErrorCode errorOf(StunMessage m) {
        return m.errorCode().orElse(new StunErrorCode(StunErrorCode.SERVER_ERROR,
                "error response without ERROR-CODE"));
    }

    private static String idOf(StunMessage m) {
        return HexFormat.of().formatHex(m.transactionId());
    }

    // ---------------------------------------------------------------- closing

    /**
     * Deletes the allocation (Refresh with lifetime 0, waited for at most closeTimeout), then closes the control
     * socket. On the loop; idempotent.
     */
    CompletableFuture<Void> release() {
        if (released != null) {
            return released;
        }
        released = new LoopSafeFuture<>();
        cancel(refreshTimer);
        permissions.values().forEach(p -> {
            cancel(p.timer);
            dropped.addAndGet(p.queue.size());
            p.queue.clear();
            // A CreatePermission still in flight is answered into a released allocation, which ignores it: its
            // waiters learn the end here.
            p.installed.completeExceptionally(closed());
        });
        bindings.values().forEach(b -> cancel(b.timer));
        CompletableFuture<?> delete = key == null || relayed == null || failure != null
                ? LoopSafeFuture.completed(null)
                : signed(() -> StunMessage.builder(StunMessage.METHOD_REFRESH, MessageClass.REQUEST).lifetime(0),
                        "Refresh (delete)");
        CompletableFuture<Void> done = released;
        delete.whenComplete((r, e) -> {
            if (e != null) {
                LOG.debug("deleting TURN allocation {} via {}: {}", relayed, server, unwrap(e).toString());
            }
            control.closeAsync().whenComplete((v, x) -> done.complete(null));
        });
        return done;
    }

    // ---------------------------------------------------------------- what users read

    Pipe pipe() {
        return pipe;
    }

    InetSocketAddress relayedAddress() {
        return relayed;
    }

    Optional<InetSocketAddress> mappedAddress() {
        return mapped;
    }

    InetSocketAddress serverAddress() {
        return server;
    }

    InetSocketAddress controlAddress() {
        return control.localAddress();
    }

    Duration lifetime() {
        return Duration.ofSeconds(lifetimeSeconds);
    }

    Optional<String> software() {
        return software;
    }

    Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    TurnStats stats() {
        return new TurnStats(sentChannelData.get(), sentIndications.get(), receivedChannelData.get(),
                receivedIndications.get(), dropped.get(), ignored.get(), unsigned.get(), refreshes.get(),
                permissionRefreshes.get(), channelRefreshes.get(), staleNonces.get(), expiredPermissions.get(),
                expiredChannels.get());
    }

    /** Completes once the counters satisfy {@code condition}, checked after each refresh of any kind. */
    CompletableFuture<TurnStats> statsReach(java.util.function.Predicate<TurnStats> condition) {
        CompletableFuture<TurnStats> f = new LoopSafeFuture<>();
        loop.execute(() -> {
            watchers.add(Map.entry(condition, f));
            statsChanged();
        });
        return f;
    }

    private void statsChanged() {
        if (watchers.isEmpty()) {
            return;
        }
        TurnStats now = stats();
        for (var it = watchers.iterator(); it.hasNext(); ) {
            var w = it.next();
            if (w.getKey().test(now)) {
                w.getValue().complete(now);
                it.remove();
            }
        }
    }

    // ---------------------------------------------------------------- for TCP relays (RFC 6062, see TcpRelay)

    EventLoop loop() {
        return loop;
    }

    /** A signed request on the control connection (a Connect), as {@link #signed}. Any thread. */
    CompletableFuture<StunMessage> signedRequest(Supplier<StunMessage.Builder> request, String what) {
        CompletableFuture<StunMessage> result = new LoopSafeFuture<>();
        loop.execute(() -> {
            if (released != null) {
                result.completeExceptionally(closed());
                return;
            }
            signed(request, what).whenComplete((r, e) -> {
                if (e != null) {
                    result.completeExceptionally(unwrap(e));
                } else {
                    result.complete(r);
                }
            });
        });
        return result;
    }

    /**
     * {@code b} signed with this allocation's credentials, {@code nonce} (or the current one) and {@code realm} (or
     * the current one, with the key derived from it), with SOFTWARE and FINGERPRINT as configured: a request for
     * another connection to the server (a ConnectionBind). On the loop.
     */
    StunMessage signedElsewhere(StunMessage.Builder b, Optional<String> nonce, Optional<String> realm) {
        config.software().ifPresent(b::software);
        // The other connection's nonce and realm, when the server gave it some, are that connection's own: ours stay.
        String ownNonce = this.nonce;
        String ownRealm = this.realm;
        byte[] ownKey = this.key;
        this.nonce = nonce.orElse(ownNonce);
        this.realm = realm.orElse(ownRealm);
        this.key = keyOf(realm);
        sign(b);
        this.nonce = ownNonce;
        this.realm = ownRealm;
        this.key = ownKey;
        if (config.fingerprint()) {
            b.fingerprint();
        }
        return b.build();
    }

    /** Whether {@code m} is signed with this allocation's key, or the one for {@code realm} when given. */
    boolean signedByUs(StunMessage m, Optional<String> realm) {
        byte[] k = keyOf(realm);
        return passwordAlgorithms != null ? m.checkIntegritySha256(k) : m.checkIntegrity(k);
    }

    private byte[] keyOf(Optional<String> otherRealm) {
        return otherRealm.filter(r -> !r.equals(realm)).map(this::keyFor).orElse(key);
    }

    // ---------------------------------------------------------------- helpers

    static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static void cancel(java.util.concurrent.Future<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    private static final class Transaction {
        final StunMessage request;
        final byte[] bytes;
        final String what;
        final boolean signed;
        final CompletableFuture<StunMessage> future = new LoopSafeFuture<>();
        int transmissions;
        int unsignedSeen;
        ScheduledFuture<?> deadline;
        ScheduledFuture<?> retransmit;

        Transaction(StunMessage request, String what, boolean signed) {
            this.request = request;
            this.bytes = request.encode();
            this.what = what;
            this.signed = signed;
        }
    }

    private record Queued(byte[] data, InetSocketAddress peer) {
    }

    /** What the client refreshes per peer: its timer, and what decides whether and until when to refresh it. */
    private abstract static class Refreshed {
        ScheduledFuture<?> timer;
        /** The latest datagram to or from the peer (System.nanoTime). */
        long lastTraffic = System.nanoTime();
        /** When the server's side runs out unless refreshed, from the latest request it accepted (System.nanoTime). */
        long expiresAt;
        /** Refreshes that timed out since the last accepted one. */
        int retries;

        /** The server accepted it (again): it lives {@code lifetime} from now. */
        void accepted(Duration lifetime) {
            retries = 0;
            expiresAt = System.nanoTime() + lifetime.toNanos();
        }

        boolean idleFor(Duration lifetime) {
            return System.nanoTime() - lastTraffic >= lifetime.toNanos();
        }
    }

    /** A permission for one peer IP: installed once the server says so, refreshed while its peer has traffic. */
    private static final class Permission extends Refreshed {
        final InetSocketAddress peer;
        final CompletableFuture<Void> installed = new CompletableFuture<>();
        final ArrayDeque<Queued> queue = new ArrayDeque<>();
        boolean refreshed;

        Permission(InetSocketAddress peer) {
            this.peer = peer;
        }
    }

    /** A channel number bound (or being bound) to one peer address. */
    private static final class Binding extends Refreshed {
        final InetSocketAddress peer;
        final int number;
        boolean bound;
        boolean failed;
        /** Let go (idle, or its refreshes timed out until it ran out): bound again by the next datagram. */
        boolean idle;

        Binding(InetSocketAddress peer, int number) {
            this.peer = peer;
            this.number = number;
        }
    }
}
