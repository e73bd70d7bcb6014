package io.p2pd.nic;

import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.util.Objects;

/**
 * A bind was asked for an address that no interface of this machine (or of the route's interface) has.
 *
 * <p>Unchecked, so a route can be bound in an expression ({@code .route(route.bind(0))}); its cause is the
 * {@link BindException} a socket would have given, for code that handles bind failures alike.
 */
public final class AddressNotLocalException extends UncheckedIOException {
    private static final long serialVersionUID = 2L;

    private final transient InetAddress address;

    AddressNotLocalException(InetAddress address, String where) {
        super(new BindException(message(address, where)));
        this.address = address;
    }

    private static String message(InetAddress address, String where) {
        return "address " + Objects.requireNonNull(address, "address").getHostAddress() + " is not assigned to "
                + where;
    }

    @Override
    public String getMessage() {
        // The cause's message alone, not UncheckedIOException's "java.net.BindException: ..." prefix.
        return getCause().getMessage();
    }

    /** The address that was asked for. */
    public InetAddress address() {
        return address;
    }
}
