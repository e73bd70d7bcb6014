package io.p2pd.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the figures were measured on: they mean little without it. */
final class Machine {

    private Machine() {
    }

    static String describe() {
        Runtime rt = Runtime.getRuntime();
        return String.join("\n",
                "- cores (nproc): " + rt.availableProcessors() + " (shared with other developers' builds)",
                "- cpu: " + cpuModel(),
                "- memory: " + memory(),
                "- kernel: " + System.getProperty("os.name") + " " + System.getProperty("os.version"),
                "- jdk: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                "- transport: " + (io.p2pd.net.EventLoops.nativeTransport() ? "epoll (native)" : "NIO"),
                "- file descriptors (ulimit -n of the harness): " + fdLimit());
    }

    private static String cpuModel() {
        return lines("/proc/cpuinfo").stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
    }

    private static String memory() {
        return lines("/proc/meminfo").stream().filter(l -> l.startsWith("MemTotal"))
                .map(l -> l.replaceAll("\\s+", " ").substring(l.indexOf(':') + 1).trim()).findFirst()
                .orElse("unknown");
    }

    private static String fdLimit() {
        return lines("/proc/self/limits").stream().filter(l -> l.startsWith("Max open files"))
                .map(l -> l.replaceAll("\\s+", " ").replace("Max open files ", "")).findFirst().orElse("unknown");
    }

    static List<String> lines(String path) {
        try {
            return Files.readAllLines(Path.of(path));
        } catch (IOException e) {
            return List.of();
        }
    }
}
