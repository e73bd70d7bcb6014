package io.p2pd.node.id;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The machine id's derivation, sanitizing and listen port, without the original. */
class MachineIdTest {

    @Test
    void insideDockerTheContainerIdIsTakenAsTheOriginalCutsIt() {
        String id = "4f1b0c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
        assertThat(MachineId.dockerIdFromCgroup("12:pids:/docker/" + id + "\n11:cpu:/docker/" + id + "\n"))
                .contains(id); // cut -d/ -f3 of "12:pids:/docker/<id>": the id
        assertThat(MachineId.dockerIdFromCgroup("0::/system.slice/docker-" + id + ".scope\n"))
                .contains("docker-" + id + ".scope");
        assertThat(MachineId.dockerIdFromCgroup("docker\n")).contains("docker"); // no '/': cut prints the line
        assertThat(MachineId.dockerIdFromCgroup("0::/\n")).isEmpty();
        assertThat(MachineId.dockerIdFromCgroup("0::/init.scope docker\n")).isEmpty();

        String mountinfo = "1 2 0:1 /var/lib/docker/containers/" + id + "/hostname /etc/hostname rw - ext4 x\n"
                + "3 4 0:1 /var/lib/docker/containers/" + id + "/hosts /etc/hosts rw - ext4 x\n";
        assertThat(MachineId.dockerIdFromMountinfo(mountinfo)).contains(id);
        assertThat(MachineId.dockerIdFromMountinfo("1 2 0:1 / / rw - overlay docker\n")).isEmpty();
        assertThat(MachineId.dockerIdFromMountinfo("nothing here")).isEmpty();
    }

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
