package io.p2pd.node.signal;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * Writes JSON as Python's {@code json.dumps} does by default, so our messages are the bytes the original would
 * make of the same fields: {@code ", "} between members and items, {@code ": "} after keys, every character outside
 * printable ASCII escaped as a backslash, {@code u} and four lowercase hex digits (surrogate pairs as two
 * escapes), and the usual short escapes. Integers print in decimal; other numbers as {@link BigDecimal#toString()}, which is not always Python's
 * float text (the original's messages hold none).
 */
final class PyJson {

    private PyJson() {}

    static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v) {
        if (v instanceof String s) {
            quote(sb, s);
        } else if (v instanceof Long || v instanceof Integer) {
            sb.append(v);
        } else if (v instanceof BigDecimal d) {
            sb.append(d);
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            String sep = "";
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(sep);
                quote(sb, (String) e.getKey());
                sb.append(": ");
                write(sb, e.getValue());
                sep = ", ";
            }
            sb.append('}');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                sb.append(i == 0 ? "" : ", ");
                write(sb, l.get(i));
            }
            sb.append(']');
        } else {
            throw new IllegalArgumentException("cannot write " + (v == null ? "null" : v.getClass().getName()));
        }
    }

    /** The characters with a short escape, and the letter after the backslash for each. */
    private static final String SHORT = "\"\\\n\r\t\b\f";
    private static final String SHORT_AS = "\"\\nrtbf";

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int k = SHORT.indexOf(c);
            if (k >= 0) {
                sb.append('\\').append(SHORT_AS.charAt(k));
            } else if (c < 0x20 || c > 0x7e) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
    }
}
