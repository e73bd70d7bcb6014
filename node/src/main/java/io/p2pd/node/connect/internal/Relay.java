package io.p2pd.node.connect.internal;

import io.p2pd.nic.AddressNotLocalException;
import io.p2pd.nic.BoundRoute;
import io.p2pd.nic.Family;
import io.p2pd.nic.Route;
import io.p2pd.node.NodeInterface;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.addr.PeerInterface;
import io.p2pd.node.connect.PeerProof;
import io.p2pd.node.connect.ProofFailedException;
import io.p2pd.node.connect.ProvenPipe;
import io.p2pd.node.connect.StrategySkippedException;
import io.p2pd.node.connect.TurnServer;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.signal.SignalMessage;
import io.p2pd.node.signal.SignalType;
import io.p2pd.node.signal.Signalling;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.TcpOptions;
import io.p2pd.turn.TurnClient;
import io.p2pd.turn.TurnTcpAllocation;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * The relay strategy: a TURN server's TCP relay (RFC 6062) carries the pipe.
 *
 * <p>Who allocates: the connecting node. It allocates a TCP relay, permits the IPs the peer's address claims, and
 * sends the peer a signed {@link SignalType#TURN} signal naming the relayed address and the session; the peer dials
 * that address with a plain TCP connect, the relay hands the connection to our {@link TurnTcpAllocation#accept()},
 * and the two run the node-key proof through it. This way round only the connecting node needs a TURN account, and
 * the peer's part is an outbound TCP connect, which every NAT lets out, whatever its kind; the other way round (the
 * peer allocates, we send a Connect) would need credentials on the peer too. The permission covers both the
 * external and the NIC IPs the peer's records give: the server checks the IP a connection comes from, which is the
 * peer's NAT's external IP, or its own IP when it is on the server's network.
 *
 * <p>An allocation lives as long as its relayed pipe: it is deleted when that pipe ends, or at once when the relay
 * did not win.
 */
final class Relay {
    /** The signal payload's fields: where the peer dials. */
    static final String RELAY_IP = "relay_ip";
    static final String RELAY_PORT = "relay_port";

    private final NodeKey key;
    private final PeerAddress address;
    private final List<NodeInterface> interfaces;
    private final List<TurnServer> servers;
    private final Optional<Signalling> signalling;
    /** Allocations being made or open: each counted from its Allocate until its deletion (or its failure). */
    private final java.util.concurrent.atomic.AtomicInteger live = new java.util.concurrent.atomic.AtomicInteger();
    private final List<CompletableFuture<Void>> idleWaiters = new ArrayList<>();

    Relay(NodeKey key, PeerAddress address, List<NodeInterface> interfaces, List<TurnServer> servers,
            Optional<Signalling> signalling) {
        this.key = key;
        this.address = address;
        this.interfaces = List.copyOf(interfaces);
        this.servers = List.copyOf(servers);
        this.signalling = signalling;
    }

    /** Why a connect cannot relay now, if it cannot. */
    Optional<String> unavailable() {
        if (servers.isEmpty()) {
            return Optional.of("no TURN server configured");
        }
        if (servers.stream().noneMatch(TurnServer::tcpRelay)) {
            return Optional.of(servers.stream().map(TurnServer::toString).collect(Collectors.joining(", "))
                    + ": UDP only, and a TCP pipe needs a TCP relay (a TCP or TLS control connection)");
        }
        if (signalling.isEmpty()) {
            return Optional.of("this node has no signalling broker to tell the peer the relay");
        }
        return Optional.empty();
    }

    /**
     * Relays to {@code peer}: the allocation starts now, the rest once {@code go} completes. Cancelling the result
     * deletes the allocation; a won pipe deletes it when it ends.
     *
     * @param claim the connect's claim: this node chooses the relayed connection as it does every other of the
     *     connect, and the peer proves (hands out) it only when claimed
     */
    CompletableFuture<ProvenPipe> start(PeerAddress peer, String session, long deadline, CompletableFuture<?> go,
            BooleanSupplier claim) {
        Optional<String> why = unavailable();
        if (why.isPresent()) {
            return CompletableFuture.failedFuture(new StrategySkippedException(why.get()));
        }
        StagedAttempt out = StagedAttempt.waitingFor("no TCP relay allocated yet");
        live.incrementAndGet();
        CompletableFuture<TurnTcpAllocation> allocation = allocate(servers.stream().filter(TurnServer::tcpRelay)
                .toList(), 0, new ArrayList<>());
        allocation.whenComplete((a, e) -> {
            if (e != null) {
                ended();
                out.completeExceptionally(Connector.unwrap(e));
                return;
            }
            out.whenComplete((p, x) -> {
                if (x != null) {
                    close(a);
                } else {
                    p.pipe().addEndHandler(ended -> close(a));
                }
            });
            out.waiting("the relay " + hostPort(a.relayedAddress()) + " was allocated but not used yet");
            go.whenComplete((v, x) -> {
                if (!out.isDone()) {
                    relay(a, peer, session, deadline, out, claim);
                }
            });
        });
        return out;
    }

    /** The servers in order until one allocates; fails with every server's cause. */
    private static CompletableFuture<TurnTcpAllocation> allocate(List<TurnServer> tcp, int i,
            List<Throwable> causes) {
        if (i == tcp.size()) {
            IOException e = new IOException("no TCP relay allocated: " + causes.stream().map(Throwable::getMessage)
                    .collect(Collectors.joining("; ")), causes.get(0).getCause());
            causes.stream().skip(1).forEach(c -> e.addSuppressed(c.getCause()));
            return CompletableFuture.failedFuture(e);
        }
        TurnServer s = tcp.get(i);
        CompletableFuture<TurnTcpAllocation> one;
        try {
            one = TurnClient.allocateTcp(s.address(), s.config());
        } catch (RuntimeException e) {
            one = CompletableFuture.failedFuture(e);
        }
        return one.handle((a, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(a);
            }
            causes.add(new IOException(s + ": " + Connector.message(e), Connector.unwrap(e)));
            return allocate(tcp, i + 1, causes);
        }).thenCompose(f -> f);
    }

    private void relay(TurnTcpAllocation a, PeerAddress peer, String session, long deadline,
            StagedAttempt out, BooleanSupplier claim) {
        InetSocketAddress relayed = a.relayedAddress();
        List<InetSocketAddress> permits = peerIps(peer, Family.of(relayed.getAddress()));
        if (permits.isEmpty()) {
            out.completeExceptionally(new IOException("the peer has no address of the relay's family"));
            return;
        }
        out.waiting("the relay " + hostPort(relayed) + " did not get its permissions for the peer");
        CompletableFuture.allOf(permits.stream().map(a::permit).toArray(CompletableFuture[]::new))
                .thenCompose(v -> {
                    out.sending("the TURN signal naming the relay " + hostPort(relayed));
                    return signal(peer, session, relayed);
                })
                .whenComplete((broker, e) -> {
                    if (e != null) {
                        out.completeExceptionally(new IOException("relay " + hostPort(relayed) + ": "
                                + Connector.message(e), Connector.unwrap(e)));
                    } else {
                        out.waiting("the TURN signal went out (broker " + broker + ") but the peer did not dial the "
                                + "relay " + hostPort(relayed));
                        acceptNext(a, peer, session, deadline, out, claim);
                    }
                });
    }

    /** Takes connections to the relay until one proves to be the peer's, or the attempt ends. */
    private void acceptNext(TurnTcpAllocation a, PeerAddress peer, String session, long deadline,
            CompletableFuture<ProvenPipe> out, BooleanSupplier claim) {
        if (out.isDone()) {
            return;
        }
        a.accept().whenComplete((pipe, e) -> {
            if (e != null) {
                out.completeExceptionally(new IOException("the relay ended before the peer came: "
                        + Connector.message(e), Connector.unwrap(e)));
                return;
            }
            long left = deadline - System.nanoTime();
            if (out.isDone() || left <= 0) {
                pipe.closeAsync();
                out.completeExceptionally(new TimeoutException("deadline passed"));
                return;
            }
            CompletableFuture<ProvenPipe> proof = PeerProof.runChoosing(pipe, key, peer.nodeId(), session,
                    Duration.ofNanos(left), () -> !out.isDone() && claim.getAsBoolean());
            out.whenComplete((p, x) -> {
                if (x != null) {
                    proof.cancel(false);
                }
            });
            proof.whenComplete((p, x) -> {
                if (x == null) {
                    if (!out.complete(p)) {
                        p.pipe().closeAsync();
                    }
                } else if (Connector.unwrap(x) instanceof ProofFailedException f
                        && f.reason() == ProofFailedException.Reason.NOT_CHOSEN) {
                    out.completeExceptionally(f); // another strategy won
                } else {
                    acceptNext(a, peer, session, deadline, out, claim); // a stranger with a permitted IP: wait on
                }
            });
        });
    }

    private CompletableFuture<Integer> signal(PeerAddress peer, String session, InetSocketAddress relayed) {
        long ttl = System.currentTimeMillis() / 1000 + Connector.SIGNAL_TTL.toSeconds();
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put(RELAY_IP, relayed.getAddress().getHostAddress());
        payload.put(RELAY_PORT, (long) relayed.getPort());
        try {
            return signalling.orElseThrow().send(SignalMessage.of(SignalType.TURN, ttl, session, address, peer)
                    .withPayload(payload));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new IOException("cannot signal the peer: " + e.getMessage(), e));
        }
    }

    private static List<InetSocketAddress> peerIps(PeerAddress peer, Family family) {
        Set<InetAddress> ips = new LinkedHashSet<>();
        for (PeerInterface r : family == Family.V4 ? peer.v4() : peer.v6()) {
            ips.add(r.externalIp());
            if (family == Family.V4) {
                ips.add(r.nicIp()); // an IPv6 NIC address in a record is link-local: never the server's peer
            }
        }
        return ips.stream().map(ip -> new InetSocketAddress(ip, 0)).toList();
    }

    // ---- the peer's side ----

    /** Where a TURN signal says to dial, or empty when its payload names no relay. */
    static Optional<InetSocketAddress> relayOf(SignalMessage m) {
        if (!(m.payload().get(RELAY_IP) instanceof String ip) || !(m.payload().get(RELAY_PORT) instanceof Long port)
                || port < 1 || port > 65535) {
            return Optional.empty();
        }
        try {
            // A literal only: never a name lookup for what a peer sent.
            if (!ip.matches("[0-9a-fA-F:.]+")) {
                return Optional.empty();
            }
            return Optional.of(new InetSocketAddress(InetAddress.getByName(ip), port.intValue()));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /**
     * The peer's part: a plain TCP connect to the relayed address from one of our interfaces, then the proof, which
     * completes only if the asking node keeps this connection (it chooses, see {@link #start}).
     */
    CompletableFuture<ProvenPipe> dial(InetSocketAddress relayed, SignalMessage m, long deadline) {
        Family family = Family.of(relayed.getAddress());
        Optional<BoundRoute> from = Optional.empty();
        for (NodeInterface mine : interfaces) {
            Optional<Route> route = mine.nic().pool(family).first();
            if (route.isPresent()) {
                try {
                    from = Optional.of(route.get().bind(0));
                    break;
                } catch (AddressNotLocalException e) {
                    // the next interface
                }
            }
        }
        if (from.isEmpty()) {
            return CompletableFuture.failedFuture(new IOException("no interface of the relay's family"));
        }
        Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
        CompletableFuture<Pipe> open = Pipes.tcp().route(from.get()).dest(relayed)
                .tcp(TcpOptions.builder().conTimeout(left).build()).open();
        // Cancelling the dial (the node closes) closes its connection, opened or proven later too.
        CompletableFuture<ProvenPipe> out = new CompletableFuture<>();
        open.whenComplete((pipe, e) -> {
            if (e != null) {
                out.completeExceptionally(e);
                return;
            }
            if (out.isDone()) {
                pipe.closeAsync();
                return;
            }
            CompletableFuture<ProvenPipe> proof = PeerProof.run(pipe, key, Optional.of(m.source().nodeId()),
                    m.pipeId(), Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            out.whenComplete((p, x) -> {
                if (x != null) {
                    proof.cancel(false);
                    pipe.closeAsync();
                }
            });
            proof.whenComplete((p, x) -> {
                if (x != null) {
                    out.completeExceptionally(x);
                } else if (!out.complete(p)) {
                    p.pipe().closeAsync();
                }
            });
        });
        return out;
    }

    // ---- allocations ----

    private void close(TurnTcpAllocation a) {
        a.closeAsync().whenComplete((v, e) -> ended());
    }

    private void ended() {
        List<CompletableFuture<Void>> done = List.of();
        synchronized (idleWaiters) {
            if (live.decrementAndGet() == 0) {
                done = List.copyOf(idleWaiters);
                idleWaiters.clear();
            }
        }
        done.forEach(w -> w.complete(null));
    }

    /** Completes once no allocation of this node is being made or open (at once when none is). */
    CompletableFuture<Void> idle() {
        CompletableFuture<Void> w = new CompletableFuture<>();
        synchronized (idleWaiters) {
            if (live.get() == 0) {
                return CompletableFuture.completedFuture(null);
            }
            idleWaiters.add(w);
        }
        return w;
    }

    /** The allocations being made or open now. */
    int openAllocations() {
        return live.get();
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + " port " + a.getPort();
    }
}
