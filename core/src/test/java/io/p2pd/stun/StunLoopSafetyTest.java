package io.p2pd.stun;

import static io.p2pd.stun.StunServerClientTest.FAST;
import static io.p2pd.stun.StunServerClientTest.LO1;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nat.NatConfig;
import io.p2pd.nat.NatDetector;
import io.p2pd.net.EventLoops;
import io.p2pd.pipe.BlockingOnEventLoopException;
import io.p2pd.pipe.Proto;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 17: the futures of the STUN client, server and NAT detector complete on event loops; waiting on one there
 * would hang that loop for good, so it throws {@link BlockingOnEventLoopException} at once.
 */
class StunLoopSafetyTest {

    @Test
    void waitingOnAStunOrNatFutureOnAnEventLoopFailsAtOnce() throws Exception {
        // Sockets that never answer: every request stays pending while the loop tries to wait for it. TCP gets a
        // listener of its own that accepts and stays silent: a refused connect could fail the request (on another
        // loop) before the join, and the join would then throw the refusal instead of refusing to wait.
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(LO1, 0));
             ServerSocket silentTcp = new ServerSocket(0, 50, LO1)) {
            InetSocketAddress nobody = (InetSocketAddress) silent.getLocalSocketAddress();
            InetSocketAddress nobodyTcp = (InetSocketAddress) silentTcp.getLocalSocketAddress();
            List<Supplier<CompletableFuture<?>>> calls = List.of(
                    () -> StunClient.binding(Proto.UDP, nobody, FAST),
                    () -> StunClient.binding(Proto.TCP, nobodyTcp, FAST),
                    () -> StunClient.bindingQuorum(Proto.UDP, List.of(nobody, nobody), 2, FAST),
                    () -> NatDetector.detect(NatConfig.of(nobody)),
                    () -> StunServer.start(StunServerConfig.of(LO1, 0)));
            List<CompletableFuture<?>> started = new ArrayList<>();
            String refused = CompletableFuture.supplyAsync(() -> {
                int n = 0;
                for (Supplier<CompletableFuture<?>> call : calls) {
                    CompletableFuture<?> f = call.get();
                    started.add(f);
                    try {
                        f.join();
                    } catch (BlockingOnEventLoopException expected) {
                        n++;
                    }
                }
                return n + " of " + calls.size();
            }, EventLoops.shared().next()).get(20, TimeUnit.SECONDS);
            assertThat(refused).isEqualTo("5 of 5");
            for (CompletableFuture<?> f : started) { // let each end (the server: close it) before the socket goes
                try {
                    Object done = f.get(30, TimeUnit.SECONDS);
                    if (done instanceof StunServer s) {
                        s.close();
                    }
                } catch (java.util.concurrent.ExecutionException expectedForTheSilentOne) {
                    // timed out or refused: what a silent server gets
                }
            }
        }
    }
}
