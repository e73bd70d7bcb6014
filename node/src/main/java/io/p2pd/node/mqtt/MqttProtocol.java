package io.p2pd.node.mqtt;

/** The MQTT protocol versions the client speaks. */
public enum MqttProtocol {
    /** MQTT 3.1.1 (protocol level 4). */
    V3_1_1,
    /** MQTT 5 (protocol level 5). */
    V5
}
