package io.p2pd.node.mqtt;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;

/**
 * One TCP (or TLS) connection of an {@link MqttClient}: sends CONNECT, waits for the CONNACK within the connect
 * timeout, then hands packets to the client and keeps the connection alive. Lives on the client's loop.
 */
final class Connection extends ChannelInboundHandlerAdapter {

    final MqttClient client;
    final MqttProtocol version;
    /** Completes with this connection when a CONNACK accepts it; fails with the reason it was not. */
    final CompletableFuture<Connection> established = new CompletableFuture<>();
    private final Duration keepAlive;
    private final Duration connectTimeout;
    Channel channel;
    private boolean accepted;
    /** Why the connection ends: the first failure seen. */
    private Throwable cause;
    private ScheduledFuture<?> timer;
    /** How many QoS 1 publishes the broker takes unacknowledged at once (MQTT 5's Receive Maximum). */
    int brokerReceiveMaximum = 65_535;
    /** The largest packet the broker takes (MQTT 5's Maximum Packet Size); none said: no limit of its own. */
    long brokerMaximumPacketSize = Long.MAX_VALUE;
    /** The keep-alive in force: the configured one, or the broker's (MQTT 5's Server Keep Alive). */
    private Duration keepAliveInUse;

    Connection(MqttClient client, MqttProtocol version, Duration keepAlive, Duration connectTimeout) {
        this.client = client;
        this.version = version;
        this.keepAlive = keepAlive;
        this.connectTimeout = connectTimeout;
    }

    /** Whether a failed MQTT 5 connect may mean a broker that only speaks 3.1.1, so that 3.1.1 is worth a try. */
    static boolean mayMeanNoV5(Throwable e) {
        if (e instanceof MqttException.Refused r) {
            int code = r.reasonCode();
            return code == 0x01 || code == 0x84;
        }
        // A 3.1.1 broker may also just close the connection, or send what a 5 decoder cannot read.
        return e instanceof MqttException.Protocol;
    }

    void startTimer(Channel ch) {
        channel = ch;
        timer = ch.eventLoop().schedule(() -> fail(new MqttException.TimedOut("the MQTT broker "
                + client.broker().hostPort() + " did not accept the connection within " + connectTimeout)),
                connectTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (ctx.pipeline().get("tls") == null) {
            sendConnect(ctx);
        }
        super.channelActive(ctx);
    }

    private void sendConnect(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(MqttMessageBuilders.connect()
                .protocolVersion(version == MqttProtocol.V5 ? MqttVersion.MQTT_5 : MqttVersion.MQTT_3_1_1)
                .clientId(client.clientIdForConnect())
                .cleanSession(true)
                .keepAlive((int) keepAlive.getSeconds())
                .build());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (!(msg instanceof MqttMessage m)) {
                return;
            }
            if (m.decoderResult().isFailure()) {
                Throwable why = m.decoderResult().cause();
                if (accepted && why instanceof TooLongFrameException) {
                    // The decoder cannot find the next packet after one it skipped: the connection is lost.
                    client.dropOversized();
                    fail(new MqttException.PayloadTooLarge("the MQTT broker " + client.broker().hostPort()
                            + " sent a packet larger than the inbound limit of "
                            + client.confForConnection().maxInboundPayload() + " payload bytes"));
                } else {
                    fail(new MqttException.Protocol((accepted ? "the MQTT broker " : "not an MQTT broker, or one "
                            + "that broke the protocol: ") + client.broker().hostPort() + " sent a packet that is not "
                            + "valid MQTT", why));
                }
            } else if (accepted) {
                client.onPacket(this, m);
            } else if (m.fixedHeader().messageType() != MqttMessageType.CONNACK) {
                fail(new MqttException.Protocol("not an MQTT broker: " + client.broker().hostPort()
                        + " answered CONNECT with " + m.fixedHeader().messageType() + ", not CONNACK", null));
            } else {
                onConnAck(ctx, (MqttConnAckMessage) m);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** A 3.1.1 CONNACK answered our MQTT 5 CONNECT ({@link V311ConnAckGuard}). */
    void answeredAs311(int returnCode) {
        fail(returnCode == 0
                ? new MqttException.Protocol("the MQTT broker " + client.broker().hostPort() + " accepted an MQTT 5 "
                        + "CONNECT with an MQTT 3.1.1 CONNACK", null)
                : new MqttException.Refused("the MQTT broker " + client.broker().hostPort() + " speaks MQTT 3.1.1 "
                        + "and refused the connection", returnCode));
    }

    private void onConnAck(ChannelHandlerContext ctx, MqttConnAckMessage ack) {
        int code = ack.variableHeader().connectReturnCode().byteValue() & 0xff;
        if (code != 0) {
            fail(new MqttException.Refused("the MQTT broker " + client.broker().hostPort()
                    + " refused the connection (" + ack.variableHeader().connectReturnCode() + ")", code));
            return;
        }
        accepted = true;
        cancelTimer();
        // An MQTT 5 broker may set the keep-alive (Server Keep Alive), bound what is in flight (Receive Maximum) and the
        // size of what it is sent (Maximum Packet Size).
        MqttProperties props = ack.variableHeader().properties();
        Duration keepAlive = this.keepAlive;
        if (props.getProperty(MqttProperties.SERVER_KEEP_ALIVE) instanceof
                MqttProperties.IntegerProperty serverKeepAlive && serverKeepAlive.value() > 0) {
            keepAlive = Duration.ofSeconds(serverKeepAlive.value());
        }
        if (props.getProperty(MqttProperties.RECEIVE_MAXIMUM) instanceof
                MqttProperties.IntegerProperty receiveMaximum && receiveMaximum.value() > 0) {
            brokerReceiveMaximum = receiveMaximum.value();
        }
        if (props.getProperty(MqttProperties.MAXIMUM_PACKET_SIZE) instanceof
                MqttProperties.IntegerProperty maximumPacketSize && maximumPacketSize.value() > 0) {
            brokerMaximumPacketSize = Integer.toUnsignedLong(maximumPacketSize.value());
        }
        keepAliveInUse = keepAlive;
        long keepAliveMs = keepAlive.toMillis();
        ctx.pipeline().addBefore(ctx.name(), "keep-alive", new IdleStateHandler(keepAliveMs * 3 / 2,
                keepAliveMs, 0, TimeUnit.MILLISECONDS));
        // The client's state first: whoever waits on the connect sees it connected.
        client.onConnected(this);
        established.complete(this);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                sendConnect(ctx);
            } else {
                fail(new MqttException.Tls("TLS with the MQTT broker " + client.broker().hostPort() + " failed: "
                        + tlsReason(done.cause()), done.cause()));
            }
        } else if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.WRITER_IDLE) {
                ctx.writeAndFlush(MqttMessage.PINGREQ);
            } else if (idle.state() == IdleState.READER_IDLE) {
                fail(new MqttException.TimedOut("the MQTT broker " + client.broker().hostPort()
                        + " was silent for 1.5 times the keep-alive of " + keepAliveInUse));
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) {
        SSLException tls = find(t, SSLException.class);
        if (tls != null) {
            fail(new MqttException.Tls("TLS with the MQTT broker " + client.broker().hostPort() + " failed: "
                    + tlsReason(tls), t));
        } else {
            fail(new MqttException.Unreachable("the connection to the MQTT broker " + client.broker().hostPort()
                    + " failed", t));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelTimer();
        Throwable why = cause != null ? cause : accepted
                ? new MqttException.Unreachable("the MQTT broker " + client.broker().hostPort()
                        + " closed the connection", null)
                : new MqttException.Protocol("not an MQTT broker, or one that refused this protocol version: "
                        + client.broker().hostPort() + " closed the connection before answering CONNECT", null);
        if (accepted) {
            client.onLost(this, why);
        } else {
            established.completeExceptionally(why);
        }
        super.channelInactive(ctx);
    }

    /** Ends the connection for {@code why} (the first reason given wins). */
    void fail(Throwable why) {
        if (cause == null) {
            cause = why;
        }
        established.completeExceptionally(why);
        channel.close();
    }

    static String reasonOf(MqttMessage disconnect) {
        return disconnect.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader h
                ? " (reason code 0x" + Integer.toHexString(h.reasonCode() & 0xff) + ")" : "";
    }

    /** In our words: the engine's text names its internals. */
    private String tlsReason(Throwable t) {
        if (find(t, CertificateException.class) != null) {
            return client.broker().trusted().isEmpty()
                    ? "its certificate is not trusted by the system's trust store, or does not name "
                            + client.broker().host()
                    : "its certificate is not one of the trusted certificates given, or does not name "
                            + client.broker().host();
        }
        return "the handshake did not complete";
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
