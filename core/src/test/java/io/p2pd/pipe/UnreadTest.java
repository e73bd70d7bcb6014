package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Pipe.unread: bytes a handshake read past its end go back before what was read later. */
class UnreadTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    @Test
    void unreadBytesComeBeforeWhatWasQueuedAfterThemAndReachAWaitingRecv() throws Exception {
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).open().join()) {
            CompletableFuture<Pipe> next = server.accept();
            try (Pipe client = Pipes.tcp().dest(server.localAddress()).open().join(); Pipe conn = await(next)) {
                await(client.send("later".getBytes(US_ASCII)));
                // Wait until "later" is queued: recv it, then give it back, then give back what came before it.
                Message later = await(conn.recv());
                conn.unread(later.data());
                conn.unread("first ".getBytes(US_ASCII));
                assertThat(await(conn.recv()).text()).isEqualTo("first ");
                assertThat(await(conn.recv()).text()).isEqualTo("later");
                await(client.send("next".getBytes(US_ASCII)));
                assertThat(await(conn.recv()).text()).isEqualTo("next");
            }
        }
    }

    @Test
    void aRecvWaitingWhenBytesAreGivenBackGetsThem() throws Exception {
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).open().join()) {
            CompletableFuture<Pipe> next = server.accept();
            try (Pipe client = Pipes.tcp().dest(server.localAddress()).open().join(); Pipe conn = await(next)) {
                CompletableFuture<Message> waiting = conn.recv(Duration.ofSeconds(20));
                conn.unread("back".getBytes(US_ASCII));
                Message got = await(waiting);
                assertThat(got.text()).isEqualTo("back");
                assertThat(got.sender()).isEqualTo(client.localAddress());
            }
        }
    }

    @Test
    void onlyATcpConnectionWithACatchAllQueueTakesBytesBack() throws Exception {
        try (Pipe server = Pipes.tcp().bind(LOOPBACK).open().join();
             Pipe udp = Pipes.udp().bind(LOOPBACK).open().join()) {
            assertThatThrownBy(() -> server.unread(new byte[1])).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> udp.unread(new byte[1])).isInstanceOf(IllegalStateException.class);
            CompletableFuture<Pipe> next = server.accept();
            try (Pipe client = Pipes.tcp().dest(server.localAddress()).msgHandler(MsgHandler.plain((m, p) -> { }))
                    .open().join(); Pipe conn = await(next)) {
                assertThatThrownBy(() -> client.unread(new byte[1])).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("no queue");
                assertThat(conn.isOpen()).isTrue();
            }
        }
    }
}
