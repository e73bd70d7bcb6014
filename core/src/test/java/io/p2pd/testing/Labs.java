package io.p2pd.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
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

    /**
     * A process started for a lab test (usually a JVM of {@link #javaIn}): its stdout lines are read on a thread of
     * their own and taken with a bound ({@link #expect}), its stdin takes commands, its stderr goes to a file for
     * failure messages. {@link #close} ends its stdin (the lab mains stop then) and waits, bounded, killing it last.
     */
    public static final class Child implements AutoCloseable {
        private static final String END = "\u0000end";

        private final Process process;
        private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final Path stderr;
        private final Writer stdin;

        private Child(Process process, Path stderr) {
            this.process = process;
            this.stderr = stderr;
            this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        /** Starts {@code command} with its stderr in a file of {@code dir}. */
        public static Child start(Path dir, List<String> command) throws IOException {
            Path err = Files.createTempFile(dir, "child", ".err");
            Child c = new Child(new ProcessBuilder(command).redirectError(err.toFile()).start(), err);
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(c.process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        c.lines.add(line);
                    }
                } catch (IOException e) {
                    // the process ended; END says so
                }
                c.lines.add(END);
            }, "lab-child-" + c.process.pid());
            reader.setDaemon(true);
            reader.start();
            return c;
        }

        /** Writes one line to its stdin. */
        public void send(String line) throws IOException {
            stdin.write(line + "\n");
            stdin.flush();
        }

        /**
         * The next stdout line within {@code seconds}; it must start with {@code prefix}, else this fails with the
         * line (or the lack of one) and the child's stderr.
         */
        public String expect(String prefix, long seconds) throws IOException, InterruptedException {
            String line = lines.poll(seconds, TimeUnit.SECONDS);
            if (line == null || line.equals(END) || !line.startsWith(prefix)) {
                throw new AssertionError("expected a line starting with '" + prefix + "' within " + seconds + " s from "
                        + process.info().commandLine().orElse("?") + ", got "
                        + (line == null ? "none" : line.equals(END) ? "its end" : "'" + line + "'")
                        + "; its stderr:\n" + stderrText());
            }
            return line;
        }

        /** What it wrote to stderr so far, without the JVM's warnings. */
        public String stderrText() throws IOException {
            return String.join("\n", Files.readString(stderr).lines().filter(l -> !l.startsWith("WARNING")).toList());
        }

        @Override
        public void close() throws IOException {
            try {
                stdin.close();
            } catch (IOException ended) {
                // it is gone already
            }
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while " + process.pid() + " ended");
            } finally {
                Files.deleteIfExists(stderr);
            }
        }
    }
}
