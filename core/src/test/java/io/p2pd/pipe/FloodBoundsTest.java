package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, security defaults: a flood cannot grow a queue (and so memory) past its bound. With the default options
 * ({@code maxQsize} 1024): a UDP queue nobody reads stays at its bound and counts what it dropped; a TCP queue stops
 * the connection's reading instead, loses nothing, and never holds more than its bound plus what one read had
 * already decoded. In io.p2pd.pipe to look at the queue itself.
 */
class FloodBoundsTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    private static SubQueue queueOf(Pipe pipe, Sub sub) {
        for (Subscription s : pipe.subscriptions()) {
            if (s.sub().equals(sub) && !s.hasHandler()) {
                return s.queue();
            }
        }
        throw new AssertionError("no queue for " + sub + " on " + pipe);
    }

    @Test
    void aUdpFloodIntoAnUnreadPipeKeepsTheQueueAtItsBoundAndCountsDrops() throws Exception {
        int bound = PipeConf.defaults().maxQsize();
        CountDownLatch endSeen = new CountDownLatch(1);
        AtomicInteger maxQueued = new AtomicInteger();
        try (Pipe server = Pipes.udp().bind(LOOPBACK).open().join();
             DatagramSocket flooder = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            server.subscribe(Sub.ALL);
            SubQueue queue = queueOf(server, Sub.ALL);
            // Watches every message before the queue gets it (handlers run first); marks the end of the flood.
            server.addMsgHandler(MsgHandler.plain((m, p) -> {
                maxQueued.accumulateAndGet(queue.size(), Math::max);
                if (m.text().equals("END")) {
                    endSeen.countDown();
                }
            }));
            byte[] junk = new byte[100];
            InetSocketAddress to = server.localAddress();
            for (int round = 0; round < 400 && server.stats().received() < 4L * bound; round++) {
                for (int i = 0; i < 250; i++) {
                    flooder.send(new DatagramPacket(junk, junk.length, to));
                }
            }
            // The kernel may drop a datagram when its buffer is full: resend the marker until the pipe sees one.
            byte[] end = "END".getBytes(UTF_8);
            for (int i = 0; i < 50 && endSeen.getCount() > 0; i++) {
                flooder.send(new DatagramPacket(end, end.length, to));
                endSeen.await(1, TimeUnit.SECONDS);
            }
            assertThat(endSeen.getCount()).isZero();
            server.closeAsync().get(10, TimeUnit.SECONDS); // nothing more arrives: the counts are final

            PipeStats stats = server.stats();
            assertThat(stats.received()).isGreaterThan(2L * bound);
            assertThat(queue.size()).isEqualTo(bound);
            assertThat(maxQueued.get()).isLessThanOrEqualTo(bound);
            assertThat(stats.dropped()).isEqualTo(stats.received() - bound);
            // What is left is the newest: the oldest went first, the end marker is last.
            Message last = null;
            for (int i = 0; i < bound; i++) {
                last = server.recv(Duration.ofSeconds(1)).join();
            }
            assertThat(last.text()).isEqualTo("END");
            assertThat(queue.size()).isZero();
            System.out.printf("UDP flood: received %d, queue bound %d, most queued %d, dropped %d%n",
                    stats.received(), bound, maxQueued.get(), stats.dropped());
        }
    }

    @Test
    void aTcpFloodStopsReadingAtTheBoundAndLosesNothing() throws Exception {
        int bound = PipeConf.defaults().maxQsize();
        int readerLimit = PipeConf.defaults().readerLimit();
        TcpOptions conf = TcpOptions.builder().framing(Framing.lines()).build(); // otherwise defaults
        int lines = 200_000;
        CountDownLatch full = new CountDownLatch(1);
        AtomicInteger maxQueued = new AtomicInteger();
        LinkedBlockingQueue<Pipe> accepted = new LinkedBlockingQueue<>();
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).tcp(conf).upHandler(p -> {
                    p.subscribe(Sub.ALL);
                    SubQueue q = queueOf(p, Sub.ALL);
                    p.addMsgHandler(MsgHandler.plain((m, x) -> {
                        int size = q.size() + 1; // counting this one, which the queue takes next
                        maxQueued.accumulateAndGet(size, Math::max);
                        if (size >= bound) {
                            full.countDown();
                        }
                    }));
                    accepted.add(p);
                }).open().join();
             Socket flooder = new Socket("127.0.0.1", server.localAddress().getPort())) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = flooder.getOutputStream();
                    StringBuilder batch = new StringBuilder();
                    for (int i = 0; i < lines; i++) {
                        batch.append(String.format("line %09d%n", i));
                        if (batch.length() > 8000 || i == lines - 1) {
                            out.write(batch.toString().getBytes(UTF_8));
                            batch.setLength(0);
                        }
                    }
                    flooder.shutdownOutput();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Pipe conn = accepted.poll(10, TimeUnit.SECONDS);
            assertThat(conn).isNotNull();
            assertThat(full.await(30, TimeUnit.SECONDS)).as("the queue filled up").isTrue();

            // Now read everything: each line once, in order, and the queue never past its bound plus one read.
            int next = 0;
            for (int i = 0; i < lines; i++) {
                String line = conn.recv(Duration.ofSeconds(10)).join().text();
                assertThat(line).isEqualTo(String.format("line %09d", next++));
            }
            writer.get(30, TimeUnit.SECONDS);
            assertThat(next).isEqualTo(lines);
            assertThat(conn.stats().dropped()).isZero();
            // One read (at most readerLimit bytes) is decoded whole even after reading stopped: the documented slack.
            int slack = readerLimit / "line 000000000\n".length() + 1;
            assertThat(maxQueued.get()).isBetween(bound, bound + slack);
            System.out.printf("TCP flood: %d lines, queue bound %d, most queued %d%n", lines, bound,
                    maxQueued.get());
        }
    }
}
