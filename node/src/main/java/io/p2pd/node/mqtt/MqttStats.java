package io.p2pd.node.mqtt;

import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of a client's counters ({@link MqttClient#stats()}), all since the client was made.
 *
 * @param connects   CONNACKs that accepted a connection (the first connect and every reconnect)
 * @param reconnects connections made again after one was lost
 * @param published  publishes the broker acknowledged (PUBACK)
 * @param received   PUBLISH packets received from the broker, duplicates and drops included
 * @param delivered  messages handed to at least one handler (counted before the handlers run)
 * @param dropped    received messages lost, by reason (every reason present, zero when none); all but
 *                   {@link Drop#HANDLER_FAILED} were not delivered
 */
public record MqttStats(long connects, long reconnects, long published, long received, long delivered,
        Map<Drop, Long> dropped) {

    /** Why a received message was not delivered. */
    public enum Drop {
        /** Larger than {@link MqttClientConf#maxInboundPayload}. */
        OVERSIZED,
        /** A QoS 2 message seen again before its exchange ended (a broker's redelivery). */
        DUPLICATE,
        /** No subscription's topic filter matches its topic. */
        NO_HANDLER,
        /** A handler threw: the message was delivered (and acknowledged) but not handled, and is not retried. */
        HANDLER_FAILED
    }

    public MqttStats {
        EnumMap<Drop, Long> all = new EnumMap<>(Drop.class);
        for (Drop d : Drop.values()) {
            all.put(d, dropped.getOrDefault(d, 0L));
        }
        dropped = Map.copyOf(all);
    }

    /** How many received messages were dropped for {@code reason}. */
    public long dropped(Drop reason) {
        return dropped.get(reason);
    }
}
