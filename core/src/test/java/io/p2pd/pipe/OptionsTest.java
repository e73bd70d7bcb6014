package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.p2pd.testing.Streams;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The options pipe core honours: reuse_addr, broadcast, linger, reader_limit, loop. */
class OptionsTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @Test
    void reuseAddrLetsTwoUdpPipesShareAPort() {
        PipeConf reuse = PipeConf.builder().reuseAddr(true).build();
        try (Pipe first = Pipes.udp().bind(LOOPBACK).conf(reuse).open().join();
             Pipe second = Pipes.udp().bind(first.localAddress()).conf(reuse).open().join()) {
            assertThat(second.localAddress()).isEqualTo(first.localAddress());
        }
        try (Pipe first = Pipes.udp().bind(LOOPBACK).open().join()) {
            assertThatThrownBy(() -> Pipes.udp().bind(first.localAddress()).open().join())
                    .cause().isInstanceOf(BindException.class);
        }
    }

    @Test
    void reuseAddrLetsTwoTcpServersShareAPortAndBothAccept() throws Exception {
        PipeConf reuse = PipeConf.builder().reuseAddr(true).build();
        List<Pipe> clients = new ArrayList<>();
        try (Pipe first = Pipes.tcp().bind(LOOPBACK).conf(reuse).open().join();
             Pipe second = Pipes.tcp().bind(first.localAddress()).conf(reuse).open().join()) {
            assertThat(second.localAddress()).isEqualTo(first.localAddress());
            // SO_REUSEPORT: the kernel spreads connections over both listeners (by a hash of the source port).
            CompletableFuture<Pipe> nextFirst = first.accept();
            CompletableFuture<Pipe> nextSecond = second.accept();
            int onFirst = 0;
            int onSecond = 0;
            while (onFirst == 0 || onSecond == 0) {
                assertThat(clients).as("connections before both servers had one").hasSizeLessThan(200);
                clients.add(Pipes.open(Proto.TCP, first.localAddress()).join());
                CompletableFuture.anyOf(nextFirst, nextSecond).get(10, TimeUnit.SECONDS);
                if (nextFirst.isDone()) {
                    onFirst++;
                    nextFirst = first.accept();
                }
                if (nextSecond.isDone()) {
                    onSecond++;
                    nextSecond = second.accept();
                }
            }
            assertThat(onFirst + onSecond).isEqualTo(clients.size());
        } finally {
            clients.forEach(Pipe::close);
        }
        try (Pipe first = Pipes.tcp().bind(LOOPBACK).open().join()) {
            assertThatThrownBy(() -> Pipes.tcp().bind(first.localAddress()).open().join())
                    .cause().isInstanceOf(BindException.class).hasMessageContaining("already in use");
        }
    }

    @Test
    void broadcastIsAppliedToUdp() {
        // 127.255.255.255 is loopback's own broadcast address: the kernel refuses to send there (EACCES)
        // unless the socket has SO_BROADCAST.
        InetSocketAddress loopbackBroadcast = new InetSocketAddress("127.255.255.255", 9);
        try (Pipe plain = Pipes.udp().bind(LOOPBACK).open().join()) {
            assertThatThrownBy(() -> plain.send("b".getBytes(UTF_8), loopbackBroadcast).join())
                    .rootCause().hasMessageContaining("Permission denied");
        }
        try (Pipe pipe = Pipes.udp().bind(LOOPBACK).broadcast(true).open().join()) {
            assertThat(pipe.send("b".getBytes(UTF_8), loopbackBroadcast)).succeedsWithin(Duration.ofSeconds(5));
        }
    }

    @Test
    void lingerZeroResetsTheConnectionOnClose() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 10, LOOPBACK.getAddress())) {
            Pipe client = Pipes.tcp().dest((InetSocketAddress) listener.getLocalSocketAddress())
                    .tcp(TcpOptions.builder().linger(Duration.ZERO).build()).open().join();
            try (Socket accepted = listener.accept()) {
                client.close();
                InputStream in = accepted.getInputStream();
                // SO_LINGER 0 makes close() send RST instead of FIN: the peer sees a reset, not end of stream.
                assertThatThrownBy(in::read).isInstanceOf(SocketException.class)
                        .hasMessageContaining("reset");
            }
        }
    }

    @Test
    void tcpChunksNeverExceedReaderLimit() {
        int limit = 1000;
        byte[] big = new byte[50_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        ChunkCollector chunks = new ChunkCollector(big.length);
        try (Pipe server = Pipes.tcp().bind(LOOPBACK)
                .conf(PipeConf.builder().readerLimit(limit).build()).msgHandler(chunks.handler()).open().join();
             Pipe client = Pipes.open(Proto.TCP, server.localAddress()).join()) {
            client.send(big).join();

            assertThat(chunks.whole).succeedsWithin(Duration.ofSeconds(30)).isEqualTo(big);
            assertThat(chunks.sizes).allMatch(s -> s <= limit);
            assertThat(chunks.sizes.size()).isGreaterThanOrEqualTo(big.length / limit);
        }
    }

    @Test
    void datagramsOverReaderLimitAreDroppedAndCounted() throws Exception {
        try (Pipe server = Pipes.udp().bind(LOOPBACK)
                .conf(PipeConf.builder().readerLimit(100).build()).open().join();
             DatagramSocket peer = new DatagramSocket(LOOPBACK)) {
            peer.send(new DatagramPacket(new byte[101], 101, server.localAddress()));
            peer.send(new DatagramPacket(new byte[100], 100, server.localAddress()));

            Message ok = server.recv().join();
            assertThat(ok.data()).hasSize(100);
            assertThat(server.stats().oversized()).isEqualTo(1);
            assertThat(server.stats().received()).isEqualTo(1);
        }
    }

    @Test
    void sendingADatagramLargerThanUdpAllowsFails() {
        try (Pipe pipe = Pipes.udp().bind(LOOPBACK).open().join()) {
            assertThatThrownBy(() -> pipe.send(new byte[PipeConf.MAX_DATAGRAM + 1], pipe.localAddress()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("65507");
        }
    }

    @Test
    void loopChoosesTheEventLoopGroup() throws Exception {
        IoEventLoopGroup mine = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("mine", true),
                NioIoHandler.newFactory());
        try {
            CompletableFuture<String> thread = new CompletableFuture<>();
            try (Pipe server = Pipes.udp().bind(LOOPBACK).conf(PipeConf.builder().loop(mine).build())
                    .msgHandler(MsgHandler.plain((m, p) -> thread.complete(Thread.currentThread().getName())))
                    .open().join();
                 Pipe client = Pipes.open(Proto.UDP, server.localAddress()).join()) {
                client.send("x".getBytes(UTF_8)).join();

                assertThat(thread).succeedsWithin(Duration.ofSeconds(10)).asString().startsWith("mine");
            }
        } finally {
            mine.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aFullTcpQueueStopsReadingAndLosesNothing() throws IOException {
        int total = 2_000_000;
        try (Pipe server = Pipes.tcp().bind(LOOPBACK)
                .conf(PipeConf.builder().maxQsize(4).readerLimit(1024).build()).open().join();
             Socket peer = new Socket(server.localAddress().getAddress(), server.localAddress().getPort())) {
            Pipe connection = server.accept().join();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    byte[] block = new byte[10_000];
                    for (int sent = 0; sent < total; sent += block.length) {
                        for (int i = 0; i < block.length; i++) {
                            block[i] = (byte) ((sent + i) % 251);
                        }
                        peer.getOutputStream().write(block);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            int read = 0;
            while (read < total) {
                byte[] chunk = connection.recv(Duration.ofSeconds(30)).join().data();
                for (byte b : chunk) {
                    assertThat(b).isEqualTo((byte) (read++ % 251));
                }
            }
            writer.join();
            assertThat(read).isEqualTo(total);
            assertThat(connection.stats().dropped()).isZero();
            assertThat(connection.stats().receivedBytes()).isEqualTo(total);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void twoHundredMegabytesIntoASlowReaderLoseNoByte() throws Exception {
        long total = 200L << 20;
        try (Pipe server = Pipes.tcp().bind(LOOPBACK)
                .conf(PipeConf.builder().maxQsize(8).build()).open().join();
             Socket peer = new Socket(server.localAddress().getAddress(), server.localAddress().getPort())) {
            Pipe connection = server.accept().join();
            CompletableFuture<String> sentDigest = CompletableFuture.supplyAsync(() -> Streams.write(peer, total, 7));
            // The reader takes one chunk at a time with its own hashing in between: slower than the writer, so the
            // queue of 8 fills and the pipe must stop reading rather than drop.
            java.security.MessageDigest digest = Streams.sha256();
            long read = 0;
            while (read < total) {
                byte[] chunk = connection.recv(Duration.ofSeconds(30)).join().data();
                digest.update(chunk);
                read += chunk.length;
            }
            assertThat(read).isEqualTo(total);
            assertThat(java.util.HexFormat.of().formatHex(digest.digest())).isEqualTo(sentDigest.join());
            assertThat(connection.stats().dropped()).isZero();
        }
    }

    @Test
    void aFullUdpQueueDropsTheOldestAndCountsIt() throws Exception {
        try (Pipe server = Pipes.udp().bind(LOOPBACK)
                .conf(PipeConf.builder().maxQsize(10).build()).open().join();
             Pipe client = Pipes.udp().bind(LOOPBACK).msgHandler((m, p) -> null).open().join()) {
            CompletableFuture<Void> lastSeen = new CompletableFuture<>();
            // Subscribed by name, the catch-all queue stays when the handler comes; being first, it has the
            // message before the handler sees it.
            server.subscribe(Sub.ALL);
            server.subscribe(Sub.matching("^49$"), MsgHandler.plain((m, p) -> lastSeen.complete(null)));
            for (int i = 0; i < 50; i++) {
                client.send(Integer.toString(i).getBytes(UTF_8), server.localAddress()).join();
            }
            lastSeen.join();
            PipeStats stats = server.stats();
            assertThat(stats.received() - stats.dropped()).isEqualTo(10);
            // Loopback does not lose datagrams here, so all 50 arrived and the 40 oldest gave way.
            assertThat(stats.received()).isEqualTo(50);
            assertThat(server.recv().join().text()).isEqualTo("40");
        }
    }
}
