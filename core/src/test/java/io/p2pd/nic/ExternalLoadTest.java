package io.p2pd.nic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.p2pd.nic.ExternalLoad.Status;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The parallel, time-bounded external address step, with a fake lookup (the STUN one lives elsewhere).
 * Routes all bind to 127.0.0.1; the fake tells them apart by call order.
 */
class ExternalLoadTest {
    private static final Duration LIMIT = Duration.ofMillis(300);

    private static Interface lo() {
        return Nics.list().stream().filter(Interface::loopback).findFirst().orElseThrow();
    }

    /** A route that binds to 127.0.0.1; its second block (never assigned here) only makes it distinct. */
    private static Route route(int n) {
        return new Route(Family.V4, lo().name(), lo().index(),
                List.of(IpBlock.parse("127.0.0.1"), IpBlock.parse("198.51.100." + n)), List.of(), List.of());
    }

    private static final InetSocketAddress SERVER_A = new InetSocketAddress(ip("192.0.2.10"), 3478);
    private static final InetSocketAddress SERVER_B = new InetSocketAddress(ip("192.0.2.11"), 3478);

    private static InetAddress ip(String s) {
        return IpBlock.literal(s);
    }

    /**
     * Behaves by call number (lookups start in list order): found, found later, empty, never, throws, fails;
     * then found again.
     */
    private static final class FakeLookup implements ExternalAddressLookup {
        final List<InetSocketAddress> asked = new CopyOnWriteArrayList<>();
        final List<Duration> limits = new CopyOnWriteArrayList<>();
        final CompletableFuture<Optional<ExternalAddress>> never = new CompletableFuture<>();
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public CompletableFuture<Optional<ExternalAddress>> lookup(InetSocketAddress local, Duration timeout) {
            asked.add(local);
            limits.add(timeout);
            return switch (calls.getAndIncrement()) {
                case 0 -> CompletableFuture.completedFuture(found("203.0.113.1"));
                case 1 -> CompletableFuture.supplyAsync(() -> found("203.0.113.2"),
                        CompletableFuture.delayedExecutor(10, TimeUnit.MILLISECONDS));
                case 2 -> CompletableFuture.completedFuture(Optional.empty());
                case 3 -> never;
                case 4 -> throw new IllegalStateException("boom");
                case 5 -> CompletableFuture.failedFuture(new IOException("no server"));
                default -> CompletableFuture.completedFuture(found("203.0.113.1"));
            };
        }

        /** An address two made-up servers agreed on. */
        static Optional<ExternalAddress> found(String ip) {
            return Optional.of(new ExternalAddress(ip(ip), List.of(SERVER_A, SERVER_B)));
        }
    }

    @Test
    void reportsEveryRouteInOrderWithoutFailingTheWhole() {
        List<Route> routes = List.of(route(1), route(2), route(3), route(4), route(5), route(6));
        FakeLookup fake = new FakeLookup();
        ExternalLoad load = ExternalLoad.run(routes, fake, LIMIT).join();

        assertThat(load.outcomes()).extracting(ExternalLoad.Outcome::status).containsExactly(
                Status.FOUND, Status.FOUND, Status.NO_ANSWER, Status.TIMED_OUT, Status.FAILED, Status.FAILED);
        assertThat(load.outcomes().get(0).external()).contains(ip("203.0.113.1"));
        assertThat(load.outcomes().get(0).agreed()).containsExactly(SERVER_A, SERVER_B);
        assertThat(load.outcomes().subList(2, 6)).allSatisfy(o -> assertThat(o.agreed()).isEmpty());
        assertThat(load.routes().get(0).externals()).containsExactly(ip("203.0.113.1"));
        assertThat(load.routes().get(1).externals()).containsExactly(ip("203.0.113.2"));
        assertThat(load.routes().get(2)).isEqualTo(routes.get(2));
        assertThat(load.timedOut()).containsExactly(routes.get(3));
        assertThat(load.missing()).containsExactly(routes.get(2), routes.get(3), routes.get(4), routes.get(5));
        assertThat(load.complete()).isFalse();
        assertThat(load.outcomes().get(4).error()).contains("IllegalStateException: boom");
        assertThat(load.outcomes().get(5).error()).contains("IOException: no server");
        assertThat(load.outcomes().get(3).error()).isEmpty();
        // the lookup that never answered was told to stop, and every call got the limit and a port-0 address
        assertThat(fake.never).isCancelled();
        assertThat(fake.asked).hasSize(6).containsOnly(new InetSocketAddress(ip("127.0.0.1"), 0));
        assertThat(fake.limits).hasSize(6).containsOnly(LIMIT);
    }

    @Test
    void aRouteThisMachineCannotBindFailsWithoutCallingTheLookup() {
        Route absent = new Route(Family.V4, lo().name(), lo().index(), List.of(IpBlock.parse("198.51.100.77")),
                List.of(), List.of());
        FakeLookup fake = new FakeLookup();
        ExternalLoad load = ExternalLoad.run(List.of(route(1), absent), fake, LIMIT)
                .join();
        assertThat(load.outcomes()).extracting(ExternalLoad.Outcome::status)
                .containsExactly(Status.FOUND, Status.FAILED);
        assertThat(load.outcomes().get(1).error()).hasValueSatisfying(e ->
                assertThat(e).contains("AddressNotLocalException").contains("198.51.100.77"));
        assertThat(fake.calls).hasValue(1);
    }

    @Test
    void allFoundIsComplete() {
        RoutePool pool = new RoutePool(Family.V4, List.of(route(1)));
        ExternalLoad load = pool.loadExternal(new FakeLookup(), LIMIT).join();
        assertThat(load.complete()).isTrue();
        assertThat(load.missing()).isEmpty();
        assertThat(new RoutePool(Family.V4, load.routes()).get(0).externals()).containsExactly(ip("203.0.113.1"));
    }

    @Test
    void emptyInputAndBadArguments() {
        assertThat(ExternalLoad.run(List.of(), new FakeLookup(), LIMIT).join().outcomes()).isEmpty();
        assertThat(ExternalLoad.run(List.of(), new FakeLookup(), LIMIT).join().complete()).isTrue();
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ExternalLoad.run(List.of(), new FakeLookup(), Duration.ofSeconds(-1)));
        ExternalLoad nullFuture = ExternalLoad.run(List.of(route(1)), (l, t) -> null, LIMIT).join();
        assertThat(nullFuture.outcomes().get(0).status()).isEqualTo(Status.FAILED);
        assertThat(nullFuture.outcomes().get(0).error()).hasValueSatisfying(e -> assertThat(e).contains("null future"));
    }
}
