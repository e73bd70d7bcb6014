package io.p2pd.stun;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nic.ExternalAddress;
import io.p2pd.nic.ExternalLoad;
import io.p2pd.nic.Family;
import io.p2pd.nic.Interface;
import io.p2pd.nic.Nics;
import io.p2pd.nic.RoutePool;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
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
                assertThat(o.agreed()).containsExactlyInAnyOrder(one.primaryAddress(), two.primaryAddress());
            });
            assertThat(one.requestCount()).isPositive();
            assertThat(two.requestCount()).isPositive();
        }
    }

    @Test
    void aServerThatDisagreesIsNotAmongThoseThatAgreed() throws Exception {
        try (StunServer one = StunServer.start(StunServerConfig.of(InetAddress.getByName("127.0.0.1"), 0)).join();
             StunServer two = StunServer.start(StunServerConfig.of(InetAddress.getByName("127.0.0.2"), 0)).join();
             DatagramSocket liar = new DatagramSocket(new InetSocketAddress("127.0.0.3", 0))) {
            // Answers one request with a mapped address of its own invention: one vote the honest pair outnumbers.
            InetSocketAddress invented = new InetSocketAddress(InetAddress.getByName("203.0.113.9"), 4000);
            Thread.ofVirtual().start(() -> answerOnce(liar, invented));
            InetSocketAddress liarAddress = (InetSocketAddress) liar.getLocalSocketAddress();
            StunExternalLookup stun = StunExternalLookup.using(List.of(liarAddress, one.primaryAddress(),
                    two.primaryAddress()));

            Optional<ExternalAddress> found = stun.lookup(new InetSocketAddress("127.0.0.1", 0), Duration.ofSeconds(5))
                    .join();

            InetAddress loopback = InetAddress.getByName("127.0.0.1");
            assertThat(found).hasValueSatisfying(ext -> {
                assertThat(ext.ip()).isEqualTo(loopback);
                assertThat(ext.agreed()).containsExactlyInAnyOrder(one.primaryAddress(), two.primaryAddress());
            });
        }
    }

    private static void answerOnce(DatagramSocket socket, InetSocketAddress mapped) {
        try {
            DatagramPacket in = new DatagramPacket(new byte[1500], 1500);
            socket.receive(in);
            StunMessage request = StunMessage.decode(Arrays.copyOf(in.getData(), in.getLength()));
            byte[] reply = StunMessage.responseTo(request, StunMessage.MessageClass.SUCCESS_RESPONSE)
                    .xorMappedAddress(mapped).build().encode();
            socket.send(new DatagramPacket(reply, reply.length, in.getSocketAddress()));
        } catch (Exception e) {
            // the socket closed at the end of the test: nothing to answer
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
