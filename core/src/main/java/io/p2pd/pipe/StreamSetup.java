package io.p2pd.pipe;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.DelimiterBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
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
     * Adds the handlers {@code conf} asks for. {@code dialled} is the destination a client dialled (for SNI and
     * host-name checks); empty on the server side. Returns the TLS handler, if any, to await its handshake.
     */
    static Optional<SslHandler> install(Channel ch, PipeConf conf, Optional<HostPort> dialled) throws SSLException {
        Optional<SslHandler> tls = Optional.empty();
        if (conf.useSsl()) {
            SslHandler ssl = dialled.isPresent() ? clientHandler(ch, conf, dialled.get())
                    : conf.tls().serverContext().newHandler(ch.alloc());
            ssl.setHandshakeTimeoutMillis(conf.sslHandshake().toMillis());
            ch.pipeline().addLast("p2pd-tls", ssl);
            tls = Optional.of(ssl);
        }
        switch (conf.framing()) {
            case Framing.Raw raw -> { }
            case Framing.Delimited d -> ch.pipeline().addLast("p2pd-framing", new DelimiterBasedFrameDecoder(
                    conf.readerLimit(), true, true, Unpooled.wrappedBuffer(d.delimiter())));
            case Framing.LengthPrefixed l -> ch.pipeline().addLast("p2pd-framing", new LengthFieldBasedFrameDecoder(
                    conf.readerLimit() + l.lengthBytes(), 0, l.lengthBytes(), 0, l.lengthBytes(), true));
        }
        return tls;
    }

    private static SslHandler clientHandler(Channel ch, PipeConf conf, HostPort dest) throws SSLException {
        boolean name = dest.literal().isEmpty();
        SslHandler ssl = name
                ? conf.tls().clientContext().newHandler(ch.alloc(), dest.host(), dest.port())
                : conf.tls().clientContext().newHandler(ch.alloc());
        if (name && conf.tls().verifiesHostNames()) {
            SSLEngine engine = ssl.engine();
            SSLParameters params = engine.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            engine.setSSLParameters(params);
        }
        return ssl;
    }
}
