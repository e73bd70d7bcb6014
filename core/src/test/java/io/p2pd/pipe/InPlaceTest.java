package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.testing.Streams;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * In-place handlers ({@link MsgHandler#inPlace}) and {@link Pipe#send(ByteBuffer)}: the bytes are the same as on the
 * array path, the view is the receive buffer only when nothing else needs an array, and each handler sees the
 * whole message.
 */
class InPlaceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    /** What an in-place handler saw: the bytes (copied out), and whether the view was direct and read-only. */
    record Seen(byte[] bytes, boolean direct, boolean readOnly, InetSocketAddress sender) {
    }

    private static MsgHandler recording(List<Seen> seen) {
        return MsgHandler.inPlace((data, sender, pipe) -> {
            byte[] copy = new byte[data.remaining()];
            data.get(copy);
            seen.add(new Seen(copy, data.isDirect(), data.isReadOnly(), sender));
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void tcpEchoOfEightMegabytesKeepsEveryByte(String ip) throws Exception {
        byte[] sent = new byte[8 << 20];
        new Random(42).nextBytes(sent);
        try (Pipe server = Pipes.tcp().bind(new InetSocketAddress(ip, 0))
                .msgHandler(MsgHandler.inPlace((data, sender, pipe) -> pipe.send(data))).open().join();
             Pipe client = Pipes.open(Proto.TCP, server.localAddress()).join()) {
            for (int off = 0; off < sent.length; off += 65536) {
                client.send(ByteBuffer.wrap(sent, off, Math.min(65536, sent.length - off)));
            }
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            while (back.size() < sent.length) {
                back.write(client.recv(WAIT).join().data());
            }

            assertThat(back.toByteArray()).isEqualTo(sent);
            Pipe connection = server.connections().getFirst();
            // A write is counted when its listener runs on the connection's loop, just after the bytes left: a task
            // queued there now runs after the last of those.
            connection.loop.submit(() -> null).get(10, TimeUnit.SECONDS);
            assertThat(connection.stats().sentBytes()).isEqualTo(sent.length);
            assertThat(connection.stats().receivedBytes()).isEqualTo(sent.length);
            assertThat(connection.stats().handlerErrors()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void udpEchoRepliesToEachSenderWithItsDatagram(String ip) {
        try (Pipe server = Pipes.udp().bind(new InetSocketAddress(ip, 0))
                .msgHandler(MsgHandler.inPlace((data, sender, pipe) -> pipe.send(data, sender))).open().join();
             Pipe a = Pipes.open(Proto.UDP, server.localAddress()).join();
             Pipe b = Pipes.open(Proto.UDP, server.localAddress()).join()) {
            a.send(ByteBuffer.wrap("from a".getBytes(UTF_8))).join();
            b.send(ByteBuffer.wrap("from b".getBytes(UTF_8))).join();

            assertThat(a.recv(WAIT).join().text()).isEqualTo("from a");
            assertThat(b.recv(WAIT).join().text()).isEqualTo("from b");
        }
    }

    @Test
    void anInPlaceEchoToASlowReaderHoldsBoundedMemoryAndLosesNothing() throws Exception {
        long total = 64L << 20;
        try (Pipe server = Pipes.tcp().bind(LOOPBACK)
                .msgHandler(MsgHandler.inPlace((data, sender, pipe) -> pipe.send(data))).open().join();
             Socket client = new Socket(LOOPBACK.getAddress(), server.localAddress().getPort())) {
            CompletableFuture<String> sent = CompletableFuture.supplyAsync(() -> Streams.write(client, total, 42));
            // The client reads its echo doing eight times the work per byte it does writing: without back-pressure
            // the server would hold much of the 64 MB in memory (measured without it: 34 MB; with it: 64 KiB).
            String echoed = Streams.read(client, total, 1024, 8);

            assertThat(echoed).isEqualTo(sent.join());
            Pipe connection = server.connections().getFirst();
            assertThat(connection.stats().peakPendingBytes()).isLessThan(8L << 20);
        }
    }

    @Test
    void aPipeOfInPlaceHandlersOnlyShowsTheReceiveBufferReadOnly() throws Exception {
        List<Seen> seen = new CopyOnWriteArrayList<>();
        CompletableFuture<Throwable> write = new CompletableFuture<>();
        MsgHandler tryToWrite = MsgHandler.inPlace((data, sender, pipe) -> {
            try {
                data.put(0, (byte) 1);
                write.complete(null);
            } catch (ReadOnlyBufferException e) {
                write.complete(e);
            }
        });
        try (Pipe server = Pipes.udp().bind(LOOPBACK).msgHandler(recording(seen))
                .msgHandler(tryToWrite).open().join();
             Pipe client = Pipes.open(Proto.UDP, server.localAddress()).join()) {
            client.send("abc".getBytes(UTF_8)).join();

            assertThat(write.get(10, TimeUnit.SECONDS)).isInstanceOf(ReadOnlyBufferException.class);
            assertThat(seen).singleElement().satisfies(s -> {
                assertThat(s.bytes()).isEqualTo("abc".getBytes(UTF_8));
                // The default allocator's receive buffers are direct; a copy into a Message would be a heap array.
                assertThat(s.direct()).as("the receive buffer itself, not a copy").isTrue();
                assertThat(s.readOnly()).isTrue();
                assertThat(s.sender().getPort()).isEqualTo(client.localAddress().getPort());
            });
        }
    }

    @Test
    void aSubscriptionBesideThemMakesTheArrayAndBothGetTheMessage() {
        List<Seen> seen = new CopyOnWriteArrayList<>();
        try (Pipe server = Pipes.udp().bind(LOOPBACK).msgHandler(recording(seen)).open().join();
             Pipe client = Pipes.open(Proto.UDP, server.localAddress()).join()) {
            server.subscribe(Sub.ALL);
            client.send("both".getBytes(UTF_8)).join();

            Message queued = server.recv(WAIT).join();
            assertThat(queued.text()).isEqualTo("both");
            assertThat(seen).singleElement().satisfies(s -> {
                assertThat(s.bytes()).isEqualTo("both".getBytes(UTF_8));
                assertThat(s.direct()).as("a view of the message's array").isFalse();
                assertThat(s.readOnly()).isTrue();
            });
        }
    }

    @Test
    void aMessageHandlerBesideThemGetsTheSameBytesInOrder() {
        List<String> order = new CopyOnWriteArrayList<>();
        MsgHandler array = MsgHandler.plain((msg, pipe) -> order.add("array:" + msg.text()));
        MsgHandler view = MsgHandler.inPlace((data, sender, pipe) -> order.add("view:" + UTF_8.decode(data)));
        try (Pipe server = Pipes.udp().bind(LOOPBACK).msgHandler(array).msgHandler(view).open().join();
             Pipe client = Pipes.open(Proto.UDP, server.localAddress()).join()) {
            server.subscribe(Sub.ALL); // a queue after the handlers, so the test can wait for the message
            client.send("x".getBytes(UTF_8)).join();
            server.recv(WAIT).join();

            assertThat(order).containsExactly("array:x", "view:x");
        }
    }

    @Test
    void everyHandlerReadsFromTheStartInNetworkOrderWhateverTheOneBeforeDid() throws Exception {
        StringBuilder read = new StringBuilder(); // event loop only
        CompletableFuture<String> whole = new CompletableFuture<>();
        MsgHandler consumeAndNarrow = MsgHandler.inPlace((data, sender, pipe) -> {
            data.order(ByteOrder.LITTLE_ENDIAN);
            data.position(data.limit());
            data.limit(0);
        });
        MsgHandler reader = MsgHandler.inPlace((data, sender, pipe) -> {
            if (data.order() != ByteOrder.BIG_ENDIAN) {
                read.append("[byte order changed]");
            }
            read.append(UTF_8.decode(data));
            if (read.length() >= 5) {
                whole.complete(read.toString());
            }
        });
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).msgHandler(consumeAndNarrow).msgHandler(reader)
                .open().join();
             Pipe client = Pipes.open(Proto.TCP, server.localAddress()).join()) {
            client.send("whole".getBytes(UTF_8)).join();

            assertThat(whole.get(10, TimeUnit.SECONDS)).isEqualTo("whole");
        }
    }

    @Test
    void serverHandlersRunBeforeTheConnectionsOwnAndAFailureIsCountedNotFatal() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        MsgHandler failing = MsgHandler.inPlace((data, sender, pipe) -> {
            throw new IllegalStateException("handler bug");
        });
        MsgHandler onServer = MsgHandler.inPlace((data, sender, pipe) -> order.add("server"));
        TcpOptions lines = TcpOptions.builder().framing(Framing.lines()).build(); // one message however TCP cuts it
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).tcp(lines).msgHandler(failing)
                .msgHandler(onServer).open().join();
             Pipe client = Pipes.tcp().dest(server.localAddress()).tcp(lines).open().join()) {
            Pipe connection = server.accept().get(10, TimeUnit.SECONDS);
            CompletableFuture<String> reply = new CompletableFuture<>();
            connection.addMsgHandler(MsgHandler.inPlace((data, sender, pipe) -> {
                order.add("connection");
                pipe.send(data).thenRun(() -> reply.complete("sent"));
            }));
            client.send("hi".getBytes(UTF_8)).join();

            assertThat(client.recv(WAIT).join().text()).isEqualTo("hi");
            assertThat(reply.get(10, TimeUnit.SECONDS)).isEqualTo("sent");
            assertThat(order).containsExactly("server", "connection");
            assertThat(connection.stats().handlerErrors()).isEqualTo(1);
        }
    }

    @Test
    void sendOfAByteBufferCopiesFromPositionToLimitAndLeavesTheBufferAsItWas() {
        try (Pipe server = Pipes.tcp().bind(LOOPBACK)
                .tcp(TcpOptions.builder().framing(Framing.lengthPrefixed(2)).build()).open().join();
             Pipe client = Pipes.tcp().dest(server.localAddress())
                     .tcp(TcpOptions.builder().framing(Framing.lengthPrefixed(2)).build()).open().join()) {
            server.subscribe(Sub.ALL);
            ByteBuffer heap = ByteBuffer.wrap("..middle..".getBytes(UTF_8)).position(2).limit(8);
            ByteBuffer direct = ByteBuffer.allocateDirect(16).put("direct".getBytes(UTF_8)).flip();
            client.send(heap).join();
            client.send(direct).join();

            assertThat(heap.position()).isEqualTo(2);
            assertThat(heap.limit()).isEqualTo(8);
            assertThat(direct.position()).isZero();
            assertThat(server.recv(WAIT).join().text()).isEqualTo("middle");
            assertThat(server.recv(WAIT).join().text()).isEqualTo("direct");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void aFramedPipeShowsWholeFramesAndEchoesThemFramed(int prefix) {
        TcpOptions framed = TcpOptions.builder().framing(Framing.lengthPrefixed(prefix)).build();
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).tcp(framed)
                .msgHandler(MsgHandler.inPlace((data, sender, pipe) -> pipe.send(data))).open().join();
             Pipe client = Pipes.tcp().dest(server.localAddress()).tcp(framed).open().join()) {
            byte[] big = new byte[60_000];
            new Random(7).nextBytes(big);
            client.send("one".getBytes(UTF_8));
            client.send(big);
            client.send(new byte[0]);
            client.send("three".getBytes(UTF_8)).join();

            assertThat(client.recv(WAIT).join().text()).isEqualTo("one");
            assertThat(client.recv(WAIT).join().data()).isEqualTo(big);
            assertThat(client.recv(WAIT).join().data()).isEmpty();
            assertThat(client.recv(WAIT).join().text()).isEqualTo("three");
        }
    }

    @Test
    void aServerPipeSendsAByteBufferToTheConnectionFromThatAddress() throws Exception {
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).open().join();
             Pipe client = Pipes.open(Proto.TCP, server.localAddress()).join()) {
            server.accept().get(10, TimeUnit.SECONDS);
            server.send(ByteBuffer.wrap("to you".getBytes(UTF_8)), client.localAddress()).join();
            CompletableFuture<Void> nobody = server.send(ByteBuffer.wrap(new byte[1]),
                    new InetSocketAddress("127.0.0.1", 9));

            assertThat(client.recv(WAIT).join().text()).isEqualTo("to you");
            assertThatThrownBy(nobody::join).hasCauseInstanceOf(PipeClosedException.class);
        }
    }

    @Test
    @SuppressWarnings("try") // the test closes a resource early on purpose
    void refusedByteBufferSendsFailWithTheSameErrorsAsArrays() {
        try (Pipe udp = Pipes.open(Proto.UDP, new InetSocketAddress("127.0.0.1", 9)).join();
             Pipe tcpServer = Pipes.tcp().bind(LOOPBACK)
                     .tcp(TcpOptions.builder().framing(Framing.lengthPrefixed(2)).build()).open().join();
             Pipe framed = Pipes.tcp().dest(tcpServer.localAddress())
                     .tcp(TcpOptions.builder().framing(Framing.lengthPrefixed(2)).build()).open().join()) {
            // Too large is a misuse, thrown at once; a closed pipe is an outcome, in the future.
            assertThatThrownBy(() -> udp.send(ByteBuffer.allocate(PipeConf.MAX_DATAGRAM + 1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds the UDP limit");
            assertThatThrownBy(() -> framed.send(ByteBuffer.allocateDirect(65536)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2-byte length prefix");
            framed.close();
            CompletableFuture<Void> closed = framed.send(ByteBuffer.allocate(1));

            assertThatThrownBy(closed::join).hasCauseInstanceOf(PipeClosedException.class);
        }
    }

}
