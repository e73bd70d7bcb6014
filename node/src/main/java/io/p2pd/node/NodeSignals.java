package io.p2pd.node;

import io.p2pd.node.id.NodeKey;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.mqtt.MqttClient;
import io.p2pd.node.mqtt.MqttClientConf;
import io.p2pd.node.signal.SignalInbox;
import io.p2pd.node.signal.SignalReceipt;
import io.p2pd.node.signal.SignalResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * The node's side of signalling: one MQTT client per broker, each subscribed to the node id (the original's topic),
 * every payload through one {@link SignalInbox} (so a message that arrives through several brokers is accepted once,
 * and unsigned, forged, stale or replayed ones are dropped and counted), accepted ones to the node's listener.
 *
 * <p>Receiving only: the node publishes nothing at start. Sending, and the multi-broker fan-out, belong to the
 * signalling package's client when it lands on main; this class is then where the node hands over to it.
 */
final class NodeSignals {

    /** A connected broker and its index in the node's broker list (its index in the address). */
    record Connected(int index, MqttClient client) {
    }

    private final SignalInbox inbox;
    private final List<Connected> connected;

    private NodeSignals(SignalInbox inbox, List<Connected> connected) {
        this.inbox = inbox;
        this.connected = List.copyOf(connected);
    }

    /** The brokers connected (and subscribed), in list order. */
    List<Connected> connected() {
        return connected;
    }

    SignalInbox inbox() {
        return inbox;
    }

    /** Outcome of one broker at start: connected and subscribed, or why not. */
    private record Attempt(int index, Optional<MqttClient> client, Optional<Throwable> error) {
    }

    /**
     * Connects to every broker at once and subscribes each to the node id. Brokers that fail are reported and left
     * out; the future fails only when none of several could be used (with the first broker's error as cause).
     */
    static CompletableFuture<NodeSignals> connect(List<MqttBroker> brokers, NodeKey key, SignalInbox inbox,
            Consumer<SignalReceipt> listener, Consumer<String> progress) {
        String topic = key.nodeId().value();
        List<CompletableFuture<Attempt>> attempts = new ArrayList<>();
        for (int i = 0; i < brokers.size(); i++) {
            int index = i;
            MqttBroker broker = brokers.get(i);
            CompletableFuture<Attempt> a = MqttClient.connect(broker, MqttClientConf.builder().build())
                    .thenCompose(client -> client.subscribe(topic, (t, payload) -> deliver(inbox, listener, payload))
                            .handle((v, e) -> {
                                if (e == null) {
                                    return CompletableFuture.completedFuture(
                                            new Attempt(index, Optional.of(client), Optional.empty()));
                                }
                                // subscribed nowhere: this broker is of no use, close it before reporting
                                return client.close().handle((x, y) ->
                                        new Attempt(index, Optional.empty(), Optional.of(e)));
                            }).thenCompose(f -> f))
                    .exceptionally(e -> new Attempt(index, Optional.empty(), Optional.of(unwrap(e))))
                    .thenApply(at -> {
                        progress.accept(at.client().isPresent()
                                ? "broker " + index + " " + broker.hostPort() + ": subscribed to " + topic
                                : "broker " + index + " " + broker.hostPort() + ": not used ("
                                        + message(at.error().get()) + ")");
                        return at;
                    });
            attempts.add(a);
        }
        return CompletableFuture.allOf(attempts.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            List<Connected> ok = new ArrayList<>();
            Throwable first = null;
            for (CompletableFuture<Attempt> f : attempts) {
                Attempt at = f.join();
                if (at.client().isPresent()) {
                    ok.add(new Connected(at.index(), at.client().get()));
                } else if (first == null) {
                    first = at.error().get();
                }
            }
            if (ok.isEmpty() && !brokers.isEmpty()) {
                return CompletableFuture.failedFuture(new NodeStartException("brokers",
                        "no broker could be used: " + message(first), first));
            }
            return CompletableFuture.completedFuture(new NodeSignals(inbox, ok));
        });
    }

    private static void deliver(SignalInbox inbox, Consumer<SignalReceipt> listener, byte[] payload) {
        // Dropped messages are counted by the inbox (its stats); nothing else is owed to their sender.
        if (inbox.receive(payload) instanceof SignalResult.Accepted accepted) {
            listener.accept(accepted.receipt());
        }
    }

    /** Closes every client and completes when all are closed. */
    CompletableFuture<Void> close() {
        return CompletableFuture.allOf(connected.stream().map(c -> c.client().close())
                .toArray(CompletableFuture[]::new));
    }

    static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    static String message(Throwable e) {
        Throwable t = unwrap(e);
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
