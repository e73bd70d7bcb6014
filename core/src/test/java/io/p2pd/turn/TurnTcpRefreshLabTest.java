package io.p2pd.turn;

import static io.p2pd.turn.Coturn.LO;
import static io.p2pd.turn.Coturn.PASSWORD;
import static io.p2pd.turn.Coturn.USER;
import static io.p2pd.turn.TurnCoturnLabTest.WAIT;
import static io.p2pd.turn.TurnCoturnLabTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.pipe.Pipe;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TCP relay's permission outlives its server-side lifetime with no traffic on the control connection (its peers'
 * bytes go over data connections): coturn runs with 3 s permissions, the client refreshes every second.
 */
@Tag("lab")
class TurnTcpRefreshLabTest {
    @TempDir
    Path dir;

    @Test
    void aPermittedPeerCanStillDialInAfterSeveralPermissionLifetimes() throws Exception {
        Assumptions.assumeTrue(Coturn.installed(), "coturn is not installed (apt-get install coturn)");
        try (Coturn coturn = Coturn.start(dir, "--permission-lifetime=3");
             TurnTcpAllocation relay = await(TurnClient.allocateTcp(coturn.address(), TurnConfig.builder(USER,
                     PASSWORD).transport(TurnTransport.TCP).initialRto(Duration.ofMillis(100))
                     .permissionLifetime(Duration.ofSeconds(3)).permissionRefresh(Duration.ofSeconds(1)).build()))) {
            await(relay.permit(new InetSocketAddress(LO, 0)));
            // Seven refreshes a second apart: past two 3 s lifetimes, with nothing on the control connection.
            TurnStats later = relay.statsReach(s -> s.permissionRefreshes() >= 7 || s.expiredPermissions() > 0)
                    .get(30, TimeUnit.SECONDS);
            assertThat(later.expiredPermissions()).isZero();
            var accepted = relay.accept();
            try (Socket peer = new Socket()) {
                peer.connect(relay.relayedAddress(), (int) WAIT.toMillis());
                Pipe pipe = await(accepted);
                assertThat(relay.peerOf(pipe)).contains((InetSocketAddress) peer.getLocalSocketAddress());
            }
        }
    }
}
