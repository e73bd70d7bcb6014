/**
 * An MQTT client for signalling between nodes, on Netty's MQTT codec: MQTT 5 with a 3.1.1 fallback, QoS 1
 * subscriptions and publishes kept across reconnects, keep-alive, TCP and TLS. Start at {@link
 * io.p2pd.node.mqtt.MqttClient#connect}.
 */
package io.p2pd.node.mqtt;
