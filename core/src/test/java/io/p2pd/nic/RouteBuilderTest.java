package io.p2pd.nic;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Grouping of addresses into routes, with fixed address lists (no interface needed). */
class RouteBuilderTest {

    private static NicAddress a(String s, int prefix) {
        return new NicAddress(IpBlock.literal(s), prefix);
    }

    private static List<String> nic(Route r) {
        return r.nicIps().stream().map(IpBlock::toString).toList();
    }

    private static final List<NicAddress> MIXED = List.of(
            a("192.168.1.20", 24), a("10.0.0.5", 8), a("100.64.1.1", 10), a("203.0.113.7", 24),
            a("8.8.4.4", 24), a("169.254.3.3", 16), a("224.0.0.1", 4),
            a("2001:db8::20", 64), a("2a00:1450::5", 64), a("fd00::9", 64), a("fe80::1", 64),
            a("fe80::2", 64), a("ff02::1", 16));

    @Test
    void v4PrivateSharedAndLinkLocalShareOneRouteOthersAreTheirOwn() {
        RoutePool pool = RouteBuilder.pool(Family.V4, "eth0", 2, MIXED, Optional.empty());
        assertThat(pool.family()).isEqualTo(Family.V4);
        // no default: public first, then documentation, then the NATted group
        assertThat(pool.routes()).extracting(RouteBuilderTest::nic).containsExactly(
                List.of("8.8.4.4/32"),
                List.of("203.0.113.7/32"),
                List.of("10.0.0.5/32", "100.64.1.1/32", "169.254.3.3/32", "192.168.1.20/32"));
        assertThat(pool).allSatisfy(r -> {
            assertThat(r.linkLocals()).isEmpty();
            assertThat(r.externals()).isEmpty();
            assertThat(r.interfaceName()).isEqualTo("eth0");
            assertThat(r.interfaceIndex()).isEqualTo(2);
        });
        assertThat(pool.size()).isEqualTo(3);
        assertThat(pool.addressCount()).isEqualTo(BigInteger.valueOf(6));
    }

    @Test
    void theDefaultSourceRouteComesFirstWithTheSourceFirstInside() {
        InetAddress src = IpBlock.literal("192.168.1.20");
        RoutePool pool = RouteBuilder.pool(Family.V4, "eth0", 2, MIXED, Optional.of(src));
        assertThat(nic(pool.get(0))).containsExactly(
                "192.168.1.20/32", "10.0.0.5/32", "100.64.1.1/32", "169.254.3.3/32");
        assertThat(pool.first()).contains(pool.get(0));
        assertThat(pool.find(src)).contains(pool.get(0));
        assertThat(pool.find(IpBlock.literal("8.8.4.4"))).contains(pool.get(1));
        assertThat(pool.find(IpBlock.literal("1.1.1.1"))).isEmpty();
    }

    @Test
    void v6EachNonLinkLocalIsARouteAndLinkLocalsGoWithEvery() {
        InetAddress src = IpBlock.literal("2001:db8::20");
        RoutePool pool = RouteBuilder.pool(Family.V6, "eth0", 7, MIXED, Optional.of(src));
        assertThat(pool.routes()).extracting(RouteBuilderTest::nic).containsExactly(
                List.of("2001:db8::20/128"), // default first
                List.of("2a00:1450::5/128"), // then public
                List.of("fd00::9/128"));   // unique-local is a route, not a link-local
        assertThat(pool).allSatisfy(r -> {
            assertThat(r.linkLocals()).extracting(InetAddress::getHostAddress)
                    .containsExactly("fe80:0:0:0:0:0:0:1%7", "fe80:0:0:0:0:0:0:2%7");
            assertThat(r.linkLocals()).allSatisfy(ll -> assertThat(ll.getScopeId()).isEqualTo(7));
        });
        // 3 routes x (1 address + 2 link-locals)
        assertThat(pool.addressCount()).isEqualTo(BigInteger.valueOf(9));
    }

    @Test
    void v6WithOnlyLinkLocalsStillHasOneRoute() {
        RoutePool pool = RouteBuilder.pool(Family.V6, "eth1", 3,
                List.of(a("fe80::9", 64), a("10.0.0.1", 8)), Optional.empty());
        assertThat(pool.size()).isEqualTo(1);
        assertThat(pool.get(0).nicIps()).isEmpty();
        assertThat(pool.get(0).linkLocals()).extracting(InetAddress::getHostAddress)
                .containsExactly("fe80:0:0:0:0:0:0:9%3");
    }

    @Test
    void noAddressesNoRoutes() {
        assertThat(RouteBuilder.pool(Family.V4, "x", 1, List.of(a("::1", 128)), Optional.empty()).isEmpty())
                .isTrue();
        assertThat(RouteBuilder.pool(Family.V6, "x", 1, List.of(), Optional.empty()).first()).isEmpty();
    }

    @Test
    void loopbackIsItsOwnRouteAfterEverythingElse() {
        RoutePool v6 = RouteBuilder.pool(Family.V6, "lo", 1,
                List.of(a("::1", 128), a("2001:db8::1", 64)), Optional.empty());
        assertThat(v6.routes()).extracting(RouteBuilderTest::nic)
                .containsExactly(List.of("2001:db8::1/128"), List.of("::1/128"));
    }
}
