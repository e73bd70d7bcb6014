package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.testing.Python;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Our pipes against Python's standard-library sockets, in both directions, on both protocols and families. */
class PythonInteropTest {

    private static final String TCP_CLIENT = """
            import socket, sys
            family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
            s = socket.socket(family, socket.SOCK_STREAM)
            s.connect((sys.argv[1], int(sys.argv[2])))
            payload = b'python says hello ' * 1000
            s.sendall(payload)
            got = b''
            while len(got) < len(payload):
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            print('match' if got == payload else 'mismatch %d' % len(got))
            """;

    private static final String UDP_CLIENT = """
            import socket, sys
            family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.settimeout(2)
            for attempt in range(3):
                s.sendto(b'ping from python', (sys.argv[1], int(sys.argv[2])))
                try:
                    data, addr = s.recvfrom(2048)
                    print(data.decode())
                    break
                except socket.timeout:
                    pass
            else:
                print('no reply')
            """;

    private static final String TCP_SERVER = """
            import socket, sys
            family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
            srv = socket.socket(family, socket.SOCK_STREAM)
            srv.bind((sys.argv[1], 0))
            srv.listen(1)
            print(srv.getsockname()[1], flush=True)
            conn, addr = srv.accept()
            data = b''
            while not data.endswith(b'\\n'):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            conn.sendall(b'python got ' + data)
            conn.close()
            """;

    private static final String UDP_SERVER = """
            import socket, sys
            family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.bind((sys.argv[1], 0))
            print(s.getsockname()[1], flush=True)
            for _ in range(3):
                data, addr = s.recvfrom(2048)
                s.sendto(b'python got ' + data, addr)
            """;

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void pythonTcpClientAgainstOurEchoServer(String ip) throws Exception {
        try (Pipe server = Pipes.tcp().bind(new InetSocketAddress(ip, 0))
                .msgHandler((msg, pipe) -> pipe.send(msg.data(), msg.sender())).open().join();
             Python client = Python.run(TCP_CLIENT, ip, Integer.toString(server.localAddress().getPort()))) {
            assertThat(client.readLine()).isEqualTo("match");
            assertThat(client.exitCode()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void pythonUdpClientAgainstOurServer(String ip) throws Exception {
        try (Pipe server = Pipes.udp().bind(new InetSocketAddress(ip, 0))
                .msgHandler((msg, pipe) -> pipe.send(("pipe got " + msg.text()).getBytes(UTF_8), msg.sender()))
                .open().join();
             Python client = Python.run(UDP_CLIENT, ip, Integer.toString(server.localAddress().getPort()))) {
            assertThat(client.readLine()).isEqualTo("pipe got ping from python");
            assertThat(client.exitCode()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void ourTcpClientAgainstAPythonServer(String ip) throws Exception {
        try (Python server = Python.run(TCP_SERVER, ip)) {
            int port = Integer.parseInt(server.readLine().trim());
            try (Pipe client = Pipes.open(Proto.TCP, ip, port).join()) {
                client.send("hello python\n".getBytes(UTF_8)).join();
                StringBuilder got = new StringBuilder();
                while (!got.toString().endsWith("\n")) {
                    got.append(client.recv(Duration.ofSeconds(10)).join().text());
                }
                assertThat(got.toString()).isEqualTo("python got hello python\n");
                // Python closed its side: our pipe ends by itself.
                assertThat(client.closeFuture()).succeedsWithin(Duration.ofSeconds(10));
            }
            assertThat(server.exitCode()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void ourUdpClientAgainstAPythonServer(String ip) throws Exception {
        try (Python server = Python.run(UDP_SERVER, ip)) {
            int port = Integer.parseInt(server.readLine().trim());
            try (Pipe client = Pipes.open(Proto.UDP, ip, port).join()) {
                Message reply = null;
                for (int attempt = 0; attempt < 3 && reply == null; attempt++) {
                    client.send("ping".getBytes(UTF_8)).join();
                    reply = client.recv(Duration.ofSeconds(2)).exceptionally(e -> null).join();
                }
                assertThat(reply).isNotNull();
                assertThat(reply.text()).isEqualTo("python got ping");
                assertThat(reply.sender().getPort()).isEqualTo(port);
            }
        }
    }
}
