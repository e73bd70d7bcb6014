package io.p2pd.node.id;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The machine id's derivation, sanitizing and listen port, without the original. */
class MachineIdTest {

    @Test
    void rawIdsAreSanitizedBeforeHashingAndPortsStayInRange() throws Exception {
        MachineId a = MachineId.fromRawId("0123456789abcdef\n", MachineId.APP_ID);
        assertThat(MachineId.fromRawId(" 0123456789\tabcdef\u0085", MachineId.APP_ID)).isEqualTo(a);
        assertThat(MachineId.fromRawId("0123456789abcdef", "other")).isNotEqualTo(a);
        assertThat(a.value()).hasSize(64);
        for (int i = 0; i < 200; i++) {
            int port = MachineId.fromRawId("id" + i, MachineId.APP_ID).defaultListenPort();
            assertThat(port).isBetween(10000, 60000);
        }
        assertThat(MachineId.fallback("p2pd", "host", "eth0", "aa:bb:cc:dd:ee:ff").value()).hasSize(64);
        assertThatThrownBy(() -> new MachineId("xyz")).isInstanceOf(IllegalArgumentException.class);

        Optional<MachineId> here = MachineId.ofThisMachine();
        here.ifPresent(id -> assertThat(id.value()).matches("[0-9a-f]{64}"));
    }
}
