package io.p2pd.node.mqtt;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How an {@link MqttClient} behaves. Immutable; made with {@link #builder()}, whose defaults suit signalling.
 *
 * <p>Sessions are clean (MQTT's clean start): after a reconnect the client subscribes again and re-sends what was
 * not acknowledged; messages published to its topics while it was away are not kept for it by the broker.
 */
public final class MqttClientConf {

    private final String clientId;
    private final Duration keepAlive;
    private final Duration connectTimeout;
    private final Optional<MqttProtocol> protocol;
    private final Duration reconnectMin;
    private final Duration reconnectMax;
    private final int maxInFlight;
    private final int maxQueued;
    private final int maxInboundPayload;

    private MqttClientConf(Builder b) {
        this.clientId = b.clientId;
        this.keepAlive = b.keepAlive;
        this.connectTimeout = b.connectTimeout;
        this.protocol = b.protocol;
        this.reconnectMin = b.reconnectMin;
        this.reconnectMax = b.reconnectMax;
        this.maxInFlight = b.maxInFlight;
        this.maxQueued = b.maxQueued;
        this.maxInboundPayload = b.maxInboundPayload;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.clientId = clientId;
        b.keepAlive = keepAlive;
        b.connectTimeout = connectTimeout;
        b.protocol = protocol;
        b.reconnectMin = reconnectMin;
        b.reconnectMax = reconnectMax;
        b.maxInFlight = maxInFlight;
        b.maxQueued = maxQueued;
        b.maxInboundPayload = maxInboundPayload;
        return b;
    }

    /** The client identifier sent in CONNECT; empty asks the broker to assign one. */
    public String clientId() {
        return clientId;
    }

    /** MQTT's keep-alive: a PINGREQ after this long without sending, and a broker silent for 1.5 times it is dead. */
    public Duration keepAlive() {
        return keepAlive;
    }

    /** The bound on one connect: TCP, TLS and the CONNACK. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** The one version to speak; empty for MQTT 5 with a fallback to 3.1.1 (the default, as the original). */
    public Optional<MqttProtocol> protocol() {
        return protocol;
    }

    /** The first delay before reconnecting; it doubles per failed attempt up to {@link #reconnectMax}, jittered. */
    public Duration reconnectMin() {
        return reconnectMin;
    }

    public Duration reconnectMax() {
        return reconnectMax;
    }

    /** How many QoS 1 publishes may wait for their PUBACK at once; later ones wait in the queue. */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** How many publishes may wait for a connection or an in-flight slot; beyond it a publish fails at once. */
    public int maxQueued() {
        return maxQueued;
    }

    /**
     * The largest message payload accepted from the broker, in bytes. A larger message is acknowledged and dropped
     * (counted as {@link MqttStats.Drop#OVERSIZED}); one whose packet is larger still, by more than 4 KiB of topic
     * and header, cannot be skipped and costs the connection, which is made again.
     */
    public int maxInboundPayload() {
        return maxInboundPayload;
    }

    @Override
    public String toString() {
        return "MqttClientConf[clientId=" + clientId + ", keepAlive=" + keepAlive + ", connectTimeout="
                + connectTimeout + ", protocol=" + protocol.map(Enum::name).orElse("V5 then V3_1_1")
                + ", reconnect=" + reconnectMin + ".." + reconnectMax + ", maxInFlight=" + maxInFlight
                + ", maxQueued=" + maxQueued + ", maxInboundPayload=" + maxInboundPayload + "]";
    }

    /** Builds an {@link MqttClientConf}; every setter checks its argument at once. */
    public static final class Builder {
        private String clientId = "";
        private Duration keepAlive = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Optional<MqttProtocol> protocol = Optional.empty();
        private Duration reconnectMin = Duration.ofMillis(500);
        private Duration reconnectMax = Duration.ofSeconds(30);
        private int maxInFlight = 16;
        private int maxQueued = 1024;
        private int maxInboundPayload = 64 * 1024;

        private Builder() {
        }

        /** At most 23 characters of [0-9a-zA-Z] is what every broker must accept; longer ones most accept. */
        public Builder clientId(String clientId) {
            Objects.requireNonNull(clientId, "clientId");
            if (clientId.length() > 65535) {
                throw new IllegalArgumentException("clientId: longer than 65535 characters");
            }
            this.clientId = clientId;
            return this;
        }

        /** Whole seconds, 1 to 65535 (MQTT's field is in seconds). Default 30 s. */
        public Builder keepAlive(Duration keepAlive) {
            Objects.requireNonNull(keepAlive, "keepAlive");
            if (keepAlive.toNanos() % 1_000_000_000L != 0 || keepAlive.getSeconds() < 1
                    || keepAlive.getSeconds() > 65535) {
                throw new IllegalArgumentException("keepAlive: " + keepAlive + " is not whole seconds in 1..65535");
            }
            this.keepAlive = keepAlive;
            return this;
        }

        /** Default 10 s. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive(connectTimeout, "connectTimeout");
            return this;
        }

        /** Speak only this version (no fallback). */
        public Builder protocol(MqttProtocol only) {
            this.protocol = Optional.of(Objects.requireNonNull(only, "protocol"));
            return this;
        }

        /** MQTT 5, falling back to 3.1.1 when the broker refuses 5 (the default). */
        public Builder protocolWithFallback() {
            this.protocol = Optional.empty();
            return this;
        }

        /** Default 0.5 s to 30 s. */
        public Builder reconnectBackoff(Duration min, Duration max) {
            positive(min, "reconnectBackoff min");
            positive(max, "reconnectBackoff max");
            if (max.compareTo(min) < 0) {
                throw new IllegalArgumentException("reconnectBackoff: max " + max + " is below min " + min);
            }
            this.reconnectMin = min;
            this.reconnectMax = max;
            return this;
        }

        /** 1 to 65535; default 16. */
        public Builder maxInFlight(int maxInFlight) {
            if (maxInFlight < 1 || maxInFlight > 65535) {
                throw new IllegalArgumentException("maxInFlight: " + maxInFlight + " is not in 1..65535");
            }
            this.maxInFlight = maxInFlight;
            return this;
        }

        /** 0 or more (0: a publish while disconnected fails at once); default 1024. */
        public Builder maxQueued(int maxQueued) {
            if (maxQueued < 0) {
                throw new IllegalArgumentException("maxQueued: " + maxQueued + " is negative");
            }
            this.maxQueued = maxQueued;
            return this;
        }

        /** 1 byte to 256 MiB (MQTT's largest packet); default 64 KiB. */
        public Builder maxInboundPayload(int maxInboundPayload) {
            if (maxInboundPayload < 1 || maxInboundPayload > 268_435_455) {
                throw new IllegalArgumentException("maxInboundPayload: " + maxInboundPayload
                        + " is not in 1..268435455");
            }
            this.maxInboundPayload = maxInboundPayload;
            return this;
        }

        public MqttClientConf build() {
            return new MqttClientConf(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + ": " + d + " is not positive");
            }
            return d;
        }
    }
}
