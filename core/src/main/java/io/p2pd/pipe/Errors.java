package io.p2pd.pipe;

import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.unix.Errors.NativeIoException;
import io.p2pd.net.HostPort;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketException;
import javax.net.ssl.SSLHandshakeException;

/**
 * Turns transport errors into the documented exceptions, each naming the address involved.
 *
 * <p>Decided by exception type (NIO, and Netty's native connect, throw the java.net types) or by errno (Netty's
 * native {@link NativeIoException#expectedErr()}, Linux numbering: the native transport is Linux-only), never by the
 * English text of a message; and no Netty or OS text reaches the user's message (the original stays the cause).
 */
final class Errors {

    // Linux errno values, negated as Netty reports them.
    private static final int EPERM = -1;
    private static final int EACCES = -13;
    private static final int EMSGSIZE = -90;
    private static final int EAFNOSUPPORT = -97;
    private static final int EADDRINUSE = -98;
    private static final int EADDRNOTAVAIL = -99;
    private static final int ENETUNREACH = -101;
    private static final int ENOBUFS = -105;
    private static final int ECONNREFUSED = -111;
    private static final int EHOSTUNREACH = -113;

    private Errors() {
    }

    static Throwable connect(Throwable cause, InetSocketAddress remote, InetSocketAddress local, PipeConf conf) {
        if (cause instanceof ConnectTimeoutException) {
            return withCause(new io.p2pd.pipe.ConnectTimeoutException("connect to " + show(remote) + " timed out after "
                    + conf.conTimeout().toMillis() + " ms"), cause);
        }
        if (cause instanceof NoRouteToHostException) {
            return withCause(new NoRouteToHostException("No route to host: " + show(remote)), cause);
        }
        // Both transports fail a refused connect (the one OS error a connect reports this way once the family is
        // checked at open) with a ConnectException; a failed bind before it is a BindException or a native errno.
        if (cause instanceof ConnectException) {
            return refused(remote, cause);
        }
        if (local != null && (cause instanceof BindException || cause instanceof NativeIoException n
                && (n.expectedErr() == EADDRINUSE || n.expectedErr() == EADDRNOTAVAIL))) {
            return bind(cause, Proto.TCP, local);
        }
        if (cause instanceof NativeIoException n && n.expectedErr() == ECONNREFUSED) {
            return refused(remote, cause);
        }
        return withCause(new ConnectException("cannot connect to " + show(remote) + errnoSuffix(cause)), cause);
    }

    /** The message a plain {@link java.net.Socket} gives, with the address it could not reach. */
    static ConnectException refused(InetSocketAddress remote, Throwable cause) {
        return withCause(new ConnectException("Connection refused: " + show(remote)), cause);
    }

    static Throwable bind(Throwable cause, Proto proto, InetSocketAddress local) {
        String why;
        if (cause instanceof NativeIoException n) {
            why = switch (n.expectedErr()) {
                case EADDRINUSE -> "address already in use";
                case EADDRNOTAVAIL -> "address not on this machine";
                case EACCES, EPERM -> "permission denied (a port below 1024 needs privileges)";
                case EAFNOSUPPORT -> "address family not supported";
                default -> "the OS refused it (errno " + -n.expectedErr() + ")";
            };
        } else if (!isLocal(local.getAddress())) {
            why = "address not on this machine";
        } else if (cause instanceof BindException && local.getPort() > 0 && local.getPort() < 1024) {
            why = "address already in use, or a port below 1024 without privileges";
        } else if (cause instanceof BindException) {
            why = "address already in use";
        } else {
            why = "the OS refused it";
        }
        return withCause(new BindException("cannot bind " + proto + " to " + show(local) + ": " + why), cause);
    }

    /** Whether {@code address} is the wildcard or assigned to an interface here; true when that cannot be told. */
    private static boolean isLocal(InetAddress address) {
        if (address.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return true;
        }
    }

    /**
     * A write the OS refused, turned into the java.net exception a plain socket would throw, naming the destination.
     * TLS failures and other non-socket errors pass unchanged.
     */
    static Throwable send(Throwable cause, InetSocketAddress dest, boolean datagram) {
        if (cause instanceof PortUnreachableException) {
            return unreachablePort(dest, cause);
        }
        if (cause instanceof NoRouteToHostException) {
            return withCause(new NoRouteToHostException("cannot send to " + show(dest) + ": no route to host"), cause);
        }
        if (!(cause instanceof NativeIoException n)) {
            return cause instanceof SocketException
                    ? withCause(new SocketException("cannot send to " + show(dest)), cause) : cause;
        }
        return switch (n.expectedErr()) {
            case ENETUNREACH -> withCause(new NoRouteToHostException("cannot send to " + show(dest)
                    + ": network unreachable"), cause);
            case EHOSTUNREACH -> withCause(new NoRouteToHostException("cannot send to " + show(dest)
                    + ": no route to host"), cause);
            case ECONNREFUSED -> datagram ? unreachablePort(dest, cause)
                    : withCause(new SocketException("cannot send to " + show(dest) + ": connection refused"), cause);
            case EAFNOSUPPORT -> withCause(new SocketException("cannot send to " + show(dest)
                    + ": its address family is not the pipe's socket's"), cause);
            case EMSGSIZE -> withCause(new SocketException("cannot send to " + show(dest)
                    + ": message too long for the path"), cause);
            case EACCES, EPERM -> withCause(new SocketException("cannot send to " + show(dest)
                    + ": not permitted (a firewall, or broadcast without the broadcast option)"), cause);
            case ENOBUFS -> withCause(new SocketException("cannot send to " + show(dest)
                    + ": no buffer space in the OS"), cause);
            default -> withCause(new SocketException("cannot send to " + show(dest) + errnoSuffix(cause)), cause);
        };
    }

    private static PortUnreachableException unreachablePort(InetSocketAddress dest, Throwable cause) {
        return withCause(new PortUnreachableException(show(dest) + " refused a datagram (ICMP port unreachable)"),
                cause);
    }

    private static String errnoSuffix(Throwable cause) {
        return cause instanceof NativeIoException n ? " (errno " + -n.expectedErr() + ")" : "";
    }

    static Throwable tls(Throwable cause, InetSocketAddress remote) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return withCause(new SSLHandshakeException("TLS handshake with " + show(remote) + " failed: "
                + root.getMessage()), cause);
    }

    static String show(InetSocketAddress address) {
        return HostPort.of(address).toString();
    }

    private static <T extends Throwable> T withCause(T error, Throwable cause) {
        error.initCause(cause);
        return error;
    }
}
