package io.p2pd.node.mqtt;

import java.io.IOException;

/**
 * Why an MQTT connection, subscription or publish did not succeed. The futures of {@link MqttClient} fail with one of
 * its subclasses; misuse (a bad argument, a call on a closed client where that is an error) throws unchecked at once
 * instead.
 */
public sealed class MqttException extends IOException
        permits MqttException.Refused, MqttException.Unreachable, MqttException.Protocol, MqttException.TimedOut,
        MqttException.Tls, MqttException.Closed, MqttException.QueueFull, MqttException.PayloadTooLarge {

    private static final long serialVersionUID = 1L;

    MqttException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The broker answered and said no: to a connect (CONNACK), a subscription (SUBACK) or a publish (PUBACK). The
     * reason code is MQTT's: a 3.1.1 CONNACK return code (1 to 5), or an MQTT 5 reason code (0x80 and above).
     */
    public static final class Refused extends MqttException {
        private static final long serialVersionUID = 1L;
        private final int reasonCode;

        Refused(String message, int reasonCode) {
            super(message + " (reason code 0x" + Integer.toHexString(reasonCode) + ")", null);
            this.reasonCode = reasonCode;
        }

        /** MQTT's reason code, as the broker sent it. */
        public int reasonCode() {
            return reasonCode;
        }
    }

    /** No TCP connection could be made to the broker (refused, no route, or the TCP connect did not finish). */
    public static final class Unreachable extends MqttException {
        private static final long serialVersionUID = 1L;

        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The peer is not an MQTT broker, or broke the protocol: an unparsable packet, or one out of place. */
    public static final class Protocol extends MqttException {
        private static final long serialVersionUID = 1L;

        Protocol(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The broker did not answer in time: no CONNACK within the connect timeout, or silence past the keep-alive. */
    public static final class TimedOut extends MqttException {
        private static final long serialVersionUID = 1L;

        TimedOut(String message) {
            super(message, null);
        }
    }

    /** The TLS handshake failed: most often a certificate that the configured trust does not accept. */
    public static final class Tls extends MqttException {
        private static final long serialVersionUID = 1L;

        Tls(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The client was closed before this could finish. */
    public static final class Closed extends MqttException {
        private static final long serialVersionUID = 1L;

        Closed(String message) {
            super(message, null);
        }
    }

    /** A publish made while disconnected found the outgoing queue full ({@link MqttClientConf#maxQueued}). */
    public static final class QueueFull extends MqttException {
        private static final long serialVersionUID = 1L;

        QueueFull(String message) {
            super(message, null);
        }
    }

    /**
     * A packet too large for one side. Inbound: the broker sent a packet larger than
     * {@link MqttClientConf#maxInboundPayload} allows; the connection cannot be read past it, so it is dropped (and
     * reconnected), and this is the cause given to {@link MqttStateListener#disconnected}. Outbound: a publish is
     * larger than the MQTT 5 broker's Maximum Packet Size; its future fails with this and it is not sent.
     */
    public static final class PayloadTooLarge extends MqttException {
        private static final long serialVersionUID = 1L;

        PayloadTooLarge(String message) {
            super(message, null);
        }
    }
}
