package io.p2pd.turn;

import static io.p2pd.turn.TurnCoturnLabTest.await;
import static io.p2pd.turn.TurnCoturnLabTest.peer;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.pipe.PipeClosedException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * coturn killed (SIGKILL, by its Process handle) while datagrams flow both ways through the relay: the relayed pipe
 * ends by itself with a cause that says what happened, within a bounded time, and closing it afterwards returns at
 * once; coturn started again on the same port serves a new allocation. Allocations last 4 s here
 * ({@code --max-allocate-lifetime=4}) so that the UDP case, which notices when the lifetime runs out, stays short.
 * The time from the kill to the pipe's end is printed for RELIABILITY.md.
 */
@Tag("lab")
class TurnKillLabTest {
    @TempDir
    Path dir;

    @BeforeEach
    void coturnInstalled() {
        Assumptions.assumeTrue(Coturn.installed(), "coturn is not installed (apt-get install coturn)");
    }

    static TurnConfig.Builder config(TurnTransport transport) {
        return TurnCoturnLabTest.config().transport(transport).timeLimit(Duration.ofSeconds(1))
                .closeTimeout(Duration.ofSeconds(1));
    }

    @Test
    void killedOverUdpThePipeEndsWithATimeoutOnceTheLifetimeRanOutAndARestartedServerServes() throws Exception {
        Throwable cause = killMidStreamThenRestart(TurnTransport.UDP);
        assertThat(cause).isInstanceOf(TurnTimeoutException.class).hasMessageContaining("Refresh")
                .hasMessageContaining("ran out");
    }

    @Test
    void killedOverTcpThePipeEndsWithTheConnectionLostAndARestartedServerServes() throws Exception {
        Throwable cause = killMidStreamThenRestart(TurnTransport.TCP);
        assertThat(cause).isInstanceOf(TurnConnectionLostException.class).hasMessageContaining("TCP control");
    }

    @Test
    void restartedAtOnceOverUdpTheOldAllocationsNextRefreshEndsItWith437() throws Exception {
        Coturn coturn = Coturn.start(dir, "--max-allocate-lifetime=4");
        Coturn again = null;
        try (DatagramSocket peer = peer()) {
            // Permissions refreshed every 500 ms: the first refresh after the restart meets a server without it.
            TurnAllocation a = await(TurnClient.allocate(coturn.address(), config(TurnTransport.UDP)
                    .permissionRefresh(Duration.ofMillis(500)).build()));
            TurnStreamLabTest.exchange(a, peer, 3);
            long killed = System.nanoTime();
            coturn.kill();
            again = coturn.restart();
            a.pipe().closeFuture().get(20, TimeUnit.SECONDS);
            System.out.println("TURN over UDP: coturn killed and restarted, relayed pipe ended after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed) + " ms with " + a.failure().orElse(null));
            assertThat(a.failure()).hasValueSatisfying(f -> assertThat(f)
                    .isInstanceOf(TurnAllocationMismatchException.class));
            a.closeAsync().get(5, TimeUnit.SECONDS);
        } finally {
            coturn.close();
            if (again != null) {
                again.close();
            }
        }
    }

    /** Allocates, exchanges, kills coturn mid-stream, waits for the pipe's end; restarts it and allocates again. */
    private Throwable killMidStreamThenRestart(TurnTransport transport) throws Exception {
        Coturn coturn = Coturn.start(dir, "--max-allocate-lifetime=4");
        Coturn again = null;
        try (DatagramSocket peer = peer()) {
            TurnAllocation a = await(TurnClient.allocate(coturn.address(), config(transport).build()));
            TurnStreamLabTest.exchange(a, peer, 3);
            InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
            // Mid-stream: datagrams on their way both ways as the server dies.
            for (int i = 0; i < 200; i++) {
                byte[] out = ("to the peer " + i).getBytes(UTF_8);
                a.pipe().send(out, peerAddress);
                byte[] back = ("from the peer " + i).getBytes(UTF_8);
                peer.send(new DatagramPacket(back, back.length, a.relayedAddress()));
            }
            long killed = System.nanoTime();
            coturn.kill();
            a.pipe().closeFuture().get(20, TimeUnit.SECONDS);
            long noticedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            System.out.println("TURN over " + transport + ": coturn killed, relayed pipe ended after " + noticedMillis
                    + " ms with " + a.failure().map(Object::toString).orElse("no cause"));
            assertThat(a.pipe().isOpen()).isFalse();
            // Nothing hangs: a send fails at once, closing returns at once (no server to delete anything on).
            try {
                a.pipe().send("late".getBytes(UTF_8), peerAddress).get(5, TimeUnit.SECONDS);
                throw new AssertionError("a send on the ended pipe succeeded");
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(PipeClosedException.class);
            }
            a.closeAsync().get(5, TimeUnit.SECONDS);
            Throwable cause = a.failure().orElseThrow();

            again = coturn.restart();
            // A new peer socket: the old one still holds the datagrams that got through before the kill.
            try (TurnAllocation b = await(TurnClient.allocate(again.address(), config(transport).build()));
                 DatagramSocket fresh = peer()) {
                TurnStats s = TurnStreamLabTest.exchange(b, fresh, 3);
                assertThat(s.sentChannelData() + s.sentIndications()).isEqualTo(3);
            }
            return cause;
        } finally {
            coturn.close();
            if (again != null) {
                again.close();
            }
        }
    }
}
