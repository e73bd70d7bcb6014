package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.testing.Python;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Framed TCP pipes hand handlers and queues whole messages, however the stream was cut. */
class FramingTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    private static List<String> receive(Pipe pipe, int n) {
        List<String> got = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            got.add(pipe.recv(Duration.ofSeconds(10)).join().text());
        }
        return got;
    }

    @Test
    void linesArriveWholeWhateverTheWritesWere() throws Exception {
        try (Pipe server = Pipes.tcp().bind(LOOPBACK)
                .tcp(TcpOptions.builder().framing(Framing.lines()).build()).open().join();
             Socket peer = new Socket(LOOPBACK.getAddress(), server.localAddress().getPort())) {
            OutputStream out = peer.getOutputStream();
            out.write("first li".getBytes(UTF_8));
            out.flush();
            out.write("ne\nsecond\nthi".getBytes(UTF_8));
            out.flush();
            out.write("rd\n".getBytes(UTF_8));
            out.flush();
            Pipe connection = server.accept().join();

            assertThat(receive(connection, 3)).containsExactly("first line", "second", "third");
        }
    }

    @Test
    void lengthPrefixedPipesExchangeExactlyTheMessagesSent() {
        for (int prefix : new int[] {2, 4}) {
            TcpOptions framed = TcpOptions.builder().framing(Framing.lengthPrefixed(prefix)).build();
            try (Pipe server = Pipes.tcp().bind(LOOPBACK).tcp(framed)
                    .msgHandler((m, p) -> p.send(m.data())).open().join();
                 Pipe client = Pipes.tcp().dest(server.localAddress()).tcp(framed).open().join()) {
                List<String> sent = List.of("a", "", "bb", "c".repeat(5000), "newline\ninside");
                sent.forEach(s -> client.send(s.getBytes(UTF_8)));

                assertThat(receive(client, sent.size())).isEqualTo(sent);
            }
        }
    }

    @Test
    void aFrameTooLargeForItsPrefixIsRefusedOnSend() {
        TcpOptions framed = TcpOptions.builder().framing(Framing.lengthPrefixed(2)).build();
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).tcp(framed).open().join();
             Pipe client = Pipes.tcp().dest(server.localAddress()).tcp(framed).open().join()) {
            assertThatThrownBy(() -> client.send(new byte[70_000])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("2-byte length prefix");
        }
    }

    @Test
    void aFrameOverReaderLimitClosesTheConnectionWithAReason() throws Exception {
        PipeConf small = PipeConf.builder().readerLimit(100).build();
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).conf(small).tcp(TcpOptions.framed(Framing.lines())).open().join();
             Socket peer = new Socket(LOOPBACK.getAddress(), server.localAddress().getPort())) {
            peer.getOutputStream().write(("ok\n" + "x".repeat(500) + "\n").getBytes(UTF_8));
            Pipe connection = server.accept().join();

            assertThat(connection.recv().join().text()).isEqualTo("ok");
            connection.closeFuture().join();
            assertThat(connection.closeCause()).get().isInstanceOf(FrameTooLongException.class)
                    .extracting(Throwable::getMessage).asString().contains("readerLimit of 100 bytes");
            // The server itself carries on.
            assertThat(server.isOpen()).isTrue();
        }
    }

    @Test
    void pythonSendsLengthPrefixedFramesInPieces() throws Exception {
        String script = """
                import socket, struct, sys
                s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
                data = b''.join(struct.pack('>I', len(m)) + m for m in [b'alpha', b'beta', b'x' * 3000])
                for i in range(0, len(data), 7):
                    s.sendall(data[i:i + 7])
                reply = s.recv(4)
                print(struct.unpack('>I', reply)[0], s.recv(100).decode())
                """;
        TcpOptions framed = TcpOptions.builder().framing(Framing.lengthPrefixed(4)).build();
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).tcp(framed).open().join();
             Python python = Python.run(script, Integer.toString(server.localAddress().getPort()))) {
            Pipe connection = server.accept().join();
            List<String> got = receive(connection, 3);
            connection.send("done".getBytes(UTF_8)).join();

            assertThat(got).containsExactly("alpha", "beta", "x".repeat(3000));
            assertThat(python.readLine()).isEqualTo("4 done");
        }
    }
}
