package io.p2pd.stun;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nic.ExternalLoad;
import io.p2pd.nic.Family;
import io.p2pd.nic.Interface;
import io.p2pd.nic.Nics;
import io.p2pd.nic.RoutePool;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Routes learn their external address from STUN servers that agree (here: two of ours on loopback). */
class StunExternalLookupTest {

    @Test
    void theLoopbackRouteLearnsItsExternalAddressFromTwoAgreeingServers() throws Exception {
        try (StunServer one = StunServer.start(StunServerConfig.of(InetAddress.getByName("127.0.0.1"), 0)).join();
             StunServer two = StunServer.start(StunServerConfig.of(InetAddress.getByName("127.0.0.2"), 0)).join()) {
            Interface lo = Nics.list().stream().filter(Interface::loopback).findFirst().orElseThrow();
            RoutePool pool = lo.pool(Family.V4);
            StunExternalLookup stun = StunExternalLookup.using(List.of(one.primaryAddress(), two.primaryAddress()));

            ExternalLoad load = pool.loadExternal(stun, Duration.ofSeconds(5)).join();

            assertThat(load.complete()).isTrue();
            assertThat(load.outcomes()).first().satisfies(o -> {
                assertThat(o.status()).isEqualTo(ExternalLoad.Status.FOUND);
                assertThat(o.external()).contains(InetAddress.getByName("127.0.0.1"));
            });
            assertThat(one.requestCount()).isPositive();
            assertThat(two.requestCount()).isPositive();
        }
    }

    @Test
    void noAnswerWithinTheLimitIsEmptyNotAnError() throws Exception {
        try (java.net.DatagramSocket silent = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            StunExternalLookup stun = StunExternalLookup.using(List.of(
                    (InetSocketAddress) silent.getLocalSocketAddress()));

            assertThat(stun.lookup(new InetSocketAddress("127.0.0.1", 0), Duration.ofMillis(300)).join()).isEmpty();
        }
    }
}
