package io.p2pd.cli;

/** The little JSON the commands print: flat objects of strings, numbers, booleans and nulls. */
final class Json {

    private Json() {
    }

    /** An object from alternating keys and values; values are String, Number, Boolean, raw JSON (Raw) or null. */
    static String object(Object... keysAndValues) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (i > 0) {
                b.append(", ");
            }
            b.append(string(String.valueOf(keysAndValues[i]))).append(": ").append(value(keysAndValues[i + 1]));
        }
        return b.append('}').toString();
    }

    /** Already-formed JSON, put in as it is. */
    record Raw(String json) {
    }

    static String value(Object v) {
        return switch (v) {
            case null -> "null";
            case Raw raw -> raw.json();
            case Number n -> n.toString();
            case Boolean bool -> bool.toString();
            default -> string(v.toString());
        };
    }

    static String string(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
