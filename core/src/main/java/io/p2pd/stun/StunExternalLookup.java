package io.p2pd.stun;

import io.p2pd.nic.ExternalAddress;
import io.p2pd.nic.ExternalAddressLookup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Finds a route's external address with STUN: from the route's local address, asks every configured server at
 * once ({@link StunClient#bindingQuorum(InetSocketAddress, List, int, StunClientConfig)}); the first IP that
 * {@code quorum} servers agree on is the answer, with the servers that agreed; failures do not vote, and the rest
 * are cancelled. No agreement within the time limit: empty.
 */
public final class StunExternalLookup implements ExternalAddressLookup {

    private final List<InetSocketAddress> servers;
    private final int quorum;

    private StunExternalLookup(List<InetSocketAddress> servers, int quorum) {
        this.servers = List.copyOf(servers);
        this.quorum = quorum;
    }

    /** Asks {@code servers}; two must agree (one when only one is given). */
    public static StunExternalLookup using(List<InetSocketAddress> servers) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("at least one STUN server is needed");
        }
        return new StunExternalLookup(servers, Math.min(2, servers.size()));
    }

    @Override
    public CompletableFuture<Optional<ExternalAddress>> lookup(InetSocketAddress local, Duration timeout) {
        StunClientConfig config = StunClientConfig.defaults().toBuilder().timeLimit(timeout).build();
        CompletableFuture<StunConsensus> asking = StunClient.bindingQuorum(local, servers, quorum, config);
        CompletableFuture<Optional<ExternalAddress>> answer = asking
                .thenApply(agreed -> Optional.of(new ExternalAddress(agreed.mappedIp(), agreed.servers())))
                .exceptionallyCompose(e -> unwrap(e) instanceof StunQuorumException
                        ? CompletableFuture.completedFuture(Optional.empty()) // no agreement: no answer, not an error
                        : CompletableFuture.failedFuture(unwrap(e)));
        answer.whenComplete((x, e) -> asking.cancel(false)); // a caller who cancels stops the requests too
        return answer;
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }
}
