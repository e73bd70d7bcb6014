package io.p2pd.nic;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DefaultRoutesTest {

    private static final String V4 = """
            Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
            eth1\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
            eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
            eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
            """;

    private static final String V6 = """
            fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
            00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
            00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
            """;

    @Test
    void v4PicksTheLowestMetricDefault() {
        assertThat(DefaultRoutes.parseV4(V4)).contains("eth0");
        assertThat(DefaultRoutes.parse(Family.V4, V4)).contains("eth0");
    }

    @Test
    void v4WithoutDefaultOrOnlyRejectOrDownRoutesIsEmpty() {
        String onlyOnLink = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
                + "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        assertThat(DefaultRoutes.parseV4(onlyOnLink)).isEmpty();
        assertThat(DefaultRoutes.parseV4("eth0\t00000000\t00000000\t0201\t0\t0\t0\t00000000\t0\t0\t0\n")).isEmpty();
        assertThat(DefaultRoutes.parseV4("eth0\t00000000\t00000000\t0000\t0\t0\t0\t00000000\t0\t0\t0\n")).isEmpty();
        assertThat(DefaultRoutes.parseV4("")).isEmpty();
        assertThat(DefaultRoutes.parseV4("garbage line\nx y z w v u t s\n")).isEmpty();
    }

    @Test
    void v6SkipsTheKernelsUnreachableDefaultOnLo() {
        assertThat(DefaultRoutes.parseV6(V6)).contains("eth0");
        String onlyReject = V6.lines().filter(l -> l.endsWith("lo")).findFirst().orElseThrow();
        assertThat(DefaultRoutes.parseV6(onlyReject)).isEmpty();
        assertThat(DefaultRoutes.parseV6(V6.lines().findFirst().orElseThrow())).isEmpty();
    }

    @Test
    void v6PrefersTheLowerMetric() {
        String two = """
                00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     wlan0
                00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000064 00000001 00000000 00000003     eth0
                """;
        assertThat(DefaultRoutes.parseV6(two)).contains("eth0");
    }
}
