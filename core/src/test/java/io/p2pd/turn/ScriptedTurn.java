package io.p2pd.turn;

import io.p2pd.stun.StunAttribute;
import io.p2pd.stun.StunErrorCode;
import io.p2pd.stun.StunMessage;
import io.p2pd.stun.StunMessage.MessageClass;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A TURN server on loopback driven by the test, for what coturn does not do on demand (answer 437 to one refresh,
 * stay silent to another, change its realm, sign an error with another key): the long-term credential check as RFC
 * 8489 section 9.2.4 has it (PASSWORD-ALGORITHMS echoed when offered), then {@link #responder} answers each
 * authenticated request (null: no answer). Its state is read and set by the test while its thread serves.
 */
final class ScriptedTurn implements AutoCloseable {
    static final InetAddress LO = InetAddress.getLoopbackAddress();
    static final InetSocketAddress RELAYED = new InetSocketAddress(LO, 40_000);

    /** Answers one authenticated request; null drops it (as if lost). */
    interface Responder {
        StunMessage answer(StunMessage request, ScriptedTurn server);
    }

    final DatagramSocket socket;
    final Thread thread;
    volatile String realm = "scripted.test";
    volatile String nonce = "nonce-1";
    /** PASSWORD-ALGORITHMS offered in the 401, or null. */
    volatile StunAttribute passwordAlgorithms;
    volatile long lifetime = 600;
    volatile Responder responder = (request, server) -> server.ok(request);
    /** Every authenticated request, in order. */
    final List<StunMessage> requests = new CopyOnWriteArrayList<>();
    /** The data of Send indications and ChannelData frames, as received. */
    final LinkedBlockingQueue<byte[]> data = new LinkedBlockingQueue<>();

    ScriptedTurn() throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress(LO, 0));
        thread = Thread.ofPlatform().daemon().start(this::serve);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    byte[] key() {
        return algorithm() == StunMessage.PASSWORD_ALGORITHM_SHA256
                ? StunMessage.longTermKeySha256(Coturn.USER, realm, Coturn.PASSWORD)
                : StunMessage.longTermKey(Coturn.USER, realm, Coturn.PASSWORD);
    }

    private int algorithm() {
        StunAttribute offered = passwordAlgorithms;
        return offered == null ? StunMessage.PASSWORD_ALGORITHM_MD5
                : StunMessage.builder(StunMessage.METHOD_ALLOCATE, MessageClass.REQUEST).add(offered).build()
                        .passwordAlgorithms().getFirst();
    }

    /** Authenticated requests of {@code method}, one per transaction (retransmissions counted once). */
    long transactions(int method) {
        return requests.stream().filter(r -> r.method() == method)
                .map(r -> HexFormat.of().formatHex(r.transactionId())).distinct().count();
    }

    /** Whether {@code request} is a refresh, i.e. not the first transaction of its method and peer. */
    boolean isRefresh(StunMessage request) {
        String id = HexFormat.of().formatHex(request.transactionId());
        return requests.stream().filter(r -> r.method() == request.method()
                        && r.xorPeerAddress().equals(request.xorPeerAddress()))
                .map(r -> HexFormat.of().formatHex(r.transactionId())).distinct().findFirst()
                .map(first -> !first.equals(id)).orElse(false);
    }

    private void serve() {
        byte[] buf = new byte[70_000];
        try {
            while (!socket.isClosed()) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                byte[] d = Arrays.copyOf(p.getData(), p.getLength());
                if (ChannelData.looksLikeChannelData(d[0])) {
                    ChannelData.Frame f = ChannelData.decode(d, d.length);
                    data.add(Arrays.copyOfRange(d, f.offset(), f.offset() + f.length()));
                    continue;
                }
                StunMessage m = StunMessage.decode(d);
                if (m.messageClass() == MessageClass.INDICATION) {
                    data.add(m.data().orElse(new byte[0]));
                    continue;
                }
                StunMessage reply = answer(m, (InetSocketAddress) p.getSocketAddress());
                if (reply != null) {
                    byte[] out = reply.encode();
                    socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                }
            }
        } catch (Exception closed) {
            // the test closed the socket
        }
    }

    private StunMessage answer(StunMessage request, InetSocketAddress client) {
        if (!request.hasIntegrity() && !request.hasIntegritySha256()) {
            return challenge(request);
        }
        StunAttribute offered = passwordAlgorithms;
        if (offered != null) {
            // RFC 8489 section 9.2.4: the echo must match, PASSWORD-ALGORITHM be on it, MESSAGE-INTEGRITY-SHA256 used.
            boolean echoed = request.attribute(StunAttribute.PASSWORD_ALGORITHMS)
                    .map(a -> Arrays.equals(a.value(), offered.value())).orElse(false);
            if (!echoed || request.attribute(StunAttribute.PASSWORD_ALGORITHM).isEmpty()
                    || !request.hasIntegritySha256()) {
                return StunMessage.responseTo(request, MessageClass.ERROR_RESPONSE)
                        .errorCode(new StunErrorCode(400, "Bad Request")).build();
            }
        }
        boolean valid = request.hasIntegritySha256() ? request.checkIntegritySha256(key())
                : request.checkIntegrity(key());
        if (!valid || !request.realm().orElse("").equals(realm)) {
            return challenge(request);
        }
        if (!request.nonce().orElse("").equals(nonce)) {
            return StunMessage.responseTo(request, MessageClass.ERROR_RESPONSE)
                    .errorCode(new StunErrorCode(438, "Stale Nonce")).realm(realm).nonce(nonce).build();
        }
        requests.add(request);
        return responder.answer(request, this);
    }

    private StunMessage challenge(StunMessage request) {
        StunMessage.Builder b = StunMessage.responseTo(request, MessageClass.ERROR_RESPONSE)
                .errorCode(new StunErrorCode(401, "Unauthorized")).realm(realm).nonce(nonce);
        if (passwordAlgorithms != null) {
            b.add(passwordAlgorithms);
        }
        return b.build();
    }

    /** The success response the request asks for, signed with the current key. */
    StunMessage ok(StunMessage request) {
        return sign(request, success(request), key());
    }

    /** The success response the request asks for, not signed yet. */
    StunMessage.Builder success(StunMessage request) {
        StunMessage.Builder b = StunMessage.responseTo(request, MessageClass.SUCCESS_RESPONSE);
        if (request.method() == StunMessage.METHOD_ALLOCATE) {
            b.xorRelayedAddress(RELAYED).xorMappedAddress(address()).lifetime(lifetime);
        } else if (request.method() == StunMessage.METHOD_REFRESH) {
            b.lifetime(request.lifetime().orElse(1L) == 0 ? 0 : lifetime);
        }
        return b;
    }

    /** An error response, signed with {@code key} (null: unsigned). */
    StunMessage error(StunMessage request, int code, String reason, byte[] key) {
        StunMessage.Builder b = StunMessage.responseTo(request, MessageClass.ERROR_RESPONSE)
                .errorCode(new StunErrorCode(code, reason));
        return key == null ? b.build() : sign(request, b, key);
    }

    private static StunMessage sign(StunMessage request, StunMessage.Builder b, byte[] key) {
        return (request.hasIntegritySha256() ? b.messageIntegritySha256(key) : b.messageIntegrity(key)).build();
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
