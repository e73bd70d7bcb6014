package io.p2pd.node;

import io.p2pd.node.id.NodeKey;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.signal.SignalListener;
import io.p2pd.node.signal.SignalPolicy;
import io.p2pd.node.signal.SignalReceipt;
import io.p2pd.node.signal.Signalling;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * How a node starts its {@link Signalling} (none without brokers) and reports each broker's outcome. Signalling
 * subscribes to the node id at every broker and checks every arrival through one inbox; the node publishes nothing.
 */
final class NodeSignals {
    private NodeSignals() {
    }

    /**
     * Signalling on {@code brokers}, or empty when there are none. Fails with a {@link NodeStartException} naming
     * {@code brokers} when none took the subscription.
     */
    static CompletableFuture<Optional<Signalling>> start(List<MqttBroker> brokers, NodeKey key, SignalPolicy policy,
            Consumer<SignalReceipt> listener) {
        if (brokers.isEmpty()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        CompletableFuture<Signalling> started;
        try {
            started = Signalling.builder(key).brokers(brokers).policy(policy).listener(new SignalListener() {
                @Override
                public void accepted(SignalReceipt receipt) {
                    listener.accept(receipt);
                }
            }).start();
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new NodeStartException("brokers", e.getMessage(), e));
        }
        return started.handle((s, e) -> {
            if (e != null) {
                Throwable cause = unwrap(e);
                throw new CompletionException(new NodeStartException("brokers", "no broker could be used: "
                        + message(cause), cause));
            }
            return Optional.of(s);
        });
    }

    /** One progress line per broker: subscribed, or left out of the address. */
    static void report(List<MqttBroker> brokers, List<Integer> listening, NodeKey key, Consumer<String> progress) {
        for (int i = 0; i < brokers.size(); i++) {
            progress.accept("broker " + i + " " + brokers.get(i).hostPort() + (listening.contains(i)
                    ? ": subscribed to " + key.nodeId().value()
                    : ": not used (it did not take the subscription)"));
        }
    }

    static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    static String message(Throwable e) {
        Throwable t = unwrap(e);
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
