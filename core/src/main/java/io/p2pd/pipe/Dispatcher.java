package io.p2pd.pipe;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.CompletionStage;

/**
 * Takes the messages of one connection (or one UDP socket) through the pipe, in arrival order:
 * duplicate filter, linked pipes, message handlers, then matching subscriptions (handler or queue).
 *
 * <p>Runs on the pipe's event loop only. When a handler returns a stage that is not done, delivery of this message
 * pauses there and later messages wait in {@link #pending} until it completes: that keeps each handler seeing the
 * connection's messages in order. While paused, a TCP pipe stops reading; a UDP pipe keeps at most
 * {@code maxQsize} waiting messages and drops (and counts) the oldest.
 *
 * <p>Two short paths skip the copy of a read buffer into a {@link Message} when nothing needs the array: a pipe that
 * only forwards ({@link #forward(ByteBuf)}) and a pipe whose handlers all read in place ({@link #deliverInPlace}).
 */
final class Dispatcher {

    /** The pipe messages arrive on (a connection for TCP). */
    private final Pipe pipe;
    /** A TCP server whose handlers and subscriptions apply to this connection as well; or null. */
    private final Pipe parent;
    private final ArrayDeque<Message> pending = new ArrayDeque<>();
    /** Linked pipes written to in this read burst, to flush at its end. */
    private final ArrayList<Pipe> unflushed = new ArrayList<>(2);
    /** Duplicate suppression, when the pipe's options ask for it. */
    private final RecentMessages recent;

    private Message current;
    private CharSequence currentView;
    private MsgHandler[] handlers;
    private Subscription[] subs;
    private Subscription[] parentSubs;
    /**
     * Handlers added after {@link #current}'s snapshot that get it anyway, because a queue it was meant for had been
     * unsubscribed meanwhile (see {@link #handOver}); null until then.
     */
    private MsgHandler[] late;
    /** Whether a handler has been given {@link #current}. */
    private boolean handled;
    private int step;

    Dispatcher(Pipe pipe, Pipe parent) {
        this.pipe = pipe;
        this.parent = parent;
        // Duplicates are per sender IP: a TCP server's connections share one memory, as a UDP socket's peers do.
        this.recent = !pipe.conf.enableMsgIds() ? null
                : parent != null && parent.recentMessages() != null ? parent.recentMessages()
                : new RecentMessages(pipe.conf.maxMsgIds());
    }

    /** Whether a handler's stage is holding up delivery. */
    boolean busy() {
        return current != null;
    }

    /**
     * True when the pipe only forwards: no handler, subscription or duplicate filter needs the bytes as an array,
     * so a read buffer can go down the linked pipes as it is ({@link #forward(ByteBuf)}).
     */
    boolean forwardsOnly() {
        return recent == null && current == null && pipe.linkArray().length > 0
                && pipe.msgHandlers().length == 0 && pipe.subscriptions().length == 0
                && (parent == null || parent.msgHandlers().length == 0 && parent.subscriptions().length == 0
                        && parent.linkArray().length == 0);
    }

    /**
     * The relay path: sends a read buffer down every linked pipe without copying it, flushed once per read burst
     * ({@link #flushForwarded()}). Takes ownership of the buffer.
     */
    void forward(ByteBuf buf) {
        try {
            for (Pipe target : pipe.linkArray()) {
                if (!target.isOpen()) {
                    pipe.dropped.incrementAndGet();
                    continue;
                }
                target.write(buf.retainedDuplicate());
                if (!unflushed.contains(target)) {
                    unflushed.add(target);
                }
                if (!target.isWritable()) {
                    pipe.waitUntilWritable(target);
                }
            }
        } finally {
            buf.release();
        }
    }

    /** The read burst ended: flush what {@link #forward(ByteBuf)} wrote. */
    void flushForwarded() {
        for (int i = 0; i < unflushed.size(); i++) {
            unflushed.get(i).flush();
        }
        unflushed.clear();
    }

    /**
     * The path for pipes whose every consumer reads in place ({@link MsgHandler#inPlace}) and where nothing needs the
     * bytes as an array: the handlers see a read-only view of {@code buf} itself, server handlers first as for other
     * messages. In-place handlers finish with the bytes before they return, so nothing waits and nothing is copied.
     * Returns false, having done nothing, when the pipe needs a {@link Message}. The caller keeps the buffer.
     */
    boolean deliverInPlace(ByteBuf buf, InetSocketAddress sender) {
        // One snapshot of each list: a handler added meanwhile on another thread waits for the next message.
        MsgHandler[] own = pipe.msgHandlers();
        MsgHandler[] inherited = parent == null ? Pipe.NO_HANDLERS : parent.msgHandlers();
        if (recent != null || current != null || own.length + inherited.length == 0
                || !allInPlace(own) || !allInPlace(inherited)
                || pipe.linkArray().length > 0 || pipe.subscriptions().length > 0
                || parent != null && (parent.linkArray().length > 0 || parent.subscriptions().length > 0)) {
            return false;
        }
        ByteBuffer view = buf.nioBuffer().asReadOnlyBuffer();
        callInPlace(inherited, view, sender);
        callInPlace(own, view, sender);
        holdWhileBackedUp();
        return true;
    }

    /**
     * In-place handlers return no stage that could make reading wait for their sends: instead a TCP pipe whose own
     * writes are backed up past the channel's high-water mark stops reading until they drain, so an echo written
     * with them keeps its memory bounded whatever the peer does.
     */
    private void holdWhileBackedUp() {
        if (!pipe.isWritable()) {
            pipe.waitUntilWritable(pipe);
        }
    }

    private static boolean allInPlace(MsgHandler[] handlers) {
        for (MsgHandler h : handlers) {
            if (!(h instanceof InPlaceAdapter)) {
                return false;
            }
        }
        return true;
    }

    private void callInPlace(MsgHandler[] handlers, ByteBuffer view, InetSocketAddress sender) {
        for (MsgHandler h : handlers) {
            try {
                // A view of its own: position, limit and byte order as received, whatever the one before changed.
                ((InPlaceAdapter) h).onView(view.duplicate(), sender, pipe);
            } catch (Exception | LinkageError e) {
                pipe.handlerFailed("message handler", e);
            }
        }
    }

    void deliver(Message msg) {
        if (recent != null && recent.repeat(msg)) {
            pipe.duplicates.incrementAndGet();
            return;
        }
        forward(msg);
        if (current != null) {
            if (pipe.proto() == Proto.UDP && pending.size() >= pipe.conf.maxQsize()) {
                pending.poll();
                pipe.dropped.incrementAndGet();
            }
            pending.add(msg);
            return;
        }
        begin(msg);
        run();
    }

    /**
     * Sends the message down every linked pipe. A linked pipe that cannot take more makes a TCP source stop reading
     * until it can (back-pressure end to end); a UDP source cannot be paused without the kernel dropping unseen, so
     * it drops, and counts, what the linked pipe cannot take.
     */
    private void forward(Message msg) {
        Pipe[] links = pipe.linkArray();
        if (links.length > 0 && pipe.mustDrainFirst()) {
            pipe.drainCatchAll(links); // linked off the loop: what was queued before goes first
        }
        Pipe[] parentLinks = parent == null ? Pipe.NO_LINKS : parent.linkArray();
        if (links.length == 0 && parentLinks.length == 0) {
            return;
        }
        for (Pipe[] group : new Pipe[][] {links, parentLinks}) {
            for (Pipe target : group) {
                if (!target.isOpen()) {
                    // Ended, not yet unlinked: what it cannot carry is counted, never silently gone.
                    pipe.dropped.incrementAndGet();
                    continue;
                }
                if (pipe.proto() == Proto.UDP && !target.isWritable()) {
                    pipe.dropped.incrementAndGet();
                    continue;
                }
                try {
                    target.send(msg.data()).whenComplete((ok, e) -> {
                        if (e != null) {
                            pipe.linkFailed(target, e);
                        }
                    });
                } catch (RuntimeException refused) {
                    // A target that cannot take it at all (output shut down, too large for a datagram): counted.
                    pipe.dropped.incrementAndGet();
                    pipe.linkFailed(target, refused);
                    continue;
                }
                if (!target.isWritable()) {
                    pipe.waitUntilWritable(target);
                }
            }
        }
    }

    /** The current message as characters, made once for all subscriptions that have a pattern. */
    private CharSequence view() {
        if (currentView == null) {
            currentView = new Latin1View(current.data());
        }
        return currentView;
    }

    private void begin(Message msg) {
        current = msg;
        currentView = null;
        handlers = parent == null ? pipe.msgHandlers() : concat(parent.msgHandlers(), pipe.msgHandlers());
        subs = pipe.subscriptions();
        parentSubs = parent == null ? null : parent.subscriptions();
        late = null;
        handled = false;
        step = 0;
    }

    /** Delivers until all is delivered or a handler's stage is pending. */
    private void run() {
        while (current != null) {
            if (!advance()) {
                return;
            }
            current = null;
            Message next = pending.poll();
            if (next != null) {
                begin(next);
            }
        }
        handlers = null;
        subs = null;
        parentSubs = null;
        late = null;
        pipe.dispatcherIdle();
    }

    /** Runs the remaining steps for {@link #current}; false when paused on a stage. */
    private boolean advance() {
        int ownSubs = subs.length;
        int snapshot = handlers.length + ownSubs + (parentSubs == null ? 0 : parentSubs.length);
        // Late handlers, if a queue turns out to be gone, come after the snapshot's steps.
        while (step < snapshot + (late == null ? 0 : late.length)) {
            int i = step++;
            CompletionStage<?> stage;
            if (i < handlers.length) {
                stage = invoke(handlers[i]);
            } else if (i >= snapshot) {
                stage = invoke(late[i - snapshot]);
            } else {
                int s = i - handlers.length;
                Subscription sub = s < ownSubs ? subs[s] : parentSubs[s - ownSubs];
                if (!sub.sub().matches(current, view())) {
                    continue;
                }
                if (!sub.hasHandler()) {
                    offer(sub);
                    continue;
                }
                stage = invoke(sub.handler());
            }
            if (stage != null && !isDone(stage)) {
                pipe.pauseReading();
                stage.whenComplete((ok, error) -> pipe.loop.execute(() -> {
                    if (error != null) {
                        pipe.handlerFailed("message handler", error);
                    }
                    run();
                }));
                return false;
            }
        }
        return true;
    }

    private void offer(Subscription sub) {
        switch (sub.queue().offer(current)) {
            case DROPPED_OLDEST -> pipe.dropped.incrementAndGet();
            case NOW_FULL -> pipe.pauseReading();
            case GONE -> handOver();
            case DELIVERED, QUEUED -> { }
        }
    }

    /**
     * A queue in this message's snapshot was unsubscribed after the snapshot was taken, most often the catch-all
     * queue that adding a handler removes: the message would be lost between the queue (which no recv can reach any
     * more) and the new handler (not in the snapshot). The handlers added since the snapshot get it, after the
     * others, so a TCP pipe loses nothing and keeps its order. With nobody to take it, it is counted as dropped.
     */
    private void handOver() {
        if (late != null) {
            return; // a second queue that went: the late handlers already have this message
        }
        ArrayList<MsgHandler> added = new ArrayList<>();
        MsgHandler[] now = parent == null ? pipe.msgHandlers() : concat(parent.msgHandlers(), pipe.msgHandlers());
        for (MsgHandler h : now) {
            if (!containsSame(handlers, h)) {
                added.add(h);
            }
        }
        addLateSubscribers(pipe.subscriptions(), subs, added);
        if (parent != null) {
            addLateSubscribers(parent.subscriptions(), parentSubs, added);
        }
        late = added.toArray(Pipe.NO_HANDLERS);
        if (late.length == 0 && !handled) {
            pipe.dropped.incrementAndGet();
        }
    }

    private void addLateSubscribers(Subscription[] now, Subscription[] snapshot, ArrayList<MsgHandler> into) {
        for (Subscription s : now) {
            if (s.hasHandler() && !containsSame(snapshot, s) && s.sub().matches(current, view())) {
                into.add(s.handler());
            }
        }
    }

    private static boolean containsSame(Object[] array, Object item) {
        for (Object o : array) {
            if (o == item) {
                return true;
            }
        }
        return false;
    }

    private CompletionStage<?> invoke(MsgHandler handler) {
        handled = true;
        try {
            CompletionStage<?> stage = handler.onMessage(current, pipe);
            if (handler instanceof InPlaceAdapter) {
                holdWhileBackedUp();
            }
            if (stage != null && isDone(stage) && stage.toCompletableFuture().isCompletedExceptionally()) {
                pipe.handlerFailed("message handler", stage.toCompletableFuture().exceptionNow());
                return null;
            }
            return stage;
        } catch (Exception | LinkageError e) {
            pipe.handlerFailed("message handler", e);
            return null;
        }
    }

    private static boolean isDone(CompletionStage<?> stage) {
        try {
            return stage.toCompletableFuture().isDone();
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    private static MsgHandler[] concat(MsgHandler[] a, MsgHandler[] b) {
        if (a.length == 0) {
            return b;
        }
        if (b.length == 0) {
            return a;
        }
        MsgHandler[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
