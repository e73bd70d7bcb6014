package io.p2pd.stun;

import io.p2pd.nic.ExternalAddressLookup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Finds a route's external address with STUN: from the route's local address, asks every configured server at
 * once; the first IP that {@code quorum} servers agree on is the answer, failures do not vote, and the rest are
 * cancelled. No agreement within the time limit: empty.
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
    public CompletableFuture<Optional<InetAddress>> lookup(InetSocketAddress local, Duration timeout) {
        StunClientConfig config = StunClientConfig.defaults().toBuilder().timeLimit(timeout).build();
        return StunSession.open(local, config).thenCompose(session -> {
            CompletableFuture<Optional<InetAddress>> answer = new CompletableFuture<>();
            Map<InetAddress, Integer> votes = new HashMap<>();
            List<CompletableFuture<StunResult>> asked = new ArrayList<>();
            int[] finished = {0};
            for (InetSocketAddress server : servers) {
                CompletableFuture<StunResult> one = session.binding(server);
                asked.add(one);
                one.whenComplete((result, error) -> {
                    synchronized (votes) {
                        finished[0]++;
                        if (error == null && votes.merge(result.mappedAddress().getAddress(), 1, Integer::sum)
                                >= quorum) {
                            answer.complete(Optional.of(result.mappedAddress().getAddress()));
                        } else if (finished[0] == servers.size()) {
                            answer.complete(Optional.empty());
                        }
                    }
                });
            }
            return answer.whenComplete((ip, e) -> {
                asked.forEach(f -> f.cancel(false));
                session.close();
            });
        });
    }
}
