package io.p2pd.node.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs pieces of the Python original (the read-only copy in {@code ../shared/reference/p2pd-py} beside the repo)
 * through the harness {@code original.py}, with Debian's {@code /usr/bin/python3} and packages (python3-ecdsa and
 * the others scripts/lab-deps.sh installs). Requests are ops with string and int fields; each answer is a string.
 */
public final class Original {

    private static final String PYTHON = "/usr/bin/python3";

    private Original() {}

    /** One request: the op name and its fields, in order. */
    public static Map<String, Object> op(String name, Object... fields) {
        java.util.LinkedHashMap<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("op", name);
        for (int i = 0; i < fields.length; i += 2) {
            m.put((String) fields[i], fields[i + 1]);
        }
        return m;
    }

    /** Runs the requests in one Python process and returns its answers, in order. */
    public static List<String> run(List<Map<String, Object>> requests) throws IOException, InterruptedException {
        String script;
        try (InputStream in = Original.class.getResourceAsStream("original.py")) {
            script = new String(in.readAllBytes(), UTF_8);
        }
        ProcessBuilder pb = new ProcessBuilder(PYTHON, "-c", script);
        pb.environment().put("PYTHONPATH", referenceSource().toString());
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        try {
            try (OutputStream out = p.getOutputStream()) {
                out.write(Json.write(requests).getBytes(UTF_8));
            }
            byte[] answer = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new IOException("the Python original did not end");
            }
            if (p.exitValue() != 0) {
                throw new IOException("the Python original failed, exit " + p.exitValue()
                        + " (its stderr is above; scripts/lab-deps.sh installs the Debian packages it needs)");
            }
            List<String> answers = Json.readStrings(new String(answer, UTF_8));
            if (answers.size() != requests.size()) {
                throw new IOException(answers.size() + " answers to " + requests.size() + " requests");
            }
            return answers;
        } finally {
            p.destroyForcibly();
        }
    }

    /** {@code ../shared/reference/p2pd-py/src} from the repository root (the nearest folder with mvnw above). */
    static Path referenceSource() throws IOException {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("mvnw"))) {
                Path src = dir.resolveSibling("shared").resolve("reference/p2pd-py/src");
                if (Files.isDirectory(src.resolve("p2pd"))) {
                    return src;
                }
                throw new IOException("no Python original at " + src);
            }
        }
        throw new IOException("repository root not found above " + Path.of("").toAbsolutePath());
    }

    /** Just enough JSON: write maps, lists, strings and ints; read a list of strings. */
    static final class Json {
        private Json() {}

        static String write(Object v) {
            StringBuilder sb = new StringBuilder();
            write(sb, v);
            return sb.toString();
        }

        private static void write(StringBuilder sb, Object v) {
            if (v instanceof Map<?, ?> m) {
                sb.append('{');
                String sep = "";
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    sb.append(sep);
                    write(sb, e.getKey().toString());
                    sb.append(':');
                    write(sb, e.getValue());
                    sep = ",";
                }
                sb.append('}');
            } else if (v instanceof List<?> l) {
                sb.append('[');
                for (int i = 0; i < l.size(); i++) {
                    sb.append(i == 0 ? "" : ",");
                    write(sb, l.get(i));
                }
                sb.append(']');
            } else if (v instanceof Integer || v instanceof Long) {
                sb.append(v);
            } else if (v instanceof String s) {
                sb.append('"');
                for (char c : s.toCharArray()) {
                    if (c == '"' || c == '\\') {
                        sb.append('\\').append(c);
                    } else if (c < 0x20 || c > 0x7e) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
                sb.append('"');
            } else {
                throw new IllegalArgumentException("cannot write " + v);
            }
        }

        static List<String> readStrings(String json) throws IOException {
            List<String> out = new ArrayList<>();
            String s = json.strip();
            if (!s.startsWith("[") || !s.endsWith("]")) {
                throw new IOException("not a JSON list");
            }
            int i = 1;
            while (true) {
                while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == ',')) {
                    i++;
                }
                if (s.charAt(i) == ']') {
                    return out;
                }
                if (s.charAt(i) != '"') {
                    throw new IOException("not a JSON list of strings at " + i);
                }
                StringBuilder sb = new StringBuilder();
                for (i++; s.charAt(i) != '"'; i++) {
                    char c = s.charAt(i);
                    if (c == '\\') {
                        char e = s.charAt(++i);
                        switch (e) {
                            case 'n' -> sb.append('\n');
                            case 't' -> sb.append('\t');
                            case 'u' -> {
                                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                                i += 4;
                            }
                            default -> sb.append(e);
                        }
                    } else {
                        sb.append(c);
                    }
                }
                out.add(sb.toString());
                i++;
            }
        }
    }
}
