package io.p2pd.turn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pd.stun.StunAttribute;
import io.p2pd.stun.StunMessage;
import io.p2pd.stun.StunMessage.MessageClass;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The TURN parts of the STUN codec and the ChannelData framing, without sockets. */
class TurnCodecTest {

    @Test
    void turnAttributesRoundTripThroughTheCodec() throws Exception {
        InetSocketAddress peer = new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 5000);
        InetSocketAddress relayed = new InetSocketAddress(InetAddress.getByName("192.0.2.9"), 49152);
        StunMessage m = StunMessage.builder(StunMessage.METHOD_CHANNEL_BIND, MessageClass.REQUEST)
                .channelNumber(0x4abc).xorPeerAddress(peer).xorRelayedAddress(relayed).lifetime(0xFFFF_FFFFL)
                .requestedTransport(17).requestedAddressFamily(2).data(new byte[] {1, 2, 3})
                .messageIntegrity(new byte[] {9}).messageIntegritySha256(new byte[] {8}).fingerprint().build();
        StunMessage back = StunMessage.decode(m.encode());
        assertThat(back).isEqualTo(m);
        assertThat(back.method()).isEqualTo(StunMessage.METHOD_CHANNEL_BIND);
        assertThat(back.channelNumber()).contains(0x4abc);
        assertThat(back.xorPeerAddress()).contains(peer);
        assertThat(back.xorRelayedAddress()).contains(relayed);
        assertThat(back.lifetime()).contains(0xFFFF_FFFFL);
        assertThat(back.data()).hasValueSatisfying(d -> assertThat(d).containsExactly(1, 2, 3));
        // MESSAGE-INTEGRITY, then MESSAGE-INTEGRITY-SHA256, then FINGERPRINT; each checks under its own key only.
        assertThat(back.attributes()).extracting(StunAttribute::type).endsWith(StunAttribute.MESSAGE_INTEGRITY,
                StunAttribute.MESSAGE_INTEGRITY_SHA256, StunAttribute.FINGERPRINT);
        assertThat(back.checkIntegrity(new byte[] {9})).isTrue();
        assertThat(back.checkIntegritySha256(new byte[] {8})).isTrue();
        assertThat(back.checkIntegritySha256(new byte[] {9})).isFalse();
        assertThat(back.checkFingerprint()).isTrue();
    }

    @Test
    void passwordAlgorithmsAreReadInTheServersOrder() throws Exception {
        StunMessage m = StunMessage.builder(StunMessage.METHOD_ALLOCATE, MessageClass.ERROR_RESPONSE)
                .add(StunAttribute.of(StunAttribute.PASSWORD_ALGORITHMS, new byte[] {0, 2, 0, 0, 0, 1, 0, 0}))
                .build();
        assertThat(StunMessage.decode(m.encode()).passwordAlgorithms()).containsExactly(
                StunMessage.PASSWORD_ALGORITHM_SHA256, StunMessage.PASSWORD_ALGORITHM_MD5);
    }

    @Test
    void channelNumbersOutsideTheUsableRangeAreRefused() {
        assertThatThrownBy(() -> StunMessage.builder(StunMessage.METHOD_CHANNEL_BIND, MessageClass.REQUEST)
                .channelNumber(0x5000)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x5000");
        assertThatThrownBy(() -> ChannelData.encode(0x3fff, new byte[1], false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ChannelData.decode(new byte[] {0x50, 0, 0, 1, 7}, 5)).isNull(); // reserved 0x5000-0x7FFF
    }

    @Test
    void channelDataIsPaddedToFourBytesOnlyForStreams() {
        byte[] udp = ChannelData.encode(0x4001, new byte[] {1, 2, 3, 4, 5}, false);
        byte[] tcp = ChannelData.encode(0x4001, new byte[] {1, 2, 3, 4, 5}, true);
        assertThat(udp).containsExactly(0x40, 0x01, 0, 5, 1, 2, 3, 4, 5);
        assertThat(tcp).hasSize(12).startsWith(udp);
        assertThat(ChannelData.decode(tcp, tcp.length)).isEqualTo(new ChannelData.Frame(0x4001, 4, 5));
        assertThat(ChannelData.decode(udp, udp.length - 1)).isNull(); // shorter than its length field says
        assertThat(ChannelData.looksLikeChannelData(udp[0])).isTrue();
        assertThat(ChannelData.looksLikeChannelData((byte) 0x01)).isFalse(); // a STUN message starts 00
    }

    @Test
    void theAllocationIsRefreshedBeforeItsLifetimeEnds() {
        assertThat(Allocation.refreshDelay(600)).isEqualTo(Duration.ofSeconds(540));
        assertThat(Allocation.refreshDelay(120)).isEqualTo(Duration.ofSeconds(60));
        assertThat(Allocation.refreshDelay(3)).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void configRefusesRefreshesSlowerThanTheServersLifetimes() {
        assertThatThrownBy(() -> TurnConfig.builder("u", "p").permissionRefresh(Duration.ofSeconds(300)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("permissionRefresh");
        assertThatThrownBy(() -> TurnConfig.builder("u", "p").channelRefresh(Duration.ofMinutes(10)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("channelRefresh");
        assertThat(TurnConfig.builder("u", "secret").build().toString()).doesNotContain("secret");
    }
}
