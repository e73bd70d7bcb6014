package io.p2pd.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/** Objects for {@code io.p2pd.internal.Json.write}, the project's one JSON writer: keys in camelCase, in order. */
final class JsonFields {

    private JsonFields() {
    }

    /** An ordered object from alternating keys and values (null values are written as JSON null). */
    static Map<String, Object> of(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values must come in pairs");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
