/**
 * STUN (RFC 8489, compatible with RFC 5389 and RFC 3489 servers) with the RFC 5780 NAT behaviour
 * discovery attributes: a codec, a client and a server, on Netty.
 *
 * <ul>
 *   <li>{@link io.p2pd.stun.StunMessage}: immutable message, {@code decode} (only ever throws
 *       {@link io.p2pd.stun.StunDecodeException}), a builder that can append MESSAGE-INTEGRITY and
 *       FINGERPRINT, {@code checkIntegrity}/{@code checkFingerprint}, typed accessors returning Optional.</li>
 *   <li>{@link io.p2pd.stun.StunClient}: one-shot binding requests over UDP or TCP, and
 *       {@code bindingQuorum} over several servers.</li>
 *   <li>{@link io.p2pd.stun.StunSession}: one local UDP port, many requests (NAT detection), CHANGE-REQUEST.</li>
 *   <li>{@link io.p2pd.stun.StunServer}: plain or RFC 5780 server (two IPs times two ports).</li>
 * </ul>
 *
 * <pre>{@code
 * try (StunSession s = StunSession.open(new InetSocketAddress(0), StunClientConfig.defaults()).join()) {
 *     StunResult first = s.binding(server).join();
 *     InetSocketAddress other = first.alternateAddress().orElseThrow();
 *     StunResult changed = s.binding(server, true, true).join();   // expect it from `other`
 * }
 * }</pre>
 *
 * <p>Every waiting operation returns a {@link java.util.concurrent.CompletableFuture} that fails with a
 * {@link io.p2pd.stun.StunException} subtype, or the socket's own I/O exception; nothing blocks an event loop.
 */
package io.p2pd.stun;
