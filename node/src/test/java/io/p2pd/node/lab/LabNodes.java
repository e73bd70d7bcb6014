package io.p2pd.node.lab;

import io.p2pd.nic.Nics;
import io.p2pd.node.Node;
import io.p2pd.node.mqtt.MqttBroker;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/** The node every lab child main starts: one interface, our STUN server and the lab's broker, from its arguments. */
public final class LabNodes {

    private LabNodes() {
    }

    /**
     * A builder for a node on {@code iface} using the STUN server {@code stun} and the broker {@code broker} (both
     * {@code IP:PORT}), any free listen port, progress on stderr.
     */
    public static Node.Builder builder(String iface, String stun, String broker) {
        String[] hostPort = stun.split(":");
        return Node.builder()
                .interfaces(List.of(Nics.byName(iface).orElseThrow(() -> new IllegalArgumentException(iface))))
                .stunServers(List.of(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]))))
                .brokers(List.of(MqttBroker.parse(broker)))
                .listenPort(0)
                // a fresh JVM on a shared CI machine: its first STUN exchanges are slow (class loading, JIT)
                .detectionTimeLimit(Duration.ofSeconds(20))
                .progress(line -> System.err.println("progress: " + line));
    }
}
