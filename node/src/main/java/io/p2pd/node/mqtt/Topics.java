package io.p2pd.node.mqtt;

import java.nio.charset.StandardCharsets;

/** MQTT topic names and filters: what is valid, and which names a filter matches. */
final class Topics {

    private Topics() {
    }

    /** A topic name to publish to: not empty, no wildcards, no NUL, at most 65535 bytes of UTF-8. */
    static void checkName(String topic) {
        checkCommon(topic, "topic");
        if (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0) {
            throw new IllegalArgumentException("topic: wildcards (+, #) are for subscriptions only: " + topic);
        }
    }

    /** A topic filter: as a name, where {@code +} fills a whole level and {@code #} only the last one. */
    static void checkFilter(String filter) {
        checkCommon(filter, "topic filter");
        String[] levels = filter.split("/", -1);
        for (int i = 0; i < levels.length; i++) {
            String level = levels[i];
            if ((level.contains("+") || level.contains("#")) && level.length() != 1) {
                throw new IllegalArgumentException("topic filter: a wildcard must fill a whole level: " + filter);
            }
            if (level.equals("#") && i != levels.length - 1) {
                throw new IllegalArgumentException("topic filter: '#' must be the last level: " + filter);
            }
        }
    }

    private static void checkCommon(String topic, String what) {
        if (topic == null || topic.isEmpty()) {
            throw new IllegalArgumentException(what + ": empty");
        }
        if (topic.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + ": contains NUL");
        }
        if (topic.getBytes(StandardCharsets.UTF_8).length > 65_535) {
            throw new IllegalArgumentException(what + ": longer than 65535 bytes of UTF-8");
        }
    }

    /** Whether {@code filter} (valid) matches {@code topic}; names starting with '$' only match filters that do. */
    static boolean matches(String filter, String topic) {
        if (topic.startsWith("$") && !filter.startsWith("$")) {
            return false;
        }
        String[] f = filter.split("/", -1);
        String[] t = topic.split("/", -1);
        for (int i = 0; i < f.length; i++) {
            if (f[i].equals("#")) {
                return true;
            }
            if (i >= t.length) {
                return false;
            }
            if (!f[i].equals("+") && !f[i].equals(t[i])) {
                return false;
            }
        }
        return f.length == t.length;
    }
}
