package io.p2pd.turn;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.net.HostPort;
import io.p2pd.stun.StunAttribute;
import io.p2pd.stun.StunDecodeException;
import io.p2pd.stun.StunErrorCode;
import io.p2pd.stun.StunMessage;
import io.p2pd.stun.StunMessage.MessageClass;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The first handler of an RFC 6062 data connection, between TLS and the pipe's framing: it sends the ConnectionBind
 * for one CONNECTION-ID, takes the server's answer off the stream, and on success leaves the pipeline, passing on
 * the bytes that followed the answer in the same read (the peer's first bytes), so the pipe sees only the peer's
 * stream. Runs on the allocation's event loop (the data pipe shares it), so it signs with the allocation's state
 * directly.
 */
final class ConnectionBinder extends ChannelInboundHandlerAdapter {
    private static final int STUN_HEADER = 20;

    /** Signs with the allocation's credentials: the allocation itself, or a test's stand-in. */
    interface Signer {
        /**
         * {@code b} signed, with {@code nonce} and {@code realm} (and the key derived from it) when the server gave
         * this connection its own.
         */
        StunMessage sign(StunMessage.Builder b, Optional<String> nonce, Optional<String> realm);

        /** Whether {@code m} is signed with our key, or the one for {@code realm} when given. */
        boolean signedByUs(StunMessage m, Optional<String> realm);
    }

    private final Signer signer;
    private final InetSocketAddress server;
    private final int connectionId;
    private final InetSocketAddress peer;
    private final Duration timeLimit;
    private final CompletableFuture<Void> bound = new LoopSafeFuture<>();
    private ChannelHandlerContext ctx;
    private byte[] got = new byte[0];
    private StunMessage request;
    private boolean retried;
    /** The realm the server gave this connection in a 401 or 438, when it differs from the allocation's. */
    private Optional<String> realm = Optional.empty();
    private ScheduledFuture<?> deadline;

    ConnectionBinder(Signer signer, InetSocketAddress server, int connectionId, InetSocketAddress peer,
            Duration timeLimit) {
        this.signer = signer;
        this.server = server;
        this.connectionId = connectionId;
        this.peer = peer;
        this.timeLimit = timeLimit;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Sends the ConnectionBind; completes once the server accepted it. Once the pipe is up (TLS included). */
    CompletableFuture<Void> bind() {
        ctx.executor().execute(() -> {
            if (bound.isDone()) {
                return; // the server spoke first: refused already
            }
            deadline = ctx.executor().schedule(() -> fail(new TurnTimeoutException(server,
                    what(), timeLimit, retried ? 2 : 1)), timeLimit.toMillis(), TimeUnit.MILLISECONDS);
            send(Optional.empty());
        });
        return bound;
    }

    private String what() {
        return "ConnectionBind for " + HostPort.of(peer);
    }

    private void send(Optional<String> nonce) {
        byte[] id = {(byte) (connectionId >>> 24), (byte) (connectionId >>> 16), (byte) (connectionId >>> 8),
                (byte) connectionId};
        request = signer.sign(StunMessage.builder(StunMessage.METHOD_CONNECTION_BIND,
                MessageClass.REQUEST).add(StunAttribute.of(StunAttribute.CONNECTION_ID, id)), nonce, realm);
        ctx.writeAndFlush(Unpooled.wrappedBuffer(request.encode())).addListener(f -> {
            if (!f.isSuccess()) {
                fail(f.cause());
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (bound.isDone()) {
                return; // failed: the pipe is being closed, nothing more goes to it
            }
            int start = got.length;
            got = Arrays.copyOf(got, start + buf.readableBytes());
            buf.readBytes(got, start, buf.readableBytes());
        } finally {
            buf.release();
        }
        answer();
    }

    /** Acts on the server's answer once it is whole. */
    private void answer() {
        if (request == null && got.length > 0) {
            fail(new TurnProtocolException("TURN server " + HostPort.of(server) + " sent bytes on a data connection "
                    + "before its " + what()));
            return;
        }
        if (got.length < STUN_HEADER) {
            return;
        }
        if ((got[0] & 0xC0) != 0) {
            fail(new TurnProtocolException("TURN server " + HostPort.of(server) + " answered "
                    + what() + " with bytes that are not STUN"));
            return;
        }
        int length = STUN_HEADER + (((got[2] & 0xFF) << 8) | (got[3] & 0xFF));
        if (got.length < length) {
            return;
        }
        StunMessage m;
        try {
            m = StunMessage.decode(Arrays.copyOf(got, length));
        } catch (StunDecodeException e) {
            fail(new TurnProtocolException("TURN server " + HostPort.of(server) + " answered "
                    + what() + " with a malformed STUN message: " + e.getMessage()));
            return;
        }
        byte[] rest = Arrays.copyOfRange(got, length, got.length);
        got = rest;
        if (Allocation.fingerprintBroken(m)) {
            answer(); // damaged: dropped as if it never came, as on the control connection
            return;
        }
        if (!m.messageClass().isResponse() || m.method() != StunMessage.METHOD_CONNECTION_BIND
                || !Arrays.equals(m.transactionId(), request.transactionId())) {
            fail(new TurnProtocolException("TURN server " + HostPort.of(server) + " answered "
                    + what() + " with another message (" + m + ")"));
            return;
        }
        if (!Allocation.acceptableAnswer(m, answer -> signer.signedByUs(answer, realm))) {
            fail(new TurnProtocolException("TURN server " + HostPort.of(server) + " answered "
                    + what() + " with a response not signed with our key; refused"));
            return;
        }
        if (m.messageClass() == MessageClass.ERROR_RESPONSE) {
            StunErrorCode error = m.errorCode().orElse(new StunErrorCode(StunErrorCode.SERVER_ERROR,
                    "error response without ERROR-CODE"));
            // A new connection may have a nonce of its own: the one the server names is used once.
            if (!retried && m.nonce().isPresent() && (error.code() == StunErrorCode.STALE_NONCE
                    || error.code() == StunErrorCode.UNAUTHORIZED)) {
                retried = true;
                // A 401 naming another realm asks for the key of that realm: the old one would fail again.
                realm = m.realm();
                send(m.nonce());
                answer();
                return;
            }
            fail(TurnErrorResponseException.of(server, what(), error));
            return;
        }
        cancelDeadline();
        got = null;
        if (rest.length > 0) {
            // The peer's first bytes, read with the answer: they are the stream's start.
            ctx.fireChannelRead(Unpooled.wrappedBuffer(rest));
        }
        ctx.pipeline().remove(this);
        bound.complete(null);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(new TurnConnectionLostException("the data connection to TURN server "
                + HostPort.of(server) + " closed before it answered " + what()));
        ctx.fireChannelInactive();
    }

    private void fail(Throwable cause) {
        cancelDeadline();
        bound.completeExceptionally(cause);
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
        }
    }
}
