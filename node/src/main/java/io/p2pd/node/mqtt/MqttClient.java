package io.p2pd.node.mqtt;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.ScheduledFuture;
import io.p2pd.internal.Channels;
import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.net.EventLoops;
import io.p2pd.net.Resolver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of one MQTT broker, on Netty's MQTT codec: subscriptions and publishes at QoS 1, kept across reconnects.
 *
 * <p>{@link #connect} speaks MQTT 5 and, when the broker refuses it, 3.1.1 (as the original's client does), unless
 * {@link MqttClientConf#protocol} forces one. Once connected, a lost connection is made again with jittered,
 * doubling backoff ({@link MqttClientConf#reconnectMin} to {@link MqttClientConf#reconnectMax}), for as long as the
 * client is open: its subscriptions are sent again, unacknowledged publishes are re-sent (with DUP) and publishes
 * queued meanwhile go out. Keep-alive: a PINGREQ after {@link MqttClientConf#keepAlive} without sending; a broker
 * silent for 1.5 times it is taken for dead and the connection is made again. An MQTT 5 broker's CONNACK limits are
 * kept: its Server Keep Alive replaces the keep-alive, its Receive Maximum bounds the publishes in flight, and a
 * publish larger than its Maximum Packet Size fails with {@link MqttException.PayloadTooLarge} instead of being sent
 * (the broker would drop the connection).
 *
 * <p>A subscription the broker refuses when it is sent again after a reconnect is forgotten, and the state listener
 * hears it ({@link MqttStateListener#subscriptionLost}): its future completed with the first SUBACK.
 *
 * <p>Threads: a client lives on one event loop of the core's shared group ({@link EventLoops#shared()}), chosen when
 * it is made. Message handlers, the state listener and the completion of every future this class returns run on
 * that loop, so they must not block; the futures are loop-safe (as the pipes': waiting on one, on an event loop,
 * before it is done throws {@link io.p2pd.pipe.BlockingOnEventLoopException} instead of hanging). All methods are
 * thread-safe.
 *
 * <p>Inbound messages of QoS 0, 1 and 2 are handled per the specification: PUBACK for 1; PUBREC, PUBREL, PUBCOMP for
 * 2, where a redelivery before the exchange ends is recognised and not delivered twice.
 */
public final class MqttClient {

    private static final Logger LOG = LoggerFactory.getLogger(MqttClient.class);
    /**
     * Room in a packet for a topic, packet id and MQTT 5 properties, on top of the payload limit: a packet larger
     * than both cannot be read, and costs the connection.
     */
    static final int HEADER_ROOM = 4096;
    /** A 3.1.1 CONNACK's "unacceptable protocol version", and MQTT 5's "unsupported protocol version". */
    private static final int REFUSED_VERSION_311 = 0x01;
    private static final int REFUSED_VERSION_5 = 0x84;

    private final MqttBroker broker;
    private final MqttClientConf conf;
    private final EventLoop loop;
    private final String clientId;
    private final SslContext ssl;

    // Confined to the loop.
    private Channel channel;
    private Channel attemptChannel;
    private boolean closed;
    private boolean everConnected;
    private int reconnectAttempt;
    private ScheduledFuture<?> reconnectTimer;
    private int nextPacketId = 1;
    /** The in-flight bound of this connection: the configuration's, or the broker's Receive Maximum if lower. */
    private int maxInFlight;
    /** The largest packet this connection's broker takes (MQTT 5's Maximum Packet Size). */
    private long maxPacketSize = Long.MAX_VALUE;
    private final Map<String, Subscription> subscriptions = new LinkedHashMap<>();
    private final Map<Integer, Subscription> subscribing = new HashMap<>();
    private final ArrayDeque<Outgoing> queued = new ArrayDeque<>();
    private final Map<Integer, Outgoing> inFlight = new LinkedHashMap<>();
    private final Set<Integer> inboundQos2 = new HashSet<>();

    private volatile MqttProtocol protocol;
    private volatile boolean connected;
    private volatile MqttStateListener listener = new MqttStateListener() { };
    private final AtomicReference<CompletableFuture<Void>> closing = new AtomicReference<>();

    private final AtomicLong connects = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final Map<MqttStats.Drop, AtomicLong> dropped = new EnumMap<>(MqttStats.Drop.class);

    private MqttClient(MqttBroker broker, MqttClientConf conf, SslContext ssl) {
        this.broker = broker;
        this.conf = conf;
        this.ssl = ssl;
        this.loop = EventLoops.shared().next();
        this.clientId = conf.clientId().isEmpty()
                ? "p2pd-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE)
                : conf.clientId();
        for (MqttStats.Drop d : MqttStats.Drop.values()) {
            dropped.put(d, new AtomicLong());
        }
    }

    /**
     * Connects to {@code broker}. The future completes with the client after the first CONNACK that accepts it, and
     * fails, with the client left closed, with {@link MqttException.Refused} (the reason code),
     * {@link MqttException.Unreachable}, {@link MqttException.Protocol} (not an MQTT broker),
     * {@link MqttException.TimedOut} (past {@link MqttClientConf#connectTimeout}) or {@link MqttException.Tls}.
     * Only later losses are reconnected.
     */
    public static CompletableFuture<MqttClient> connect(MqttBroker broker, MqttClientConf conf) {
        Objects.requireNonNull(broker, "broker");
        Objects.requireNonNull(conf, "conf");
        SslContext ssl = null;
        if (broker.tls()) {
            try {
                SslContextBuilder b = SslContextBuilder.forClient()
                        .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
                        .endpointIdentificationAlgorithm("HTTPS");
                if (!broker.trusted().isEmpty()) {
                    b.trustManager(broker.trusted().toArray(java.security.cert.X509Certificate[]::new));
                }
                ssl = b.build();
            } catch (SSLException e) {
                return LoopSafeFuture.failed(new MqttException.Tls("cannot set up TLS for " + broker + ": "
                        + e.getMessage(), e));
            }
        }
        MqttClient client = new MqttClient(broker, conf, ssl);
        LoopSafeFuture<MqttClient> result = new LoopSafeFuture<>();
        client.loop.execute(() -> client.attempt(conf.protocol().orElse(MqttProtocol.V5),
                conf.protocol().isEmpty()).whenComplete((ok, error) -> client.onLoop(() -> {
                    if (error == null) {
                        result.complete(client);
                    } else {
                        // closed is the loop's, as all connection state: whatever thread failed the attempt, the
                        // client is closed on its loop.
                        client.closed = true;
                        client.closing.compareAndSet(null, LoopSafeFuture.completed(null));
                        result.completeExceptionally(error);
                    }
                })));
        return result;
    }

    /** The broker this client talks to. */
    public MqttBroker broker() {
        return broker;
    }

    /** The client identifier sent in CONNECT (made up when the configuration gave none). */
    public String clientId() {
        return clientId;
    }

    /** The version the broker accepted; the last one while disconnected. */
    public MqttProtocol protocolVersion() {
        return protocol;
    }

    /** Whether a connection is up (a CONNACK accepted it and it has not been lost since). */
    public boolean isConnected() {
        return connected;
    }

    /** Sets the one listener of connection state (replacing the one before); called on the client's loop. */
    public void stateListener(MqttStateListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** A snapshot of the counters. */
    public MqttStats stats() {
        Map<MqttStats.Drop, Long> d = new EnumMap<>(MqttStats.Drop.class);
        dropped.forEach((k, v) -> d.put(k, v.get()));
        return new MqttStats(connects.get(), reconnects.get(), published.get(), received.get(), delivered.get(), d);
    }

    /**
     * Subscribes to {@code topicFilter} (wildcards {@code +} and {@code #} allowed) at QoS 1; {@code handler} gets
     * its messages. Subscribing to the same filter again replaces its handler. The subscription is kept, and sent
     * again after every reconnect.
     *
     * @return completes on the SUBACK; fails with {@link MqttException.Refused} if the broker refuses it (the
     *         subscription is then dropped) or {@link MqttException.Closed}. While disconnected it waits for the
     *         next connection.
     * @throws IllegalArgumentException for an empty or malformed topic filter
     */
    public CompletableFuture<Void> subscribe(String topicFilter, MqttMessageHandler handler) {
        Topics.checkFilter(topicFilter);
        Objects.requireNonNull(handler, "handler");
        LoopSafeFuture<Void> done = new LoopSafeFuture<>();
        loop.execute(() -> {
            if (closed) {
                done.completeExceptionally(closedError());
                return;
            }
            Subscription s = new Subscription(topicFilter, handler, done);
            Subscription before = subscriptions.put(topicFilter, s);
            if (before != null && !before.acked.isDone()) {
                // The earlier call's SUBACK is this one's too.
                s.acked.whenComplete((v, e) -> complete(before.acked, e));
            }
            if (channel != null) {
                sendSubscribe(s);
            }
        });
        return done;
    }

    /**
     * Publishes {@code payload} (copied) to {@code topic} at QoS 1, not retained.
     *
     * @return completes on the PUBACK. While disconnected, or with {@link MqttClientConf#maxInFlight} publishes
     *         unacknowledged, it waits in a queue of {@link MqttClientConf#maxQueued} and is sent when it can (again,
     *         with DUP, if a connection was lost before its PUBACK). Fails with {@link MqttException.QueueFull},
     *         {@link MqttException.Closed}, {@link MqttException.Refused} for an MQTT 5 PUBACK's error code, or
     *         {@link MqttException.PayloadTooLarge} when the packet is larger than the MQTT 5 broker's Maximum
     *         Packet Size (checked when it is sent, against the broker of that connection).
     * @throws IllegalArgumentException for an empty topic or one with wildcards
     */
    public CompletableFuture<Void> publish(String topic, byte[] payload) {
        Topics.checkName(topic);
        Objects.requireNonNull(payload, "payload");
        Outgoing o = new Outgoing(topic, payload.clone(), new LoopSafeFuture<>());
        loop.execute(() -> enqueue(o));
        return o.acked;
    }

    /**
     * Closes the client: sends DISCONNECT when connected, closes the socket and stops reconnecting. Publishes and
     * subscriptions still waiting fail with {@link MqttException.Closed}. Idempotent: every call returns the same
     * future, which completes once the socket is closed.
     */
    public CompletableFuture<Void> close() {
        LoopSafeFuture<Void> mine = new LoopSafeFuture<>();
        if (!closing.compareAndSet(null, mine)) {
            return closing.get();
        }
        loop.execute(() -> {
            closed = true;
            connected = false;
            if (reconnectTimer != null) {
                reconnectTimer.cancel(false);
            }
            failAllWaiting();
            List<Channel> open = new ArrayList<>();
            if (channel != null) {
                open.add(channel);
                Channel c = channel;
                c.writeAndFlush(MqttMessage.DISCONNECT).addListener(f -> c.close());
            }
            if (attemptChannel != null && attemptChannel != channel) {
                open.add(attemptChannel);
                attemptChannel.close();
            }
            channel = null;
            if (open.isEmpty()) {
                mine.complete(null);
                return;
            }
            CompletableFuture<?>[] all = open.stream().map(c -> {
                CompletableFuture<Void> f = new CompletableFuture<>();
                c.closeFuture().addListener(x -> f.complete(null));
                return f;
            }).toArray(CompletableFuture<?>[]::new);
            CompletableFuture.allOf(all).whenComplete((v, e) -> mine.complete(null));
        });
        return mine;
    }

    @Override
    public String toString() {
        return "MqttClient[" + broker + ", " + clientId + (connected ? ", connected " + protocol : ", disconnected")
                + "]";
    }

    // ---- connecting (all on the loop) ----

    /** One connection attempt, with the 3.1.1 fallback when allowed; completes once a CONNACK accepted it. */
    private CompletableFuture<Void> attempt(MqttProtocol version, boolean fallback) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (closed) {
            done.completeExceptionally(closedError());
            return done;
        }
        // The resolver's future may complete on any thread: everything after it runs on the loop.
        Resolver.system().resolve(broker.host(), conf.connectTimeout(), loop).whenComplete((address, error) -> onLoop(
                () -> {
                    if (error != null) {
                        done.completeExceptionally(new MqttException.Unreachable("cannot resolve the broker's host "
                                + broker.host(), error));
                        return;
                    }
                    open(address, version).whenComplete((conn, e) -> {
                        if (e == null) {
                            done.complete(null);
                        } else if (fallback && version == MqttProtocol.V5 && Connection.mayMeanNoV5(e) && !closed) {
                            LOG.debug("{} refused MQTT 5 ({}); trying 3.1.1", broker, e.getMessage());
                            attempt(MqttProtocol.V3_1_1, false).whenComplete((v, e2) -> complete(done, e2));
                        } else {
                            done.completeExceptionally(closed ? closedError() : e);
                        }
                    });
                }));
        return done;
    }

    private CompletableFuture<Connection> open(InetAddress address, MqttProtocol version) {
        Connection conn = new Connection(this, version, conf.keepAlive(), conf.connectTimeout());
        if (closed) {
            conn.established.completeExceptionally(closedError());
            return conn.established;
        }
        int decoderLimit = (int) Math.min(268_435_455L, (long) conf.maxInboundPayload() + HEADER_ROOM);
        Bootstrap b = new Bootstrap().group(loop)
                .channelFactory(Channels.tcpClient(loop, Channels.familyOf(address)))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        conf.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new io.netty.channel.ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc(), broker.host(), broker.port()));
                        }
                        if (version == MqttProtocol.V5) {
                            ch.pipeline().addLast("v311-connack", new V311ConnAckGuard(conn));
                        }
                        ch.pipeline().addLast("decoder", new MqttDecoder(decoderLimit));
                        ch.pipeline().addLast("encoder", MqttEncoder.INSTANCE);
                        ch.pipeline().addLast("mqtt", conn);
                    }
                });
        ChannelFuture cf = b.connect(new InetSocketAddress(address, broker.port()));
        attemptChannel = cf.channel();
        conn.startTimer(cf.channel());
        cf.addListener(f -> {
            if (!f.isSuccess()) {
                conn.established.completeExceptionally(closed ? closedError()
                        : new MqttException.Unreachable("cannot connect to the MQTT broker " + broker.hostPort(),
                                f.cause()));
            }
        });
        conn.established.whenComplete((c, e) -> {
            conn.cancelTimer();
            if (attemptChannel == cf.channel()) {
                attemptChannel = null;
            }
            if (e != null) {
                cf.channel().close();
            }
        });
        return conn.established;
    }

    /** Runs {@code task} on the loop: now when called there, else as the loop's next task. */
    private void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    /** Tells the state listener, which must not break the client by throwing. */
    private void tellListener(Consumer<MqttStateListener> event) {
        try {
            event.accept(listener);
        } catch (RuntimeException e) {
            LOG.warn("MQTT state listener failed", e);
        }
    }

    /** A CONNACK accepted {@code conn}. */
    void onConnected(Connection conn) {
        if (closed) {
            conn.channel.close();
            return;
        }
        channel = conn.channel;
        protocol = conn.version;
        maxInFlight = Math.min(conf.maxInFlight(), conn.brokerReceiveMaximum);
        maxPacketSize = conn.brokerMaximumPacketSize;
        connected = true;
        connects.incrementAndGet();
        if (everConnected) {
            reconnects.incrementAndGet();
        }
        everConnected = true;
        reconnectAttempt = 0;
        inboundQos2.clear(); // a clean session: the broker forgot its side of every QoS 2 exchange
        tellListener(l -> l.connected(conn.version));
        for (Subscription s : subscriptions.values()) {
            sendSubscribe(s);
        }
        // This broker's Maximum Packet Size may be below the last one's: what it cannot take fails, not the connection.
        for (var it = inFlight.values().iterator(); it.hasNext(); ) {
            Outgoing o = it.next();
            if (fitsBroker(o)) {
                sendPublish(o);
            } else {
                it.remove();
            }
        }
        drain();
    }

    /** An accepted connection ended, for {@code cause}. */
    void onLost(Connection conn, Throwable cause) {
        if (channel != conn.channel) {
            return;
        }
        channel = null;
        connected = false;
        subscribing.clear();
        if (closed) {
            return;
        }
        tellListener(l -> l.disconnected(cause));
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        if (closed) {
            return;
        }
        reconnectAttempt++;
        long min = conf.reconnectMin().toNanos();
        long max = conf.reconnectMax().toNanos();
        long ceiling = reconnectAttempt > 40 ? max : Math.min(max, min << Math.min(reconnectAttempt - 1, 40));
        if (ceiling < 0) {
            ceiling = max;
        }
        // Half fixed, half random: clients that lost the same broker do not all come back at once.
        long delay = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
        int attemptNumber = reconnectAttempt;
        Duration wait = Duration.ofNanos(delay);
        tellListener(l -> l.reconnecting(attemptNumber, wait));
        reconnectTimer = loop.schedule(() -> {
            MqttProtocol v = protocol == null ? conf.protocol().orElse(MqttProtocol.V5) : protocol;
            attempt(v, false).whenComplete((ok, error) -> {
                if (error != null && !closed) {
                    LOG.debug("reconnect {} to {} failed: {}", attemptNumber, broker, error.getMessage());
                    scheduleReconnect();
                }
            });
        }, delay, TimeUnit.NANOSECONDS);
    }

    // ---- subscriptions and publishes (on the loop) ----

    private void sendSubscribe(Subscription s) {
        int id = nextPacketId();
        subscribing.put(id, s);
        channel.writeAndFlush(MqttMessageBuilders.subscribe().messageId(id)
                .addSubscription(MqttQoS.AT_LEAST_ONCE, s.filter).build());
    }

    private void enqueue(Outgoing o) {
        if (closed) {
            o.acked.completeExceptionally(closedError());
        } else if (channel != null && inFlight.size() < maxInFlight && queued.isEmpty()) {
            sendNew(o);
        } else if (queued.size() < conf.maxQueued()) {
            queued.add(o);
        } else {
            o.acked.completeExceptionally(new MqttException.QueueFull("MQTT publish to " + o.topic + " on "
                    + broker + ": the outgoing queue is full (" + conf.maxQueued() + " waiting)"));
        }
    }

    private void drain() {
        while (channel != null && inFlight.size() < maxInFlight && !queued.isEmpty()) {
            sendNew(queued.poll());
        }
    }

    private void sendNew(Outgoing o) {
        if (!fitsBroker(o)) {
            return;
        }
        o.packetId = nextPacketId();
        inFlight.put(o.packetId, o);
        sendPublish(o);
    }

    private void sendPublish(Outgoing o) {
        MqttFixedHeader header = new MqttFixedHeader(MqttMessageType.PUBLISH, o.sent, MqttQoS.AT_LEAST_ONCE, false,
                0);
        o.sent = true;
        channel.writeAndFlush(new MqttPublishMessage(header, new MqttPublishVariableHeader(o.topic, o.packetId),
                Unpooled.wrappedBuffer(o.payload)));
    }

    /**
     * Whether {@code o}'s PUBLISH is within the broker's Maximum Packet Size; if not, its future fails: a broker
     * disconnects a client that sends a larger packet, and the publish would be re-sent and cost every connection.
     */
    private boolean fitsBroker(Outgoing o) {
        long size = o.packetSize(protocol);
        if (size <= maxPacketSize) {
            return true;
        }
        o.acked.completeExceptionally(new MqttException.PayloadTooLarge("MQTT publish to " + o.topic + " on " + broker
                + ": " + size + " bytes as a packet, the broker takes at most " + maxPacketSize));
        return false;
    }

    /** A free packet identifier: none of those waiting for an acknowledgement. */
    private int nextPacketId() {
        for (int tries = 0; tries < 65_535; tries++) {
            int id = nextPacketId;
            nextPacketId = id == 65_535 ? 1 : id + 1;
            if (!inFlight.containsKey(id) && !subscribing.containsKey(id)) {
                return id;
            }
        }
        // maxInFlight <= 65535 and subscriptions are few: never reached in practice.
        throw new IllegalStateException("no free MQTT packet identifier");
    }

    private void failAllWaiting() {
        MqttException error = closedError();
        for (Outgoing o : inFlight.values()) {
            o.acked.completeExceptionally(error);
        }
        inFlight.clear();
        for (Outgoing o : queued) {
            o.acked.completeExceptionally(error);
        }
        queued.clear();
        for (Subscription s : subscriptions.values()) {
            s.acked.completeExceptionally(error);
        }
        subscribing.clear();
    }

    private MqttException.Closed closedError() {
        return new MqttException.Closed("the MQTT client of " + broker + " is closed");
    }

    // ---- inbound packets of an accepted connection (on the loop) ----

    /** One packet after the CONNACK; the caller releases it. */
    void onPacket(Connection conn, MqttMessage msg) {
        switch (msg.fixedHeader().messageType()) {
            case PUBLISH -> onPublish(conn, (MqttPublishMessage) msg);
            case PUBACK -> onPubAck(conn, msg);
            case PUBREL -> {
                int id = ((MqttMessageIdVariableHeader) msg.variableHeader()).messageId();
                inboundQos2.remove(id);
                conn.channel.writeAndFlush(reply(MqttMessageType.PUBCOMP, MqttQoS.AT_MOST_ONCE, id));
            }
            case SUBACK -> onSubAck((MqttSubAckMessage) msg);
            case PINGRESP, UNSUBACK -> { }
            case DISCONNECT -> conn.fail(new MqttException.Protocol("the MQTT broker " + broker.hostPort()
                    + " disconnected the client" + Connection.reasonOf(msg), null));
            default -> conn.fail(new MqttException.Protocol("the MQTT broker " + broker.hostPort() + " sent an "
                    + "unexpected " + msg.fixedHeader().messageType() + " packet", null));
        }
    }

    private void onPublish(Connection conn, MqttPublishMessage msg) {
        received.incrementAndGet();
        String topic = msg.variableHeader().topicName();
        int id = msg.variableHeader().packetId();
        MqttQoS qos = msg.fixedHeader().qosLevel();
        if (qos == MqttQoS.EXACTLY_ONCE && !inboundQos2.add(id)) {
            dropped.get(MqttStats.Drop.DUPLICATE).incrementAndGet();
        } else if (msg.payload().readableBytes() > conf.maxInboundPayload()) {
            dropped.get(MqttStats.Drop.OVERSIZED).incrementAndGet();
        } else {
            byte[] payload = new byte[msg.payload().readableBytes()];
            msg.payload().getBytes(msg.payload().readerIndex(), payload);
            deliver(topic, payload);
        }
        if (qos == MqttQoS.AT_LEAST_ONCE) {
            conn.channel.writeAndFlush(reply(MqttMessageType.PUBACK, MqttQoS.AT_MOST_ONCE, id));
        } else if (qos == MqttQoS.EXACTLY_ONCE) {
            conn.channel.writeAndFlush(reply(MqttMessageType.PUBREC, MqttQoS.AT_MOST_ONCE, id));
        }
    }

    private void deliver(String topic, byte[] payload) {
        List<Subscription> matching = new ArrayList<>(1);
        for (Subscription s : subscriptions.values()) {
            if (Topics.matches(s.filter, topic)) {
                matching.add(s);
            }
        }
        if (matching.isEmpty()) {
            dropped.get(MqttStats.Drop.NO_HANDLER).incrementAndGet();
            return;
        }
        // Counted before the handlers run: whoever a handler wakes sees the count that includes its message.
        delivered.incrementAndGet();
        boolean failed = false;
        for (int i = 0; i < matching.size(); i++) {
            try {
                matching.get(i).handler.onMessage(topic, i == matching.size() - 1 ? payload : payload.clone());
            } catch (RuntimeException e) {
                failed = true;
                LOG.warn("MQTT message handler for {} failed", matching.get(i).filter, e);
            }
        }
        if (failed) {
            dropped.get(MqttStats.Drop.HANDLER_FAILED).incrementAndGet();
        }
    }

    private void onPubAck(Connection conn, MqttMessage msg) {
        MqttMessageIdVariableHeader h = (MqttMessageIdVariableHeader) msg.variableHeader();
        Outgoing o = inFlight.remove(h.messageId());
        if (o == null) {
            return; // a late PUBACK of a publish already failed by close, or a broker's duplicate
        }
        int reason = h instanceof MqttPubReplyMessageVariableHeader r ? r.reasonCode() & 0xff : 0;
        if (reason >= 0x80) {
            o.acked.completeExceptionally(new MqttException.Refused("the MQTT broker " + broker.hostPort()
                    + " refused a publish to " + o.topic, reason));
        } else {
            published.incrementAndGet();
            o.acked.complete(null);
        }
        drain();
    }

    private void onSubAck(MqttSubAckMessage msg) {
        Subscription s = subscribing.remove(msg.variableHeader().messageId());
        if (s == null) {
            return;
        }
        List<Integer> codes = msg.payload().reasonCodes();
        int code = codes.isEmpty() ? 0x80 : codes.get(0);
        if (code >= 0x80) {
            subscriptions.remove(s.filter, s);
            MqttException.Refused refused = new MqttException.Refused("the MQTT broker " + broker.hostPort()
                    + " refused the subscription to " + s.filter, code);
            if (!s.acked.completeExceptionally(refused)) {
                // Its future was completed by an earlier SUBACK: this refusal came after a reconnect.
                LOG.debug("{} after a reconnect", refused.getMessage());
                tellListener(l -> l.subscriptionLost(s.filter, refused));
            }
        } else {
            s.acked.complete(null);
        }
    }

    static MqttMessage reply(MqttMessageType type, MqttQoS qos, int packetId) {
        return new MqttMessage(new MqttFixedHeader(type, false, qos, false, 0),
                MqttMessageIdVariableHeader.from(packetId));
    }

    void dropOversized() {
        dropped.get(MqttStats.Drop.OVERSIZED).incrementAndGet();
    }

    MqttClientConf confForConnection() {
        return conf;
    }

    String clientIdForConnect() {
        return clientId;
    }

    private static void complete(CompletableFuture<Void> f, Throwable error) {
        if (error == null) {
            f.complete(null);
        } else {
            f.completeExceptionally(error);
        }
    }

    /** A subscription, kept for resubscribing. */
    private static final class Subscription {
        final String filter;
        final MqttMessageHandler handler;
        final CompletableFuture<Void> acked;

        Subscription(String filter, MqttMessageHandler handler, CompletableFuture<Void> acked) {
            this.filter = filter;
            this.handler = handler;
            this.acked = acked;
        }
    }

    /** A publish on its way: queued, or in flight under its packet id. */
    private static final class Outgoing {
        final String topic;
        final byte[] payload;
        final CompletableFuture<Void> acked;
        int packetId;
        /** Sent at least once: a re-send carries DUP. */
        boolean sent;

        Outgoing(String topic, byte[] payload, CompletableFuture<Void> acked) {
            this.topic = topic;
            this.payload = payload;
            this.acked = acked;
        }

        /** The size of its PUBLISH packet (QoS 1, no properties) in {@code version}. */
        long packetSize(MqttProtocol version) {
            long remaining = 2L + topic.getBytes(StandardCharsets.UTF_8).length + 2
                    + (version == MqttProtocol.V5 ? 1 : 0) + payload.length;
            int lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
            return 1 + lengthBytes + remaining;
        }
    }
}
