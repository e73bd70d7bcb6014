package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nic.BoundRoute;
import io.p2pd.nic.Family;
import io.p2pd.nic.Interface;
import io.p2pd.nic.Nics;
import io.p2pd.nic.Route;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** A pipe opened on a route of this machine's loopback interface binds that route's address. */
class RouteBindTest {

    @Test
    void serverAndClientBindTheRouteAddress() throws Exception {
        Interface lo = Nics.list().stream().filter(Interface::loopback).findFirst().orElseThrow();
        Route route = lo.pool(Family.V4).first().orElseThrow();
        BoundRoute serverRoute = route.bind(0, InetAddress.getByName("127.0.0.1"));
        BoundRoute clientRoute = route.bind(0, InetAddress.getByName("127.0.0.1"));

        try (Pipe server = Pipes.tcp().route(serverRoute)
                .msgHandler((m, p) -> p.send(m.data())).open().join();
             Pipe client = Pipes.tcp().route(clientRoute).dest(server.localAddress()).open().join()) {
            client.send("routed".getBytes(UTF_8)).join();

            assertThat(client.recv().join().text()).isEqualTo("routed");
            assertThat(server.localAddress().getAddress()).isEqualTo(serverRoute.ip());
            assertThat(client.localAddress().getAddress()).isEqualTo(clientRoute.ip());
        }
    }
}
