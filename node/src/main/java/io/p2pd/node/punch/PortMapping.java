package io.p2pd.node.punch;

/**
 * A NAT mapping observed by STUN: a local port and the external port the server saw it come from.
 *
 * @param localPort    the local port, 1 to 65535
 * @param externalPort the external (mapped) port, 1 to 65535
 */
public record PortMapping(int localPort, int externalPort) {

    public PortMapping {
        PortPredictor.checkPort("localPort", localPort);
        PortPredictor.checkPort("externalPort", externalPort);
    }

    /** External minus local port. */
    public int offset() {
        return externalPort - localPort;
    }
}
