package io.p2pd.node.punch;

import io.netty.channel.EventLoop;
import io.p2pd.net.EventLoops;
import io.p2pd.pipe.ConnectTimeoutException;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.PipeConf;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.TcpOptions;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * The open of a punch, on Netty: from the agreed start, each candidate binds its local port (SO_REUSEADDR and
 * SO_REUSEPORT) and connects to the peer's predicted external address, again and again until the window ends.
 * Candidates run in parallel; every connection that completes runs the {@link PunchProof}: the initiator chooses
 * the first whose peer proved itself and proves itself on that one alone, so the answering side proves (and takes)
 * the same one. All other connections, and attempts still pending, are closed.
 *
 * <p>Between two sides without a NAT (both say so in the exchange) the SYNs carry a TCP-MD5 signature (RFC 2385;
 * native transport only) keyed by the ECDH secret of the two node keys and the pipe id: a host's stack answers a SYN for a port with no socket in SYN_SENT by a
 * reset, which would end the attempt at once and leave the two SYNs microseconds to cross. The reset is unsigned, so
 * the attempt drops it and its SYN stays pending until the peer's arrives, a deterministic simultaneous open (the
 * loopback tests are one). Through a NAT the signature cannot be used (it covers the addresses and ports the NAT
 * rewrites); a NAT either drops a SYN it has no mapping for (ours then stays pending, and its mapping open, until
 * the peer's SYN comes through) or refuses it with a reset as a Linux router does (the retries below).
 *
 * <p>Retries: a refused SYN (the peer's stack or NAT answered with a reset: no NAT, a LAN, or a NAT that refuses what
 * it has no mapping for) is sent again at once, after a random pause under {@link #REFUSED_JITTER}. Through two NATs
 * that refuse, our NAT keeps our mapping open for the peer's SYN only while ours is on its way (a Linux router ends
 * an unanswered mapping on the peer router's reset), so the two sides' SYNs get through only where they cross on
 * the way (in the lab, two routers on one machine, a span of some ten microseconds): the pause must stay short (the
 * more attempts, the more crossings; a pause under 1 ms missed 5 lab tries in 150 where one under 0.25 ms missed 3
 * in 200) and must vary (two sides retrying on one fixed period keep their phase and can miss each other for the
 * whole window, as a 10 ms floor did).
 *
 * <p>Each attempt is also given up after {@link #attemptLimit} when it is neither answered nor refused, and sent
 * again: when only one of two SYNs crossed, or a reset was lost, our socket waits (in SYN_SENT or SYN_RECV) for the
 * kernel's own retransmission one second later while the router has already ended our mapping, so nothing can get
 * through; in the lab such a stall was behind the misses traced and the one-second tail (issue 15). It starts at
 * {@link #ATTEMPT_FLOOR} or twice the slowest refusal seen (a refusal measures the round trip to the peer's NAT),
 * and doubles with each attempt in a row that ran out unanswered (a NAT that drops, or a long path, needs the
 * SYN to stay pending longer). At most {@value #MAX_ATTEMPTS} attempts per candidate bound the SYNs a peer's
 * resets can draw from us, and their target is only the peer's signed address. A local port still held by the last
 * attempt is tried again after {@link #BUSY_RETRY}.
 *
 * <p>An attempt counts as finished when its socket has closed, not when its future completed: a cancelled connect
 * closes its socket a moment later, and {@code settled} promises that nothing but the winner is left open.
 */
final class PunchOpen {
    static final int MAX_ATTEMPTS = 4000;
    static final Duration REFUSED_JITTER = Duration.ofNanos(250_000);
    /** The least time an attempt is given before it is sent again (see {@link #attemptLimit}). */
    static final Duration ATTEMPT_FLOOR = Duration.ofMillis(50);
    static final Duration BUSY_RETRY = Duration.ofMillis(5);
    static final Duration OTHER_RETRY = Duration.ofMillis(50);
    /** How long the proof and the marker may take past the window. */
    static final Duration PROOF_LIMIT = Duration.ofSeconds(2);

    /** One candidate: our local address, the peer's predicted external one. */
    record Pair(InetSocketAddress local, InetSocketAddress remote) {
    }

    /** The connection both sides use. */
    record Won(io.p2pd.node.connect.ProvenPipe proven, Pair pair, long connectedNanos) {
        Pipe pipe() {
            return proven.pipe();
        }
    }

    private final List<Pair> pairs;
    private final boolean initiator;
    private final PunchProof proof;
    private final String session;
    private final long startNanos;
    private final long endNanos;
    private static final PipeConf ATTEMPT = PipeConf.builder().reuseAddr(true).build();
    private final EventLoop timer = EventLoops.shared().next();
    private final CompletableFuture<Won> result = new CompletableFuture<>();
    private final Object lock = new Object();
    private final List<Pipe> live = new ArrayList<>();
    private final java.util.Set<CompletableFuture<Pipe>> opening = new java.util.HashSet<>();
    /** The sockets of the attempts, until each closes (the winner's leaves once it wins). */
    private final java.util.Set<CompletableFuture<Void>> sockets = new java.util.HashSet<>();
    /** Completes once nothing of the open is left: no attempt pending, every connection but the winner closed. */
    private final CompletableFuture<Void> settled = new CompletableFuture<>();
    private final int[] attempts;
    /** Per candidate: attempts in a row given up unanswered, and the slowest refusal seen (nanoseconds). */
    private final int[] unanswered;
    private final long[] slowestRefusal;
    private boolean stopped;
    /** Set, under the lock, as a connection wins: the open no longer fails once its window ends. */
    private boolean won;
    private int inFlight;
    private Throwable proofFailure;

    private final Optional<byte[]> md5Key;
    private final io.p2pd.node.id.NodeId peer;
    /** The initiator's race: the first connection whose peer proved itself claims the win. */
    private final java.util.concurrent.atomic.AtomicBoolean claimed = new java.util.concurrent.atomic.AtomicBoolean();

    private PunchOpen(List<Pair> pairs, boolean initiator, PunchProof proof, String session, long startNanos,
            Duration window, Optional<byte[]> md5Key, io.p2pd.node.id.NodeId peer) {
        this.md5Key = md5Key;
        this.peer = peer;
        this.pairs = List.copyOf(pairs);
        this.initiator = initiator;
        this.proof = proof;
        this.session = session;
        this.startNanos = startNanos;
        this.endNanos = startNanos + window.toNanos();
        this.attempts = new int[pairs.size()];
        this.unanswered = new int[pairs.size()];
        this.slowestRefusal = new long[pairs.size()];
    }

    /**
     * Starts the open at {@code startNanos} ({@link System#nanoTime()}); completes with the winner or fails.
     * {@code settled} is told when nothing of it is left open but the winner.
     */
    static PunchOpen run(CompletableFuture<Void> settledOut, List<Pair> pairs, boolean initiator, PunchProof proof, String session,
            long startNanos, Duration window, Optional<byte[]> md5Key, io.p2pd.node.id.NodeId peer) {
        PunchOpen open = new PunchOpen(pairs, initiator, proof, session, startNanos, window, md5Key, peer);
        open.settled.whenComplete((v, e) -> settledOut.complete(null));
        long delay = Math.max(0, startNanos - System.nanoTime());
        for (int i = 0; i < pairs.size(); i++) {
            int index = i;
            open.timer.schedule(() -> open.attempt(index), delay, TimeUnit.NANOSECONDS);
        }
        open.timer.schedule(open::windowEnded, Math.max(0, open.endNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        return open;
    }

    /** Completes with the winner, or fails. */
    CompletableFuture<Won> result() {
        return result;
    }

    /** Gives the open up (its punch was cancelled or closed): fails it with {@code why} and closes all it opened. */
    void stop(PunchException why) {
        fail(why);
    }

    /**
     * How long an attempt may stay unanswered before it is sent again: {@link #ATTEMPT_FLOOR} or twice the slowest
     * refusal, doubled for each earlier attempt in a row that ran out, and never past the window.
     */
    static long attemptLimit(long slowestRefusalNanos, int unansweredInARow, long leftNanos) {
        long base = Math.max(ATTEMPT_FLOOR.toNanos(), 2 * slowestRefusalNanos);
        long limit = base << Math.min(unansweredInARow, 20);
        return Math.max(1_000_000, Math.min(limit, leftNanos));
    }

    private void attempt(int i) {
        long began = System.nanoTime();
        long left = endNanos - began;
        long limit;
        synchronized (lock) {
            if (stopped || left <= 0 || attempts[i] >= MAX_ATTEMPTS) {
                return;
            }
            attempts[i]++;
            inFlight++;
            limit = attemptLimit(slowestRefusal[i], unanswered[i], left);
        }
        Pair pair = pairs.get(i);
        CompletableFuture<Pipe> opening;
        CompletableFuture<Void> socket;
        try {
            Pipes.TcpOpener opener = Pipes.tcp().bind(pair.local()).dest(pair.remote()).conf(ATTEMPT)
                    .tcp(TcpOptions.builder().conTimeout(Duration.ofNanos(limit)).build());
            md5Key.ifPresent(key -> opener.md5Key(pair.remote().getAddress(), key));
            opening = opener.open();
            socket = opener.socketClosed();
        } catch (IllegalArgumentException | IllegalStateException e) {
            synchronized (lock) {
                inFlight--;
            }
            fail(new PunchException(PunchException.Step.NO_CONNECTION_IN_WINDOW, e.getMessage(), e));
            return;
        }
        boolean stopNow;
        synchronized (lock) {
            this.opening.add(opening);
            sockets.add(socket);
            stopNow = stopped; // stopped after the check above: cancelPending may have missed this one
        }
        socket.whenComplete((v, e) -> {
            synchronized (lock) {
                sockets.remove(socket);
            }
            finishIfIdle();
        });
        if (stopNow) {
            opening.cancel(false);
        }
        opening.whenComplete((pipe, e) -> {
            boolean late;
            synchronized (lock) {
                this.opening.remove(opening);
                inFlight--;
                late = stopped;
                if (pipe != null && !late) {
                    live.add(pipe);
                }
            }
            if (pipe != null) {
                if (late) {
                    pipe.closeAsync();
                    finishIfIdle();
                } else {
                    connected(pipe, socket, pair, System.nanoTime());
                }
                return;
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof ConnectException || cause instanceof ConnectTimeoutException) {
                synchronized (lock) {
                    if (cause instanceof ConnectTimeoutException) {
                        unanswered[i]++;
                    } else {
                        unanswered[i] = 0;
                        slowestRefusal[i] = Math.max(slowestRefusal[i], System.nanoTime() - began);
                    }
                }
                long pause = java.util.concurrent.ThreadLocalRandom.current().nextLong(REFUSED_JITTER.toNanos());
                timer.schedule(() -> attempt(i), pause, TimeUnit.NANOSECONDS);
            } else if (cause instanceof BindException) {
                timer.schedule(() -> attempt(i), BUSY_RETRY.toNanos(), TimeUnit.NANOSECONDS);
            } else {
                timer.schedule(() -> attempt(i), OTHER_RETRY.toNanos(), TimeUnit.NANOSECONDS);
            }
            finishIfIdle();
        });
    }

    private void connected(Pipe pipe, CompletableFuture<Void> socket, Pair pair, long at) {
        pipe.closeFuture().thenRun(() -> {
            synchronized (lock) {
                live.remove(pipe);
            }
            finishIfIdle();
        });
        Duration limit = Duration.ofNanos(Math.max(0, endNanos - System.nanoTime())).plus(PROOF_LIMIT);
        Optional<java.util.function.BooleanSupplier> claim = initiator
                ? Optional.of(() -> claimed.compareAndSet(false, true)) : Optional.empty();
        proof.prove(pipe, peer, session, limit, claim).whenComplete((proven, e) -> {
            if (e != null) {
                synchronized (lock) {
                    proofFailure = e;
                }
                pipe.closeAsync();
            } else {
                win(proven, socket, pair, at);
            }
        });
    }

    private void win(io.p2pd.node.connect.ProvenPipe proven, CompletableFuture<Void> socket, Pair pair, long at) {
        Pipe pipe = proven.pipe();
        List<Pipe> others;
        synchronized (lock) {
            if (result.isDone() || won) {
                pipe.closeAsync();
                return;
            }
            won = true;
            stopped = true;
            live.remove(pipe);
            sockets.remove(socket); // the caller's now
            others = List.copyOf(live);
        }
        others.forEach(Pipe::closeAsync);
        cancelPending();
        if (!result.complete(new Won(proven, pair, at))) {
            pipe.closeAsync();
        }
        finishIfIdle();
    }

    private void windowEnded() {
        synchronized (lock) {
            stopped = true;
        }
        cancelPending();
        finishIfIdle();
    }

    private void cancelPending() {
        List<CompletableFuture<Pipe>> pending;
        synchronized (lock) {
            pending = List.copyOf(opening);
        }
        pending.forEach(f -> f.cancel(false));
    }

    /** Fails the open once the window is over and nothing is left to win; tells when all is closed. */
    private void finishIfIdle() {
        Throwable why;
        synchronized (lock) {
            if (stopped && live.isEmpty() && inFlight == 0 && sockets.isEmpty() && result.isDone()) {
                settled.complete(null);
            }
            if (won || result.isDone() || System.nanoTime() < endNanos || !live.isEmpty() || inFlight > 0) {
                return;
            }
            stopped = true;
            why = proofFailure;
        }
        fail(why != null
                ? new PunchException(PunchException.Step.PROOF_FAILED, "connections were made but none proved the "
                        + "peer: " + message(why), why)
                : new PunchException(PunchException.Step.NO_CONNECTION_IN_WINDOW, "no candidate connected within "
                        + Duration.ofNanos(endNanos - startNanos).toMillis() + " ms"));
    }

    private void fail(PunchException e) {
        List<Pipe> all;
        synchronized (lock) {
            stopped = true;
            all = List.copyOf(live);
        }
        all.forEach(Pipe::closeAsync);
        cancelPending();
        result.completeExceptionally(e);
        finishIfIdle();
    }

    static String message(Throwable e) {
        Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
