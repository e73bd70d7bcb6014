package io.p2pd.pipe;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.UncheckedBooleanSupplier;
import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.net.HostPort;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One TCP connection: a client's, or one a server accepted. */
final class TcpPipe extends Pipe {

    private static final Logger LOG = LoggerFactory.getLogger(TcpPipe.class);

    private final Channel channel;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    /** The server that accepted this connection, or null for a client. */
    private final TcpServerPipe server;
    private final Dispatcher dispatcher;
    /** Pipes (linked ones, or this one with its writes backed up) to wait on before reading again. Event loop only. */
    private int blockedOnWrites;
    /** What send appends (delimited framing) or empty. */
    private final Framing framing;
    private final byte[] suffix;
    private final Reads reads;
    private static final long NOT_STALLED = Long.MIN_VALUE;
    /** When the current write stall began (System.nanoTime), or NOT_STALLED. Event loop only. */
    private long stallSince = NOT_STALLED;
    /** When the connection last turned writable. Event loop only. */
    private long writableSince;
    /** The name of the idle timeout's handler in the channel's pipeline. */
    private static final String IDLE = "p2pd-idle";
    /** Set by the first shutdownOutput(). */
    private final AtomicReference<CompletableFuture<Void>> outputShutdown = new AtomicReference<>();
    /** Registering the channel again with its loop, to resume reading after the peer's FIN. Event loop only. */
    private boolean reregistering;
    /** How often reading was resumed by registering again after a FIN (for tests: a few, not a spin). */
    private int reregistrations;

    TcpPipe(Channel channel, PipeConf conf, TcpOptions tcp, TcpServerPipe server) {
        super(conf, channel.eventLoop());
        this.channel = channel;
        this.local = (InetSocketAddress) channel.localAddress();
        this.remote = (InetSocketAddress) channel.remoteAddress();
        this.server = server;
        this.dispatcher = new Dispatcher(this, server);
        this.framing = tcp.framing();
        this.suffix = framing instanceof Framing.Delimited d ? d.delimiter() : new byte[0];
        this.reads = new Reads(conf.readerLimit());
        // Before the first read, so the channel's read handle is one of ours.
        channel.config().setRecvByteBufAllocator(reads);
        // At the head, below TLS: it sees every read() asked for, TLS's own included.
        channel.pipeline().addFirst("p2pd-read-requests", reads.requests());
        channel.closeFuture().addListener(f -> ended());
        if (server != null) {
            watchTimeouts();
        }
    }

    /**
     * A server's connection is closed when it sends no whole message in time, stays idle, or leaves its writes
     * backed up (see {@link ServerLimits#firstMessageTimeout()} and the others); the write stall is watched in
     * {@link Inbound#channelWritabilityChanged}.
     */
    private void watchTimeouts() {
        server.limits.firstMessageTimeout().ifPresent(limit -> {
            ScheduledFuture<?> check = loop.schedule(() -> {
                if (received.get() == 0) {
                    timedOut("no whole message within " + limit.toMillis() + " ms of accept (firstMessageTimeout)");
                }
            }, limit.toNanos(), TimeUnit.NANOSECONDS);
            channel.closeFuture().addListener(f -> check.cancel(false));
        });
        // First in the pipeline: it sees the raw traffic, TLS records included.
        server.limits.idleTimeout().ifPresent(limit -> channel.pipeline().addFirst(IDLE,
                new IdleStateHandler(false, 0, 0, limit.toNanos(), TimeUnit.NANOSECONDS)));
    }

    @Override
    public void liftIdleTimeout() {
        if (server != null && server.limits.idleTimeout().isPresent()) {
            // Removing the handler cancels its timer.
            loop.execute(() -> {
                if (channel.pipeline().get(IDLE) != null) {
                    channel.pipeline().remove(IDLE);
                }
            });
        }
    }

    /**
     * The connection's writes backed up. A stall lasts until the connection stays writable for as long as the
     * timeout: a client that never reads drains a little now and then while the kernel's buffers grow, and each time
     * the pipe reads and answers more, so brief writable moments do not end it.
     */
    private void watchStall(long limit) {
        long now = System.nanoTime();
        if (stallSince == NOT_STALLED || now - writableSince >= limit) {
            stallSince = now;
        }
        long since = stallSince;
        loop.schedule(() -> {
            if (!channel.isWritable() && stallSince == since && System.nanoTime() - since >= limit) {
                timedOut("writes backed up for " + TimeUnit.NANOSECONDS.toMillis(limit)
                        + " ms (writeStallTimeout)");
            }
        }, Math.max(0, since + limit - now), TimeUnit.NANOSECONDS);
    }

    /** Closes this server connection for a timeout; counted in the server's stats, one debug line. */
    private void timedOut(String why) {
        if (!isOpen()) {
            return;
        }
        server.timedOut.incrementAndGet();
        LOG.debug("{} closed: {}", this, why);
        fail(new PipeClosedException("connection closed by the server: " + why));
    }

    /** The handler that feeds this pipe; last in the channel's pipeline. */
    ChannelInboundHandlerAdapter inbound() {
        return new Inbound();
    }

    @Override
    public Proto proto() {
        return Proto.TCP;
    }

    @Override
    public boolean isServer() {
        return false;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public Optional<InetSocketAddress> remoteAddress() {
        return Optional.of(remote);
    }

    @Override
    public CompletableFuture<Void> send(byte[] data) {
        CompletableFuture<Void> refused = refusal(data.length);
        return refused != null ? refused : write(channel, framed(Unpooled.wrappedBuffer(data)), data.length);
    }

    @Override
    public CompletableFuture<Void> send(ByteBuffer data) {
        int size = data.remaining();
        CompletableFuture<Void> refused = refusal(size);
        return refused != null ? refused : write(channel, framed(directCopy(channel, data)), size);
    }

    @Override
    public CompletableFuture<Void> shutdownOutput() {
        if (channel.pipeline().get(SslHandler.class) != null) {
            throw new IllegalStateException("shutdownOutput() on a TLS connection: " + this
                    + " (TLS has no half-close here; close() it)");
        }
        CompletableFuture<Void> done = new LoopSafeFuture<>();
        CompletableFuture<Void> first = outputShutdown.compareAndExchange(null, done);
        if (first != null) {
            return first.copy();
        }
        if (!channel.isActive()) {
            done.completeExceptionally(closedError());
            return done.copy();
        }
        // Netty fails writes still queued when the output shuts down: an empty write completes after them.
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(written -> ((DuplexChannel) channel).shutdownOutput()
                .addListener(shut -> {
                    if (shut.isSuccess()) {
                        done.complete(null);
                    } else {
                        done.completeExceptionally(channel.isActive()
                                ? Errors.send(shut.cause(), remote, false) : closedError());
                    }
                }));
        return done.copy();
    }

    /**
     * A closed pipe as a failed future (an I/O outcome); null when the message can go. A message its length prefix
     * cannot carry, or any send after {@link #shutdownOutput()}, is a misuse, thrown at once.
     */
    private CompletableFuture<Void> refusal(int size) {
        if (framing instanceof Framing.LengthPrefixed l && size > l.maxLength()) {
            throw new IllegalArgumentException("message of " + size + " bytes does not fit a " + l.lengthBytes()
                    + "-byte length prefix");
        }
        if (outputShutdown.get() != null) {
            // The caller ended its own output: sending after that is a misuse, whatever the peer did since.
            throw new IllegalStateException("send after shutdownOutput(): the output of " + this + " is shut down");
        }
        if (!channel.isActive()) {
            return LoopSafeFuture.failed(closedError());
        }
        return null;
    }

    @Override
    public CompletableFuture<Void> send(byte[] data, InetSocketAddress dest) {
        return dest.equals(remote) ? send(data) : notThePeer(dest);
    }

    @Override
    public CompletableFuture<Void> send(ByteBuffer data, InetSocketAddress dest) {
        return dest.equals(remote) ? send(data) : notThePeer(dest);
    }

    private CompletableFuture<Void> notThePeer(InetSocketAddress dest) {
        throw new IllegalArgumentException(
                "TCP connection " + this + " cannot send to " + HostPort.of(dest) + ", only to its peer");
    }

    @Override
    void doClose() {
        channel.close();
    }

    @Override
    void pauseReading() {
        if (!channel.config().isAutoRead()) {
            // Already paused: a read() asked for since (TLS finishing a record) is still pending in Netty, and
            // still owed its one read.
            return;
        }
        channel.config().setAutoRead(false);
        // A read asked for before the pause (reading turned on) is not one to do now, as Netty forgets its own.
        reads.requested = false;
    }

    @Override
    void dispatcherIdle() {
        super.dispatcherIdle();
        updateReading();
    }

    @Override
    boolean deliveryPending() {
        return dispatcher.busy();
    }

    @Override
    void onQueueRoom() {
        loop.execute(this::updateReading);
    }

    /** The message as this pipe's framing writes it: with its length prefix or delimiter, if any. */
    private ByteBuf framed(ByteBuf payload) {
        if (framing instanceof Framing.LengthPrefixed l) {
            ByteBuf header = channel.alloc().buffer(l.lengthBytes());
            if (l.lengthBytes() == 2) {
                header.writeShort(payload.readableBytes());
            } else {
                header.writeInt(payload.readableBytes());
            }
            return Unpooled.wrappedBuffer(header, payload);
        }
        return suffix.length == 0 ? payload : Unpooled.wrappedBuffer(payload, Unpooled.wrappedBuffer(suffix));
    }

    @Override
    void write(ByteBuf buf) {
        int size = buf.readableBytes();
        if (framing instanceof Framing.LengthPrefixed l && size > l.maxLength()) {
            buf.release();
            fail(new FrameTooLongException("a forwarded message of " + size + " bytes does not fit a "
                    + l.lengthBytes() + "-byte length prefix"));
            return;
        }
        buf = framed(buf);
        notePending(channel, size);
        sent.incrementAndGet();
        sentBytes.addAndGet(size);
        // No future per chunk on the relay path: a failed write closes this pipe (exceptionCaught).
        channel.write(buf, channel.voidPromise());
    }

    @Override
    void flush() {
        channel.flush();
    }

    @Override
    boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    void waitUntilWritable(Pipe target) {
        blockedOnWrites++;
        pauseReading();
        target.whenWritable(() -> loop.execute(() -> {
            blockedOnWrites--;
            updateReading();
        }));
    }

    /**
     * Reading resumes when nothing holds delivery up: no pending handler stage, no full queue, no pipe it waits to
     * write to (a linked one, or this one after in-place handlers) that cannot take more.
     */
    private void updateReading() {
        if (channel.config().isAutoRead() || reregistering || !channel.isOpen() || blockedOnWrites > 0 || dispatcher.busy()
                || anyQueueFull(subscriptions())
                || (server != null && anyQueueFull(server.subscriptions()))) {
            return;
        }
        resumeReading();
    }

    /**
     * Turns reading on. After a read loop was stopped past the peer's FIN, Netty 4.2's epoll transport has taken the
     * socket out of epoll (it removes a socket with nothing left to wait for, and the FIN's wake-up is spent), yet
     * still thinks it registered, so turning reading on would fail: registering the channel again puts it back.
     */
    private void resumeReading() {
        if (!reads.stoppedWhilePaused) {
            channel.config().setAutoRead(true);
            return;
        }
        if (reregistering) {
            return;
        }
        reregistering = true;
        // Registered again, the socket is back in epoll: the next pause after a FIN sets this anew. Left set, every
        // resume would re-register again and again and never turn reading on.
        reads.stoppedWhilePaused = false;
        reregistrations++;
        channel.deregister().addListener(d -> loop.register(channel).addListener(r -> {
            reregistering = false;
            if (r.isSuccess()) {
                updateReading();
            } else if (channel.isOpen()) {
                fail(r.cause());
            }
            // A channel closed meanwhile (the pipe ended, or the peer's end was read) ends the usual way: its close
            // is no failure of registering, and must not become the pipe's close cause.
        }));
    }

    /** How often reading was resumed by registering again after a FIN. Event loop only (tests read it there). */
    int reregistrations() {
        return reregistrations;
    }

    /** Reads done while reading was paused, each asked for by a read() (TLS). Event loop only (tests read it there). */
    int readsWhilePaused() {
        return reads.whilePaused;
    }

    private static boolean anyQueueFull(Subscription[] subs) {
        for (Subscription s : subs) {
            if (!s.hasHandler() && s.queue().isFull()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "TCP " + HostPort.of(local) + " -> " + HostPort.of(remote);
    }

    /**
     * How this connection sizes its reads: adaptively, up to {@code readerLimit} bytes a read, as the options set on
     * the bootstrap do, and not one read more once reading is paused unless a read() asked for it. Netty's epoll
     * transport, once the peer's FIN has arrived (EPOLLRDHUP), reads whether or not reading is on: each EPOLLRDHUP
     * event (one after every registration, so after each resume past the FIN) runs a read loop of its own, and that
     * loop keeps reading until end of stream. A paused pipe would take in a chunk per such loop, or everything the
     * peer wrote before closing, however full its queue or backed up its link. Handing a loop an empty buffer ends it
     * (a read of zero bytes); reading resumes with the rest when the pipe turns reading on again.
     */
    final class Reads implements RecvByteBufAllocator {
        private final RecvByteBufAllocator adaptive;
        /**
         * A read loop ran with reading paused and nothing asked for, and was stopped (only a loop past the peer's FIN
         * does that): see {@link #resumeReading()}. Event loop only.
         */
        private boolean stoppedWhilePaused;
        /**
         * A read() was asked for and no read has happened since (Netty's own readPending, which its loops do not
         * consult): a paused pipe reads once for it, as TLS needs to finish a record. Event loop only.
         */
        private boolean requested;
        /** Reads done while paused, for a read() (see {@link #readsWhilePaused()}). Event loop only. */
        private int whilePaused;

        Reads(int readerLimit) {
            adaptive = new AdaptiveRecvByteBufAllocator(Math.min(64, readerLimit), Math.min(2048, readerLimit),
                    readerLimit);
        }

        @Override
        public ExtendedHandle newHandle() {
            return new StopWhenPaused((RecvByteBufAllocator.ExtendedHandle) adaptive.newHandle());
        }

        /** Records each read() on its way to the transport. */
        ChannelOutboundHandlerAdapter requests() {
            return new ChannelOutboundHandlerAdapter() {
                @Override
                public void read(ChannelHandlerContext ctx) {
                    requested = true;
                    ctx.read();
                }
            };
        }

        /** A loop reads while reading is on, or once for a read() asked for; otherwise it ends at once. */
        private final class StopWhenPaused extends RecvByteBufAllocator.DelegatingHandle
                implements RecvByteBufAllocator.ExtendedHandle {
            private ChannelConfig config;
            /** The last buffer handed out was the empty one that ends the loop. */
            private boolean stopping;

            StopWhenPaused(RecvByteBufAllocator.ExtendedHandle delegate) {
                super(delegate);
            }

            @Override
            public void reset(ChannelConfig config) {
                this.config = config;
                stopping = false;
                super.reset(config);
            }

            @Override
            public ByteBuf allocate(ByteBufAllocator alloc) {
                // Only a loop past the peer's FIN runs with reading off and nothing asked for (Netty's own check
                // stops the others after their first read): both its first read and its later ones stop here.
                boolean paused = config != null && !config.isAutoRead();
                stopping = paused && !requested;
                if (stopping) {
                    stoppedWhilePaused = true;
                    return alloc.directBuffer(0, 0);
                }
                return super.allocate(alloc);
            }

            @Override
            public void lastBytesRead(int bytes) {
                // The empty read is not a measure of the stream: it must not shrink the adaptive guess.
                if (!stopping) {
                    super.lastBytesRead(bytes);
                }
            }

            @Override
            public int lastBytesRead() {
                return stopping ? 0 : super.lastBytesRead();
            }

            @Override
            public void incMessagesRead(int numMessages) {
                if (config != null && !config.isAutoRead()) {
                    whilePaused++;
                }
                requested = false; // one read answers a read(), as Netty's readPending
                super.incMessagesRead(numMessages);
            }

            @Override
            public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
                return ((RecvByteBufAllocator.ExtendedHandle) delegate()).continueReading(maybeMoreDataSupplier);
            }
        }
    }

    private final class Inbound extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            received.incrementAndGet();
            receivedBytes.addAndGet(buf.readableBytes());
            if (dispatcher.forwardsOnly()) {
                dispatcher.forward(buf);
                return;
            }
            byte[] bytes;
            try {
                if (dispatcher.deliverInPlace(buf, remote)) {
                    return;
                }
                bytes = ByteBufUtil.getBytes(buf);
            } finally {
                buf.release();
            }
            dispatcher.deliver(new Message(bytes, remote));
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            dispatcher.flushForwarded();
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (channel.isWritable()) {
                writableSince = System.nanoTime();
                writable();
            } else if (server != null && server.limits.writeStallTimeout().isPresent()) {
                watchStall(server.limits.writeStallTimeout().get().toNanos());
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == ChannelInputShutdownEvent.INSTANCE) {
                // Only with halfClosure (ALLOW_HALF_CLOSURE): without it Netty closes the channel instead.
                inputEnded();
            }
            if (evt instanceof IdleStateEvent) {
                timedOut("no traffic for " + server.limits.idleTimeout().orElseThrow().toMillis()
                        + " ms (idleTimeout)");
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof TooLongFrameException || cause.getCause() instanceof TooLongFrameException) {
                cause = new FrameTooLongException(HostPort.of(remote) + " sent a frame over the readerLimit of "
                        + conf.readerLimit() + " bytes; connection closed");
            }
            // A reset or broken pipe in our words, naming the peer; Netty's or the OS's text stays in the cause.
            fail(Errors.read(cause, remote));
        }
    }
}
