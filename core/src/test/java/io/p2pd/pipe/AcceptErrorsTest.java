package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, descriptor exhaustion: a TCP server out of file descriptors (EMFILE on accept) logs a line per pause, not
 * a stack trace per attempt, and serves clients again once descriptors free up. The server runs in a child JVM
 * started under {@code ulimit -n}, so only it runs short.
 */
class AcceptErrorsTest {

    /** The child: an echo server; prints its port, then its accept error count for each line read, until EOF. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            try (Pipe server = Pipes.tcp().bind(new InetSocketAddress("127.0.0.1", 0))
                    .msgHandler((msg, pipe) -> pipe.send(msg.data(), msg.sender())).open().join()) {
                System.out.println(server.localAddress().getPort());
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, UTF_8));
                while (in.readLine() != null) {
                    System.out.println(((TcpServerPipe) server).acceptErrorCount());
                }
            }
        }
    }

    private static boolean echoes(int port) {
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
            client.setSoTimeout(2000);
            client.getOutputStream().write("ping".getBytes(UTF_8));
            return new String(client.getInputStream().readNBytes(4), UTF_8).equals("ping");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The test class path with every directory packed into a jar, as the library is deployed: a JVM loads a class
     * from a directory by opening its file, which fails when descriptors run out; a jar is opened once.
     */
    private static String jarredClassPath(Path dir) throws IOException {
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry);
            if (!Files.isDirectory(path)) {
                entries.add(entry);
                continue;
            }
            Path jar = dir.resolve("classes-" + n++ + ".jar");
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                 Stream<Path> files = Files.walk(path)) {
                for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    out.putNextEntry(new JarEntry(path.relativize(file).toString().replace(File.separatorChar, '/')));
                    Files.copy(file, out);
                    out.closeEntry();
                }
            }
            entries.add(jar.toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    @Test
    void aServerOutOfDescriptorsPausesQuietlyAndServesAgainOnceTheyFreeUp(@TempDir Path dir) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        String command = "ulimit -n 160 && exec \"$0\" --enable-native-access=ALL-UNNAMED -cp \"$1\" "
                + "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn \"$2\"";
        Process child = new ProcessBuilder("bash", "-c", command, java, jarredClassPath(dir),
                Probe.class.getName()).start();
        // The child's log, line by line; the first accept error shows there.
        CompletableFuture<Void> acceptFailed = new CompletableFuture<>();
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> {
            StringBuilder log = new StringBuilder();
            try (BufferedReader err = new BufferedReader(new InputStreamReader(child.getErrorStream(), UTF_8))) {
                for (String line = err.readLine(); line != null; line = err.readLine()) {
                    log.append(line).append('\n');
                    if (line.contains("could not accept")) {
                        acceptFailed.complete(null);
                    }
                }
            } catch (IOException e) {
                // the child ended
            }
            return log.toString();
        });
        List<Socket> flood = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), UTF_8));
            String first = out.readLine();
            assertThat(first).as("child's port").isNotNull();
            int port = Integer.parseInt(first.trim());
            assertThat(echoes(port)).isTrue();

            // More connections than the child has descriptors: the kernel completes them, the child cannot accept.
            for (int i = 0; i < 300; i++) {
                flood.add(new Socket(InetAddress.getLoopbackAddress(), port));
            }
            acceptFailed.get(30, TimeUnit.SECONDS);

            // Descriptors free up: clients are served again (accepting resumes by itself after a short pause).
            for (Socket s : flood) {
                s.close();
            }
            boolean served = false;
            for (int i = 0; i < 20 && !served; i++) {
                served = echoes(port);
            }
            assertThat(served).isTrue();

            child.getOutputStream().write('\n');
            child.getOutputStream().flush();
            long totalErrors = Long.parseLong(out.readLine().trim());
            child.getOutputStream().close();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String log = stderr.get(10, TimeUnit.SECONDS);
            // One line per pause of accepting, no stack traces, and far fewer lines than failed accepts would make.
            assertThat(totalErrors).isPositive();
            assertThat(log).doesNotContain("\tat ");
            // One warning for the episode (more only if it lasted over a minute), whatever the number of errors.
            assertThat(log.lines().filter(l -> l.contains("could not accept")).count()).isEqualTo(1);
            assertThat(log.lines().count()).isEqualTo(1);
        } finally {
            for (Socket s : flood) {
                s.close();
            }
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
