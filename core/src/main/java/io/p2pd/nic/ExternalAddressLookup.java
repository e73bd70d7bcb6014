package io.p2pd.nic;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Finds the address the world sees for a local bind address (a STUN client implements this). Used by
 * {@link ExternalLoad#run}, which bounds every call by the same timeout even if the implementation does not.
 */
@FunctionalInterface
public interface ExternalAddressLookup {

    /**
     * @param local   the address (port 0 unless the caller cares) to send the request from
     * @param timeout how long the caller will wait; the implementation should give up by then
     * @return the external address and who reported it, empty when there was no answer; may complete exceptionally
     *         on failure
     */
    CompletableFuture<Optional<ExternalAddress>> lookup(InetSocketAddress local, Duration timeout);
}
