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
import java.time.Duration;
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
    private static final int ENFILE = -23;
    private static final int EMFILE = -24;
    private static final int EACCES = -13;
    private static final int EPIPE = -32;
    private static final int EMSGSIZE = -90;
    private static final int EAFNOSUPPORT = -97;
    private static final int EADDRINUSE = -98;
    private static final int EADDRNOTAVAIL = -99;
    private static final int ENETUNREACH = -101;
    private static final int ECONNRESET = -104;
    private static final int ENOBUFS = -105;
    private static final int ETIMEDOUT = -110;
    private static final int ECONNREFUSED = -111;
    private static final int EHOSTUNREACH = -113;

    private Errors() {
    }

    static Throwable connect(Throwable cause, InetSocketAddress remote, InetSocketAddress local,
            Duration conTimeout) {
        if (cause instanceof ConnectTimeoutException) {
            return withCause(new io.p2pd.pipe.ConnectTimeoutException("connect to " + show(remote) + " timed out after "
                    + conTimeout.toMillis() + " ms"), cause);
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

    /**
     * Whether a failed accept may mean the process or the system ran out of descriptors: EMFILE or ENFILE by errno on
     * the native transport; on NIO, which reports them as a bare IOException told apart only by its text, any I/O
     * error may.
     */
    static boolean mayBeOutOfDescriptors(Throwable cause) {
        if (cause instanceof NativeIoException n) {
            return n.expectedErr() == EMFILE || n.expectedErr() == ENFILE;
        }
        return cause instanceof java.io.IOException;
    }

    /** Why an accept failed, in our words. */
    static String acceptFailure(Throwable cause) {
        if (cause instanceof NativeIoException n) {
            return switch (n.expectedErr()) {
                case EMFILE -> "out of file descriptors for this process";
                case ENFILE -> "out of file descriptors system-wide";
                default -> "accept failed with errno " + -n.expectedErr();
            };
        }
        return cause.getClass().getSimpleName();
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

    /**
     * A connection that broke while it was read or written (reset, broken pipe, keepalive timeout), as a
     * {@link SocketException} in our words naming the peer; errors of the pipe's own (a frame too long, a timeout
     * the server enforced) and non-I/O errors pass unchanged. Decided by errno or type, never by the OS's text.
     */
    static Throwable read(Throwable cause, InetSocketAddress peer) {
        if (cause.getClass().getPackageName().equals(Errors.class.getPackageName())) {
            return cause;
        }
        if (has(cause, javax.net.ssl.SSLException.class)) {
            return withCause(new javax.net.ssl.SSLException("TLS error on the connection with " + show(peer)
                    + ": the peer sent what TLS does not accept"), cause);
        }
        if (cause instanceof NativeIoException n) {
            return withCause(new SocketException(switch (n.expectedErr()) {
                case ECONNRESET -> "connection reset by " + show(peer);
                case EPIPE -> "connection to " + show(peer) + " broken: the peer closed it while we wrote";
                case ETIMEDOUT -> "connection to " + show(peer) + " timed out: the peer stopped answering";
                default -> "connection with " + show(peer) + " failed" + errnoSuffix(cause);
            }), cause);
        }
        if (cause instanceof java.io.IOException) {
            // NIO reports a reset or broken pipe as a bare IOException or SocketException, told apart only by text.
            return withCause(new SocketException("connection with " + show(peer)
                    + " failed: reset or broken by the peer or the network"), cause);
        }
        return cause;
    }

    /**
     * A failed TLS handshake, in our words by the type of what failed it (never its text: Netty's and the JDK's
     * messages stay in the cause).
     */
    static Throwable tls(Throwable cause, InetSocketAddress remote) {
        String why;
        if (has(cause, io.netty.handler.ssl.SslHandshakeTimeoutException.class)) {
            why = "timed out (sslHandshake)";
        } else if (has(cause, io.netty.handler.ssl.NotSslRecordException.class)) {
            why = "the peer does not speak TLS";
        } else if (has(cause, java.security.GeneralSecurityException.class)) { // certificates, cert paths
            why = "the peer's certificate is not trusted or not for this name";
        } else if (has(cause, java.nio.channels.ClosedChannelException.class)
                || has(cause, io.netty.handler.ssl.SslClosedEngineException.class)) {
            why = "the connection closed during the handshake";
        } else if (has(cause, SSLHandshakeException.class)) {
            why = "the peer refused it, or offered nothing this side accepts";
        } else {
            why = "the handshake did not complete";
        }
        return withCause(new SSLHandshakeException("TLS handshake with " + show(remote) + " failed: " + why), cause);
    }

    /** Whether {@code error} or one of its first causes is a {@code type}. */
    private static boolean has(Throwable error, Class<? extends Throwable> type) {
        Throwable t = error;
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    static String show(InetSocketAddress address) {
        return HostPort.of(address).toString();
    }

    private static <T extends Throwable> T withCause(T error, Throwable cause) {
        error.initCause(cause);
        return error;
    }
}
