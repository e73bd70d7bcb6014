package io.p2pd.node.signal;

import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.id.NodeKey;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/** Fixed keys and addresses for signalling tests: node A (key 1), B (key 2), C (key 3, the third party). */
final class Fixtures {

    static final NodeKey KEY_A = NodeKey.fromHex("00".repeat(31) + "01");
    static final NodeKey KEY_B = NodeKey.fromHex("00".repeat(31) + "02");
    static final NodeKey KEY_C = NodeKey.fromHex("00".repeat(31) + "03");
    static final String MACHINE = "ab".repeat(32);
    static final PeerAddress ADDR_A = address("0,1", "[0,0,203.0.113.5,192.168.1.20,51234,5,3,2]", "0", KEY_A);
    static final PeerAddress ADDR_B = address("1,2", "[0,0,198.51.100.7,10.0.0.2,40000,1,1,0]",
            "[0,1,2001:0db8:0000:0000:0000:0000:0000:0002,fe80:0000:0000:0000:0000:0000:0000:0002,40000,1,1,0]", KEY_B);
    static final PeerAddress ADDR_C = address("2", "[0,0,192.0.2.9,10.0.0.9,40001,1,1,0]", "0", KEY_C);
    static final long NOW = 1_000_000;

    private Fixtures() {}

    static PeerAddress address(String signal, String v4, String v6, NodeKey key) {
        return PeerAddress.parse(signal + "-" + v4 + "-" + v6 + "-" + key.nodeId() + "-" + MACHINE);
    }

    /** A GET_ADDRESS from A to B, expiring 5 s after {@link #NOW}, as the original sends one. */
    static SignalMessage getAddr(String pipeId) {
        return SignalMessage.of(SignalType.GET_ADDRESS, NOW + 5, pipeId, ADDR_A, ADDR_B);
    }

    /** A settable clock, in Unix seconds. */
    static final class Clock implements InstantSource {
        final AtomicLong seconds = new AtomicLong(NOW);

        @Override
        public Instant instant() {
            return Instant.ofEpochSecond(seconds.get());
        }
    }
}
