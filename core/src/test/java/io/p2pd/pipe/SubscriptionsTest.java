package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Subscriptions by pattern and sender, their queues, and duplicate suppression. */
class SubscriptionsTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @Test
    void everyMatchingSubscriptionGetsTheMessage() {
        try (Pipe server = Pipes.udp().bind(LOOPBACK).open().join();
             Pipe a = Pipes.udp().bind(LOOPBACK).open().join();
             Pipe b = Pipes.udp().bind(LOOPBACK).open().join()) {
            Sub hello = Sub.matching("hel+o");
            Sub fromA = Sub.from(a.localAddress());
            Sub anyPortOfLoopback = Sub.from(new InetSocketAddress("127.0.0.1", 0));
            Sub whole = Sub.matching("^bye$");
            server.subscribe(hello).subscribe(fromA).subscribe(anyPortOfLoopback).subscribe(whole);

            a.send("say hello".getBytes(UTF_8), server.localAddress()).join();
            b.send("bye".getBytes(UTF_8), server.localAddress()).join();
            b.send("bye now".getBytes(UTF_8), server.localAddress()).join();

            assertThat(server.recv(hello).join().text()).isEqualTo("say hello");
            assertThat(server.recv(fromA).join().sender()).isEqualTo(a.localAddress());
            assertThat(server.recv(whole).join().text()).isEqualTo("bye");
            List<String> all = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                all.add(server.recv(anyPortOfLoopback).join().text());
            }
            assertThat(all).containsExactly("say hello", "bye", "bye now");
            // The catch-all queue open() added got everything too.
            assertThat(server.recv(Sub.ALL).join().text()).isEqualTo("say hello");
            assertThat(server.recv(hello, Duration.ofMillis(50))).failsWithin(Duration.ofSeconds(5));
        }
    }

    @Test
    void ipv6SendersCompareByValueNotSpelling() throws Exception {
        try (Pipe server = Pipes.udp().bind(new InetSocketAddress("::1", 0)).open().join();
             Pipe client = Pipes.udp().bind(new InetSocketAddress("::1", 0)).open().join()) {
            Sub spelledLong = Sub.from(new InetSocketAddress(InetAddress.getByName("0:0:0:0:0:0:0:1"),
                    client.localAddress().getPort()));
            server.subscribe(spelledLong);
            client.send("v6".getBytes(UTF_8), server.localAddress()).join();

            assertThat(server.recv(spelledLong).join().text()).isEqualTo("v6");
            assertThat(Sub.from(new InetSocketAddress("::1", 5))).isEqualTo(
                    Sub.from(new InetSocketAddress("0:0:0:0:0:0:0:1", 5)));
        }
    }

    @Test
    void patternsWorkOnRawBytes() {
        Message binary = new Message(new byte[] {0x00, 0x01, (byte) 0xFF, 0x42}, new InetSocketAddress(
                "127.0.0.1", 1));
        assertThat(Sub.matching("\\x01\\xFF").matches(binary)).isTrue();
        assertThat(Sub.matching("^\\x00").matches(binary)).isTrue();
        assertThat(Sub.matching("^\\x01").matches(binary)).isFalse();
        assertThat(Sub.ALL.matches(binary)).isTrue();
        assertThat(Sub.matching("x").andFrom(new InetSocketAddress("127.0.0.1", 2)).matches(
                new Message("x".getBytes(UTF_8), new InetSocketAddress("127.0.0.1", 1)))).isFalse();
    }

    @Test
    void aHandlerSubscriptionCallsInsteadOfQueueing() {
        List<String> handled = new ArrayList<>();
        try (Pipe server = Pipes.udp().bind(LOOPBACK).msgHandler((m, p) -> null).open().join();
             Pipe client = Pipes.open(Proto.UDP, server.localAddress()).join()) {
            server.subscribe(Sub.matching("^cmd:"), MsgHandler.plain((m, p) -> {
                synchronized (handled) {
                    handled.add(m.text());
                }
            }));
            server.subscribe(Sub.matching("^end$"));
            client.send("cmd:one".getBytes(UTF_8)).join();
            client.send("end".getBytes(UTF_8)).join();
            server.recv(Sub.matching("^end$")).join();

            synchronized (handled) {
                assertThat(handled).containsExactly("cmd:one");
            }
            // A handler subscription has no queue to receive from.
            assertThatThrownBy(() -> server.recv(Sub.matching("^cmd:")))
                    .isInstanceOf(IllegalStateException.class);
            // Opened with a handler: no catch-all queue.
            assertThatThrownBy(() -> server.recv()).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void unsubscribingFailsWaitingRecvs() {
        try (Pipe server = Pipes.udp().bind(LOOPBACK).open().join()) {
            Sub sub = Sub.matching("never");
            server.subscribe(sub);
            var waiting = server.recv(sub, Duration.ofSeconds(30));
            server.unsubscribe(sub);

            assertThatThrownBy(waiting::join).cause().isInstanceOf(PipeClosedException.class)
                    .hasMessageContaining("unsubscribed");
        }
    }

    @Test
    void aUdpFloodIntoAnUnreadPipeStaysBoundedAndCountsDrops() throws Exception {
        int maxQsize = 256;
        int flood = 100_000;
        try (Pipe server = Pipes.udp().bind(LOOPBACK)
                .conf(PipeConf.builder().maxQsize(maxQsize).build()).open().join();
             DatagramChannel sender = DatagramChannel.open().bind(LOOPBACK)) {
            Sub marker = Sub.matching("^last$");
            var lastSeen = new java.util.concurrent.CompletableFuture<Void>();
            // Subscribed by name, the catch-all queue stays when the handler comes; being first, it has the
            // message before the handler sees it.
            server.subscribe(Sub.ALL);
            server.subscribe(marker, MsgHandler.plain((m, p) -> lastSeen.complete(null)));
            ByteBuffer payload = ByteBuffer.allocate(64);
            for (int i = 0; i < flood; i++) {
                payload.clear();
                sender.send(payload, server.localAddress());
            }
            // Loopback may drop some of the flood in the kernel; send the marker until it gets through.
            while (!lastSeen.isDone()) {
                sender.send(ByteBuffer.wrap("last".getBytes(UTF_8)), server.localAddress());
                try {
                    lastSeen.get(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException notYet) {
                    // try again
                }
            }
            PipeStats stats = server.stats();
            assertThat(stats.received()).isGreaterThan(maxQsize);
            assertThat(stats.dropped()).isEqualTo(stats.received() - maxQsize);
            int queued = 0;
            while (server.recv(Duration.ofMillis(20)).handle((m, e) -> e == null).join()) {
                queued++;
            }
            // A marker resent under load may still arrive after the snapshot: count it in, exactly.
            PipeStats after = server.stats();
            long late = (after.received() - stats.received()) - (after.dropped() - stats.dropped());
            assertThat(queued).isEqualTo(maxQsize + late);
        }
    }

    @Test
    void duplicatesAreDroppedPerSenderIpAndTheOldestIdIsEvicted() throws Exception {
        PipeConf dedup = PipeConf.builder().enableMsgIds(true).maxMsgIds(2).build();
        try (Pipe server = Pipes.udp().bind(LOOPBACK).conf(dedup).open().join();
             DatagramChannel one = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             DatagramChannel other = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.2", 0))) {
            for (String text : List.of("A", "A", "A")) {
                one.send(ByteBuffer.wrap(text.getBytes(UTF_8)), server.localAddress());
            }
            // Same bytes from another IP are not a duplicate.
            other.send(ByteBuffer.wrap("A".getBytes(UTF_8)), server.localAddress());
            // B and C push A out of a memory of two, so A counts as new again.
            for (String text : List.of("B", "C", "A", "end")) {
                one.send(ByteBuffer.wrap(text.getBytes(UTF_8)), server.localAddress());
            }
            List<String> got = new ArrayList<>();
            String text;
            do {
                text = server.recv().join().text();
                got.add(text);
            } while (!text.equals("end"));

            assertThat(got).containsExactly("A", "A", "B", "C", "A", "end");
            assertThat(server.stats().duplicates()).isEqualTo(2);
        }
    }

    @Test
    void requestResendsUntilAReplyComes() {
        int[] seen = {0};
        PipeConf quick = PipeConf.builder().recvTimeout(Duration.ofMillis(200)).sendRetry(2).build();
        try (Pipe server = Pipes.udp().bind(LOOPBACK)
                .msgHandler((m, p) -> ++seen[0] < 2 ? null : p.send(("re:" + m.text()).getBytes(UTF_8),
                        m.sender())).open().join();
             Pipe client = Pipes.udp().dest(server.localAddress()).conf(quick)
                     .msgHandler((m, p) -> null).open().join()) {
            Message reply = client.request("q".getBytes(UTF_8), Sub.matching("^re:")).join();

            assertThat(reply.text()).isEqualTo("re:q");
            assertThat(server.stats().received()).isEqualTo(2);
        }
        try (Pipe silent = Pipes.udp().bind(LOOPBACK).msgHandler((m, p) -> null).open().join();
             Pipe client = Pipes.udp().dest(silent.localAddress()).conf(quick)
                     .msgHandler((m, p) -> null).open().join()) {
            assertThatThrownBy(() -> client.request("q".getBytes(UTF_8), Sub.matching("^re:")).join())
                    .cause().isInstanceOf(RecvTimeoutException.class).hasMessageContaining("after 3 attempts");
            assertThat(silent.stats().received()).isEqualTo(3);
        }
    }
}
