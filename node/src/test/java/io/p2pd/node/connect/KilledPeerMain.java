package io.p2pd.node.connect;

import io.p2pd.node.Node;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.pipe.Pipe;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Node B of {@link ConnectKillTest} in a JVM of its own, so the test can kill it (SIGKILL) mid-connect: starts on
 * loopback with the broker {@code HOST PORT} and the key {@code HEX} of its arguments, prints {@code peer PID ADDRESS}, echoes every accepted
 * connection until its peer ends it, and closes once its stdin ends.
 */
public final class KilledPeerMain {
    private KilledPeerMain() {
    }

    public static void main(String[] args) throws Exception {
        Node node = ConnectTest.node(NodeKey.fromHex(args[2]), List.of(MqttBroker.of(args[0],
                Integer.parseInt(args[1]))))
                .start().get(60, TimeUnit.SECONDS);
        Thread.ofVirtual().name("echo-accept").start(() -> {
            while (!node.isClosed()) {
                PeerConnection c;
                try {
                    c = node.accept().join();
                } catch (RuntimeException closed) {
                    return;
                }
                Thread.ofVirtual().name("echo").start(() -> echo(c.pipe()));
            }
        });
        OutputStream out = System.out;
        out.write(("peer " + ProcessHandle.current().pid() + " " + node.address() + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            while (in.readLine() != null) {
                // only its end matters
            }
        }
        node.close().get(30, TimeUnit.SECONDS);
    }

    private static void echo(Pipe pipe) {
        try {
            while (true) {
                pipe.send(pipe.recv().join().data()).join();
            }
        } catch (RuntimeException ended) {
            pipe.closeAsync();
        }
    }
}
