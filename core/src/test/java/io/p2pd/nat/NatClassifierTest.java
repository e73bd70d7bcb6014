package io.p2pd.nat;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nat.NatClassifier.DeltaProbe;
import io.p2pd.nat.NatClassifier.MappingProbes;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every branch of the NAT-type decision tree and of the port-allocation analysis, without a network. */
class NatClassifierTest {
    static final InetSocketAddress LOCAL = at("10.0.0.2", 5000);
    static final InetSocketAddress MAPPED = at("198.18.0.1", 5000);

    static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    static Optional<InetSocketAddress> some(InetSocketAddress a) {
        return Optional.of(a);
    }

    static final Optional<InetSocketAddress> NONE = Optional.empty();

    static Optional<NatType> type(Optional<InetSocketAddress> t1, Optional<InetSocketAddress> t2,
                                  Optional<InetSocketAddress> t1alt, Optional<InetSocketAddress> t3) {
        return NatClassifier.natType(new MappingProbes(LOCAL, t1, t2, t1alt, t3));
    }

    // ---------------------------------------------------------------- NAT type

    @Test
    void noAnswerToTestOneIsBlocked() {
        assertThat(type(NONE, NONE, NONE, NONE)).contains(NatType.BLOCKED);
    }

    @Test
    void ownAddressWithChangedAnswerIsOpenInternet() {
        assertThat(type(some(LOCAL), some(LOCAL), NONE, NONE)).contains(NatType.OPEN_INTERNET);
    }

    @Test
    void ownAddressWithoutChangedAnswerIsUdpFirewall() {
        assertThat(type(some(LOCAL), NONE, NONE, NONE)).contains(NatType.UDP_FIREWALL);
    }

    @Test
    void sameIpButOtherPortIsANat() {
        // the port alone differing is already a translation
        assertThat(type(some(at("10.0.0.2", 5001)), some(at("10.0.0.2", 5001)), NONE, NONE))
                .contains(NatType.FULL_CONE);
    }

    @Test
    void natWithChangedAnswerIsFullCone() {
        assertThat(type(some(MAPPED), some(MAPPED), NONE, NONE)).contains(NatType.FULL_CONE);
    }

    @Test
    void otherMappingForTheAlternateIsSymmetric() {
        assertThat(type(some(MAPPED), NONE, some(at("198.18.0.1", 5001)), NONE)).contains(NatType.SYMMETRIC);
        assertThat(type(some(MAPPED), NONE, some(at("198.18.0.9", 5000)), some(MAPPED))).contains(NatType.SYMMETRIC);
    }

    @Test
    void sameMappingAndChangedPortAnswerIsRestricted() {
        assertThat(type(some(MAPPED), NONE, some(MAPPED), some(MAPPED))).contains(NatType.RESTRICTED);
    }

    @Test
    void sameMappingWithoutChangedPortAnswerIsPortRestricted() {
        assertThat(type(some(MAPPED), NONE, some(MAPPED), NONE)).contains(NatType.PORT_RESTRICTED);
    }

    @Test
    void silentAlternateBehindAFilteringNatIsInconclusive() {
        assertThat(type(some(MAPPED), NONE, NONE, NONE)).isEmpty();
        assertThat(type(some(MAPPED), NONE, NONE, some(MAPPED))).isEmpty();
    }

    // ---------------------------------------------------------------- port allocation

    /** A fresh socket on local port {@code local} that saw mapped ports {@code primary} and {@code alternate}. */
    static DeltaProbe probe(int local, Integer primary, Integer alternate) {
        return new DeltaProbe(at("10.0.0.2", local),
                Optional.ofNullable(primary).map(p -> at("198.18.0.1", p)),
                Optional.ofNullable(alternate).map(p -> at("198.18.0.1", p)));
    }

    static PortDelta delta(NatType type, DeltaProbe... probes) {
        return NatClassifier.delta(type, List.of(probes));
    }

    @Test
    void withoutNatDeltaDoesNotApply() {
        for (NatType t : List.of(NatType.OPEN_INTERNET, NatType.UDP_FIREWALL, NatType.BLOCKED)) {
            assertThat(delta(t, probe(5000, 7000, 7000))).isEqualTo(PortDelta.of(DeltaType.NOT_APPLICABLE));
        }
    }

    @Test
    void nothingAnsweredIsNotApplicable() {
        assertThat(delta(NatType.PORT_RESTRICTED, probe(5000, null, null), probe(5001, null, null)))
                .isEqualTo(PortDelta.of(DeltaType.NOT_APPLICABLE));
        assertThat(delta(NatType.PORT_RESTRICTED)).isEqualTo(PortDelta.of(DeltaType.NOT_APPLICABLE));
    }

    @Test
    void mappedPortsEqualToLocalPortsAreEqual() {
        assertThat(delta(NatType.PORT_RESTRICTED, probe(5000, 5000, 5000), probe(5001, 5001, 5001),
                probe(5002, 5002, null))).isEqualTo(PortDelta.of(DeltaType.EQUAL));
        assertThat(delta(NatType.FULL_CONE, probe(5000, 5000, null))).isEqualTo(PortDelta.of(DeltaType.EQUAL));
    }

    @Test
    void aFixedOffsetOverSeveralSocketsIsPreservingWithTheOffset() {
        assertThat(delta(NatType.RESTRICTED, probe(5000, 6000, 6000), probe(5001, 6001, 6001), probe(5007, 6007, 6007)))
                .isEqualTo(new PortDelta(DeltaType.PRESERVING, 1000));
        assertThat(delta(NatType.RESTRICTED, probe(5000, 4990, null), probe(5003, 4993, null)))
                .isEqualTo(new PortDelta(DeltaType.PRESERVING, -10));
    }

    @Test
    void oneSocketWithAnOffsetIsNotEnoughForPreserving() {
        assertThat(delta(NatType.RESTRICTED, probe(5000, 6000, 6000))).isEqualTo(PortDelta.of(DeltaType.RANDOM));
    }

    @Test
    void aFixedStepBetweenSocketsWhateverTheLocalPortIsIndependent() {
        assertThat(delta(NatType.PORT_RESTRICTED, probe(5000, 7000, 7000), probe(5001, 7002, 7002),
                probe(6000, 7004, 7004))).isEqualTo(new PortDelta(DeltaType.INDEPENDENT, 2));
        // one socket without answer from the alternate still counts by its primary mapping
        assertThat(delta(NatType.PORT_RESTRICTED, probe(5000, 7000, null), probe(5001, null, 6990),
                probe(5002, 6980, 6980))).isEqualTo(new PortDelta(DeltaType.INDEPENDENT, -10));
    }

    @Test
    void aFixedStepBetweenRequestsOfASymmetricNatIsDependent() {
        assertThat(delta(NatType.SYMMETRIC, probe(5000, 7000, 7001), probe(5001, 7002, 7003), probe(5002, 7004, 7005)))
                .isEqualTo(new PortDelta(DeltaType.DEPENDENT, 1));
    }

    @Test
    void twoAllocationsAreNotEnoughForAStep() {
        assertThat(delta(NatType.PORT_RESTRICTED, probe(5000, 7000, 7000), probe(5005, 7002, 7002)))
                .isEqualTo(PortDelta.of(DeltaType.RANDOM));
    }

    @Test
    void noPatternIsRandom() {
        assertThat(delta(NatType.SYMMETRIC, probe(5000, 31000, 9000), probe(5001, 45012, 1044), probe(5002, 2001, 60000)))
                .isEqualTo(PortDelta.of(DeltaType.RANDOM));
        assertThat(delta(NatType.PORT_RESTRICTED, probe(5000, 9000, 9000), probe(5001, 9001, 9001),
                probe(5002, 9005, 9005))).isEqualTo(PortDelta.of(DeltaType.RANDOM));
    }

    @Test
    void aZeroStepIsNotAPattern() {
        // every socket on the same external port cannot be a real NAT's allocation: no prediction from it
        assertThat(delta(NatType.PORT_RESTRICTED, probe(5000, 7000, 7000), probe(5001, 7000, 7000),
                probe(5002, 7000, 7000))).isEqualTo(PortDelta.of(DeltaType.RANDOM));
    }
}
