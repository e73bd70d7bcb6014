package io.p2pd.node.punch;

import java.util.List;
import java.util.Objects;

/** What {@link PortPredictor} expects of the next connection's external port: candidate ports, or impossible. */
public sealed interface PortPrediction {

    /**
     * The external ports the next connection may come from, most likely first.
     *
     * @param localPort     the local port the connection is to be made from
     * @param externalPorts the candidate external ports, distinct, at least one
     * @param basis         how they were predicted, readable, e.g. "external port = local port + offset 3"
     */
    record Ports(int localPort, List<Integer> externalPorts, String basis) implements PortPrediction {
        public Ports {
            PortPredictor.checkPort("localPort", localPort);
            externalPorts = List.copyOf(externalPorts);
            if (externalPorts.isEmpty() || externalPorts.stream().distinct().count() != externalPorts.size()) {
                throw new IllegalArgumentException("externalPorts must be distinct and not empty: " + externalPorts);
            }
            externalPorts.forEach(p -> PortPredictor.checkPort("externalPorts", p));
            Objects.requireNonNull(basis, "basis");
        }

        /** The most likely external port. */
        public int first() {
            return externalPorts.get(0);
        }
    }

    /**
     * No prediction can be made from what is known.
     *
     * @param reason why, readable, e.g. "symmetric NAT with random ports: ..."
     */
    record Impossible(String reason) implements PortPrediction {
        public Impossible {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
