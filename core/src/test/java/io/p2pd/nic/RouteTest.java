package io.p2pd.nic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Routes and binding on this machine's own interfaces (loopback and whatever else is up). */
class RouteTest {

    private static Interface lo() {
        return Nics.list().stream().filter(Interface::loopback).findFirst().orElseThrow();
    }

    @Test
    void loopbackRouteBindsForRealOverUdpAndTcp() throws Exception {
        Route route = lo().v4().get(0);
        BoundRoute b = route.bind(0);
        assertThat(b.ip()).isEqualTo(InetAddress.getByName("127.0.0.1"));
        assertThat(b.port()).isZero();
        assertThat(b.route()).isEqualTo(route);
        assertThat(b.bindAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", 0));
        try (DatagramSocket udp = new DatagramSocket(b.bindAddress());
             ServerSocket tcp = new ServerSocket()) {
            tcp.bind(b.bindAddress());
            assertThat(udp.getLocalAddress()).isEqualTo(b.ip());
            assertThat(udp.getLocalPort()).isPositive();
            assertThat(tcp.getInetAddress()).isEqualTo(b.ip());
            assertThat(tcp.getLocalPort()).isPositive();
        }
    }

    @Test
    void loopbackV6RouteBindsWhenTheMachineHasIpv6() throws Exception {
        RoutePool v6 = lo().v6();
        if (v6.isEmpty()) {
            return; // IPv6 disabled on this host: nothing to bind, asserted by the v4 test instead
        }
        BoundRoute b = v6.get(0).bind(0, InetAddress.getByName("::1"));
        try (DatagramSocket udp = new DatagramSocket(b.bindAddress())) {
            assertThat(udp.getLocalAddress()).isEqualTo(InetAddress.getByName("::1"));
        }
    }

    @Test
    void everyLinkLocalOfEveryInterfaceBindsWithItsScope() throws Exception {
        for (Interface i : Nics.list()) {
            for (Route r : i.v6()) {
                for (Inet6Address ll : r.linkLocals()) {
                    // given without scope: the route supplies it
                    BoundRoute b = r.bind(0, Inet6Address.getByAddress(null, ll.getAddress(), -1));
                    Inet6Address bound = (Inet6Address) b.ip();
                    assertThat(bound.getScopeId()).isEqualTo(i.index());
                    try (DatagramSocket udp = new DatagramSocket(b.bindAddress())) {
                        assertThat(udp.getLocalAddress()).isEqualTo(ll);
                    }
                }
            }
        }
    }

    @Test
    void bindingAnAddressThisMachineLacksIsAClearUncheckedBindError() {
        Interface lo = lo();
        Route absent = new Route(Family.V4, lo.name(), lo.index(),
                List.of(IpBlock.parse("203.0.113.250")), List.of(), List.of());
        assertThatThrownBy(() -> absent.bind(0))
                .isInstanceOf(RuntimeException.class)
                .isInstanceOf(AddressNotLocalException.class)
                .hasCauseExactlyInstanceOf(BindException.class)
                .hasMessage("address 203.0.113.250 is not assigned to any interface of this machine (route on "
                        + lo.name() + ")")
                .hasMessageContaining("203.0.113.250")
                .satisfies(e -> assertThat(((AddressNotLocalException) e).address())
                        .isEqualTo(InetAddress.getByName("203.0.113.250")));
        assertThatThrownBy(() -> absent.bind(0, InetAddress.getByName("203.0.113.250")))
                .isInstanceOf(AddressNotLocalException.class).hasMessageContaining("203.0.113.250");
    }

    /** The README's one-liner must compile as written: no checked exception to catch (this method throws none). */
    @Test
    void theReadmeDefaultRouteOneLinerCompilesAndBinds() {
        Assumptions.assumeTrue(Nics.defaultRoute(Family.V4).isPresent(), "this machine has no IPv4 default route");
        try (Pipe pipe = Pipes.udp()
                .route(Nics.defaultRoute(Family.V4).orElseThrow().bind(0))
                .open().join()) {
            assertThat(Nics.defaultRoute(Family.V4).orElseThrow().contains(pipe.localAddress().getAddress())).isTrue();
            assertThat(pipe.localAddress().getPort()).isPositive();
        }
    }

    @Test
    void aLinkLocalMustBeOnTheRoutesOwnInterface() throws Exception {
        Interface lo = lo();
        Route r = new Route(Family.V6, lo.name(), lo.index(), List.of(),
                List.of((Inet6Address) InetAddress.getByName("fe80::dead:beef")), List.of());
        assertThatThrownBy(() -> r.bind(0)).isInstanceOf(AddressNotLocalException.class)
                .hasMessageContaining("fe80:0:0:0:0:0:dead:beef");
        assertThatThrownBy(() -> r.bind(0, InetAddress.getByName("fe80::dead:beef")))
                .isInstanceOf(AddressNotLocalException.class).hasMessageContaining(lo.name());
    }

    @Test
    void bindRejectsAddressesOutsideTheRouteAndBadPorts() {
        Route route = lo().v4().get(0);
        assertThatIllegalArgumentException().isThrownBy(() -> route.bind(0, InetAddress.getByName("10.1.1.1")))
                .withMessageContaining("10.1.1.1").withMessageContaining("not an address of route");
        assertThatIllegalArgumentException().isThrownBy(() -> route.bind(65536)).withMessageContaining("port");
        assertThatIllegalArgumentException().isThrownBy(() -> route.bind(-1)).withMessageContaining("port");
    }

    @Test
    void aBlockRouteBindsTheFirstAssignedAddressInsideIt() throws Exception {
        Interface lo = lo();
        Route block = new Route(Family.V4, lo.name(), lo.index(),
                List.of(IpBlock.parse("203.0.113.0/24"), IpBlock.parse("127.0.0.0/30")), List.of(), List.of());
        assertThat(block.addressCount()).isEqualTo(BigInteger.valueOf(256 + 4));
        assertThat(block.bind(5).bindAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", 5));
        assertThat(block.contains(InetAddress.getByName("127.0.0.3"))).isTrue();
        assertThat(block.contains(InetAddress.getByName("127.0.0.4"))).isFalse();
    }

    @Test
    void routeValidatesItsParts() throws Exception {
        Inet6Address ll = (Inet6Address) InetAddress.getByName("fe80::1");
        Inet6Address ula = (Inet6Address) InetAddress.getByName("fd00::1");
        assertThatIllegalArgumentException().isThrownBy(() ->
                new Route(Family.V4, "x", 1, List.of(IpBlock.parse("::1")), List.of(), List.of()))
                .withMessageContaining("not v4");
        assertThatIllegalArgumentException().isThrownBy(() ->
                new Route(Family.V4, "x", 1, List.of(IpBlock.parse("10.0.0.1")), List.of(ll), List.of()))
                .withMessageContaining("link-local");
        assertThatIllegalArgumentException().isThrownBy(() ->
                new Route(Family.V6, "x", 1, List.of(), List.of(ula), List.of()))
                .withMessageContaining("is not link-local");
        assertThatIllegalArgumentException().isThrownBy(() ->
                new Route(Family.V6, "x", 1, List.of(), List.of(), List.of()))
                .withMessageContaining("at least one");
        Route r = new Route(Family.V6, "x", 4, List.of(), List.of(ll), List.of());
        assertThat(r.linkLocals().get(0).getScopeId()).isEqualTo(4);
        InetAddress ext = InetAddress.getByName("2001:db8::99");
        assertThat(r.withExternals(List.of(ext)).externals()).containsExactly(ext);
        assertThat(r.externals()).isEmpty();
    }
}
