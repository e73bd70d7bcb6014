package io.p2pd.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the namespace lab tests share: finding a lab script, running commands, a JVM inside a namespace. */
public final class Labs {

    private Labs() {
    }

    /** {@code scripts/NAME} of this repository, searched upwards from the working directory. */
    public static Path script(String name) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path s = dir.resolve("scripts").resolve(name);
            if (Files.isExecutable(s)) {
                return s;
            }
        }
        throw new IllegalStateException("scripts/" + name + " not found above " + Path.of("").toAbsolutePath());
    }

    /** A child JVM with the test class path, inside namespace {@code ns}. */
    public static List<String> javaIn(String ns, String... mainAndArgs) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns,
                ProcessHandle.current().info().command().orElseThrow(), "-cp", System.getProperty("java.class.path")));
        c.addAll(List.of(mainAndArgs));
        return c;
    }

    public static String run(List<String> command) throws IOException, InterruptedException {
        return run(command, new StringBuilder());
    }

    /**
     * Runs {@code command} to its end (bounded by 120 s) and returns its stdout; its stderr is appended to
     * {@code stderr}. A non-zero exit fails with both outputs in the message.
     */
    public static String run(List<String> command, StringBuilder stderr) throws IOException, InterruptedException {
        Path err = Files.createTempFile("lab", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + command);
            }
            stderr.append(Files.readString(err));
            if (p.exitValue() != 0) {
                throw new IllegalStateException("exit " + p.exitValue() + " from " + command + "\n"
                        + Files.readString(err) + out);
            }
            return out;
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
