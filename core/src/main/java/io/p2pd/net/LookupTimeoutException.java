package io.p2pd.net;

import java.net.UnknownHostException;
import java.time.Duration;

/**
 * A name lookup got no answer within its time limit. It is an {@link UnknownHostException} because the caller's
 * outcome is the same (no address), while the type still tells a slow resolver from a name that does not exist.
 */
public final class LookupTimeoutException extends UnknownHostException {

    private static final long serialVersionUID = 1L;

    public LookupTimeoutException(String host, Duration limit) {
        super("lookup of '" + host + "' got no answer within " + limit.toMillis() + " ms");
    }
}
