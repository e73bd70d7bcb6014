package io.p2pd.node.connect.internal;

import io.p2pd.node.connect.ProvenPipe;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/** The first of several attempts to be proven; the others are cancelled, which closes what they opened. */
final class Race {
    private Race() {
    }

    static CompletableFuture<ProvenPipe> first(List<CompletableFuture<ProvenPipe>> attempts, String what) {
        return first(attempts, what, true);
    }

    /**
     * As {@link #first(List, String)}; with {@code stopLosers} false a win leaves the others running: a dialer the
     * peer chooses for lets each end by the peer's word (not chosen), so the peer counts none as a failed proof.
     */
    static CompletableFuture<ProvenPipe> first(List<CompletableFuture<ProvenPipe>> attempts, String what,
            boolean stopLosers) {
        CompletableFuture<ProvenPipe> result = new CompletableFuture<>();
        AtomicInteger left = new AtomicInteger(attempts.size());
        for (CompletableFuture<ProvenPipe> a : attempts) {
            a.whenComplete((p, e) -> {
                if (e == null) {
                    if (!result.complete(p)) {
                        p.pipe().closeAsync();
                    }
                } else if (left.decrementAndGet() == 0) {
                    result.completeExceptionally(failure(attempts, what));
                }
            });
        }
        result.whenComplete((p, e) -> {
            if (e != null || stopLosers) {
                attempts.forEach(a -> a.cancel(false));
            }
        });
        return result;
    }

    private static IOException failure(List<CompletableFuture<ProvenPipe>> attempts, String what) {
        List<Throwable> causes = attempts.stream().map(a -> a.handle((p, e) -> e).join()).toList();
        String each = causes.stream().map(Connector::message).distinct().collect(Collectors.joining("; "));
        IOException e = new IOException(what + ": every attempt failed (" + each + ")",
                causes.isEmpty() ? null : Connector.unwrap(causes.get(0)));
        // the others too, so a caller can ask whether any attempt reached the peer (Connector.dialBackEnded)
        causes.stream().skip(1).map(Connector::unwrap).forEach(e::addSuppressed);
        return e;
    }
}
