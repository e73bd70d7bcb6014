package io.p2pd.node;

import io.p2pd.node.id.NodeKey;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.mqtt.MqttException;
import io.p2pd.node.signal.SignalListener;
import io.p2pd.node.signal.SignalPolicy;
import io.p2pd.node.signal.SignalReceipt;
import io.p2pd.node.signal.Signalling;
import io.p2pd.node.signal.SignallingException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * How a node starts its {@link Signalling} (none without brokers) and reports each broker's outcome. Signalling
 * subscribes to the node id at every broker and checks every arrival through one inbox; the node publishes nothing.
 */
final class NodeSignals {
    private NodeSignals() {
    }

    /**
     * Signalling on {@code brokers}, or empty when there are none. Fails with a {@link NodeStartException} naming
     * {@code brokers}, and each broker's own failure, when none took the subscription. Reports nothing: the start
     * thread does (see {@link #report}), as progress never runs on an event loop. Hole punching hears every
     * accepted message first ({@code punch}: it answers {@code TCP_PUNCH} requests by itself), then the listener.
     */
    static CompletableFuture<Optional<Signalling>> start(List<MqttBroker> brokers, NodeKey key, SignalPolicy policy,
            Consumer<SignalReceipt> punch, Consumer<SignalReceipt> listener) {
        if (brokers.isEmpty()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        CompletableFuture<Signalling> started;
        try {
            started = Signalling.builder(key).brokers(brokers).policy(policy).listener(new SignalListener() {
                @Override
                public void accepted(SignalReceipt receipt) {
                    punch.accept(receipt);
                    listener.accept(receipt);
                }
            }).start();
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new NodeStartException("brokers", e.getMessage(), e));
        }
        return started.handle((s, e) -> {
            if (e != null) {
                Throwable cause = unwrap(e);
                Map<Integer, Throwable> failures = failures(cause);
                String why = failures.isEmpty() ? message(cause) : failures.entrySet().stream()
                        .map(f -> "broker " + f.getKey() + " " + brokers.get(f.getKey()).hostPort() + ": "
                                + brokerError(f.getValue()))
                        .collect(Collectors.joining("; "));
                throw new CompletionException(new NodeStartException("brokers", "no broker could be used: " + why,
                        cause));
            }
            return Optional.of(s);
        });
    }

    /** Each broker's failure at start carried by {@code e}, by index (empty when it carries none). */
    static Map<Integer, Throwable> failures(Throwable e) {
        Throwable t = e instanceof NodeStartException && e.getCause() != null ? e.getCause() : e;
        return t instanceof SignallingException s ? s.brokerFailures() : Map.of();
    }

    /** One progress line per broker: subscribed, or left out of the address and why. */
    static void report(List<MqttBroker> brokers, List<Integer> listening, Map<Integer, Throwable> failures,
            NodeKey key, Consumer<String> progress) {
        for (int i = 0; i < brokers.size(); i++) {
            Throwable failure = failures.get(i);
            progress.accept("broker " + i + " " + brokers.get(i).hostPort() + (listening.contains(i)
                    ? ": subscribed to " + key.nodeId().value()
                    : ": not used (" + (failure == null ? "it did not take the subscription" : brokerError(failure))
                            + ")"));
        }
    }

    /** Why a broker could not be used, in our words: the MQTT client's message, and what the OS said in plain. */
    static String brokerError(Throwable e) {
        Throwable t = unwrap(e);
        String text = message(t);
        if (t instanceof MqttException.Unreachable) {
            if (t.getCause() instanceof ConnectException) {
                return text + " (connection refused: nothing listens there)";
            }
            if (t.getCause() instanceof NoRouteToHostException) {
                return text + " (no route to it)";
            }
        }
        return text;
    }

    static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    static String message(Throwable e) {
        Throwable t = unwrap(e);
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
