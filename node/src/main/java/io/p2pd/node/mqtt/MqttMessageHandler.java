package io.p2pd.node.mqtt;

/**
 * Receives the messages of a subscription ({@link MqttClient#subscribe}).
 *
 * <p>Called on the client's event loop, one message at a time, in the order the broker sent them: it must not block
 * (hand slow work to an executor). A handler that throws loses only that message (counted as
 * {@link MqttStats.Drop#HANDLER_FAILED}, logged); the message is acknowledged either way.
 */
@FunctionalInterface
public interface MqttMessageHandler {

    /**
     * One message.
     *
     * @param topic   the topic it was published to (for a wildcard subscription, the actual topic)
     * @param payload its bytes; the handler owns this array
     */
    void onMessage(String topic, byte[] payload);
}
