package io.p2pd.nic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class IpBlockTest {

    private static InetAddress ip(String s) {
        return IpBlock.literal(s);
    }

    @Test
    void singleAddressesAndBlocksCountEveryAddress() {
        assertThat(IpBlock.parse("10.0.0.7").size()).isEqualTo(BigInteger.ONE);
        assertThat(IpBlock.parse("10.0.0.7")).isEqualTo(new IpBlock(ip("10.0.0.7"), 32));
        assertThat(IpBlock.parse("10.0.0.4/30").size()).isEqualTo(BigInteger.valueOf(4));
        assertThat(IpBlock.parse("0.0.0.0/0").size()).isEqualTo(BigInteger.ONE.shiftLeft(32));
        assertThat(IpBlock.parse("2001:db8::/64").size()).isEqualTo(BigInteger.ONE.shiftLeft(64));
        assertThat(IpBlock.parse("::/0").size()).isEqualTo(BigInteger.ONE.shiftLeft(128));
        assertThat(IpBlock.parse("2001:db8::1").size()).isEqualTo(BigInteger.ONE);
    }

    @Test
    void containsTheBlockEdgesOnly() {
        IpBlock b = IpBlock.parse("10.0.0.4/30");
        assertThat(b.contains(ip("10.0.0.3"))).isFalse();
        assertThat(b.contains(ip("10.0.0.4"))).isTrue();
        assertThat(b.contains(ip("10.0.0.7"))).isTrue();
        assertThat(b.contains(ip("10.0.0.8"))).isFalse();
        assertThat(b.contains(ip("::ffff:10.0.0.5"))).isTrue(); // Java unwraps a mapped literal to IPv4
        IpBlock v6 = IpBlock.parse("2001:db8:1::/48");
        assertThat(v6.contains(ip("2001:db8:1:ffff::1"))).isTrue();
        assertThat(v6.contains(ip("2001:db8:2::"))).isFalse();
        assertThat(v6.contains(ip("10.0.0.5"))).isFalse();
        assertThat(b.contains(ip("2001:db8:1::"))).isFalse();
    }

    @Test
    void indexesAddressesInsideTheBlock() {
        IpBlock b = IpBlock.parse("10.0.0.4/30");
        assertThat(b.address(BigInteger.ZERO)).isEqualTo(ip("10.0.0.4"));
        assertThat(b.address(BigInteger.valueOf(3))).isEqualTo(ip("10.0.0.7"));
        assertThatThrownBy(() -> b.address(BigInteger.valueOf(4))).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> b.address(BigInteger.valueOf(-1))).isInstanceOf(IndexOutOfBoundsException.class);
        IpBlock v6 = IpBlock.parse("2001:db8::/64");
        assertThat(v6.address(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE)))
                .isEqualTo(ip("2001:db8::ffff:ffff:ffff:ffff"));
        assertThat(IpBlock.parse("255.255.255.252/30").address(BigInteger.valueOf(3)))
                .isEqualTo(ip("255.255.255.255"));
    }

    @Test
    void rejectsBadInput() {
        assertThatIllegalArgumentException().isThrownBy(() -> IpBlock.parse("10.0.0.5/30"))
                .withMessageContaining("host bits set in 10.0.0.5/30");
        assertThatIllegalArgumentException().isThrownBy(() -> IpBlock.parse("10.0.0.0/33"))
                .withMessageContaining("out of range 0-32");
        assertThatIllegalArgumentException().isThrownBy(() -> IpBlock.parse("2001:db8::/129"))
                .withMessageContaining("0-128");
        assertThatIllegalArgumentException().isThrownBy(() -> IpBlock.parse("example.com"))
                .withMessageContaining("not an IP literal");
        assertThatIllegalArgumentException().isThrownBy(() -> IpBlock.parse("10.0.0.0/x"))
                .withMessageContaining("bad prefix");
    }

    @Test
    void printsAsNetworkSlashPrefix() {
        assertThat(IpBlock.parse("10.0.0.4/30")).hasToString("10.0.0.4/30");
        assertThat(IpBlock.parse("10.0.0.4/30").family()).isEqualTo(Family.V4);
        assertThat(IpBlock.parse("fd00::/8").family()).isEqualTo(Family.V6);
    }
}
