package io.p2pd.pipe;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.p2pd.internal.LoopSafeFuture;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One object for every kind of endpoint: a TCP connection, a TCP server, a UDP client or server, over IPv4 or IPv6.
 * Open one with {@link Pipes}.
 *
 * <p>Received messages go, in arrival order per connection, to the message handlers and then to every matching
 * subscription: a subscription with a handler calls it, one without queues the message for {@link #recv}. Queues
 * are bounded ({@link PipeConf#maxQsize()}): a full UDP queue drops its oldest message and counts it in
 * {@link #stats()}; a full TCP queue stops reading from the connection until {@code recv} makes room, so no byte is
 * ever lost.
 *
 * <p>A TCP server pipe hands out one pipe per accepted connection ({@link #accept()}, {@link #connections()}); its
 * message handlers and subscriptions apply to every connection, and {@link #send(byte[], InetSocketAddress)} on it
 * writes to the connection from that address. A UDP pipe serves every peer: each message names its sender, and a
 * reply names its destination.
 *
 * <p>All methods are thread-safe. Methods that wait return a {@link CompletableFuture} that fails with a specific
 * exception: {@link PipeClosedException}, {@link RecvTimeoutException}, {@link java.net.ConnectException},
 * {@link java.net.UnknownHostException}, {@link java.net.BindException}. A misuse (an argument or a state that
 * cannot work) throws at once, unchecked: {@link IllegalArgumentException} or {@link IllegalStateException}.
 *
 * <p>Those futures complete on the pipe's event loop, which also runs the handlers. Their {@code join()} and
 * {@code get()} throw {@link BlockingOnEventLoopException} when called on an event loop thread before the future is
 * done, since waiting there could never end; compose instead.
 */
public abstract sealed class Pipe implements AutoCloseable permits TcpPipe, TcpServerPipe, UdpPipe {

    /*
     * The concurrency rule of this package. What changes per message (delivery in the Dispatcher, reading on and
     * off, a connection's write waits) belongs to the pipe's event loop: other threads hand such work over with
     * loop.execute and get a future back; nothing, on any thread, ever waits for a loop. Three things cross threads,
     * each in one way only:
     *  - registrations (message handlers, subscriptions, links, up and end handlers) may change on any thread: each
     *    list is an immutable array (or list) replaced under `lock`, and the loop reads a snapshot per message
     *    without locking, so the per-message path takes no lock of ours;
     *  - hand-off queues between the loop and callers (a SubQueue and its waiting recvs, a server's unclaimed
     *    connections, a server's duplicate memory shared by connections on several loops) keep their own monitor,
     *    held for a few lines and never while completing a future;
     *  - counters are atomics, flags the loop checks per message are volatile.
     * Handlers registered before open (Opener) are in place before the first read, so they see every message; one
     * added later from another thread sees the messages read after it is added. One in delivery at that instant may
     * reach only the handlers it started with, but is never lost: the catch-all queue the new handler replaces
     * either takes it first (and then stays, for recv) or refuses it, and the loop hands it to the handlers added
     * since (SubQueue.removeIfEmpty, Dispatcher.handOver).
     */

    private static final Logger LOG = LoggerFactory.getLogger(Pipe.class);
    static final MsgHandler[] NO_HANDLERS = {};
    private static final Subscription[] NO_SUBSCRIPTIONS = {};
    static final Pipe[] NO_LINKS = {};

    final PipeConf conf;
    final EventLoop loop;

    private final Object lock = new Object();
    private volatile MsgHandler[] msgHandlers = NO_HANDLERS;
    private volatile Subscription[] subscriptions = NO_SUBSCRIPTIONS;
    private volatile Pipe[] links = NO_LINKS;
    /**
     * The catch-all queue open() added because no handler was given: adding a handler removes it while empty,
     * linking sends what it holds down the link and removes it.
     */
    private volatile Sub implicit;
    /**
     * Set (before the link is published) by a link made off the loop while the catch-all queue exists: the loop
     * sends what that queue holds down the links before it forwards anything read later.
     */
    private volatile boolean drainFirst;
    /** Run once this pipe can take more writes (or has ended): sources linked to it resume reading. */
    private final ConcurrentLinkedQueue<Runnable> writableWaiters = new ConcurrentLinkedQueue<>();
    private final List<UpHandler> upHandlers = new ArrayList<>();
    private final List<EndHandler> endHandlers = new ArrayList<>();
    /** Per link target, the end handlers link() added: on the target, and on this pipe (or null). Under lock. */
    private final Map<Pipe, EndHandler[]> linkEndHandlers = new HashMap<>();
    private boolean up;
    /** Written under {@link #lock}; volatile so the per-message check in dispatcherIdle needs no lock. */
    private volatile boolean ended;
    /** The peer ended its output and this pipe stays open to send (TCP half-closure). */
    private volatile boolean inputEnded;

    private final AtomicBoolean closing = new AtomicBoolean();
    private final CompletableFuture<Void> closeFuture = new LoopSafeFuture<>();
    private volatile Throwable closeCause;

    final AtomicLong received = new AtomicLong();
    final AtomicLong receivedBytes = new AtomicLong();
    final AtomicLong sent = new AtomicLong();
    final AtomicLong sentBytes = new AtomicLong();
    final AtomicLong dropped = new AtomicLong();
    final AtomicLong oversized = new AtomicLong();
    final AtomicLong duplicates = new AtomicLong();
    final AtomicLong handlerErrors = new AtomicLong();
    private final AtomicLong peakPending = new AtomicLong();

    Pipe(PipeConf conf, EventLoop loop) {
        this.conf = conf;
        this.loop = loop;
        this.sharedRecentMessages = conf.enableMsgIds() && this instanceof TcpServerPipe
                ? new RecentMessages(conf.maxMsgIds()) : null;
    }

    // ---- what the pipe is ----

    public abstract Proto proto();

    /** The address the pipe's socket is bound to. */
    public abstract InetSocketAddress localAddress();

    /** The peer of a TCP connection, or the default destination of a client pipe; empty for servers. */
    public abstract Optional<InetSocketAddress> remoteAddress();

    /** Whether this pipe accepts connections (TCP) or answers any peer without a default destination (UDP). */
    public abstract boolean isServer();

    public final PipeConf conf() {
        return conf;
    }

    /** False once closing has begun, by either side. */
    public final boolean isOpen() {
        return !closing.get();
    }

    /** This pipe's counters now; a TCP server's add up those of its connections, open or ended. */
    public PipeStats stats() {
        return ownStats();
    }

    final PipeStats ownStats() {
        return new PipeStats(received.get(), receivedBytes.get(), sent.get(), sentBytes.get(), dropped.get(),
                oversized.get(), duplicates.get(), handlerErrors.get(), peakPending.get(), 0, 0, 0);
    }

    // ---- sending ----

    /**
     * Sends to the pipe's default destination; completes when the data is handed to the OS. The array is not
     * copied: do not change it until the returned future completes.
     *
     * <p>Fails with {@link PipeClosedException} once the pipe is closed; when the OS refuses the write, with the
     * exception a plain socket would give, naming the destination: {@link java.net.NoRouteToHostException} (no route,
     * network unreachable), {@link java.net.PortUnreachableException}, or another {@link java.net.SocketException}.
     *
     * @throws IllegalArgumentException for a message too large for a datagram or a length prefix
     * @throws IllegalStateException on a pipe without a default destination (a server), or after
     *                               {@link #shutdownOutput()}
     */
    public abstract CompletableFuture<Void> send(byte[] data);

    /**
     * Sends to {@code dest}: any address for UDP (an unresolved one is looked up), the connected peer for a TCP
     * connection, the connection from {@code dest} for a TCP server.
     */
    public abstract CompletableFuture<Void> send(byte[] data, InetSocketAddress dest);

    /**
     * Sends the bytes between {@code data}'s position and limit to the default destination, as {@link #send(byte[])}.
     * They are copied before this returns, and {@code data} is left as it was: a {@link MsgHandler#inPlace} handler
     * can send the view it was given. TCP connections and UDP pipes copy into a direct buffer, the form the OS reads
     * from, so without TLS (and, for UDP, with a resolved destination) that copy is the only one.
     */
    public CompletableFuture<Void> send(ByteBuffer data) {
        return send(bytesOf(data));
    }

    /**
     * Sends the bytes between {@code data}'s position and limit to {@code dest}, copied as by
     * {@link #send(ByteBuffer)}.
     */
    public CompletableFuture<Void> send(ByteBuffer data, InetSocketAddress dest) {
        return send(bytesOf(data), dest);
    }

    static byte[] bytesOf(ByteBuffer data) {
        byte[] bytes = new byte[data.remaining()];
        data.duplicate().get(bytes);
        return bytes;
    }

    /** A direct copy of {@code data}'s remaining bytes from the channel's allocator; {@code data} is not changed. */
    static ByteBuf directCopy(Channel channel, ByteBuffer data) {
        ByteBuf copy = channel.alloc().directBuffer(data.remaining());
        copy.writeBytes(data.duplicate());
        return copy;
    }

    /**
     * Takes a connection a server accepted out of the server's {@link ServerLimits#idleTimeout()}: it is no longer
     * closed for being quiet; the other limits stay. For a protocol that has authenticated its peer and keeps the
     * connection however long it is quiet. Does nothing on other pipes.
     */
    public void liftIdleTimeout() {
    }

    /**
     * Half-closes a TCP connection: what was sent before is written, then the peer reads end of stream, while this
     * pipe still receives until the peer closes (which ends the pipe). Later sends are a misuse (the caller ended
     * its own output): they throw {@link IllegalStateException}. Completes once the end is handed to the OS; calling
     * it again returns the same future.
     *
     * @throws IllegalStateException on a UDP pipe, a TCP server (half-close its connections) or a TLS connection
     */
    public CompletableFuture<Void> shutdownOutput() {
        throw new IllegalStateException("shutdownOutput() half-closes a TCP connection, not " + this);
    }

    // ---- receiving ----

    /** The next message of {@link Sub#ALL}, waiting at most {@code recvTimeout}. */
    public final CompletableFuture<Message> recv() {
        return recv(Sub.ALL, conf.recvTimeout());
    }

    public final CompletableFuture<Message> recv(Duration timeout) {
        return recv(Sub.ALL, timeout);
    }

    public final CompletableFuture<Message> recv(Sub sub) {
        return recv(sub, conf.recvTimeout());
    }

    /**
     * The next message queued for {@code sub}, waiting at most {@code timeout}. The future fails with
     * {@link RecvTimeoutException} when nothing came in time, with {@link PipeClosedException} when the pipe ended and
     * its queue is empty.
     *
     * @throws IllegalStateException when no queue is subscribed for {@code sub} (a misuse, so thrown at once)
     * @throws IllegalArgumentException when {@code timeout} is not positive
     */
    public final CompletableFuture<Message> recv(Sub sub, Duration timeout) {
        Objects.requireNonNull(sub, "sub");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("recv timeout must be positive, got " + timeout);
        }
        for (Subscription s : subscriptions) {
            if (s.sub().equals(sub) && !s.hasHandler()) {
                return s.queue().take(timeout, loop);
            }
        }
        throw new IllegalStateException(
                "no queue subscribed for " + sub + " on " + this + ": call subscribe(sub) first");
    }

    /**
     * Gives {@code data} back to the catch-all queue ({@link Sub#ALL}) as a message from the peer that the next
     * {@code recv()} returns before anything read later. For a protocol that reads a TCP connection's first bytes
     * with {@code recv()} (a handshake) and finds more in its last chunk than was its own: the rest belongs to
     * whoever reads next. The array is copied.
     *
     * @throws IllegalStateException on a pipe that is not a TCP connection, or has no queue for {@link Sub#ALL}
     */
    public final void unread(byte[] data) {
        Objects.requireNonNull(data, "data");
        if (proto() != Proto.TCP || isServer() || remoteAddress().isEmpty()) {
            throw new IllegalStateException("unread() gives bytes back to a TCP connection, not " + this);
        }
        for (Subscription s : subscriptions) {
            if (s.sub().equals(Sub.ALL) && !s.hasHandler()) {
                if (s.queue().offerFirst(new Message(data.clone(), remoteAddress().get())) != SubQueue.Offer.GONE) {
                    return;
                }
                break; // unsubscribed meanwhile: nothing could read it back
            }
        }
        throw new IllegalStateException("no queue subscribed for " + Sub.ALL + " on " + this + " to unread into");
    }

    /**
     * Sends {@code data} and waits for a reply matching {@code reply}, sending again (up to {@code sendRetry} more
     * times) when none comes within {@code recvTimeout}: the request/response helper of the original. Subscribes
     * {@code reply} for the time of the request if it was not subscribed. Fails with {@link RecvTimeoutException}
     * when no attempt got a reply.
     *
     * @throws IllegalStateException when {@code reply} is subscribed with a handler, which would take the reply
     */
    public final CompletableFuture<Message> request(byte[] data, Sub reply) {
        for (Subscription s : subscriptions) {
            if (s.sub().equals(reply) && s.hasHandler()) {
                throw new IllegalStateException(
                        "request: " + reply + " is subscribed with a handler, which would take the reply");
            }
        }
        boolean added = !hasQueue(reply);
        if (added) {
            subscribe(reply);
        }
        CompletableFuture<Message> result = attempt(data, reply, 1 + conf.sendRetry(), 1 + conf.sendRetry());
        if (added) {
            result.whenComplete((m, e) -> unsubscribe(reply));
        }
        return result;
    }

    private CompletableFuture<Message> attempt(byte[] data, Sub reply, int left, int total) {
        return send(data)
                .thenCompose(sent -> recv(reply, conf.recvTimeout()))
                .handle((msg, error) -> {
                    if (error == null) {
                        return LoopSafeFuture.completed(msg);
                    }
                    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause()
                            != null ? error.getCause() : error;
                    if (cause instanceof RecvTimeoutException && left > 1) {
                        return attempt(data, reply, left - 1, total);
                    }
                    if (cause instanceof RecvTimeoutException) {
                        return LoopSafeFuture.<Message>failed(new RecvTimeoutException("no reply for "
                                + reply + " after " + total + " attempts of " + conf.recvTimeout().toMillis()
                                + " ms on " + this));
                    }
                    return LoopSafeFuture.<Message>failed(cause);
                })
                .thenCompose(f -> f);
    }

    private boolean hasQueue(Sub sub) {
        for (Subscription s : subscriptions) {
            if (s.sub().equals(sub) && !s.hasHandler()) {
                return true;
            }
        }
        return false;
    }

    /** Queues messages matching {@code sub} for {@link #recv(Sub)}. Subscribing the same sub twice is a no-op. */
    public final Pipe subscribe(Sub sub) {
        Objects.requireNonNull(sub, "sub");
        if (sub.equals(implicit)) {
            // Asked for by name: the catch-all queue is the user's now, and stays when a handler is added.
            implicit = null;
        }
        addSubscription(sub, null);
        return this;
    }

    /** Calls {@code handler} (instead of queueing) for messages matching {@code sub}. */
    public final Pipe subscribe(Sub sub, MsgHandler handler) {
        Objects.requireNonNull(sub, "sub");
        Objects.requireNonNull(handler, "handler");
        addSubscription(sub, handler);
        handlerAdded();
        return this;
    }

    /** Removes the subscription to {@code sub}; waiting {@code recv}s on it fail with {@link PipeClosedException}. */
    public final Pipe unsubscribe(Sub sub) {
        Subscription removed = null;
        synchronized (lock) {
            Subscription[] now = subscriptions;
            for (Subscription s : now) {
                if (s.sub().equals(sub)) {
                    removed = s;
                }
            }
            if (removed != null) {
                Subscription gone = removed;
                subscriptions = Arrays.stream(now).filter(s -> s != gone).toArray(Subscription[]::new);
            }
        }
        if (removed != null && !removed.hasHandler()) {
            removed.queue().remove(() -> new PipeClosedException("unsubscribed from " + sub + " on " + this));
            onQueueRoom();
        }
        return this;
    }

    private void addSubscription(Sub sub, MsgHandler handler) {
        synchronized (lock) {
            Subscription[] now = subscriptions;
            for (Subscription s : now) {
                if (s.sub().equals(sub)) {
                    return;
                }
            }
            SubQueue queue = handler == null
                    ? new SubQueue(sub, conf.maxQsize(), proto() == Proto.UDP, this::onQueueRoom)
                    : null;
            if (queue != null && (isEnded() || inputEnded)) {
                queue.close(this::closedError);
            }
            Subscription[] next = Arrays.copyOf(now, now.length + 1);
            next[now.length] = new Subscription(sub, handler, queue);
            subscriptions = next;
        }
    }

    Subscription[] subscriptions() {
        return subscriptions;
    }

    /**
     * A TCP server's duplicate memory, shared by its connections (which may run on several loops, hence
     * {@link RecentMessages}' own monitor); null for other pipes, whose dispatcher keeps its own, and without
     * {@code enableMsgIds}.
     */
    private final RecentMessages sharedRecentMessages;

    final RecentMessages recentMessages() {
        return sharedRecentMessages;
    }

    /** Whether any queue of this pipe holds messages not yet received. */
    final boolean hasQueuedMessages() {
        for (Subscription s : subscriptions) {
            if (!s.hasHandler() && s.queue().size() > 0) {
                return true;
            }
        }
        return false;
    }

    /** The catch-all queue added because the pipe was opened without a message handler. */
    final void subscribeImplicitly() {
        subscribe(Sub.ALL);
        implicit = Sub.ALL;
    }

    /** A queue of this pipe has room again; TCP pipes may resume reading. Any thread. */
    void onQueueRoom() {
    }

    /** A queue filled up or a handler is holding up delivery: TCP pipes stop reading. Event loop only. */
    void pauseReading() {
    }

    /**
     * Delivery caught up with what was read: an ended pipe can end its queues now; TCP pipes also resume reading
     * unless a queue is full. Event loop only.
     */
    void dispatcherIdle() {
        if (isEnded() || inputEnded) {
            closeQueues();
        }
    }

    // ---- linked pipes ----

    /**
     * Links {@code target}: every message this pipe receives from now on is also sent down {@code target} (to its
     * default destination), before handlers and subscriptions see it. Link both ways for a relay. Forwarded data
     * leaves through {@code target}; it is never fed back into {@code target}'s own handlers, so links cannot loop.
     * When {@code target} cannot take more, a TCP pipe stops reading until it can; a UDP pipe drops and counts.
     *
     * <p>A pipe opened without a message handler queues everything; linking sends what that catch-all queue holds
     * down {@code target} and removes the queue, since a relay's queue is one nobody reads and a full TCP queue
     * would stop the relay. {@code link} never waits for the pipe's event loop, and the link is in place when it
     * returns; what the catch-all queue held is sent first, in order, before anything read later.
     *
     * <p>The link goes when {@code target} ends; this pipe ending does not end {@code target} (see
     * {@link #link(Pipe, boolean)}).
     *
     * @throws IllegalArgumentException when {@code target} is this pipe or has no default destination (a server)
     */
    public final Pipe link(Pipe target) {
        return link(target, false);
    }

    /**
     * Links {@code target} as {@link #link(Pipe)} does and, when {@code endTarget} is true, passes this pipe's end on
     * (Vert.x's {@code endOnComplete}): once this pipe has ended, {@code target} ends after what was forwarded is
     * written. A TCP connection half-closes ({@link #shutdownOutput()}: its peer reads end of stream and may still
     * answer until it closes); a TLS connection or a UDP pipe closes. When this pipe ended by an error (a reset),
     * {@code target} closes.
     *
     * @throws IllegalArgumentException when {@code target} is this pipe or has no default destination (a server)
     */
    public final Pipe link(Pipe target, boolean endTarget) {
        Objects.requireNonNull(target, "target");
        if (target == this) {
            throw new IllegalArgumentException("a pipe cannot be linked to itself: " + this);
        }
        if (target.isServer() || target.remoteAddress().isEmpty()) {
            throw new IllegalArgumentException("a linked pipe needs a default destination; " + target
                    + " is a server");
        }
        boolean queueToDrain = implicit != null && !loop.inEventLoop();
        if (queueToDrain) {
            // Written before the link is published, so a delivery that sees the link sees this too: the loop drains
            // what the catch-all queue holds before it forwards anything read later (Dispatcher), or this task does.
            drainFirst = true;
        }
        linkNow(target, endTarget);
        if (queueToDrain) {
            loop.execute(() -> drainCatchAll(links));
        }
        return this;
    }

    /** Whether the loop must drain the catch-all queue down the links before forwarding. Event loop only. */
    final boolean mustDrainFirst() {
        return drainFirst;
    }

    /**
     * Sends what the catch-all queue holds down {@code targets} (the links) and removes the queue; then, as for any
     * forwarded message, a TCP pipe stops reading while a link cannot take more. With no link left (an off-loop link
     * undone before this ran) the queue stays, for {@code recv}: there is nobody to send it to. Event loop only.
     */
    final void drainCatchAll(Pipe[] targets) {
        drainFirst = false;
        Sub catchAll = implicit;
        if (catchAll == null || targets.length == 0) {
            return;
        }
        implicit = null;
        for (Subscription s : subscriptions) {
            if (s.sub().equals(catchAll)) {
                for (Message queued : s.queue().drain()) {
                    for (Pipe target : targets) {
                        forwardQueued(target, queued);
                    }
                }
                unsubscribe(catchAll);
            }
        }
        for (Pipe target : targets) {
            if (!target.isWritable()) {
                waitUntilWritable(target);
            }
        }
    }

    /** One queued message down a link; what the link cannot carry is counted as dropped, never silently gone. */
    private void forwardQueued(Pipe target, Message queued) {
        if (!target.isOpen()) {
            dropped.incrementAndGet();
            return;
        }
        try {
            target.send(queued.data()).whenComplete((ok, e) -> {
                if (e != null) {
                    dropped.incrementAndGet();
                    linkFailed(target, e);
                }
            });
        } catch (RuntimeException misfit) {
            // A message the target refuses outright (too large for a datagram, say).
            dropped.incrementAndGet();
            linkFailed(target, misfit);
        }
    }

    private void linkNow(Pipe target, boolean endTarget) {
        // The end handlers this link adds, so that unlink() can take them off again.
        EndHandler targetEnded = ended -> unlink(ended);
        EndHandler sourceEnded = endTarget ? source -> target.endAfterWrites(source.closeCause().isPresent()) : null;
        EndHandler[] ends = {targetEnded, sourceEnded};
        synchronized (lock) {
            if (Arrays.asList(links).contains(target)) {
                return;
            }
            Pipe[] next = Arrays.copyOf(links, links.length + 1);
            next[links.length] = target;
            links = next;
            linkEndHandlers.put(target, ends);
        }
        if (loop.inEventLoop()) {
            drainCatchAll(links);
        }
        target.addEndHandler(ends[0]);
        if (ends[1] != null) {
            addEndHandler(ends[1]);
        }
        boolean unlinkedMeanwhile;
        synchronized (lock) {
            unlinkedMeanwhile = linkEndHandlers.get(target) != ends;
        }
        if (unlinkedMeanwhile) {
            // An unlink() from another thread ran before the handlers were added, so it could not take them off.
            removeLinkEndHandlers(target, ends);
        }
    }

    private void removeLinkEndHandlers(Pipe target, EndHandler[] ends) {
        target.removeEndHandler(ends[0]);
        if (ends[1] != null) {
            removeEndHandler(ends[1]);
        }
    }

    /**
     * Stops sending this pipe's messages down {@code target}, and takes off the end handlers {@code link} added: the
     * one that unlinks when {@code target} ends, and the one that passes this pipe's end on.
     */
    public final Pipe unlink(Pipe target) {
        EndHandler[] handlers;
        synchronized (lock) {
            links = Arrays.stream(links).filter(p -> p != target).toArray(Pipe[]::new);
            handlers = linkEndHandlers.remove(target);
        }
        if (handlers != null) {
            removeLinkEndHandlers(target, handlers);
        }
        return this;
    }

    /**
     * Ends this pipe as the target of a link whose source ended ({@link #link(Pipe, boolean)}): closes it, or, when
     * {@code failed} is false, a TCP connection half-closes after what was written.
     */
    void endAfterWrites(boolean failed) {
        closeAsync();
    }

    /** How many end handlers wait to run (for tests). */
    final int endHandlerCount() {
        synchronized (lock) {
            return endHandlers.size();
        }
    }

    /** The pipes this one sends its messages down. */
    public final List<Pipe> links() {
        return List.of(links);
    }

    Pipe[] linkArray() {
        return links;
    }

    /**
     * Writes a buffer forwarded from a linked pipe, to be flushed by {@link #flush()}; takes ownership of it.
     * Only pipes with a destination.
     */
    void write(ByteBuf buf) {
        buf.release();
        throw new IllegalStateException(this + " cannot be a link target");
    }

    /** Flushes what {@link #write(ByteBuf)} wrote. */
    void flush() {
    }

    /** Whether the pipe can take more writes now without queueing them in memory. */
    boolean isWritable() {
        return true;
    }

    /** Runs {@code resume} once this pipe is writable again, or has ended. Any thread. */
    final void whenWritable(Runnable resume) {
        writableWaiters.add(resume);
        // Writability may have come back between the caller's check and the add: look again.
        if (isWritable() || isEnded()) {
            writable();
        }
    }

    /** The pipe became writable (or ended): sources waiting on it carry on. */
    final void writable() {
        Runnable r;
        while ((r = writableWaiters.poll()) != null) {
            r.run();
        }
    }

    /** A TCP source stops reading until {@code target} is writable; UDP sources drop instead (Dispatcher). */
    void waitUntilWritable(Pipe target) {
    }

    void linkFailed(Pipe target, Throwable error) {
        LOG.debug("forwarding from {} to {} failed: {}", this, target, error.toString());
    }

    // ---- handlers ----

    /** Adds a handler called for every message, after the handlers already added. */
    public final Pipe addMsgHandler(MsgHandler handler) {
        Objects.requireNonNull(handler, "handler");
        synchronized (lock) {
            MsgHandler[] next = Arrays.copyOf(msgHandlers, msgHandlers.length + 1);
            next[next.length - 1] = handler;
            msgHandlers = next;
        }
        handlerAdded();
        return this;
    }

    /**
     * A handler now takes this pipe's messages, so the catch-all queue open() added for want of one would only fill
     * up (and stop a TCP pipe at its limit): it goes while empty. One that holds messages stays, for {@code recv}.
     */
    void handlerAdded() {
        // Decided here and now, on whatever thread added the handler, without waiting for the loop: the queue goes
        // if it holds nothing, so messages read from now on reach the handler only and cannot fill it. The check and
        // the removal are one step under the queue's monitor, so a message the loop offers meanwhile is either
        // queued first (the queue stays) or refused, and then the loop hands it to the new handler (Dispatcher).
        Sub catchAll = implicit;
        if (catchAll == null) {
            return;
        }
        for (Subscription s : subscriptions) {
            if (s.sub().equals(catchAll) && !s.hasHandler() && s.queue().removeIfEmpty(
                    () -> new PipeClosedException("unsubscribed from " + catchAll + " on " + this))) {
                implicit = null;
                unsubscribe(catchAll);
            }
        }
    }

    /** Removes one registration of {@code handler} (the same object, or the same {@link MsgHandler#plain} one). */
    public final Pipe removeMsgHandler(MsgHandler handler) {
        synchronized (lock) {
            List<MsgHandler> list = new ArrayList<>(Arrays.asList(msgHandlers));
            if (list.remove(handler)) {
                msgHandlers = list.toArray(NO_HANDLERS);
            }
        }
        return this;
    }

    MsgHandler[] msgHandlers() {
        return msgHandlers;
    }

    /**
     * Adds a handler run when the pipe comes up; for a TCP server, run for every connection accepted from now on.
     * On a pipe that is already up it runs at once.
     */
    public Pipe addUpHandler(UpHandler handler) {
        Objects.requireNonNull(handler, "handler");
        boolean runNow;
        synchronized (lock) {
            upHandlers.add(handler);
            runNow = up;
        }
        if (runNow) {
            runUpHandler(handler, this);
        }
        return this;
    }

    List<UpHandler> upHandlers() {
        synchronized (lock) {
            return List.copyOf(upHandlers);
        }
    }

    /** Marks the pipe up and runs its up handlers. */
    void markUp() {
        List<UpHandler> run;
        synchronized (lock) {
            up = true;
            run = List.copyOf(upHandlers);
        }
        run.forEach(h -> runUpHandler(h, this));
    }

    final void runUpHandler(UpHandler handler, Pipe pipe) {
        try {
            handler.onUp(pipe);
        } catch (Exception | LinkageError e) {
            handlerFailed("up handler", e);
        }
    }

    /**
     * Adds a handler run once when the pipe ends; on an ended pipe it runs at once. On a TCP server it runs when the
     * server ends, not for each connection (unlike message and up handlers): to follow connections, add one to each
     * from an up handler.
     */
    public final Pipe addEndHandler(EndHandler handler) {
        Objects.requireNonNull(handler, "handler");
        boolean runNow;
        synchronized (lock) {
            runNow = ended;
            if (!runNow) {
                endHandlers.add(handler);
            }
        }
        if (runNow) {
            runEndHandler(handler);
        }
        return this;
    }

    public final Pipe removeEndHandler(EndHandler handler) {
        synchronized (lock) {
            endHandlers.remove(handler);
        }
        return this;
    }

    private void runEndHandler(EndHandler handler) {
        try {
            handler.onEnd(this);
        } catch (Exception | LinkageError e) {
            handlerFailed("end handler", e);
        }
    }

    /**
     * Writes {@code out} ({@code size} bytes of the caller's message) and completes when the OS has it; a failure
     * after the channel closed is a {@link PipeClosedException}.
     */
    final CompletableFuture<Void> write(Channel channel, Object out, int size) {
        notePending(channel, size);
        CompletableFuture<Void> done = new LoopSafeFuture<>();
        channel.writeAndFlush(out).addListener(f -> {
            if (f.isSuccess()) {
                sent.incrementAndGet();
                sentBytes.addAndGet(size);
                done.complete(null);
            } else {
                done.completeExceptionally(channel.isActive() ? refused(channel, out, f.cause())
                        : new PipeClosedException("pipe closed while sending: " + this, f.cause()));
            }
        });
        return done;
    }

    private static Throwable refused(Channel channel, Object out, Throwable cause) {
        return out instanceof DatagramPacket packet ? Errors.send(cause, packet.recipient(), true)
                : Errors.send(cause, (InetSocketAddress) channel.remoteAddress(), false);
    }

    /** Records how many bytes wait to be written, for {@link PipeStats#peakPendingBytes()}. */
    final void notePending(Channel channel, long adding) {
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        if (buffer != null) {
            peakPending.accumulateAndGet(buffer.totalPendingWriteBytes() + adding, Math::max);
        }
    }

    /**
     * A handler threw or its stage failed: a bug of the handler, counted and logged with its stack trace, unless it
     * failed because a pipe ended (the peer closed or reset), which is a normal end: one debug line, not counted.
     */
    void handlerFailed(String what, Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        if (cause instanceof PipeClosedException) {
            LOG.debug("{} of {} stopped: {}", what, this, cause.getMessage());
            return;
        }
        handlerErrors.incrementAndGet();
        LOG.warn("{} of {} failed", what, this, error);
    }

    // ---- TCP servers ----

    /**
     * The next accepted connection (TCP servers).
     *
     * @throws IllegalStateException on any other pipe, which has no connections to accept
     */
    public CompletableFuture<Pipe> accept() {
        throw new IllegalStateException("accept() needs a TCP server: " + this);
    }

    /** The live connections of a TCP server; empty for other pipes. */
    public List<Pipe> connections() {
        return List.of();
    }

    // ---- ending ----

    /** Why the pipe ended, when an error ended it. */
    public final Optional<Throwable> closeCause() {
        return Optional.ofNullable(closeCause);
    }

    /** Completes once the pipe has ended and its end handlers have run. Never fails. */
    public final CompletableFuture<Void> closeFuture() {
        return closeFuture.copy();
    }

    /** Closes the pipe (for a server, every connection too). Idempotent. */
    public final CompletableFuture<Void> closeAsync() {
        if (closing.compareAndSet(false, true)) {
            doClose();
        }
        return closeFuture();
    }

    /**
     * Closes the pipe and waits until it has ended, except on an event loop, which must never wait: there it only
     * starts closing.
     */
    @Override
    public final void close() {
        CompletableFuture<Void> done = closeAsync();
        // Waiting on any event loop could deadlock: an end handler that closes a pipe of another loop whose own
        // end handler closes this one.
        if (!LoopSafeFuture.onEventLoop()) {
            done.join();
        }
    }

    /** Closes the channel(s); {@link #ended()} follows when they are closed. */
    abstract void doClose();

    /**
     * Records an error that ends the pipe and starts closing. An error after closing began (by a close, the peer's
     * end or an earlier error) did not end the pipe: the first end's cause, or none for a clean end, stays.
     */
    final void fail(Throwable cause) {
        if (closeCause == null && isOpen()) {
            closeCause = cause;
        }
        closeAsync();
    }

    boolean isEnded() {
        return ended;
    }

    /** Called once the channel(s) closed: fails waiting {@code recv}s and runs end handlers, once. */
    final void ended() {
        closing.set(true);
        List<EndHandler> run;
        synchronized (lock) {
            if (ended) {
                return;
            }
            ended = true;
            run = List.copyOf(endHandlers);
            endHandlers.clear();
        }
        if (!deliveryPending()) {
            closeQueues();
        }
        writable();
        run.forEach(this::runEndHandler);
        closeFuture.complete(null);
    }

    /**
     * The peer ended its output while this pipe may still send (TCP half-closure): the receive side ends as at the
     * pipe's end (queues once what was read is delivered; links that pass the end on half-close their targets), but
     * end handlers wait for the pipe's own close. Event loop only.
     */
    final void inputEnded() {
        if (inputEnded) {
            return;
        }
        inputEnded = true;
        if (!deliveryPending()) {
            closeQueues();
        }
        List<Pipe> endTargets = new ArrayList<>();
        synchronized (lock) {
            linkEndHandlers.forEach((target, ends) -> {
                if (ends[1] != null) {
                    endTargets.add(target);
                }
            });
        }
        endTargets.forEach(target -> target.endAfterWrites(false));
    }

    /**
     * Ends the queues: waiting {@code recv}s fail, what is queued can still be taken. Called when the pipe ended
     * and every message read before the end has been delivered (a slow handler may still hold some up).
     */
    final void closeQueues() {
        for (Subscription s : subscriptions) {
            if (!s.hasHandler()) {
                s.queue().close(this::closedError);
            }
        }
    }

    /** Whether messages read before the end still wait for a handler's stage. */
    boolean deliveryPending() {
        return false;
    }

    final PipeClosedException closedError() {
        Throwable cause = closeCause;
        return cause == null
                ? new PipeClosedException("pipe closed: " + this)
                : new PipeClosedException("pipe closed by error: " + this + ": " + cause, cause);
    }
}
