package io.p2pd.pipe;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DelimiterBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandler;
import io.p2pd.net.HostPort;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/** Puts TLS and framing in front of a TCP pipe's inbound handler: channel → (TLS) → (framing) → pipe. */
final class StreamSetup {

    private StreamSetup() {
    }

    /**
     * Adds the handlers {@code tcp} asks for. {@code dialled} is the destination a client dialled (for SNI and
     * host-name checks); empty on the server side. Returns the TLS handler, if any, to await its handshake.
     */
    static Optional<SslHandler> install(Channel ch, PipeConf conf, TcpOptions tcp, Optional<HostPort> dialled)
            throws SSLException {
        Optional<SslHandler> tls = Optional.empty();
        if (tcp.tls().isPresent()) {
            Tls settings = tcp.tls().get();
            SslHandler ssl = dialled.isPresent() ? clientHandler(ch, settings, dialled.get())
                    : settings.serverContext().newHandler(ch.alloc());
            ssl.setHandshakeTimeoutMillis(tcp.sslHandshake().toMillis());
            ch.pipeline().addLast("p2pd-tls", ssl);
            tls = Optional.of(ssl);
        }
        switch (tcp.framing()) {
            case Framing.Raw raw -> {
                if (tcp.tls().isPresent()) {
                    ch.pipeline().addLast("p2pd-chunks", new ChunkLimit(conf.readerLimit()));
                }
            }
            case Framing.Delimited d -> ch.pipeline().addLast("p2pd-framing",
                    new DelimitedFrames(conf.readerLimit(), d.delimiter()));
            case Framing.LengthPrefixed l -> ch.pipeline().addLast("p2pd-framing", new LengthFieldBasedFrameDecoder(
                    conf.readerLimit() + l.lengthBytes(), 0, l.lengthBytes(), 0, l.lengthBytes(), true));
            // The 16-bit length at offset 2 counts the bytes after the 20-byte header (16 after the field).
            case Framing.Stun stun -> ch.pipeline().addLast("p2pd-framing",
                    new LengthFieldBasedFrameDecoder(conf.readerLimit(), 2, 2, 16, 0, true));
        }
        return tls;
    }

    /**
     * Cuts what TLS hands on to chunks of at most readerLimit bytes: a decrypted record holds up to 16 KiB, where
     * without TLS the receive buffer itself keeps a read within the limit.
     */
    static final class ChunkLimit extends ChannelInboundHandlerAdapter {
        private final int limit;

        ChunkLimit(int limit) {
            this.limit = limit;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            if (buf.readableBytes() <= limit) {
                ctx.fireChannelRead(buf);
                return;
            }
            try {
                while (buf.isReadable()) {
                    ctx.fireChannelRead(buf.readRetainedSlice(Math.min(limit, buf.readableBytes())));
                }
            } finally {
                buf.release();
            }
        }
    }

    /**
     * Netty's delimiter decoder, with the limit applied to the frame only. Netty fails fast once the bytes held
     * without a whole delimiter exceed its limit, which counts the first bytes of a multi-byte delimiter when a
     * read ends inside it: a frame of exactly readerLimit bytes was refused or not depending on how TCP cut the
     * stream. Held bytes may now reach readerLimit plus the delimiter's length less one; a found frame over
     * readerLimit still fails.
     */
    static final class DelimitedFrames extends DelimiterBasedFrameDecoder {
        private final int limit;

        DelimitedFrames(int limit, byte[] delimiter) {
            super(limit + delimiter.length - 1, true, true, Unpooled.wrappedBuffer(delimiter));
            this.limit = limit;
        }

        @Override
        protected Object decode(ChannelHandlerContext ctx, ByteBuf buffer) throws Exception {
            Object frame = super.decode(ctx, buffer);
            if (frame instanceof ByteBuf b && b.readableBytes() > limit) {
                int length = b.readableBytes();
                b.release();
                throw new TooLongFrameException("frame length exceeds " + limit + ": " + length + " - discarded");
            }
            return frame;
        }
    }

    private static SslHandler clientHandler(Channel ch, Tls tls, HostPort dest) throws SSLException {
        SslHandler ssl = tls.clientContext().newHandler(ch.alloc(), dest.host(), dest.port());
        SSLEngine engine = ssl.engine();
        SSLParameters params = engine.getSSLParameters();
        // The name or IP dialled must be one the certificate names (DNS or IP subject alternative names).
        params.setEndpointIdentificationAlgorithm(tls.verifiesHostNames() ? "HTTPS" : null);
        engine.setSSLParameters(params);
        return ssl;
    }
}
