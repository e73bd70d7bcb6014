package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link TcpOptions#halfClosure()}: after the peer's end of stream a pipe ends its receive side and still sends. */
class HalfClosureTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private static final int SIZE = 3 * 1024 * 1024;
    private static final TcpOptions HALF = TcpOptions.builder().halfClosure(true).build();

    /** A pipe to or from a plain socket, opened the way {@code how} names, with these options. */
    private record Ends(Pipe pipe, Socket peer, java.io.Closeable rest) implements java.io.Closeable {
        @Override
        public void close() throws java.io.IOException {
            pipe.close();
            peer.close();
            rest.close();
        }
    }

    private static Ends open(String how, TcpOptions options) throws Exception {
        if (how.equals("accepted")) {
            Pipe server = Pipes.tcp().bind(LOOPBACK).tcp(options).open().get(10, TimeUnit.SECONDS);
            CompletableFuture<Pipe> next = server.accept();
            Socket peer = new Socket(LOOPBACK.getAddress(), server.localAddress().getPort());
            return new Ends(next.get(10, TimeUnit.SECONDS), peer, server::close);
        }
        ServerSocket listener = new ServerSocket(0, 1, LOOPBACK.getAddress());
        Pipe pipe = (how.equals("wrapped")
                ? Pipes.tcp().channel(SocketChannel.open(listener.getLocalSocketAddress()))
                : Pipes.tcp().dest((InetSocketAddress) listener.getLocalSocketAddress()))
                .tcp(options).open().get(10, TimeUnit.SECONDS);
        return new Ends(pipe, listener.accept(), listener);
    }

    private static byte[] pattern(int size) {
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) (i * 31 + (i >> 9));
        }
        return data;
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    /** Everything the socket reads until end of stream. */
    private static CompletableFuture<byte[]> readAll(Socket socket) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                socket.setSoTimeout(30_000);
                InputStream in = socket.getInputStream();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                byte[] chunk = new byte[64 * 1024];
                for (int n; (n = in.read(chunk)) >= 0; ) {
                    got.write(chunk, 0, n);
                }
                return got.toByteArray();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dialed", "accepted", "wrapped"})
    void afterThePeersEndThePipeReadsToTheEndAndStillSendsThreeMegabytes(String how) throws Exception {
        try (Ends ends = open(how, HALF)) {
            Pipe pipe = ends.pipe();
            ends.peer().getOutputStream().write("last words".getBytes(US_ASCII));
            ends.peer().shutdownOutput();
            assertThat(pipe.recv(Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS).text()).isEqualTo("last words");
            // The receive side ended as before: recv fails once what came before the end is taken.
            CompletableFuture<Message> after = pipe.recv(Duration.ofSeconds(10));
            assertThat(after).failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
                    .havingCause().isInstanceOf(PipeClosedException.class);
            assertThat(pipe.isOpen()).isTrue();

            CompletableFuture<byte[]> received = readAll(ends.peer());
            byte[] data = pattern(SIZE);
            for (int at = 0; at < SIZE; at += 256 * 1024) {
                pipe.send(java.util.Arrays.copyOfRange(data, at, Math.min(SIZE, at + 256 * 1024)))
                        .get(30, TimeUnit.SECONDS);
            }
            pipe.shutdownOutput().get(10, TimeUnit.SECONDS);
            byte[] got = received.get(30, TimeUnit.SECONDS);
            assertThat(got.length).isEqualTo(SIZE);
            assertThat(sha256(got)).isEqualTo(sha256(data));
            assertThat(pipe.closeFuture()).isNotDone();
        }
    }

    @Test
    void byDefaultThePeersEndClosesThePipe() throws Exception {
        try (Ends ends = open("dialed", TcpOptions.defaults())) {
            ends.peer().shutdownOutput();
            ends.pipe().closeFuture().get(10, TimeUnit.SECONDS);
            assertThat(ends.pipe().isOpen()).isFalse();
            assertThat(readAll(ends.peer()).get(10, TimeUnit.SECONDS)).isEmpty();
        }
    }

    @Test
    void aLinkThatPassesTheEndOnHalfClosesItsTargetAtThePeersEnd() throws Exception {
        try (Ends source = open("dialed", HALF); Ends target = open("dialed", TcpOptions.defaults())) {
            source.pipe().link(target.pipe(), true);
            CompletableFuture<byte[]> atTarget = readAll(target.peer());
            source.peer().getOutputStream().write("through".getBytes(US_ASCII));
            source.peer().shutdownOutput();
            assertThat(new String(atTarget.get(10, TimeUnit.SECONDS), US_ASCII)).isEqualTo("through");
            // The source still sends after its peer's end.
            CompletableFuture<byte[]> atSource = readAll(source.peer());
            source.pipe().send("reply".getBytes(US_ASCII)).get(10, TimeUnit.SECONDS);
            source.pipe().shutdownOutput().get(10, TimeUnit.SECONDS);
            assertThat(new String(atSource.get(10, TimeUnit.SECONDS), US_ASCII)).isEqualTo("reply");
        }
    }
}
