package io.p2pd.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a Python 3 script (standard library only) as a real peer: a process this project did not write.
 * The script's standard output is read line by line; it is killed when closed.
 */
public final class Python implements AutoCloseable {

    private final Process process;
    private final BufferedReader out;

    private Python(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    public static Python run(String script, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("python3", "-u", "-c", script));
        command.addAll(List.of(args));
        return new Python(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start());
    }

    /** The next line the script printed; fails if it ended without one. */
    public String readLine() throws IOException {
        String line = out.readLine();
        if (line == null) {
            throw new IOException("python ended without output, exit " + exitCode());
        }
        return line;
    }

    /** Waits (bounded) for the script to end and returns its exit code. */
    public int exitCode() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return -1;
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
