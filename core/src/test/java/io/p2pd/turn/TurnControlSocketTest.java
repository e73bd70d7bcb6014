package io.p2pd.turn;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoop;
import io.p2pd.net.EventLoops;
import io.p2pd.pipe.PipeConf;
import org.junit.jupiter.api.Test;

/** The UDP control socket's options: a receive buffer large enough for every peer's datagrams at once. */
class TurnControlSocketTest {
    final EventLoop loop = EventLoops.shared().next();

    @Test
    void theControlSocketAsksFor4MiBOfReceiveBufferByDefault() {
        PipeConf conf = Allocation.controlConf(TurnConfig.builder("alice", "pw").build(), loop);
        assertThat(conf.receiveBuffer()).isEqualTo(4 << 20);
        assertThat(conf.loop()).isPresent();
    }

    @Test
    void aReceiveBufferTheRelayedPipesConfNamesIsTaken() {
        TurnConfig config = TurnConfig.builder("alice", "pw")
                .pipeConf(PipeConf.builder().receiveBuffer(256 * 1024).build()).build();
        assertThat(Allocation.controlConf(config, loop).receiveBuffer()).isEqualTo(256 * 1024);
    }
}
