package io.p2pd.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.p2pd.internal.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Other people's MQTT clients, run as processes against a broker on loopback: the Python original's vendored gmqtt
 * (with Debian's python3) and mosquitto's command-line clients (Debian's mosquitto-clients). Every wait is bounded.
 */
final class MqttClients {

    private static final long LIMIT_SECONDS = 60;

    private MqttClients() {
    }

    /** What a subscriber received: the topic, the payload bytes and the QoS it was delivered at. */
    record Received(String topic, byte[] payload, int qos) {
    }

    /**
     * A gmqtt subscriber and a gmqtt publisher (MQTT 3.1.1, QoS 1) exchange {@code payload} on {@code topic} through
     * the broker at {@code host:port}; returns what the subscriber got.
     */
    static Received gmqttExchange(String host, int port, String topic, byte[] payload) throws Exception {
        Path script = Files.createTempFile("gmqtt_exchange", ".py");
        try {
            try (InputStream in = MqttClients.class.getResourceAsStream("gmqtt_exchange.py")) {
                Files.write(script, in.readAllBytes());
            }
            ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", script.toString(), host,
                    Integer.toString(port), topic, HexFormat.of().formatHex(payload));
            pb.environment().put("PYTHONPATH", gmqttParent().toString());
            pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
            Process p = pb.start();
            try {
                String out = new String(p.getInputStream().readAllBytes(), UTF_8);
                String err = new String(p.getErrorStream().readAllBytes(), UTF_8);
                if (!p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IOException("gmqtt exchange failed: " + err);
                }
                Map<?, ?> m = (Map<?, ?>) Json.parse(out.strip());
                return new Received((String) m.get("topic"), HexFormat.of().parseHex((String) m.get("payload")),
                        Integer.parseInt(m.get("qos").toString()));
            } finally {
                p.destroyForcibly();
            }
        } finally {
            Files.deleteIfExists(script);
        }
    }

    /**
     * mosquitto_sub subscribes (QoS 1), and once the broker has acknowledged the subscription mosquitto_pub publishes
     * {@code payload} (QoS 1); returns what mosquitto_sub printed (the payload in hex).
     */
    static Received mosquittoExchange(String host, int port, String topic, byte[] payload) throws Exception {
        // stdbuf: mosquitto_sub buffers its output into a pipe, which would hold back the SUBACK line until it ends.
        Process sub = new ProcessBuilder("stdbuf", "-oL", "mosquitto_sub", "-V", "mqttv311", "-h", host, "-p",
                Integer.toString(port), "-t", topic, "-q", "1", "-C", "1", "-W", Long.toString(LIMIT_SECONDS), "-d",
                "-F", "payload %t %q %x").redirectErrorStream(true).start();
        StringBuilder seen = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(sub.getInputStream(), UTF_8))) {
            // -d prints the protocol exchange: publish only once SUBACK is in, so the message cannot be missed.
            for (String line = lines.readLine(); ; line = lines.readLine()) {
                if (line == null) {
                    throw new IOException("mosquitto_sub ended before its subscription was acknowledged: " + seen);
                }
                seen.append(line).append('\n');
                if (line.contains("SUBACK")) {
                    break;
                }
            }
            Path file = Files.createTempFile("mqtt-payload", ".bin");
            try {
                Files.write(file, payload);
                Process pub = new ProcessBuilder("mosquitto_pub", "-V", "mqttv311", "-h", host, "-p",
                        Integer.toString(port), "-t", topic, "-q", "1", "-f", file.toString())
                        .redirectErrorStream(true).start();
                String pubOut = new String(pub.getInputStream().readAllBytes(), UTF_8);
                if (!pub.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS) || pub.exitValue() != 0) {
                    throw new IOException("mosquitto_pub failed: " + pubOut);
                }
            } finally {
                Files.deleteIfExists(file);
            }
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                seen.append(line).append('\n');
                if (line.startsWith("payload ")) {
                    String[] f = line.split(" ");
                    return new Received(f[1], f.length > 3 ? HexFormat.of().parseHex(f[3]) : new byte[0],
                            Integer.parseInt(f[2]));
                }
            }
            throw new IOException("mosquitto_sub ended without the message: " + seen);
        } finally {
            sub.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The folder holding the original's vendored gmqtt package (…/p2pd-py/src/p2pd/vendor), found above here. */
    static Path gmqttParent() throws IOException {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path vendor = dir.resolve("shared/reference/p2pd-py/src/p2pd/vendor");
            if (Files.isDirectory(vendor.resolve("gmqtt"))) {
                return vendor;
            }
        }
        throw new IOException("the Python original (shared/reference/p2pd-py) is not above " + Path.of("")
                .toAbsolutePath());
    }
}
