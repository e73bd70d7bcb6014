package io.p2pd.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpScopeTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        // unspecified and reserved edges of 0/8
        "0.0.0.0, UNSPECIFIED", "0.0.0.1, RESERVED", "0.255.255.255, RESERVED", "1.0.0.0, PUBLIC",
        // loopback: the whole /8, not only .1
        "126.255.255.255, PUBLIC", "127.0.0.0, LOOPBACK", "127.0.0.1, LOOPBACK", "127.1.2.3, LOOPBACK",
        "127.255.255.255, LOOPBACK", "128.0.0.0, PUBLIC",
        // RFC 1918
        "9.255.255.255, PUBLIC", "10.0.0.0, PRIVATE", "10.255.255.255, PRIVATE", "11.0.0.0, PUBLIC",
        "172.15.255.255, PUBLIC", "172.16.0.0, PRIVATE", "172.31.255.255, PRIVATE", "172.32.0.0, PUBLIC",
        "192.167.255.255, PUBLIC", "192.168.0.0, PRIVATE", "192.168.255.255, PRIVATE", "192.169.0.0, PUBLIC",
        // RFC 6598 shared (CGNAT)
        "100.63.255.255, PUBLIC", "100.64.0.0, SHARED", "100.127.255.255, SHARED", "100.128.0.0, PUBLIC",
        // link-local
        "169.253.255.255, PUBLIC", "169.254.0.0, LINK_LOCAL", "169.254.255.255, LINK_LOCAL", "169.255.0.0, PUBLIC",
        // documentation (TEST-NET-1/2/3)
        "192.0.1.255, PUBLIC", "192.0.2.0, DOCUMENTATION", "192.0.2.255, DOCUMENTATION", "192.0.3.0, PUBLIC",
        "198.51.99.255, PUBLIC", "198.51.100.0, DOCUMENTATION", "198.51.100.255, DOCUMENTATION",
        "198.51.101.0, PUBLIC", "203.0.112.255, PUBLIC", "203.0.113.0, DOCUMENTATION",
        "203.0.113.255, DOCUMENTATION", "203.0.114.0, PUBLIC",
        // benchmarking is deliberately public (documented)
        "198.18.0.1, PUBLIC",
        // multicast and the reserved top
        "223.255.255.255, PUBLIC", "224.0.0.0, MULTICAST", "239.255.255.255, MULTICAST", "240.0.0.0, RESERVED",
        "255.255.255.255, RESERVED",
        "8.8.8.8, PUBLIC",
    })
    void classifiesIpv4(String ip, IpScope expected) throws UnknownHostException {
        assertThat(IpScope.of(InetAddress.getByName(ip))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "::, UNSPECIFIED", "::1, LOOPBACK", "0:0:0:0:0:0:0:1, LOOPBACK", "::2, PUBLIC",
        // link-local fe80::/10 ends at febf
        "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff, PUBLIC", "fe80::, LINK_LOCAL", "fe80::1, LINK_LOCAL",
        "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff, LINK_LOCAL", "fec0::1, RESERVED",
        // unique-local fc00::/7 is not link-local
        "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, PUBLIC", "fc00::, UNIQUE_LOCAL", "fd00::1, UNIQUE_LOCAL",
        "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, UNIQUE_LOCAL", "fe00::, PUBLIC",
        // documentation
        "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff, PUBLIC", "2001:db8::, DOCUMENTATION",
        "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff, DOCUMENTATION", "2001:db9::, PUBLIC",
        "3fff::1, DOCUMENTATION", "3fff:fff:ffff::1, DOCUMENTATION", "3fff:1000::, PUBLIC",
        // multicast
        "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, RESERVED", "ff00::, MULTICAST", "ff02::1, MULTICAST",
        "2606:4700:4700::1111, PUBLIC", "2a00:1450::1, PUBLIC",
    })
    void classifiesIpv6(String ip, IpScope expected) throws UnknownHostException {
        assertThat(IpScope.of(InetAddress.getByName(ip))).isEqualTo(expected);
    }

    /** Built with Inet6Address.getByAddress so Java keeps it as IPv6 instead of unwrapping it. */
    @ParameterizedTest(name = "::ffff:{0} -> {1}")
    @CsvSource({
        "10.1.2.3, PRIVATE", "127.0.0.1, LOOPBACK", "100.64.0.1, SHARED", "169.254.1.1, LINK_LOCAL",
        "192.0.2.1, DOCUMENTATION", "8.8.8.8, PUBLIC", "0.0.0.0, UNSPECIFIED", "224.0.0.1, MULTICAST",
    })
    void classifiesV4MappedV6AsTheCarriedV4(String v4, IpScope expected) throws UnknownHostException {
        byte[] b4 = InetAddress.getByName(v4).getAddress();
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        System.arraycopy(b4, 0, b, 12, 4);
        InetAddress mapped = Inet6Address.getByAddress(null, b, -1);
        assertThat(mapped).isInstanceOf(Inet6Address.class);
        assertThat(IpScope.of(mapped)).isEqualTo(expected);
        // and the text form, which Java unwraps to Inet4Address, agrees
        assertThat(IpScope.of(InetAddress.getByName("::ffff:" + v4))).isEqualTo(expected);
    }

    @Test
    void onlyPublicIsGlobal() {
        for (IpScope s : IpScope.values()) {
            assertThat(s.isGlobal()).as(s.name()).isEqualTo(s == IpScope.PUBLIC);
        }
    }

    @Test
    void rejectsNull() {
        assertThatNullPointerException().isThrownBy(() -> IpScope.of(null));
    }
}
