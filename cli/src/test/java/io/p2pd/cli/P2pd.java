package io.p2pd.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The p2pd command run as a user runs it: a separate java process with the CLI on the module path as the launcher
 * runs it (on the class path when the build does not pass {@code p2pd.modulePath}, as in an IDE). Standard output is
 * read line by line; standard error is collected; the process is killed when closed.
 */
final class P2pd implements AutoCloseable {

    final Process process;
    private final BufferedReader out;

    private P2pd(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    static P2pd start(String... args) throws IOException {
        return start(Map.of(), args);
    }

    /** As {@link #start(String...)}, with {@code env} added to the inherited environment. */
    static P2pd start(Map<String, String> env, String... args) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command(args));
        builder.environment().putAll(env);
        return new P2pd(builder.start());
    }

    /** As {@link #start(String...)}, in a process whose open-descriptor limit ({@code ulimit -n}) is {@code limit}. */
    static P2pd startWithDescriptorLimit(int limit, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "ulimit -n " + limit + " && exec \"$@\"", "sh"));
        command.addAll(command(args));
        return new P2pd(new ProcessBuilder(command).start());
    }

    private static List<String> command(String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        String modulePath = System.getProperty("p2pd.modulePath"); // set by the build: see cli/pom.xml
        List<String> command = new ArrayList<>(modulePath == null
                ? List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                        Main.class.getName())
                // As ./p2pd runs it (keep in step with the launcher).
                : List.of(java, "--enable-native-access=io.netty.common", "--add-modules",
                        "io.netty.transport.epoll.linux.x86_64", "-p", modulePath,
                        "-m", "io.p2pd.cli/" + Main.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** Runs to the end (bounded) and returns exit code, stdout and stderr. */
    static Result run(String stdin, String... args) throws Exception {
        return run(Map.of(), stdin, args);
    }

    /** As {@link #run(String, String...)}, with {@code env} added to the inherited environment. */
    static Result run(Map<String, String> env, String stdin, String... args) throws Exception {
        try (P2pd p = start(env, args)) {
            try (OutputStream in = p.process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            String stdout = new String(p.process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String stderr = new String(p.process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.process.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("p2pd " + String.join(" ", args) + " did not end");
            }
            return new Result(p.process.exitValue(), stdout, stderr);
        }
    }

    record Result(int exit, String out, String err) {
    }

    /** The next line of standard output; fails if the process ended without one. */
    String readLine() throws IOException {
        String line = out.readLine();
        if (line == null) {
            throw new IOException("p2pd ended without output; stderr: "
                    + new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        return line;
    }

    /** The port at the end of a "... on IP:PORT" or "... -> ..." line's first address. */
    static int portOf(String line, String marker) {
        int at = line.indexOf(marker) + marker.length();
        String rest = line.substring(at).trim().split("[ ,]")[0];
        return Integer.parseInt(rest.substring(rest.lastIndexOf(':') + 1));
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
