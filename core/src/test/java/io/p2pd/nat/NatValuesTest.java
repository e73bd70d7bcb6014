package io.p2pd.nat;

import io.p2pd.internal.Json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The result values: numbering as the original, JSON form, validation. */
class NatValuesTest {

    @Test
    void typesAreNumberedAsTheOriginal() {
        assertThat(Arrays.stream(NatType.values()).map(NatType::number)).containsExactly(1, 2, 3, 4, 5, 6, 7);
        assertThat(Arrays.stream(DeltaType.values()).map(DeltaType::number)).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(NatType.ofNumber(5)).isEqualTo(NatType.PORT_RESTRICTED);
        assertThat(DeltaType.ofNumber(4)).isEqualTo(DeltaType.INDEPENDENT);
        assertThatThrownBy(() -> NatType.ofNumber(8)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DeltaType.ofNumber(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Arrays.stream(NatType.values()).filter(NatType::isNat))
                .containsExactly(NatType.FULL_CONE, NatType.RESTRICTED, NatType.PORT_RESTRICTED, NatType.SYMMETRIC);
    }

    @Test
    void onlyValuedDeltaTypesTakeAValue() {
        assertThat(new PortDelta(DeltaType.DEPENDENT, -3).value()).isEqualTo(-3);
        assertThatThrownBy(() -> new PortDelta(DeltaType.RANDOM, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PortDelta(DeltaType.EQUAL, 2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void reportJson() {
        NatReport r = new NatReport(NatType.SYMMETRIC, new PortDelta(DeltaType.DEPENDENT, 2),
                new InetSocketAddress("10.0.0.2", 4000),
                List.of(new InetSocketAddress("198.18.0.1", 7000), new InetSocketAddress("2001:db8::1", 7002)),
                List.of(new InetSocketAddress("198.18.0.2", 3478), new InetSocketAddress("198.18.0.3", 3479)),
                Duration.ofMillis(1234));
        assertThat(r.toJson()).isEqualTo("{\"natType\":6,\"natName\":\"symmetric\",\"deltaType\":5,"
                + "\"deltaName\":\"dependent\",\"deltaValue\":2,\"local\":\"10.0.0.2:4000\","
                + "\"mapped\":[\"198.18.0.1:7000\",\"[2001:db8::1]:7002\"],"
                + "\"servers\":[\"198.18.0.2:3478\",\"198.18.0.3:3479\"],\"elapsedMs\":1234}");
    }

    @Test
    void jsonStringsAreEscaped() {
        assertThat(io.p2pd.internal.Json.write(java.util.Map.of("k", "a\"b\\c\n\u0001"))).isEqualTo("{\"k\":\"a\\\"b\\\\c\\n\\u0001\"}");
    }

    @Test
    void configIsValidatedAndKeepsItsValues() {
        InetSocketAddress s = new InetSocketAddress("127.0.0.1", 3478);
        NatConfig c = NatConfig.of(s);
        assertThat(c.servers()).containsExactly(s);
        assertThat(c.timeLimit()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.probeTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.deltaSockets()).isEqualTo(3);
        assertThat(c.bindIp()).isEmpty();
        NatConfig d = c.toBuilder().deltaSockets(0).timeLimit(Duration.ofSeconds(2)).build();
        assertThat(d.deltaSockets()).isZero();
        assertThat(d.timeLimit()).isEqualTo(Duration.ofSeconds(2));
        assertThat(d.probeTimeout()).isEqualTo(c.probeTimeout());
        assertThatThrownBy(() -> NatConfig.builder(List.of()).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no STUN servers");
        assertThatThrownBy(() -> c.toBuilder().timeLimit(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeLimit");
        assertThatThrownBy(() -> c.toBuilder().probeTimeout(Duration.ofMillis(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("probeTimeout");
        assertThatThrownBy(() -> c.toBuilder().deltaSockets(17).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deltaSockets");
    }
}
