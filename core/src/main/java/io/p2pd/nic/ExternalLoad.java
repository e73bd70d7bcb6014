package io.p2pd.nic;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The outcome of looking up the external address of several routes at once: one {@link Outcome} per route,
 * in the order given, each found address with the servers that agreed on it. The lookups run in parallel and the
 * whole step takes at most about {@code timeout}: a lookup still running then is cancelled and reported as
 * {@link Status#TIMED_OUT}.
 */
public record ExternalLoad(List<Outcome> outcomes) {

    /** What happened to one route. */
    public enum Status {
        /** The lookup answered; the route's externals are set to the answer. */
        FOUND,
        /** The lookup completed without an address. */
        NO_ANSWER,
        /** The lookup did not complete within the time limit. */
        TIMED_OUT,
        /** The route could not be bound here, or the lookup failed; see {@link Outcome#error()}. */
        FAILED
    }

    /**
     * @param route    the route, with its externals updated when {@code status} is FOUND, else as given
     * @param external the address found
     * @param agreed   the servers that reported it (for STUN: the ones that agreed); empty unless FOUND
     * @param error    why it FAILED
     */
    public record Outcome(Route route, Status status, Optional<InetAddress> external, List<InetSocketAddress> agreed,
                          Optional<String> error) {
        public Outcome {
            Objects.requireNonNull(route, "route");
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(external, "external");
            agreed = List.copyOf(agreed);
            Objects.requireNonNull(error, "error");
        }

        static Outcome without(Route route, Status status, Optional<String> error) {
            return new Outcome(route, status, Optional.empty(), List.of(), error);
        }
    }

    public ExternalLoad {
        outcomes = List.copyOf(outcomes);
    }

    /** Every route, updated where an external address was found, in the original order. */
    public List<Route> routes() {
        return outcomes.stream().map(Outcome::route).toList();
    }

    /** Routes that got no address, whatever the reason. */
    public List<Route> missing() {
        return outcomes.stream().filter(o -> o.status() != Status.FOUND).map(Outcome::route).toList();
    }

    /** Routes whose lookup ran out of time. */
    public List<Route> timedOut() {
        return outcomes.stream().filter(o -> o.status() == Status.TIMED_OUT).map(Outcome::route).toList();
    }

    /** True when every route got an address. */
    public boolean complete() {
        return outcomes.stream().allMatch(o -> o.status() == Status.FOUND);
    }

    /**
     * Looks up every route's external address in parallel, each from the route's default bind address
     * ({@link Route#bind(int)} with port 0); the lookups are started in list order, on the calling thread,
     * and must not block. The returned future never completes exceptionally: failures,
     * including a lookup that throws or never completes, are reported per route.
     */
    public static CompletableFuture<ExternalLoad> run(List<Route> routes, ExternalAddressLookup lookup,
                                                      Duration timeout) {
        Objects.requireNonNull(lookup, "lookup");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout is negative: " + timeout);
        }
        List<CompletableFuture<Outcome>> pending = new ArrayList<>();
        for (Route r : List.copyOf(routes)) {
            pending.add(one(r, lookup, timeout));
        }
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                .thenApply(v -> new ExternalLoad(pending.stream().map(CompletableFuture::join).toList()));
    }

    private static CompletableFuture<Outcome> one(Route r, ExternalAddressLookup lookup, Duration timeout) {
        CompletableFuture<Optional<ExternalAddress>> call;
        try {
            call = Objects.requireNonNull(lookup.lookup(r.bind(0).bindAddress(), timeout),
                    "lookup returned a null future");
        } catch (Exception e) {
            return CompletableFuture.completedFuture(failed(r, e));
        }
        // bound on a copy, so our timeout never completes the implementation's own future behind its back
        return call.copy().orTimeout(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)
                .handle((answer, error) -> {
                    if (error == null) {
                        if (answer == null || answer.isEmpty()) {
                            return Outcome.without(r, Status.NO_ANSWER, Optional.empty());
                        }
                        ExternalAddress ext = answer.get();
                        return new Outcome(r.withExternals(List.of(ext.ip())), Status.FOUND, Optional.of(ext.ip()),
                                ext.agreed(), Optional.empty());
                    }
                    Throwable cause = unwrap(error);
                    if (cause instanceof TimeoutException) {
                        call.cancel(true); // tell the implementation nobody waits any more
                        return Outcome.without(r, Status.TIMED_OUT, Optional.empty());
                    }
                    return failed(r, cause);
                });
    }

    private static Outcome failed(Route r, Throwable e) {
        String why = e instanceof CancellationException ? "lookup cancelled"
                : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return Outcome.without(r, Status.FAILED, Optional.of(why));
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
