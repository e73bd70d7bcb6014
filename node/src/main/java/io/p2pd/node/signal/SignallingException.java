package io.p2pd.node.signal;

import java.io.IOException;
import java.util.Map;

/**
 * Signalling could not do what was asked: no broker accepted the subscription at start, or no broker of the peer's
 * took a message. The cause, when there is one, is the last broker's {@link io.p2pd.node.mqtt.MqttException}.
 */
public final class SignallingException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Each broker's own failure at start, by index; transient: a copy that crossed a stream has none. */
    private final transient Map<Integer, Throwable> brokerFailures;

    SignallingException(String message, Throwable cause) {
        this(message, cause, Map.of());
    }

    SignallingException(String message, Throwable cause, Map<Integer, Throwable> brokerFailures) {
        super(message, cause);
        this.brokerFailures = Map.copyOf(brokerFailures);
    }

    /** When no broker took the subscription at start: why each failed, by its index; otherwise empty. */
    public Map<Integer, Throwable> brokerFailures() {
        return brokerFailures == null ? Map.of() : new java.util.TreeMap<>(brokerFailures);
    }
}
