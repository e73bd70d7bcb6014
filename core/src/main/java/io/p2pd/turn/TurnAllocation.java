package io.p2pd.turn;

import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.net.HostPort;
import io.p2pd.pipe.Pipe;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A TURN allocation (RFC 8656) held open on a TURN server: its relayed address, and the {@link #pipe()} that sends
 * and receives through it. It refreshes itself, its permissions and its channels until closed; closing deletes it on
 * the server. Thread-safe.
 */
public final class TurnAllocation implements AutoCloseable {
    private final Allocation allocation;

    TurnAllocation(Allocation allocation) {
        this.allocation = allocation;
    }

    Allocation allocation() {
        return allocation;
    }

    /**
     * The relayed pipe: a UDP pipe whose {@code send(data, peer)} goes to {@code peer} through the relay and whose
     * messages carry the peer that sent them as their sender. Its {@code localAddress()} is the relayed address.
     * The first datagram to a new peer IP creates the permission for it (datagrams wait, up to
     * {@link TurnConfig#maxQueuedPerPeer()}, until the server installed it) and binds a channel to the peer; Send
     * indications carry the data until the channel is bound. A permission or channel whose peer had no traffic
     * either way for a whole {@link TurnConfig#permissionLifetime()} ({@link TurnConfig#channelLifetime()}) is no
     * longer refreshed; the next datagram asks for it again. A send completes when the datagram is handed to the
     * allocation. Closing the pipe closes the allocation.
     */
    public Pipe pipe() {
        return allocation.pipe();
    }

    /** The address peers send to: XOR-RELAYED-ADDRESS. */
    public InetSocketAddress relayedAddress() {
        return allocation.relayedAddress();
    }

    /** This client's address as the server saw it (XOR-MAPPED-ADDRESS), when the server said. */
    public Optional<InetSocketAddress> mappedAddress() {
        return allocation.mappedAddress();
    }

    /** The TURN server. */
    public InetSocketAddress serverAddress() {
        return allocation.serverAddress();
    }

    /** The control socket's (or connection's) local address: with the server's, the 5-tuple of the allocation. */
    public InetSocketAddress localAddress() {
        return allocation.controlAddress();
    }

    /** The lifetime the server granted last (at the Allocate or the latest refresh). */
    public Duration lifetime() {
        return allocation.lifetime();
    }

    /** The server's SOFTWARE attribute, when it sent one. */
    public Optional<String> serverSoftware() {
        return allocation.software();
    }

    /** This allocation's counters now. */
    public TurnStats stats() {
        return allocation.stats();
    }

    /** Completes once the counters satisfy {@code condition}, looked at after every refresh (for tests). */
    CompletableFuture<TurnStats> statsReach(java.util.function.Predicate<TurnStats> condition) {
        return allocation.statsReach(condition);
    }

    /**
     * Why the allocation ended on its own, if it did: a Refresh the server refused, or did not answer until the
     * granted lifetime ran out ({@link TurnTimeoutException}; timeouts before that are retried), a 437 to a
     * permission or channel refresh ({@link TurnAllocationMismatchException}: the server no longer has the
     * allocation, e.g. after a restart), or {@link TurnConnectionLostException} when its TCP or TLS control
     * connection ended. The relayed pipe is closed by then (its {@code closeFuture()} completes).
     */
    public Optional<Throwable> failure() {
        return allocation.failure();
    }

    /**
     * Installs a permission for {@code peer}'s IP now, rather than at the first datagram: completes once the server
     * installed it, or fails with {@link TurnForbiddenException} (the server denies that peer),
     * {@link TurnAddressFamilyException} (443, a peer of the other family), {@link TurnTimeoutException}. It is
     * refreshed as any other: until its peer had no traffic either way for a whole
     * {@link TurnConfig#permissionLifetime()}, after which the next datagram to the peer asks for it again.
     */
    public CompletableFuture<Void> permit(InetSocketAddress peer) {
        Objects.requireNonNull(peer, "peer");
        if (peer.isUnresolved()) {
            throw new IllegalArgumentException("permit needs an IP address, got " + peer);
        }
        if (!pipe().isOpen()) {
            return LoopSafeFuture.failed(new io.p2pd.pipe.PipeClosedException("allocation closed: " + this));
        }
        return allocation.permit(peer);
    }

    /**
     * Deletes the allocation on the server (a Refresh with lifetime 0, waited for at most
     * {@link TurnConfig#closeTimeout()}), closes the relayed pipe and the control socket. Never fails; idempotent.
     */
    public CompletableFuture<Void> closeAsync() {
        return pipe().closeAsync();
    }

    /** {@link #closeAsync()}, waiting for it except on an event loop (which must never wait). */
    @Override
    public void close() {
        CompletableFuture<Void> done = closeAsync();
        if (!LoopSafeFuture.onEventLoop()) {
            done.join();
        }
    }

    @Override
    public String toString() {
        return "TURN allocation " + HostPort.of(relayedAddress()) + " via " + HostPort.of(serverAddress());
    }
}
