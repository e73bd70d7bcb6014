package io.p2pd.nic;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.net.IpScope;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Listing and default detection on this machine, checked against what the JDK and /proc say directly. */
class NicsTest {

    @Test
    void loopbackIsListedWith127001AndIsUp() throws Exception {
        Interface lo = Nics.list().stream().filter(Interface::loopback).findFirst().orElseThrow();
        assertThat(lo.up()).isTrue();
        assertThat(lo.mac()).isEmpty();
        assertThat(lo.addresses(Family.V4)).contains(new NicAddress(InetAddress.getByName("127.0.0.1"), 8));
        assertThat(lo.addresses()).allSatisfy(a -> assertThat(a.scope()).isEqualTo(IpScope.LOOPBACK));
        assertThat(lo.v4().size()).isEqualTo(1);
        assertThat(lo.v4().get(0).nicIps()).contains(IpBlock.parse("127.0.0.1"));
        assertThat(Nics.byName(lo.name())).contains(lo);
        assertThat(Nics.byName("no-such-interface-here")).isEmpty();
    }

    @Test
    void listingMatchesTheJdksOwnView() throws Exception {
        List<Interface> all = Nics.list();
        List<NetworkInterface> jdk = Collections.list(NetworkInterface.getNetworkInterfaces());
        assertThat(all).extracting(Interface::name)
                .containsExactlyInAnyOrderElementsOf(jdk.stream().map(NetworkInterface::getName).toList());
        assertThat(all).extracting(Interface::index).isSorted();
        for (NetworkInterface ni : jdk) {
            Interface i = all.stream().filter(x -> x.name().equals(ni.getName())).findFirst().orElseThrow();
            assertThat(i.index()).isEqualTo(ni.getIndex());
            assertThat(i.mtu()).isEqualTo(ni.getMTU());
            assertThat(i.up()).isEqualTo(ni.isUp());
            assertThat(i.loopback()).isEqualTo(ni.isLoopback());
            assertThat(i.addresses()).extracting(NicAddress::address)
                    .containsExactlyInAnyOrderElementsOf(Collections.list(ni.getInetAddresses()));
            byte[] hw = ni.getHardwareAddress();
            assertThat(i.mac().isPresent()).isEqualTo(hw != null && hw.length > 0);
            // every address (bar multicast/unspecified) is in exactly one route of its family, or is a link-local
            for (NicAddress a : i.addresses()) {
                RoutePool pool = i.pool(a.family());
                assertThat(pool.routes().stream().filter(r -> r.nicIps().contains(IpBlock.of(a.address()))).count()
                        + (a.scope() == IpScope.LINK_LOCAL && a.family() == Family.V6 ? 1 : 0))
                        .as(a.toString()).isEqualTo(1);
            }
        }
    }

    @Test
    void defaultInterfaceAgreesWithTheKernelRoutingTable() {
        for (Family f : Family.values()) {
            Optional<String> table = DefaultRoutes.table(f).flatMap(t -> DefaultRoutes.parse(f, t));
            Optional<InetAddress> src = Nics.defaultSource(f);
            Optional<Interface> def = Nics.defaultInterface(f);
            if (DefaultRoutes.table(f).isPresent() && table.isEmpty()) {
                assertThat(src).as(f.key()).isEmpty();
                assertThat(def).as(f.key()).isEmpty();
                continue;
            }
            if (table.isEmpty()) {
                continue; // not Linux: nothing independent to compare with
            }
            // without policy routing, the probed source lies on the default route's interface
            assertThat(def.map(Interface::name)).as(f.key()).isEqualTo(table);
            assertThat(src).isPresent();
            assertThat(Family.of(src.get())).isEqualTo(f);
            // and its route leads the pool, with the source as first address
            Route first = def.get().pool(f).get(0);
            assertThat(first.contains(src.get())).isTrue();
        }
    }

    @Test
    void defaultInterfaceWithoutFamilyPrefersV4() {
        Optional<Interface> any = Nics.defaultInterface();
        Optional<Interface> v4 = Nics.defaultInterface(Family.V4);
        if (v4.isPresent()) {
            assertThat(any).isEqualTo(v4);
        } else {
            assertThat(any).isEqualTo(Nics.defaultInterface(Family.V6));
        }
    }
}
