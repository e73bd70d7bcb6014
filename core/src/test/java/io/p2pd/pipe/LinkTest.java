package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.testing.Streams;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Linked pipes: relays in both directions, across protocols, with back-pressure and no loops. */
class LinkTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @Test
    void aTwoWayTcpRelayCarries500MbIntactWithBoundedMemory() throws Exception {
        long total = 500L << 20;
        try (ServerSocket sinkListener = new ServerSocket(0, 1, LOOPBACK.getAddress());
             Pipe front = Pipes.tcp().bind(LOOPBACK).open().join()) {
            // The relay: whatever connects to `front` is linked both ways to a new connection to the sink.
            CompletableFuture<Pipe[]> relay = front.accept().thenCompose(in ->
                    Pipes.open(Proto.TCP, (InetSocketAddress) sinkListener.getLocalSocketAddress())
                            .thenApply(out -> {
                                in.link(out);
                                out.link(in);
                                return new Pipe[] {in, out};
                            }));
            try (Socket source = new Socket(LOOPBACK.getAddress(), front.localAddress().getPort());
                 Socket sink = sinkListener.accept()) {
                Pipe[] pipes = relay.join();
                CompletableFuture<String> sent = CompletableFuture.supplyAsync(() -> Streams.write(source, total, 42));
                // The sink reads in small pieces, slower than the source writes: without back-pressure the relay
                // would have to hold the difference in memory.
                String received = Streams.read(sink, total, 1024);

                assertThat(received).isEqualTo(sent.join());
                assertThat(pipes[1].stats().sentBytes()).isEqualTo(total);
                assertThat(pipes[1].stats().peakPendingBytes()).isLessThan(8L << 20);
                assertThat(pipes[0].stats().dropped()).isZero();

                // And back the other way through the same relay.
                sink.getOutputStream().write("reply".getBytes(UTF_8));
                byte[] back = source.getInputStream().readNBytes(5);
                assertThat(new String(back, UTF_8)).isEqualTo("reply");
            }
        }
    }

    @Test
    void aUdpSourceDropsAndCountsWhatABackedUpTcpLinkCannotTakeAndForwardsTheRest() throws Exception {
        int size = 8192;
        try (ServerSocket sinkListener = new ServerSocket(0, 1, LOOPBACK.getAddress());
             Pipe out = Pipes.open(Proto.TCP, (InetSocketAddress) sinkListener.getLocalSocketAddress()).join();
             Socket sink = sinkListener.accept();
             DatagramSocket sender = new DatagramSocket(LOOPBACK)) {
            // The marker (first byte 1) comes after the flood; its handler sees the source's counts once every
            // datagram before it was forwarded or dropped (one connection, one order).
            CompletableFuture<PipeStats> atMarker = new CompletableFuture<>();
            Pipe source = Pipes.udp().bind(LOOPBACK)
                    .msgHandler(MsgHandler.plain((m, p) -> {
                        if (m.data()[0] == 1) {
                            atMarker.complete(p.stats());
                        }
                    })).open().join();
            try (source) {
                source.link(out);
                byte[] flood = new byte[size];
                byte[] marker = new byte[size];
                marker[0] = 1;
                // The sink reads nothing yet: once the TCP buffers and the pipe's high-water mark are full, the link
                // is not writable and the source must drop. Bounded: 400 MB at most.
                for (int i = 0; source.stats().dropped() == 0; i++) {
                    assertThat(i).as("datagrams sent before the first drop").isLessThan(50_000);
                    sender.send(new java.net.DatagramPacket(flood, size, source.localAddress()));
                }
                PipeStats stats = null;
                for (int attempt = 0; stats == null; attempt++) { // the kernel may drop the marker too: resend
                    assertThat(attempt).as("marker attempts").isLessThan(10);
                    sender.send(new java.net.DatagramPacket(marker, size, source.localAddress()));
                    stats = atMarker.copy().completeOnTimeout(null, 2, TimeUnit.SECONDS).join();
                }

                long forwarded = stats.received() - stats.dropped();
                byte[] all = sink.getInputStream().readNBytes((int) (forwarded * size));
                assertThat(stats.dropped()).isPositive();
                assertThat(all).hasSize((int) (forwarded * size));
                assertThat(out.stats().dropped()).isZero();
            }
        }
    }

    @Test
    void tcpToUdpAndBack() {
        try (Pipe udpEcho = Pipes.udp().bind(LOOPBACK)
                .msgHandler((m, p) -> p.send(m.data(), m.sender())).open().join();
             Pipe tcpFront = Pipes.tcp().bind(LOOPBACK).open().join();
             Pipe client = Pipes.open(Proto.TCP, tcpFront.localAddress()).join()) {
            Pipe connection = tcpFront.accept().join();
            Pipe udpSide = Pipes.udp().dest(udpEcho.localAddress()).open().join();
            connection.link(udpSide);
            udpSide.link(connection);

            client.send("over udp".getBytes(UTF_8)).join();

            assertThat(client.recv().join().text()).isEqualTo("over udp");
            assertThat(udpEcho.stats().received()).isEqualTo(1);
            udpSide.close();
        }
    }

    @Test
    void forwardedDataIsNotFedBackIntoTheLinkedPipe() {
        try (Pipe server = Pipes.udp().bind(LOOPBACK).open().join();
             Pipe a = Pipes.udp().dest(server.localAddress()).open().join();
             Pipe b = Pipes.udp().dest(server.localAddress()).open().join();
             Pipe peer = Pipes.udp().bind(LOOPBACK).open().join()) {
            a.link(b);
            b.link(a);
            peer.send("once".getBytes(UTF_8), a.localAddress()).join();

            // a forwards to the server through b; b does not see it as received, so nothing loops back.
            assertThat(server.recv().join().sender().getPort()).isEqualTo(b.localAddress().getPort());
            assertThat(server.recv(Duration.ofMillis(200))).failsWithin(Duration.ofSeconds(5));
            assertThat(b.stats().received()).isZero();
            assertThat(a.stats().received()).isEqualTo(1);
            assertThat(a.links()).containsExactly(b);

            // Linking dropped a's empty catch-all queue (a relay's queue nobody reads); subscribe to queue again.
            assertThatThrownBy(() -> a.recv()).isInstanceOf(IllegalStateException.class);
            a.unlink(b);
            a.subscribe(Sub.ALL);
            peer.send("again".getBytes(UTF_8), a.localAddress()).join();
            assertThat(a.recv().join().text()).isEqualTo("again");
            assertThat(server.recv(Duration.ofMillis(200))).failsWithin(Duration.ofSeconds(5));
        }
    }

    @Test
    void aRelayBetweenFramingsReframesEachMessage() throws Exception {
        TcpOptions lines = TcpOptions.builder().framing(Framing.lines()).build();
        TcpOptions prefixed = TcpOptions.builder().framing(Framing.lengthPrefixed(2)).build();
        try (Pipe sink = Pipes.tcp().bind(LOOPBACK).tcp(prefixed).open().join();
             Pipe front = Pipes.tcp().bind(LOOPBACK).tcp(lines).open().join();
             Socket source = new Socket(LOOPBACK.getAddress(), front.localAddress().getPort())) {
            Pipe in = front.accept().join();
            Pipe out = Pipes.tcp().dest(sink.localAddress()).tcp(prefixed).open().join();
            in.link(out);
            source.getOutputStream().write("one\ntwo\n".getBytes(UTF_8));
            Pipe sinkSide = sink.accept().join();

            assertThat(sinkSide.recv().join().text()).isEqualTo("one");
            assertThat(sinkSide.recv().join().text()).isEqualTo("two");
            out.close();
        }
    }

    @Test
    void whatArrivedBeforeLinkingGoesFirstInOrder() throws Exception {
        try (ServerSocket sinkListener = new ServerSocket(0, 1, LOOPBACK.getAddress());
             Pipe front = Pipes.tcp().bind(LOOPBACK).open().join();
             Socket source = new Socket(LOOPBACK.getAddress(), front.localAddress().getPort())) {
            Pipe in = front.accept().join();
            source.getOutputStream().write("early ".getBytes(UTF_8));
            // The early bytes wait in the catch-all queue until the relay is linked.
            assertThat(in.recv(Sub.ALL).thenApply(Message::text).join()).isEqualTo("early ");
            source.getOutputStream().write("queued ".getBytes(UTF_8));
            while (!in.hasQueuedMessages()) {
                Thread.onSpinWait();
            }
            Pipe out = Pipes.tcp().dest((InetSocketAddress) sinkListener.getLocalSocketAddress())
                    .eventLoopOf(in).open().join();
            try (Socket sink = sinkListener.accept()) {
                in.link(out);
                source.getOutputStream().write("late".getBytes(UTF_8));

                assertThat(new String(sink.getInputStream().readNBytes(11), UTF_8)).isEqualTo("queued late");
            }
            out.close();
        }
    }

    @Test
    void linkingNeedsADefaultDestination() {
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).open().join();
             Pipe udp = Pipes.udp().bind(LOOPBACK).open().join()) {
            assertThatThrownBy(() -> udp.link(server)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("default destination");
            assertThatThrownBy(() -> udp.link(udp)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aClosedTargetIsUnlinked() {
        try (Pipe server = Pipes.udp().bind(LOOPBACK).open().join();
             Pipe a = Pipes.udp().bind(LOOPBACK).open().join()) {
            Pipe b = Pipes.udp().dest(server.localAddress()).open().join();
            a.link(b);
            b.close();

            assertThat(a.links()).isEmpty();
        }
    }
}
