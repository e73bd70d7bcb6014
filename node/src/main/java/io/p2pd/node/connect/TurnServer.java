package io.p2pd.node.connect;

import io.p2pd.turn.TurnConfig;
import io.p2pd.turn.TurnTransport;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A TURN server a node may relay through ({@link Strategy#RELAY}): its address and how to allocate there (the
 * credentials, the control connection's transport). Only servers reached over TCP or TLS are used, as a TCP relay
 * (RFC 6062) needs a stream control connection; a connect reports a UDP-only one as skipped.
 *
 * @param address the server, an IP address and port
 * @param config the credentials and allocation options
 */
public record TurnServer(InetSocketAddress address, TurnConfig config) {

    /**
     * Checks the server.
     *
     * @throws IllegalArgumentException when the address is unresolved
     */
    public TurnServer {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(config, "config");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("TURN server: an IP address is needed, not " + address);
        }
    }

    /** Whether it can give a TCP relay: its control connection is TCP or TLS. */
    public boolean tcpRelay() {
        return config.transport() != TurnTransport.UDP;
    }

    @Override
    public String toString() {
        // TurnConfig's own toString keeps the password out.
        return "TURN " + address.getAddress().getHostAddress() + " port " + address.getPort() + " over "
                + config.transport();
    }
}
