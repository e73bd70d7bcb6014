package io.p2pd.node.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The value types and rules that need no broker: broker addresses, configuration checks, topic filters, stats. */
class MqttValuesTest {

    @Test
    void brokerAddressesParseWithIpv6InBracketsAndPrintBack() {
        MqttBroker v4 = MqttBroker.parse("127.0.0.1:1884");
        assertThat(v4.host()).isEqualTo("127.0.0.1");
        assertThat(v4.port()).isEqualTo(1884);
        assertThat(v4.tls()).isFalse();
        assertThat(v4.hostPort()).isEqualTo("127.0.0.1:1884");

        MqttBroker v6 = MqttBroker.parse("[::1]:8883");
        assertThat(v6.host()).isEqualTo("::1");
        assertThat(v6.port()).isEqualTo(8883);
        assertThat(v6.hostPort()).isEqualTo("[::1]:8883");
        assertThat(MqttBroker.parse(v6.hostPort())).isEqualTo(v6);

        assertThat(MqttBroker.parse("broker.example").port()).isEqualTo(MqttBroker.DEFAULT_PORT);
        assertThat(MqttBroker.parse("[fe80::1]").host()).isEqualTo("fe80::1");
        assertThat(MqttBroker.parse("h:1").withTls().toString()).isEqualTo("mqtts://h:1");
        assertThat(MqttBroker.parse("h:1").withTls()).isNotEqualTo(MqttBroker.parse("h:1"));
    }

    @Test
    void badBrokerAddressesNameTheFieldThatIsWrong() {
        assertThatThrownBy(() -> MqttBroker.parse("")).hasMessageStartingWith("broker host: empty");
        assertThatThrownBy(() -> MqttBroker.parse(":1883")).hasMessageStartingWith("broker host: empty");
        assertThatThrownBy(() -> MqttBroker.parse("::1:1883")).hasMessageStartingWith("broker host:")
                .hasMessageContaining("brackets");
        assertThatThrownBy(() -> MqttBroker.parse("[::1")).hasMessageStartingWith("broker host:");
        assertThatThrownBy(() -> MqttBroker.parse("[127.0.0.1]:1")).hasMessageStartingWith("broker host:");
        assertThatThrownBy(() -> MqttBroker.parse("h:0")).hasMessageStartingWith("broker port:");
        assertThatThrownBy(() -> MqttBroker.parse("h:65536")).hasMessageStartingWith("broker port:");
        assertThatThrownBy(() -> MqttBroker.parse("h:x")).hasMessageStartingWith("broker port:");
        assertThatThrownBy(() -> MqttBroker.parse("h:")).hasMessageStartingWith("broker port:");
        assertThatThrownBy(() -> MqttBroker.parse("[::1]x")).hasMessageStartingWith("broker port:");
        assertThatThrownBy(() -> MqttBroker.parse("a b:1")).hasMessageStartingWith("broker host:");
        assertThatThrownBy(() -> MqttBroker.parse("h:1").withTls(new java.security.cert.X509Certificate[0]))
                .hasMessageStartingWith("broker tls:");
    }

    @Test
    void configurationDefaultsAndChecks() {
        MqttClientConf d = MqttClientConf.builder().build();
        assertThat(d.keepAlive()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.protocol()).isEmpty();
        assertThat(MqttClientConf.builder().protocol(MqttProtocol.V3_1_1).build().protocol())
                .contains(MqttProtocol.V3_1_1);
        assertThat(d.toBuilder().maxQueued(3).build().maxQueued()).isEqualTo(3);
        assertThatThrownBy(() -> MqttClientConf.builder().keepAlive(Duration.ofMillis(1500)))
                .hasMessageStartingWith("keepAlive:");
        assertThatThrownBy(() -> MqttClientConf.builder().keepAlive(Duration.ZERO))
                .hasMessageStartingWith("keepAlive:");
        assertThatThrownBy(() -> MqttClientConf.builder().reconnectBackoff(Duration.ofSeconds(2),
                Duration.ofSeconds(1))).hasMessageStartingWith("reconnectBackoff:");
        assertThatThrownBy(() -> MqttClientConf.builder().maxInFlight(0)).hasMessageStartingWith("maxInFlight:");
        assertThatThrownBy(() -> MqttClientConf.builder().maxQueued(-1)).hasMessageStartingWith("maxQueued:");
        assertThatThrownBy(() -> MqttClientConf.builder().maxInboundPayload(0))
                .hasMessageStartingWith("maxInboundPayload:");
        assertThatThrownBy(() -> MqttClientConf.builder().connectTimeout(Duration.ZERO))
                .hasMessageStartingWith("connectTimeout:");
    }

    @Test
    void topicFiltersMatchAsMqttSays() {
        assertThat(Topics.matches("a/+/c", "a/b/c")).isTrue();
        assertThat(Topics.matches("a/+/c", "a/b/d")).isFalse();
        assertThat(Topics.matches("a/#", "a")).isTrue();
        assertThat(Topics.matches("a/#", "a/b/c")).isTrue();
        assertThat(Topics.matches("#", "$SYS/x")).isFalse();
        assertThat(Topics.matches("a/b", "a/b/c")).isFalse();
        assertThat(Topics.matches("a/b/c", "a/b")).isFalse();
        assertThat(Topics.matches("+", "")).isTrue();
        assertThatThrownBy(() -> Topics.checkFilter("a/b#")).hasMessageContaining("whole level");
        assertThatThrownBy(() -> Topics.checkName("a\0b")).hasMessageContaining("NUL");
    }

    @Test
    void statsListEveryDropReason() {
        MqttStats s = new MqttStats(1, 0, 2, 3, 3, Map.of(MqttStats.Drop.DUPLICATE, 4L));
        assertThat(s.dropped()).containsOnlyKeys(MqttStats.Drop.values());
        assertThat(s.dropped(MqttStats.Drop.DUPLICATE)).isEqualTo(4);
        assertThat(s.dropped(MqttStats.Drop.OVERSIZED)).isZero();
    }
}
