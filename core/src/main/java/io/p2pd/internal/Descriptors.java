package io.p2pd.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's limit of open file descriptors, which bounds how many connections a server can hold. */
public final class Descriptors {
    private static final String LINE = "Max open files";

    private Descriptors() {
    }

    /**
     * Half the "Max open files" soft limit of this process (Linux), within 16 and {@code most}; {@code most} where the
     * limit cannot be read or is unlimited. Servers cap their connections there: a cap at the limit itself lets a
     * flood use up the descriptors before the cap makes room, and listeners, event loops and the JVM need some too.
     */
    public static int halfTheLimit(int most) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith(LINE)) {
                    String soft = line.substring(LINE.length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? most : Math.clamp(Long.parseLong(soft) / 2, 16, most);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or a format we do not know: the fixed default
        }
        return most;
    }
}
