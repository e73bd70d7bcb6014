package io.p2pd.turn;

import io.p2pd.pipe.Framing;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Makes TURN allocations (RFC 8656) over a UDP, TCP or TLS control connection ({@link TurnConfig#transport()}): UDP
 * relays ({@link #allocate}) and TCP relays (RFC 6062, {@link #allocateTcp}).
 *
 * <pre>{@code
 * TurnConfig conf = TurnConfig.builder("alice", password).build();
 * try (TurnAllocation a = TurnClient.allocate(new InetSocketAddress("turn.example.net", 3478), conf).join()) {
 *     Pipe relayed = a.pipe();
 *     relayed.send("hello".getBytes(UTF_8), peer).join();
 *     Message reply = relayed.recv().join(); // reply.sender() is the peer
 * }
 * }</pre>
 */
public final class TurnClient {

    private TurnClient() {
    }

    /**
     * Allocates a UDP relay on {@code server} with the long-term credential mechanism: an Allocate, the server's 401
     * with REALM and NONCE, then the signed Allocate (MESSAGE-INTEGRITY, or MESSAGE-INTEGRITY-SHA256 when the server
     * offers SHA-256 in PASSWORD-ALGORITHMS), retried once on 438 Stale Nonce. Completes with the allocation, or
     * fails with {@link TurnAuthenticationException} (wrong user name or password), {@link TurnQuotaException},
     * {@link TurnCapacityException}, {@link TurnAddressFamilyException}, another
     * {@link TurnErrorResponseException}, {@link TurnNotSupportedException} (the server is not a TURN server),
     * {@link TurnTimeoutException}, {@link TurnProtocolException}, {@link TurnConnectionLostException} (a TCP or TLS
     * control connection ended), or the control socket's I/O error (e.g. {@link java.net.BindException},
     * {@link java.net.ConnectException}, a TLS handshake's {@link javax.net.ssl.SSLException}).
     *
     * @throws IllegalArgumentException when {@code server} is unresolved (look it up first)
     */
    public static CompletableFuture<TurnAllocation> allocate(InetSocketAddress server, TurnConfig config) {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(config, "config");
        if (server.isUnresolved()) {
            throw new IllegalArgumentException("the TURN server must be an IP address, got " + server);
        }
        return Allocation.start(server, config);
    }

    /**
     * Allocates a TCP relay (RFC 6062) on {@code server}, authenticated and failing as {@link #allocate} does; its
     * data connections are raw byte streams. The control connection must be TCP or TLS
     * ({@link TurnConfig#transport()}): the RFC has no TCP relay over UDP.
     *
     * <pre>{@code
     * TurnConfig conf = TurnConfig.builder("alice", password).transport(TurnTransport.TCP).build();
     * try (TurnTcpAllocation relay = TurnClient.allocateTcp(server, conf).join()) {
     *     Pipe toPeer = relay.connect(peer).join();   // 447 TurnConnectionFailedException when the peer refuses
     *     toPeer.send("hello".getBytes(UTF_8)).join();
     *     relay.permit(otherPeer).join();              // then otherPeer may dial relay.relayedAddress()
     *     Pipe fromOther = relay.accept().join();
     * }
     * }</pre>
     *
     * @throws IllegalArgumentException when {@code server} is unresolved or the control connection is UDP
     */
    public static CompletableFuture<TurnTcpAllocation> allocateTcp(InetSocketAddress server, TurnConfig config) {
        return allocateTcp(server, config, Framing.raw());
    }

    /** As {@link #allocateTcp(InetSocketAddress, TurnConfig)}, each data connection's pipe with {@code framing}. */
    public static CompletableFuture<TurnTcpAllocation> allocateTcp(InetSocketAddress server, TurnConfig config,
            Framing framing) {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(framing, "framing");
        if (server.isUnresolved()) {
            throw new IllegalArgumentException("the TURN server must be an IP address, got " + server);
        }
        if (!config.transport().stream()) {
            throw new IllegalArgumentException("a TCP relay (RFC 6062) needs a TCP or TLS control connection: "
                    + "TurnConfig.builder(...).transport(TurnTransport.TCP)");
        }
        return TurnTcpAllocation.start(server, config, framing);
    }
}
