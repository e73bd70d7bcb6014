package io.p2pd.stun;

import io.p2pd.internal.LoopSafeFuture;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * STUN over one local UDP socket: several binding requests, one after another or at once, to one or
 * several servers. The socket is not connected, so replies are taken from any source (a CHANGE-REQUEST
 * reply comes from the server's other IP or port) and matched by transaction id alone. This is what NAT
 * detection needs: the same local port for every test.
 *
 * <p>Each request is retransmitted (RFC 8489 section 6.2.1): first after {@link StunClientConfig#initialRto()},
 * then after twice that, and so on, at most {@link StunClientConfig#maxTransmissions()} times, and fails with
 * {@link StunTimeoutException} when {@link StunClientConfig#timeLimit()} has passed. Both clocks start when the
 * request has been written to the socket, not when it was asked for: a request that waits behind a busy or cold
 * event loop still gets its whole time. Cancelling a returned future stops its retransmissions.
 */
public final class StunSession implements AutoCloseable {
    private final StunClientConfig config;
    private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong ignored = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong unsigned = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile DatagramTransport transport;

    private StunSession(StunClientConfig config) {
        this.config = config;
    }

    /**
     * Binds a UDP socket to {@code local} (port 0 for any) and completes with the session, or fails with the
     * bind error (e.g. {@link java.net.BindException}).
     */
    public static CompletableFuture<StunSession> open(InetSocketAddress local, StunClientConfig config) {
        Objects.requireNonNull(local, "local");
        return open(config, receiver -> PipeDatagramTransport.open(local, receiver));
    }

    /** The seam for other transports (the project's UDP pipes): the factory gets the session's receiver. */
    static CompletableFuture<StunSession> open(StunClientConfig config,
            Function<DatagramTransport.Receiver, CompletableFuture<DatagramTransport>> transportFactory) {
        Objects.requireNonNull(config, "config");
        StunSession s = new StunSession(config);
        return LoopSafeFuture.of(transportFactory.apply(s::onDatagram)).thenApply(t -> {
            s.transport = t;
            return s;
        });
    }

    /** The local socket address requests are sent from. */
    public InetSocketAddress localAddress() {
        return transport.localAddress();
    }

    public StunClientConfig config() {
        return config;
    }

    /** A binding request to {@code server}. */
    public CompletableFuture<StunResult> binding(InetSocketAddress server) {
        return binding(server, false, false);
    }

    /**
     * A binding request to {@code server} with a CHANGE-REQUEST when either flag is set (the answer is then
     * expected from the server's other IP and/or port).
     *
     * @return the result; fails with {@link StunTimeoutException}, {@link StunErrorResponseException},
     *         {@link StunProtocolException}, {@link ClosedChannelException} when the session is closed first,
     *         or the transport's I/O error when the request cannot be sent
     */
    public CompletableFuture<StunResult> binding(InetSocketAddress server, boolean changeIp, boolean changePort) {
        return binding(server, changeIp, changePort, config.timeLimit());
    }

    /**
     * {@link #binding(InetSocketAddress, boolean, boolean)} with its own time limit instead of the configuration's
     * (a second, longer try after a silent first one).
     */
    public CompletableFuture<StunResult> binding(InetSocketAddress server, boolean changeIp, boolean changePort,
                                                 Duration timeLimit) {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(timeLimit, "timeLimit");
        if (timeLimit.isNegative() || timeLimit.isZero()) {
            throw new IllegalArgumentException("timeLimit must be positive: " + timeLimit);
        }
        if (closed.get()) {
            return LoopSafeFuture.failed(new ClosedChannelException());
        }
        StunMessage request = StunClient.request(config, changeIp, changePort);
        Pending p = new Pending(server, request.encode(), new LoopSafeFuture<>(), timeLimit);
        String key = key(request);
        pending.put(key, p);
        p.future.whenComplete((r, e) -> {
            pending.remove(key, p);
            cancel(p.deadline);
            cancel(p.retransmit);
        });
        if (closed.get()) { // closed while we registered: close() may have missed this one
            p.future.completeExceptionally(new ClosedChannelException());
        }
        transmit(p, config.initialRto());
        return p.future;
    }

    private void transmit(Pending p, Duration rto) {
        if (p.future.isDone()) {
            return;
        }
        int sent = p.transmissions.incrementAndGet();
        transport.send(p.bytes, p.server).whenComplete((v, e) -> {
            if (e != null) {
                p.future.completeExceptionally(e);
                return;
            }
            // The clocks start once the request is on the wire (see the class comment).
            if (sent == 1) {
                p.deadline = transport.schedule(() -> p.future.completeExceptionally(
                        new StunTimeoutException(p.server, p.timeLimit, p.transmissions.get())), p.timeLimit);
            }
            if (sent < config.maxTransmissions()) {
                p.retransmit = transport.schedule(() -> transmit(p, rto.multipliedBy(2)), rto);
            }
            if (p.future.isDone()) { // completed while the timers were set: the completion missed them
                cancel(p.deadline);
                cancel(p.retransmit);
            }
        });
    }

    private void onDatagram(byte[] data, InetSocketAddress sender) {
        StunMessage m;
        try {
            m = StunMessage.decode(data);
        } catch (StunDecodeException e) {
            malformed.incrementAndGet();
            return;
        }
        Pending p = m.messageClass().isResponse() ? pending.get(key(m)) : null;
        if (p == null || m.method() != StunMessage.METHOD_BINDING) {
            ignored.incrementAndGet(); // not ours: unknown transaction (late, duplicate, forged), request, indication
            return;
        }
        if (m.hasFingerprint() && !m.checkFingerprint()) {
            malformed.incrementAndGet();
            return;
        }
        if (!StunClient.authentic(m, config)) {
            unsigned.incrementAndGet(); // dropped as if it never came: the request stays pending (RFC 8489 9.1.4)
            return;
        }
        try {
            p.future.complete(StunResult.of(p.server, localAddress(), sender, m));
        } catch (StunException e) {
            p.future.completeExceptionally(e);
        }
    }

    /** The cookie field is part of the key: an RFC 5389 request is only answered by a reply with the cookie. */
    private static String key(StunMessage m) {
        return Integer.toHexString(m.cookieField()) + HexFormat.of().formatHex(m.transactionId());
    }

    private static void cancel(Future<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    /** Responses dropped because no request of ours was waiting for them (wrong transaction id, class or method). */
    public long ignoredResponses() {
        return ignored.get();
    }

    /** Datagrams that were not STUN messages, or failed their FINGERPRINT. */
    public long malformedResponses() {
        return malformed.get();
    }

    /** Success responses dropped because they were not signed with this session's credentials. */
    public long unsignedResponses() {
        return unsigned.get();
    }

    /** Requests still waiting for an answer. */
    public int pendingRequests() {
        return pending.size();
    }

    /** Fails every waiting request with {@link ClosedChannelException} and closes the socket. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            pending.values().forEach(p -> p.future.completeExceptionally(new ClosedChannelException()));
            DatagramTransport t = transport;
            if (t != null) {
                t.close();
            }
        }
    }

    @Override
    public String toString() {
        return "StunSession[" + (transport == null ? "opening" : localAddress()) + "]";
    }

    private static final class Pending {
        final InetSocketAddress server;
        final byte[] bytes;
        final CompletableFuture<StunResult> future;
        final Duration timeLimit;
        final AtomicInteger transmissions = new AtomicInteger();
        volatile Future<?> deadline;
        volatile Future<?> retransmit;

        Pending(InetSocketAddress server, byte[] bytes, CompletableFuture<StunResult> future, Duration timeLimit) {
            this.server = server;
            this.bytes = bytes;
            this.future = future;
            this.timeLimit = timeLimit;
        }
    }
}
