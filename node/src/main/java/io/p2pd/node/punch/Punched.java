package io.p2pd.node.punch;

import io.p2pd.pipe.Pipe;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A punched TCP connection, and how it was made.
 *
 * @param pipe the connection (its peer proved itself; the bytes after the handshake are the first it receives)
 * @param initiator whether this side asked for the punch
 * @param ours the mappings this side sent (local port bound, predicted external port)
 * @param theirs the mappings the peer sent
 * @param winner the mapping pair the connection was made on: this side's local address, the peer's external one
 * @param signalRtt the signalling round trip the start moment was agreed from (zero on the answering side)
 * @param startToConnect from the agreed start to the winning connection completing its handshake
 */
public record Punched(Pipe pipe, boolean initiator, List<PortMapping> ours, List<PortMapping> theirs,
        InetSocketAddress winner, Duration signalRtt, Duration startToConnect) {

    public Punched {
        Objects.requireNonNull(pipe, "pipe");
        ours = List.copyOf(ours);
        theirs = List.copyOf(theirs);
        Objects.requireNonNull(winner, "winner");
        Objects.requireNonNull(signalRtt, "signalRtt");
        Objects.requireNonNull(startToConnect, "startToConnect");
    }
}
