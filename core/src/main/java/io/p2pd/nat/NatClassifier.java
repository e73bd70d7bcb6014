package io.p2pd.nat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The decisions of NAT detection as pure functions of what the probes saw, apart from any network, so that
 * every branch can be tested on its own.
 */
final class NatClassifier {
    private NatClassifier() {
    }

    /**
     * The RFC 3489 tests, all from one local socket; each is the mapped address answered, empty when no answer
     * came (or the test was not needed).
     *
     * @param local          the socket's concrete local address (not the wildcard)
     * @param test1          test I: a plain request to the primary address
     * @param test2          test II: to the primary address, answer asked from the other IP and port
     * @param test1Alternate test I again, to the alternate address
     * @param test3          test III: to the primary address, answer asked from the other port only
     */
    record MappingProbes(InetSocketAddress local, Optional<InetSocketAddress> test1, Optional<InetSocketAddress> test2,
                         Optional<InetSocketAddress> test1Alternate, Optional<InetSocketAddress> test3) {
        MappingProbes {
            Objects.requireNonNull(local, "local");
            Objects.requireNonNull(test1, "test1");
            Objects.requireNonNull(test2, "test2");
            Objects.requireNonNull(test1Alternate, "test1Alternate");
            Objects.requireNonNull(test3, "test3");
        }
    }

    /**
     * One fresh socket of the port-allocation test: its local address and the mapped addresses answered by the
     * primary and by the alternate address (asked in that order), empty when no answer came.
     */
    record DeltaProbe(InetSocketAddress local, Optional<InetSocketAddress> primary,
                      Optional<InetSocketAddress> alternate) {
        DeltaProbe {
            Objects.requireNonNull(local, "local");
            Objects.requireNonNull(primary, "primary");
            Objects.requireNonNull(alternate, "alternate");
        }
    }

    /**
     * The RFC 3489 section 10.1 decision tree. Empty when the answer cannot be told: behind a NAT that filters,
     * test I to the alternate address got no answer (so mapping behaviour is unknown).
     */
    static Optional<NatType> natType(MappingProbes p) {
        if (p.test1().isEmpty()) {
            return Optional.of(NatType.BLOCKED);
        }
        if (p.test1().get().equals(p.local())) { // the world sees our own address: no NAT
            return Optional.of(p.test2().isPresent() ? NatType.OPEN_INTERNET : NatType.UDP_FIREWALL);
        }
        if (p.test2().isPresent()) {
            return Optional.of(NatType.FULL_CONE);
        }
        if (p.test1Alternate().isEmpty()) {
            return Optional.empty();
        }
        if (!p.test1Alternate().get().equals(p.test1().get())) {
            return Optional.of(NatType.SYMMETRIC);
        }
        return Optional.of(p.test3().isPresent() ? NatType.RESTRICTED : NatType.PORT_RESTRICTED);
    }

    /**
     * The port-allocation type from fresh sockets opened one after another (in list order). Without a NAT,
     * or when nothing was answered, it is {@link DeltaType#NOT_APPLICABLE}. Otherwise, first match wins:
     * every mapped port equal to its local port: equal; one fixed non-zero offset (needs two sockets):
     * preserving; then the sequence of allocations (one per socket when the mapping does not depend on the
     * destination, else one per request, in the order sent) advancing by one fixed non-zero step, seen at
     * least twice: independent or dependent; anything else: random.
     */
    static PortDelta delta(NatType type, List<DeltaProbe> probes) {
        if (!type.isNat()) {
            return PortDelta.of(DeltaType.NOT_APPLICABLE);
        }
        List<int[]> pairs = new ArrayList<>(); // {local port, mapped port}, in the order the mappings were made
        int sockets = 0;
        boolean destinationDependent = false;
        List<Integer> perSocket = new ArrayList<>();
        List<Integer> perRequest = new ArrayList<>();
        for (DeltaProbe d : probes) {
            int local = d.local().getPort();
            boolean answered = false;
            for (Optional<InetSocketAddress> m : List.of(d.primary(), d.alternate())) {
                if (m.isPresent()) {
                    pairs.add(new int[] {local, m.get().getPort()});
                    perRequest.add(m.get().getPort());
                    answered = true;
                }
            }
            if (d.primary().isPresent() && d.alternate().isPresent()
                    && d.primary().get().getPort() != d.alternate().get().getPort()) {
                destinationDependent = true;
            }
            if (answered) {
                sockets++;
                perSocket.add(d.primary().or(d::alternate).orElseThrow().getPort());
            }
        }
        if (pairs.isEmpty()) {
            return PortDelta.of(DeltaType.NOT_APPLICABLE);
        }
        if (pairs.stream().allMatch(p -> p[0] == p[1])) {
            return PortDelta.of(DeltaType.EQUAL);
        }
        int offset = pairs.get(0)[1] - pairs.get(0)[0];
        if (sockets >= 2 && pairs.stream().allMatch(p -> p[1] - p[0] == offset)) {
            return new PortDelta(DeltaType.PRESERVING, offset);
        }
        // A symmetric NAT makes a mapping per request; any other makes one per socket.
        List<Integer> allocations = destinationDependent ? perRequest : perSocket;
        Optional<Integer> step = fixedStep(allocations);
        if (step.isPresent()) {
            return new PortDelta(destinationDependent ? DeltaType.DEPENDENT : DeltaType.INDEPENDENT, step.get());
        }
        return PortDelta.of(DeltaType.RANDOM);
    }

    /** The one non-zero difference between consecutive ports, when there are at least two and all agree. */
    private static Optional<Integer> fixedStep(List<Integer> ports) {
        if (ports.size() < 3) {
            return Optional.empty();
        }
        int step = ports.get(1) - ports.get(0);
        for (int i = 2; i < ports.size(); i++) {
            if (ports.get(i) - ports.get(i - 1) != step) {
                return Optional.empty();
            }
        }
        return step == 0 ? Optional.empty() : Optional.of(step);
    }
}
