package io.p2pd.bench;

import io.p2pd.internal.Json;
import java.util.Map;

/** Reads iperf3's JSON report with the project's one JSON parser (the library's, on the bench's class path). */
final class MiniJson {

    private MiniJson() {
    }

    static Object parse(String text) {
        return Json.parse(text.strip());
    }

    /** The value at a path of object keys, e.g. {@code get(json, "end", "sum", "packets")}. */
    static Object get(Object json, String... path) {
        Object at = json;
        for (String key : path) {
            if (!(at instanceof Map<?, ?> m) || !m.containsKey(key)) {
                throw new IllegalArgumentException("no " + String.join(".", path) + " in iperf3 output");
            }
            at = m.get(key);
        }
        return at;
    }

    static double number(Object json, String... path) {
        return ((Number) get(json, path)).doubleValue();
    }
}
