package io.p2pd.net;

import io.netty.channel.EventLoop;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.DnsServerAddresses;
import io.netty.util.concurrent.ScheduledFuture;
import io.p2pd.internal.Channels;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Turns host names into addresses with a time limit per lookup, using Netty's asynchronous DNS client (no thread
 * blocks). IP literals are returned as they are, without any lookup; names in the hosts file are answered from it.
 *
 * <p>{@link #system()} asks the name servers of the operating system; {@link #using} asks the given ones, which is
 * how tests point lookups at a server on loopback.
 */
public final class Resolver {

    private static final Resolver SYSTEM = new Resolver(DnsServerAddressStreamProviders.platformDefault());

    private final DnsServerAddressStreamProvider servers;
    /** One Netty resolver per event loop: a resolver is bound to the loop that runs its channel. */
    private final Map<EventLoop, DnsNameResolver> perLoop = new ConcurrentHashMap<>();

    private Resolver(DnsServerAddressStreamProvider servers) {
        this.servers = servers;
    }

    /** Lookups through the name servers the operating system is configured with. */
    public static Resolver system() {
        return SYSTEM;
    }

    /** Lookups through the given name servers only (tried in order). */
    public static Resolver using(List<InetSocketAddress> nameServers) {
        if (nameServers.isEmpty()) {
            throw new IllegalArgumentException("at least one name server is needed");
        }
        List<InetSocketAddress> copy = List.copyOf(nameServers);
        return new Resolver(hostname -> DnsServerAddresses.sequential(copy).stream());
    }

    /**
     * The first address of {@code host}. Fails with {@link UnknownHostException} when the name does not exist, and
     * with {@link LookupTimeoutException} when no answer came within {@code limit}.
     */
    public CompletableFuture<InetAddress> resolve(String host, Duration limit, EventLoop loop) {
        return resolveAll(host, limit, loop).thenApply(all -> all.get(0));
    }

    /**
     * Every address of {@code host}, in the resolver's order of preference (never empty); fails as
     * {@link #resolve} does. A caller bound to one address family picks the first answer of that family.
     */
    public CompletableFuture<List<InetAddress>> resolveAll(String host, Duration limit, EventLoop loop) {
        Objects.requireNonNull(host, "host");
        InetAddress literal = new HostPort(host, 0).literal().orElse(null);
        if (literal != null) {
            return CompletableFuture.completedFuture(List.of(literal));
        }
        CompletableFuture<List<InetAddress>> result = new CompletableFuture<>();
        DnsNameResolver dns = perLoop.computeIfAbsent(loop, this::newResolver);
        // Our own deadline rather than the resolver's: it bounds the whole lookup (retries and search domains),
        // not each query, and the limit is per call, not per resolver.
        ScheduledFuture<?> deadline = loop.schedule(
                () -> result.completeExceptionally(new LookupTimeoutException(host, limit)),
                limit.toNanos(), TimeUnit.NANOSECONDS);
        dns.resolveAll(host).addListener(f -> {
            deadline.cancel(false);
            if (f.isSuccess() && !((List<?>) f.getNow()).isEmpty()) {
                @SuppressWarnings("unchecked")
                List<InetAddress> all = List.copyOf((List<InetAddress>) f.getNow());
                result.complete(all);
            } else {
                UnknownHostException unknown = new UnknownHostException("no such host: '" + host + "'");
                unknown.initCause(f.cause());
                result.completeExceptionally(unknown);
            }
        });
        return result;
    }

    private DnsNameResolver newResolver(EventLoop loop) {
        DnsNameResolver resolver = new DnsNameResolverBuilder(loop)
                .datagramChannelType(Channels.datagramChannel(loop))
                .nameServerProvider(servers)
                .queryTimeoutMillis(5_000)
                .build();
        loop.terminationFuture().addListener(f -> resolver.close());
        return resolver;
    }
}
