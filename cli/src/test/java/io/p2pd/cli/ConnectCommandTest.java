package io.p2pd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Issue 17: {@code p2pd connect} over TCP half-closes when stdin ends and ends when the peer closes. */
class ConnectCommandTest {

    /** A Python server on loopback running {@code body} for one connection {@code c}; prints its port first. */
    private static Process python(String body) throws Exception {
        String server = """
                import socket
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.bind(('127.0.0.1', 0))
                s.listen(1)
                print(s.getsockname()[1], flush=True)
                c, _ = s.accept()
                """ + body;
        return new ProcessBuilder("python3", "-u", "-c", server).start();
    }

    private static String portOf(Process python) throws Exception {
        return new BufferedReader(new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8))
                .readLine().trim();
    }

    @Test
    void stdinEndingHalfClosesSoAPeerThatAnswersAtEndOfStreamAnswersAndTheCommandEnds() throws Exception {
        // Reads to end of stream (which needs our half-close), answers with everything it got, then closes.
        Process python = python("""
                data = b''
                while True:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                c.sendall(b'got ' + data)
                c.close()
                """);
        try {
            String port = portOf(python);
            // As `printf ping | p2pd connect 127.0.0.1 PORT`.
            P2pd.Result r = P2pd.run("ping", "connect", "127.0.0.1", port);

            assertThat(r.exit()).isZero();
            assertThat(r.out()).isEqualTo("got ping");
        } finally {
            python.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void thePeerClosingEndsTheCommandWhileStdinIsStillOpen() throws Exception {
        Process python = python("""
                c.sendall(b'bye')
                c.close()
                """);
        try (P2pd connect = P2pd.start("connect", "127.0.0.1", portOf(python))) {
            // Standard input is never closed here.
            assertThat(connect.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(connect.process.exitValue()).isZero();
            assertThat(new String(connect.process.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("bye");
        } finally {
            python.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
