package io.p2pd.node.mqtt;

import java.time.Duration;

/**
 * Hears a client's connection come and go ({@link MqttClient#stateListener}). Called on the client's event loop; it
 * must not block. Every method does nothing unless overridden.
 */
public interface MqttStateListener {

    /** A CONNACK accepted the connection (the first one, or after a reconnect). */
    default void connected(MqttProtocol protocol) {
    }

    /**
     * The connection was lost. Not called for {@link MqttClient#close()}.
     *
     * @param cause why: an {@link MqttException} (for example {@link MqttException.TimedOut} for a broker silent
     *              past the keep-alive), or the I/O error that ended the socket
     */
    default void disconnected(Throwable cause) {
    }

    /** The next connect attempt starts after {@code delay} (attempt 1 is the first after a loss). */
    default void reconnecting(int attempt, Duration delay) {
    }

    /**
     * The broker refused a subscription when it was sent again after a reconnect, so its messages no longer come;
     * the client has forgotten it (subscribe again to retry). The future {@link MqttClient#subscribe} returned had
     * completed with the first SUBACK, so this is the only news of it.
     *
     * @param topicFilter the subscription's topic filter
     * @param reason      the refusal, with the SUBACK's reason code
     */
    default void subscriptionLost(String topicFilter, MqttException.Refused reason) {
    }
}
