package io.p2pd.node.signal;

import java.io.IOException;

/**
 * Signalling could not do what was asked: no broker accepted the subscription at start, or no broker of the peer's
 * took a message. The cause, when there is one, is the last broker's {@link io.p2pd.node.mqtt.MqttException}.
 */
public final class SignallingException extends IOException {

    private static final long serialVersionUID = 1L;

    SignallingException(String message, Throwable cause) {
        super(message, cause);
    }
}
