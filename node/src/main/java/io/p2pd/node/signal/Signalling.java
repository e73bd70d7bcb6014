package io.p2pd.node.signal;

import io.p2pd.node.id.NodeId;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.id.NodePublicKey;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.mqtt.MqttClient;
import io.p2pd.node.mqtt.MqttClientConf;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The signalling channel between nodes, through several MQTT brokers: a node's topic is its node id, and it is
 * subscribed to it on every broker it listens on.
 *
 * <p>Brokers are named by their index in one list that every node shares, as the original's {@code MQTT_SERVERS}: a
 * peer address lists the indexes of the brokers its node listens on ({@link io.p2pd.node.addr.PeerAddress#signal()}).
 * {@link #send} seals a message once ({@link SignalSealer}: signed, and encrypted when the peer's key is known) and
 * publishes the same bytes through up to {@link Builder#fanout} (default 2) of the peer's brokers, those we are
 * connected to first, then those we have no connection to (connecting when needed, as the original loads a signal
 * pipe for a broker it has not), those still connecting, and last those reconnecting after a loss. A copy not
 * acknowledged within {@link Builder#sendTimeout} (or by the message's ttl) counts as failed and the next broker
 * takes its place. Messages arriving on our topic, from any broker, go through one {@link SignalInbox}, so a message that
 * came through two brokers is accepted once (the second copy is a {@link SignalDrop#DUPLICATE}).
 *
 * <p>Checking (ECIES, ECDSA) runs on one thread of its own, off the MQTT event loops, behind a bounded queue
 * ({@value #QUEUE} messages, 4 MiB of payloads, each at most 16 KiB); beyond it messages are dropped and counted
 * ({@link SignallingStats#overloaded()}).
 * The listener runs on that thread. Thread-safe. Reconnecting to a broker is the MQTT client's
 * ({@link MqttClient}): the subscription is made again after each reconnect.
 */
public final class Signalling implements AutoCloseable {

    static final int QUEUE = 1024;
    /** Payload bytes held for the checking thread, waiting or being checked: 256 of the largest, 1,024 of 4 KiB. */
    static final int QUEUE_BYTES = 4 << 20;
    static final int KNOWN_KEYS = 4096;

    private final NodeKey key;
    private final List<MqttBroker> brokers;
    private final MqttClientConf clientConf;
    private final int fanout;
    private final SignalInbox inbox;
    private final SignalSealer sealer;
    private final SignalListener listener;
    private final ThreadPoolExecutor checker;
    private final Map<Integer, CompletableFuture<MqttClient>> clients = new ConcurrentHashMap<>();
    /** Why each broker that did not take the subscription at start failed, by index. */
    private final Map<Integer, Throwable> startFailures = new ConcurrentHashMap<>();
    private final List<Integer> listening = new ArrayList<>();
    /** Keys the application gave, or learned from answers to our own messages: no third party can evict them. */
    private final Map<NodeId, NodePublicKey> trustedKeys;
    /** Keys learned from any signed message: a flood of throwaway keys can push these out; looked up last. */
    private final Map<NodeId, NodePublicKey> learnedKeys;
    /** The pipe ids and destinations of the messages we sent, to know an answer from a peer we talk to. */
    private final Map<String, Boolean> sentPipes;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong overloaded = new AtomicLong();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong publishFailed = new AtomicLong();
    private final Duration sendTimeout;
    private final InstantSource clock;

    /** Made by {@link Builder#start()}; tests make one unstarted to feed {@link #onMessage} directly. */
    Signalling(Builder b) {
        this.key = b.key;
        this.brokers = List.copyOf(b.brokers);
        this.clientConf = b.clientConf;
        this.fanout = b.fanout;
        this.sendTimeout = b.sendTimeout;
        this.clock = b.clock;
        this.inbox = new SignalInbox(b.key, b.policy, b.clock);
        this.sealer = new SignalSealer(b.key);
        this.listener = b.listener;
        this.trustedKeys = mostRecent(b.keyTableSize);
        this.learnedKeys = mostRecent(b.keyTableSize);
        this.sentPipes = mostRecent(b.keyTableSize);
        this.checker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "p2pd-signalling-" + b.key.nodeId());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy()); // a full queue throws: onMessage counts it and frees its bytes
    }

    /** A builder for the node with {@code key}. */
    public static Builder builder(NodeKey key) {
        return new Builder(key);
    }

    /**
     * Why each broker that did not take the subscription at start failed (most often an
     * {@link io.p2pd.node.mqtt.MqttException}), by its index; empty when every broker took it.
     */
    public Map<Integer, Throwable> startFailures() {
        return java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(startFailures));
    }

    /** The broker indexes this node listens on (subscribed to its topic): what its peer address lists. */
    public List<Integer> listening() {
        synchronized (listening) {
            return List.copyOf(listening);
        }
    }

    /**
     * Sends {@code message}, signed and encrypted to {@code recipientKey}, to the node of its destination address.
     *
     * @return completes with the index of the first broker that acknowledged it (the other copies go on in the
     *     background); fails with {@link SignallingException} when no broker of the destination's took it: each copy
     *     has until {@link Builder#sendTimeout} (and never past the message's ttl) to be acknowledged, else it counts
     *     as failed and the next broker is tried, so the future is done by then for every broker tried
     * @throws IllegalArgumentException if the message's source is not this node, the key is not the destination's,
     *     or the destination lists no broker in our list
     */
    public CompletableFuture<Integer> send(SignalMessage message, NodePublicKey recipientKey) {
        byte[] sealed = sealer.seal(message, recipientKey);
        remember(trustedKeys, recipientKey);
        return publish(message, sealed);
    }

    /**
     * Sends {@code message} to the node of its destination address, encrypted to that node's key when it is known
     * (given to {@link #send(SignalMessage, NodePublicKey)} before, or learned from a signed message it sent us:
     * the first message to a peer whose key is known is never plaintext), else signed in plaintext (a first
     * message to a peer we only know by address). Keys given, and keys learned from a peer's answer to one of our
     * messages (same pipe id), are kept apart from keys learned from other messages, so a flood of signed messages
     * from throwaway keys cannot push them out ({@value #KNOWN_KEYS} of each, the most recently used). Otherwise as
     * {@link #send(SignalMessage, NodePublicKey)}.
     */
    public CompletableFuture<Integer> send(SignalMessage message) {
        NodePublicKey known = knownKey(message.destination().nodeId());
        return known != null ? send(message, known) : publish(message, sealer.sealPlaintext(message));
    }

    /** The key of node {@code id} when known: given or confirmed first, else learned. */
    NodePublicKey knownKey(NodeId id) {
        synchronized (trustedKeys) {
            NodePublicKey k = trustedKeys.get(id);
            if (k != null) {
                return k;
            }
        }
        synchronized (learnedKeys) {
            return learnedKeys.get(id);
        }
    }

    private static void remember(Map<NodeId, NodePublicKey> table, NodePublicKey key) {
        synchronized (table) {
            table.put(key.nodeId(), key);
        }
    }

    private static String pipeOf(String pipeId, NodeId peer) {
        return peer.value() + ' ' + pipeId;
    }

    /** A map keeping the {@code max} most recently used entries; callers lock it. */
    private static <K, V> Map<K, V> mostRecent(int max) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > max;
            }
        };
    }

    /** Counts so far. */
    public SignallingStats stats() {
        return new SignallingStats(inbox.stats(), received.get(), overloaded.get(), sent.get(), published.get(),
                publishFailed.get());
    }

    /** Closes every broker connection and the checking thread. Idempotent; completes when the clients are closed. */
    public CompletableFuture<Void> closeAsync() {
        if (!closed.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (CompletableFuture<MqttClient> c : clients.values()) {
            closing.add(c.handle((client, e) -> client).thenCompose(client ->
                    client == null ? CompletableFuture.<Void>completedFuture(null) : client.close()));
        }
        checker.shutdownNow();
        return CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new));
    }

    /** {@link #closeAsync()}, waiting for it (at most 10 seconds). */
    @Override
    public void close() {
        try {
            closeAsync().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Closing is best effort: each client has closed its socket or will on its own loop.
        }
    }

    private CompletableFuture<Integer> publish(SignalMessage message, byte[] sealed) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new SignallingException("signalling is closed", null));
        }
        List<Integer> candidates = new ArrayList<>();
        for (int index : message.destination().signal()) {
            if (index < brokers.size()) {
                candidates.add(index);
            }
        }
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("the destination lists brokers " + message.destination().signal()
                    + ", none in our list of " + brokers.size());
        }
        // Brokers we are connected to first; then those we hold no client of (a fresh connect tells soon), those
        // connecting, and last those reconnecting after a loss; the peer's order otherwise.
        List<Integer> ordered = new ArrayList<>(candidates);
        ordered.sort(Comparator.comparingInt(this::sendRank));
        sent.incrementAndGet();
        synchronized (sentPipes) {
            sentPipes.put(pipeOf(message.pipeId(), message.destination().nodeId()), Boolean.TRUE);
        }
        // Every copy must be taken by the message's ttl, and each within the send timeout.
        long deadline = Math.min(System.nanoTime() + sendTimeout.toNanos(),
                System.nanoTime() + Math.max(0, message.ttl() - clock.instant().getEpochSecond()) * 1_000_000_000L);
        Send send = new Send(ordered, message.destination().nodeId().value(), sealed, deadline);
        // Started before any copy can fail and take the next index, which may happen at once.
        for (int i = 0, copies = send.pending.get(); i < copies; i++) {
            publishVia(send, i);
        }
        return send.first;
    }

    /** One message on its way: the brokers to try in order, and how far the copies got. */
    private final class Send {
        final List<Integer> ordered;
        final String topic;
        final byte[] sealed;
        final long deadlineNanos;
        final CompletableFuture<Integer> first = new CompletableFuture<>();
        /** How many brokers of {@code ordered} were given a copy. */
        final AtomicInteger started;
        final AtomicInteger pending;
        final AtomicReference<Throwable> lastError = new AtomicReference<>();

        Send(List<Integer> ordered, String topic, byte[] sealed, long deadlineNanos) {
            this.ordered = ordered;
            this.topic = topic;
            this.sealed = sealed;
            this.deadlineNanos = deadlineNanos;
            int copies = Math.min(fanout, ordered.size());
            this.started = new AtomicInteger(copies);
            this.pending = new AtomicInteger(copies);
        }
    }

    /**
     * One copy through broker {@code ordered[at]}, failed when not acknowledged by the send's deadline (its publish
     * cancelled); on failure the next unused broker takes its place.
     */
    private void publishVia(Send send, int at) {
        int index = send.ordered.get(at);
        long left = send.deadlineNanos - System.nanoTime();
        AtomicReference<CompletableFuture<Void>> publishing = new AtomicReference<>();
        CompletableFuture<Void> copy = left <= 0
                ? CompletableFuture.failedFuture(new TimeoutException())
                : client(index).thenCompose(c -> {
                    CompletableFuture<Void> p = c.publish(send.topic, send.sealed);
                    publishing.set(p);
                    return p;
                }).toCompletableFuture().orTimeout(left, TimeUnit.NANOSECONDS);
        copy.whenComplete((v, e) -> {
            if (e == null) {
                published.incrementAndGet();
                send.first.complete(index);
                send.pending.decrementAndGet();
                return;
            }
            CompletableFuture<Void> p = publishing.get();
            if (p != null) {
                // The client may still hold it queued; it must not count as taken, nor be waited for.
                p.cancel(false);
            }
            publishFailed.incrementAndGet();
            send.lastError.set(e instanceof TimeoutException
                    || e.getCause() instanceof TimeoutException
                    ? new SignallingException("broker " + index + " did not take the message in time", null) : e);
            int replacement = send.started.getAndIncrement();
            if (replacement < send.ordered.size() && !closed.get()) {
                publishVia(send, replacement);
            } else if (send.pending.decrementAndGet() == 0) {
                send.first.completeExceptionally(new SignallingException(
                        "no broker of " + send.ordered + " took the message", send.lastError.get()));
            }
        });
    }

    /** The client of broker {@code index} when one was made (for tests to watch its state). */
    CompletableFuture<MqttClient> clientOf(int index) {
        return clients.get(index);
    }

    /** Where broker {@code index} goes in a send's order: lower is tried first. */
    private int sendRank(int index) {
        CompletableFuture<MqttClient> c = clients.get(index);
        if (c == null || c.isCompletedExceptionally()) {
            return 1;
        }
        if (!c.isDone()) {
            return 2;
        }
        return c.join().isConnected() ? 0 : 3;
    }

    /** The client of broker {@code index}, connected once and kept; a failed connect is tried again next time. */
    private CompletableFuture<MqttClient> client(int index) {
        CompletableFuture<MqttClient> c = clients.computeIfAbsent(index,
                i -> MqttClient.connect(brokers.get(i), clientConf));
        if (c.isCompletedExceptionally()) {
            clients.remove(index, c);
            c = clients.computeIfAbsent(index, i -> MqttClient.connect(brokers.get(i), clientConf));
        }
        if (closed.get()) {
            c.thenAccept(MqttClient::close);
        }
        return c;
    }

    /**
     * One payload from a broker, handed to the checking thread; dropped and counted when its queue is full (in
     * messages or in bytes). One over the largest a message can be is dropped at once, holding nothing.
     */
    void onMessage(byte[] payload) {
        received.incrementAndGet();
        if (payload.length > SignalCodec.MAX_WIRE_CHARS) {
            int length = payload.length;
            execute(() -> deliver(inbox.oversized(length)), 0);
            return;
        }
        if (queuedBytes.addAndGet(payload.length) > QUEUE_BYTES) {
            queuedBytes.addAndGet(-payload.length);
            overloaded.incrementAndGet();
            return;
        }
        execute(() -> {
            try {
                deliver(inbox.receive(payload));
            } finally {
                queuedBytes.addAndGet(-payload.length);
            }
        }, payload.length);
    }

    private void execute(Runnable task, int bytes) {
        try {
            checker.execute(task);
        } catch (RejectedExecutionException e) {
            queuedBytes.addAndGet(-bytes); // the queue is full, or closed
            overloaded.incrementAndGet();
        }
    }

    private void deliver(SignalResult r) {
        try {
            if (r instanceof SignalResult.Accepted a) {
                SignalMessage m = a.receipt().message();
                if (a.receipt().signed() && m.senderKey().isPresent()) {
                    // The inbox checked that this key hashes to the sender's node id.
                    boolean answer;
                    synchronized (sentPipes) {
                        answer = sentPipes.containsKey(pipeOf(m.pipeId(), m.source().nodeId()));
                    }
                    remember(answer ? trustedKeys : learnedKeys, m.senderKey().get());
                }
                listener.accepted(a.receipt());
            } else if (r instanceof SignalResult.Dropped d) {
                listener.dropped(d.reason(), d.detail());
            }
        } catch (RuntimeException e) {
            // A listener's failure loses only its own message.
        }
    }

    private CompletableFuture<Signalling> start(List<Integer> listenOn) {
        String topic = key.nodeId().value();
        List<CompletableFuture<Void>> subscribed = new ArrayList<>();
        AtomicReference<Throwable> lastError = new AtomicReference<>();
        for (int index : listenOn) {
            subscribed.add(client(index).thenCompose(c -> c.subscribe(topic, (t, payload) -> onMessage(payload)))
                    .handle((v, e) -> {
                        if (e == null) {
                            synchronized (listening) {
                                listening.add(index);
                                listening.sort(null);
                            }
                        } else {
                            Throwable why = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                            lastError.set(why);
                            startFailures.put(index, why);
                        }
                        return null;
                    }));
        }
        return CompletableFuture.allOf(subscribed.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            if (listening().isEmpty()) {
                closeAsync();
                return CompletableFuture.failedFuture(
                        new SignallingException("no broker of " + listenOn + " took our subscription", lastError.get(),
                                startFailures()));
            }
            return CompletableFuture.completedFuture(this);
        });
    }

    /** How signalling is made; {@link #start()} connects. */
    public static final class Builder {
        private final NodeKey key;
        private List<MqttBroker> brokers = List.of();
        private List<Integer> listenOn;
        private MqttClientConf clientConf = MqttClientConf.builder().build();
        private SignalPolicy policy = SignalPolicy.defaults();
        private InstantSource clock = InstantSource.system();
        private Duration sendTimeout = Duration.ofSeconds(10);
        private int fanout = 2;
        private SignalListener listener = receipt -> { };
        int keyTableSize = KNOWN_KEYS;

        private Builder(NodeKey key) {
            this.key = Objects.requireNonNull(key, "key");
        }

        /** The shared broker list: a broker's index here is the index peer addresses use. Required, not empty. */
        public Builder brokers(List<MqttBroker> brokers) {
            this.brokers = List.copyOf(brokers);
            return this;
        }

        /** The indexes of the brokers to listen on; default all of them. */
        public Builder listenOn(List<Integer> indexes) {
            this.listenOn = List.copyOf(indexes);
            return this;
        }

        /** How each broker is connected (keep-alive, reconnect backoff, MQTT version); default the client's. */
        public Builder clientConf(MqttClientConf conf) {
            this.clientConf = Objects.requireNonNull(conf, "conf");
            return this;
        }

        /** What is accepted; default {@link SignalPolicy#defaults()}. */
        public Builder policy(SignalPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** The clock ttls are checked against; default the system's. */
        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Through how many of the peer's brokers a message goes (1 to 6); default 2. */
        public Builder fanout(int fanout) {
            if (fanout < 1 || fanout > 6) {
                throw new IllegalArgumentException("fanout must be 1 to 6, got " + fanout);
            }
            this.fanout = fanout;
            return this;
        }

        /**
         * How long one copy of a message may wait for its broker (to connect, or to reconnect, and acknowledge)
         * before it counts as failed and the next of the peer's brokers is tried; never past the message's ttl
         * either. 1 millisecond to 1 hour; default 10 seconds.
         */
        public Builder sendTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.compareTo(Duration.ofMillis(1)) < 0 || timeout.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("sendTimeout must be 1 ms to 1 hour, got " + timeout);
            }
            this.sendTimeout = timeout;
            return this;
        }

        /** Who hears accepted and dropped messages. */
        public Builder listener(SignalListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Connects to the brokers to listen on and subscribes to this node's topic on each.
         *
         * @return completes once every broker answered (subscribed or failed), with signalling listening on those
         *     that took the subscription ({@link #listening()}); fails with {@link SignallingException} when none did
         * @throws IllegalArgumentException if there is no broker, or a listen index is not in the list
         */
        public CompletableFuture<Signalling> start() {
            if (brokers.isEmpty()) {
                throw new IllegalArgumentException("brokers: none given");
            }
            List<Integer> indexes = listenOn;
            if (indexes == null) {
                indexes = new ArrayList<>();
                for (int i = 0; i < brokers.size(); i++) {
                    indexes.add(i);
                }
            }
            for (int i : indexes) {
                if (i < 0 || i >= brokers.size()) {
                    throw new IllegalArgumentException("listenOn: index " + i + " is not in the " + brokers.size()
                            + " brokers");
                }
            }
            return new Signalling(this).start(indexes);
        }
    }
}
