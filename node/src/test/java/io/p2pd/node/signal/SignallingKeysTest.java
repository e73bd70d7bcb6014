package io.p2pd.node.signal;

import static io.p2pd.node.signal.Fixtures.KEY_A;
import static io.p2pd.node.signal.Fixtures.KEY_B;
import static io.p2pd.node.signal.Fixtures.KEY_C;
import static io.p2pd.node.signal.Fixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.mqtt.MqttBroker;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The keys {@link Signalling#send(SignalMessage)} encrypts to: those the application gave and those confirmed by a
 * peer's answer to our own message survive a flood of signed messages from throwaway keys, which evicts only keys
 * learned from other messages.
 */
class SignallingKeysTest {

    static final int TABLE = 16;

    /** A loopback port nothing listens on: the send itself fails, the key tables are what is looked at. */
    static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void keysGivenOrConfirmedByAnAnswerSurviveAFloodOfThrowawayKeys() throws Exception {
        Semaphore handled = new Semaphore(0);
        SignalListener counting = new SignalListener() {
            @Override
            public void accepted(SignalReceipt receipt) {
                handled.release();
            }

            @Override
            public void dropped(SignalDrop reason, String detail) {
                handled.release();
            }
        };
        PeerAddress addrA = Fixtures.address("0", "[0,0,203.0.113.5,192.168.1.20,51234,5,3,2]", "0", KEY_A);
        PeerAddress addrB = Fixtures.address("0", "[0,0,198.51.100.7,10.0.0.2,40000,1,1,0]", "0", KEY_B);
        PeerAddress addrC = Fixtures.address("0", "[0,0,192.0.2.9,10.0.0.9,40001,1,1,0]", "0", KEY_C);
        Fixtures.Clock clock = new Fixtures.Clock();
        Signalling.Builder builder = Signalling.builder(KEY_A).brokers(List.of(MqttBroker.of("127.0.0.1", deadPort())))
                .clock(clock).listener(counting);
        builder.keyTableSize = TABLE;
        Signalling a = new Signalling(builder);
        try {
            // B's key given by the application; C's learned from C's answer to our pipe "ask"; D's from a message
            // D sent unasked.
            sendFails(a.send(SignalMessage.of(SignalType.CONNECT, NOW + 5, "to-b", addrA, addrB), KEY_B.publicKey()));
            sendFails(a.send(SignalMessage.of(SignalType.GET_ADDRESS, NOW + 5, "ask", addrA, addrC)));
            a.onMessage(new SignalSealer(KEY_C).sealPlaintext(
                    SignalMessage.of(SignalType.RETURN_ADDRESS, NOW + 5, "ask", addrC, addrA)));
            NodeKey keyD = NodeKey.generate();
            PeerAddress addrD = Fixtures.address("0", "[0,0,192.0.2.10,10.0.0.10,40002,1,1,0]", "0", keyD);
            a.onMessage(new SignalSealer(keyD).sealPlaintext(
                    SignalMessage.of(SignalType.CONNECT, NOW + 5, "unasked", addrD, addrA)));
            assertThat(handled.tryAcquire(2, 30, TimeUnit.SECONDS)).isTrue();
            assertThat(a.knownKey(keyD.nodeId())).isEqualTo(keyD.publicKey());

            // Signed messages from throwaway keys, twice as many as a table holds; one carries our pipe id "to-b"
            // but does not come from B, so it confirms nothing.
            for (int i = 0; i < 2 * TABLE; i++) {
                NodeKey throwaway = NodeKey.generate();
                PeerAddress from = Fixtures.address("0", "[0,0,192.0.2.11,10.0.0.11,40003,1,1,0]", "0", throwaway);
                a.onMessage(new SignalSealer(throwaway).sealPlaintext(
                        SignalMessage.of(SignalType.CONNECT, NOW + 5, i == 0 ? "to-b" : "flood" + i, from, addrA)));
            }
            assertThat(handled.tryAcquire(2 * TABLE, 30, TimeUnit.SECONDS)).isTrue();
            assertThat(a.stats().inbox().accepted()).isEqualTo(2 + 2 * TABLE);

            assertThat(a.knownKey(KEY_B.nodeId())).isEqualTo(KEY_B.publicKey());
            assertThat(a.knownKey(KEY_C.nodeId())).isEqualTo(KEY_C.publicKey());
            // The unconfirmed key went with the flood, as a bounded table must let it.
            assertThat(a.knownKey(keyD.nodeId())).isNull();
        } finally {
            a.close();
        }
    }

    static void sendFails(java.util.concurrent.CompletableFuture<Integer> sent) {
        assertThatThrownBy(() -> sent.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(SignallingException.class);
    }
}
