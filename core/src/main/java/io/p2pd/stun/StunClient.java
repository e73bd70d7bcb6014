package io.p2pd.stun;

import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.net.EventLoops;
import io.p2pd.net.HostPort;
import io.p2pd.pipe.Framing;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.PipeConf;
import io.p2pd.pipe.TcpOptions;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One-shot STUN binding requests over UDP or TCP, and asking several servers for an agreed answer.
 * For several requests from one local UDP port (NAT detection) use a {@link StunSession}.
 */
public final class StunClient {
    private StunClient() {
    }

    /** A binding request from an ephemeral local port (wildcard address of the server's family). */
    public static CompletableFuture<StunResult> binding(Proto proto, InetSocketAddress server, StunClientConfig config) {
        return binding(proto, wildcard(server), server, config);
    }

    /**
     * A binding request from {@code local} (port 0 for any). Over UDP it is retransmitted (see
     * {@link StunSession}); over TCP it is one request on a fresh connection, framed by the STUN length.
     *
     * @return the result; fails with {@link StunTimeoutException}, {@link StunErrorResponseException},
     *         {@link StunProtocolException}, or the I/O error of the socket (e.g. {@link java.net.ConnectException})
     */
    public static CompletableFuture<StunResult> binding(Proto proto, InetSocketAddress local, InetSocketAddress server,
                                                        StunClientConfig config) {
        Objects.requireNonNull(proto, "proto");
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(config, "config");
        return switch (proto) {
            case UDP -> withSession(local, config, s -> s.binding(server));
            case TCP -> tcp(Optional.of(local), server, config);
        };
    }

    /**
     * Asks every server at once and completes with the first mapped IP that {@code quorum} of them agree
     * on; failures do not vote, and the requests still running are then cancelled. Over UDP all requests go
     * out from one local socket, bound to the wildcard address of the first server's family (so list servers of
     * one family). Fails with {@link StunQuorumException} once agreement has become impossible.
     */
    public static CompletableFuture<StunConsensus> bindingQuorum(Proto proto, List<InetSocketAddress> servers,
                                                                 int quorum, StunClientConfig config) {
        Objects.requireNonNull(proto, "proto");
        List<InetSocketAddress> targets = checked(servers, quorum);
        if (proto == Proto.TCP) {
            return vote(targets, quorum, server -> tcp(Optional.empty(), server, config));
        }
        return bindingQuorum(wildcard(targets.getFirst()), targets, quorum, config);
    }

    /**
     * {@link #bindingQuorum(Proto, List, int, StunClientConfig)} over UDP, every request sent from one socket bound
     * to {@code local}: what a route's bind address maps to.
     */
    public static CompletableFuture<StunConsensus> bindingQuorum(InetSocketAddress local,
                                                                 List<InetSocketAddress> servers, int quorum,
                                                                 StunClientConfig config) {
        Objects.requireNonNull(local, "local");
        List<InetSocketAddress> targets = checked(servers, quorum);
        return withSession(local, config, s -> vote(targets, quorum, s::binding));
    }

    private static List<InetSocketAddress> checked(List<InetSocketAddress> servers, int quorum) {
        List<InetSocketAddress> targets = List.copyOf(servers);
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no servers");
        }
        if (quorum < 1 || quorum > targets.size()) {
            throw new IllegalArgumentException("quorum " + quorum + " not in 1.." + targets.size());
        }
        return targets;
    }

    /**
     * Runs {@code work} on a fresh session and closes it when the work is done. Unlike a plain thenCompose,
     * cancelling the returned future cancels the work (stopping retransmissions) and closes the session.
     */
    private static <T> CompletableFuture<T> withSession(InetSocketAddress local, StunClientConfig config,
                                                        Function<StunSession, CompletableFuture<T>> work) {
        CompletableFuture<T> out = new LoopSafeFuture<>();
        StunSession.open(local, config).whenComplete((s, openError) -> {
            if (openError != null) {
                out.completeExceptionally(unwrap(openError));
                return;
            }
            CompletableFuture<T> inner = work.apply(s);
            inner.whenComplete((x, e) -> {
                s.close();
                if (e != null) {
                    out.completeExceptionally(unwrap(e));
                } else {
                    out.complete(x);
                }
            });
            out.whenComplete((x, e) -> {
                inner.cancel(false); // no-op when inner is done
                s.close();
            });
        });
        return out;
    }

    /** {@link #bindingQuorum} with the default quorum: 2, or 1 when there is only one server. */
    public static CompletableFuture<StunConsensus> bindingQuorum(Proto proto, List<InetSocketAddress> servers,
                                                                 StunClientConfig config) {
        return bindingQuorum(proto, servers, Math.min(2, servers.size()), config);
    }

    private interface Ask {
        CompletableFuture<StunResult> ask(InetSocketAddress server);
    }

    private static CompletableFuture<StunConsensus> vote(List<InetSocketAddress> servers, int quorum, Ask ask) {
        CompletableFuture<StunConsensus> out = new LoopSafeFuture<>();
        Map<InetAddress, List<StunResult>> votes = new LinkedHashMap<>();
        List<Throwable> failures = new ArrayList<>();
        // copy-on-write: a caller's cancel of `out` iterates it from another thread while we still add
        List<CompletableFuture<StunResult>> requests = new CopyOnWriteArrayList<>();
        Object lock = new Object();
        int[] outstanding = {servers.size()};
        out.whenComplete((x, e) -> requests.forEach(r -> r.cancel(false))); // the losers
        synchronized (lock) { // answers arriving while we are still sending wait until all are registered
            for (InetSocketAddress server : servers) {
                CompletableFuture<StunResult> r = ask.ask(server);
                requests.add(r);
                r.whenComplete((result, error) -> {
                    synchronized (lock) {
                        if (out.isDone()) {
                            return;
                        }
                        outstanding[0]--;
                        if (error != null) {
                            failures.add(unwrap(error));
                        } else {
                            List<StunResult> same = votes.computeIfAbsent(result.mappedAddress().getAddress(),
                                    k -> new ArrayList<>());
                            same.add(result);
                            if (same.size() >= quorum) {
                                out.complete(new StunConsensus(result.mappedAddress().getAddress(), same));
                                return;
                            }
                        }
                        int best = votes.values().stream().mapToInt(List::size).max().orElse(0);
                        if (best + outstanding[0] < quorum) {
                            out.completeExceptionally(new StunQuorumException("no " + quorum + " of "
                                    + servers.size() + " STUN servers agreed: " + failures.size() + " failed, answers "
                                    + summary(votes), failures));
                        }
                    }
                });
            }
        }
        if (out.isDone()) { // decided (or cancelled) before every request was registered
            requests.forEach(r -> r.cancel(false));
        }
        return out;
    }

    private static String summary(Map<InetAddress, List<StunResult>> votes) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        votes.forEach((ip, rs) -> counts.put(ip.getHostAddress(), rs.size()));
        return counts.toString();
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    static InetSocketAddress wildcard(InetSocketAddress server) {
        boolean v6 = server.getAddress() instanceof Inet6Address;
        try {
            return new InetSocketAddress(InetAddress.getByName(v6 ? "::" : "0.0.0.0"), 0);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // literals never fail
        }
    }

    static StunMessage request(StunClientConfig config, boolean changeIp, boolean changePort) {
        StunMessage.Builder b = StunMessage.bindingRequest();
        if (config.rfc3489()) {
            b.rfc3489();
        }
        if (changeIp || changePort) {
            b.changeRequest(changeIp, changePort);
        }
        config.software().ifPresent(b::software);
        config.credentials().ifPresent(c -> b.username(c.username()).messageIntegrity(c.key()));
        if (config.fingerprint()) {
            b.fingerprint();
        }
        return b.build();
    }

    /**
     * Whether a response may count: with credentials, a success response must carry MESSAGE-INTEGRITY under their
     * key (RFC 8489 section 9.1.4). Error responses count either way: a 400 or 401 comes unsigned.
     */
    static boolean authentic(StunMessage response, StunClientConfig config) {
        return config.credentials().isEmpty() || response.messageClass() != StunMessage.MessageClass.SUCCESS_RESPONSE
                || response.checkIntegrity(config.credentials().get().key());
    }

    /** STUN framing; the whole message, header included, as the 16-bit length allows. */
    private static final PipeConf TCP_CONF = PipeConf.builder()
            .readerLimit(StunMessage.HEADER_LENGTH + 0xFFFF).build();
    /** From a given local port, which a hole punch holds reserved meanwhile (SO_REUSEADDR, SO_REUSEPORT). */
    private static final PipeConf TCP_CONF_BOUND = PipeConf.builder()
            .readerLimit(StunMessage.HEADER_LENGTH + 0xFFFF).reuseAddr(true).build();

    /**
     * One request on a fresh TCP pipe; the pipe is closed when the future completes. Connect failures are the pipe's
     * (e.g. {@link java.net.ConnectException} naming the server).
     */
    static CompletableFuture<StunResult> tcp(Optional<InetSocketAddress> local, InetSocketAddress server,
                                             StunClientConfig config) {
        StunMessage request = request(config, false, false);
        CompletableFuture<StunResult> out = new LoopSafeFuture<>();
        long limitMillis = config.timeLimit().toMillis();
        // our own deadline below fires first and names the server and the limit
        TcpOptions tcp = TcpOptions.builder().framing(Framing.stun())
                .conTimeout(Duration.ofMillis(limitMillis + 1000)).build();
        boolean bound = local.isPresent() && local.get().getPort() != 0;
        Pipes.TcpOpener opener = Pipes.tcp().dest(server).conf(bound ? TCP_CONF_BOUND : TCP_CONF).tcp(tcp)
                .msgHandler(MsgHandler.plain((msg, pipe) -> onTcpReply(msg.data(), pipe, request, config, server,
                        out)));
        local.ifPresent(opener::bind);
        var deadline = EventLoops.shared().next().schedule(() -> out.completeExceptionally(
                new StunTimeoutException(server, config.timeLimit(), 1)), limitMillis, TimeUnit.MILLISECONDS);
        out.whenComplete((r, e) -> deadline.cancel(false));
        opener.open().whenComplete((pipe, error) -> {
            if (error != null) {
                out.completeExceptionally(unwrap(error));
                return;
            }
            pipe.addEndHandler(ended -> out.completeExceptionally(ended.closeCause().orElseGet(() ->
                    new StunProtocolException("connection to " + HostPort.of(server) + " closed before a STUN response"))));
            out.whenComplete((r, e) -> pipe.closeAsync()); // at once when out is already done
            pipe.send(request.encode()).whenComplete((v, e) -> {
                if (e != null) {
                    out.completeExceptionally(unwrap(e));
                }
            });
        });
        return out;
    }

    private static void onTcpReply(byte[] bytes, Pipe pipe, StunMessage request, StunClientConfig config,
                                   InetSocketAddress server, CompletableFuture<StunResult> out) {
        try {
            StunMessage m = StunMessage.decode(bytes);
            if (!m.sameTransaction(request) || !m.messageClass().isResponse()
                    || m.method() != StunMessage.METHOD_BINDING) {
                return; // not the answer to our request: keep waiting
            }
            if (m.hasFingerprint() && !m.checkFingerprint()) {
                throw new StunProtocolException("bad FINGERPRINT in the response from " + server);
            }
            if (!authentic(m, config)) {
                throw new StunProtocolException("the response from " + HostPort.of(server) + " is not signed with our "
                        + "credentials (MESSAGE-INTEGRITY missing or wrong)");
            }
            out.complete(StunResult.of(server, pipe.localAddress(), pipe.remoteAddress().orElseThrow(), m));
        } catch (StunDecodeException e) {
            out.completeExceptionally(new StunProtocolException("undecodable response from " + HostPort.of(server) + ": "
                    + e.getMessage()));
        } catch (StunException e) {
            out.completeExceptionally(e);
        }
    }
}
