package io.p2pd.nic;

import java.net.BindException;
import java.net.InetAddress;
import java.util.Objects;

/** A bind was asked for an address that no interface of this machine (or of the route's interface) has. */
public final class AddressNotLocalException extends BindException {
    private static final long serialVersionUID = 1L;

    private final transient InetAddress address;

    AddressNotLocalException(InetAddress address, String where) {
        super("address " + Objects.requireNonNull(address, "address").getHostAddress()
                + " is not assigned to " + where);
        this.address = address;
    }

    /** The address that was asked for. */
    public InetAddress address() {
        return address;
    }
}
