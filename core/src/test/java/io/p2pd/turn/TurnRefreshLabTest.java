package io.p2pd.turn;

import static io.p2pd.turn.Coturn.PASSWORD;
import static io.p2pd.turn.Coturn.USER;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The allocation, its permissions and its channels outlive their server-side lifetimes because the client refreshes
 * them: coturn runs with 3 s lifetimes for all three (and 2 s nonces), the client refreshes permissions and channels
 * every second, and relaying still works after several lifetimes.
 */
@Tag("lab")
class TurnRefreshLabTest {
    @TempDir
    Path dir;

    @Test
    void refreshesKeepAllocationPermissionAndChannelAlivePastTheirLifetimes() throws Exception {
        Assumptions.assumeTrue(Coturn.installed(), "coturn is not installed (apt-get install coturn)");
        try (Coturn coturn = Coturn.start(dir, "--max-allocate-lifetime=3", "--permission-lifetime=3",
                "--channel-lifetime=3", "--stale-nonce=2");
             TurnAllocation a = TurnClient.allocate(coturn.address(), TurnConfig.builder(USER, PASSWORD)
                     .initialRto(Duration.ofMillis(100)).permissionRefresh(Duration.ofSeconds(1))
                     .channelRefresh(Duration.ofSeconds(1)).build()).get(20, TimeUnit.SECONDS);
             DatagramSocket peer = TurnCoturnLabTest.peer()) {
            assertThat(a.lifetime()).isEqualTo(Duration.ofSeconds(3));
            TurnCoturnLabTest.exchangeUntil(a, peer, s -> s.sentChannelData() >= 1 && s.receivedChannelData() >= 1);
            // Three allocation refreshes (every 1.5 s) and four permission and channel refreshes (every 1 s): more
            // than 4 s, past every 3 s lifetime, so each of them is alive only because it was refreshed.
            TurnStats refreshed = a.statsReach(s -> s.refreshes() >= 3 && s.permissionRefreshes() >= 4
                    && s.channelRefreshes() >= 4).get(30, TimeUnit.SECONDS);
            long channelBefore = refreshed.sentChannelData();
            TurnCoturnLabTest.exchangeUntil(a, peer, s -> s.sentChannelData() >= channelBefore + 3);
            TurnStats after = a.stats();
            assertThat(after.receivedChannelData()).isGreaterThanOrEqualTo(refreshed.receivedChannelData() + 3);
            assertThat(after.staleNonces()).isPositive(); // 438 came and was retried with the new nonce
            assertThat(a.failure()).isEmpty();
            assertThat(a.pipe().isOpen()).isTrue();
        }
    }

    @Test
    void anIdlePermissionAndChannelExpireAndTheNextDatagramsGetThroughAgain() throws Exception {
        Assumptions.assumeTrue(Coturn.installed(), "coturn is not installed (apt-get install coturn)");
        try (Coturn coturn = Coturn.start(dir, "--permission-lifetime=3", "--channel-lifetime=3");
             TurnAllocation a = TurnClient.allocate(coturn.address(), TurnConfig.builder(USER, PASSWORD)
                     .initialRto(Duration.ofMillis(100)).permissionRefresh(Duration.ofSeconds(1))
                     .permissionLifetime(Duration.ofSeconds(3)).channelRefresh(Duration.ofSeconds(1))
                     .channelLifetime(Duration.ofSeconds(3)).build()).get(20, TimeUnit.SECONDS);
             DatagramSocket peer = TurnCoturnLabTest.peer()) {
            TurnCoturnLabTest.exchangeUntil(a, peer, s -> s.sentChannelData() >= 1 && s.receivedChannelData() >= 1);
            // Nothing either way for 3 s: both are let go (coturn's run out a little later).
            TurnStats idle = a.statsReach(s -> s.expiredPermissions() >= 1 && s.expiredChannels() >= 1)
                    .get(20, TimeUnit.SECONDS);
            // Traffic again: the permission is asked for again, the channel bound again, and data goes both ways.
            TurnCoturnLabTest.exchangeUntil(a, peer, s -> s.sentChannelData() > idle.sentChannelData()
                    && s.receivedChannelData() > idle.receivedChannelData());
            assertThat(a.stats().sentChannelData()).isGreaterThan(idle.sentChannelData());
            assertThat(a.failure()).isEmpty();
        }
    }
}
