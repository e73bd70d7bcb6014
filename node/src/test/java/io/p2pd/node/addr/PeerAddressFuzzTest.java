package io.p2pd.node.addr;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing (Jazzer) of the peer address parser, which reads text from other nodes. Without
 * {@code JAZZER_FUZZ} it runs once per input of the committed seed corpus
 * (src/test/resources/io/p2pd/node/addr/PeerAddressFuzzTestInputs/peerAddressParse/); with {@code JAZZER_FUZZ=1}
 * it fuzzes. Only {@link PeerAddressException} may come out; an address it accepts prints to text that parses
 * back equal and prints the same again, and is the input itself when the input has no IPv6 short form.
 */
class PeerAddressFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void peerAddressParse(byte[] data) {
        PeerAddress a;
        try {
            a = PeerAddress.parse(data);
        } catch (PeerAddressException e) {
            assertThat(e.field()).isNotBlank();
            assertThat(e.getMessage()).startsWith("peer address: " + e.field() + ": ");
            return;
        }
        String printed = a.toString();
        PeerAddress again = PeerAddress.parse(printed);
        assertThat(again).isEqualTo(a);
        assertThat(again.toString()).isEqualTo(printed);
        String input = new String(data, StandardCharsets.US_ASCII);
        if (a.v6().isEmpty()) {
            assertThat(printed).isEqualTo(input);
        }
        assertThat(PeerAddress.parse(input)).isEqualTo(a);
    }
}
