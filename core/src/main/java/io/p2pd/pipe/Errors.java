package io.p2pd.pipe;

import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.unix.Errors.NativeIoException;
import io.p2pd.net.HostPort;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketException;
import javax.net.ssl.SSLHandshakeException;

/** Turns transport errors into the documented exceptions, each naming the address involved. */
final class Errors {

    private Errors() {
    }

    static Throwable connect(Throwable cause, InetSocketAddress remote, InetSocketAddress local, PipeConf conf) {
        if (cause instanceof ConnectTimeoutException) {
            return withCause(new io.p2pd.pipe.ConnectTimeoutException("connect to " + show(remote) + " timed out after "
                    + conf.conTimeout().toMillis() + " ms"), cause);
        }
        String reason = String.valueOf(cause.getMessage());
        if (reason.contains("Connection refused")) {
            return withCause(new ConnectException("connection refused by " + show(remote)), cause);
        }
        if (local != null && isBindFailure(reason)) {
            return bind(cause, Proto.TCP, local);
        }
        return withCause(new ConnectException("cannot connect to " + show(remote) + ": " + reason), cause);
    }

    static Throwable bind(Throwable cause, Proto proto, InetSocketAddress local) {
        String reason = String.valueOf(cause.getMessage());
        String why = reason.contains("Address already in use") ? "address already in use"
                : reason.contains("Cannot assign requested address") ? "address not on this machine"
                : reason;
        return withCause(new BindException("cannot bind " + proto + " to " + show(local) + ": " + why), cause);
    }

    private static boolean isBindFailure(String reason) {
        return reason.contains("Address already in use") || reason.contains("Cannot assign requested address");
    }

    /**
     * A write the OS refused, reported by Netty's native transport as bare errno text, turned into the java.net
     * exception a plain socket would throw, naming the destination. Every other failure (TLS, NIO's own exceptions)
     * passes unchanged.
     */
    static Throwable send(Throwable cause, InetSocketAddress dest, boolean datagram) {
        if (!(cause instanceof NativeIoException)) {
            return cause;
        }
        String reason = String.valueOf(cause.getMessage());
        if (reason.contains("Network is unreachable")) {
            return withCause(new NoRouteToHostException("cannot send to " + show(dest) + ": network unreachable"),
                    cause);
        }
        if (reason.contains("No route to host")) {
            return withCause(new NoRouteToHostException("cannot send to " + show(dest) + ": no route to host"), cause);
        }
        if (datagram && reason.contains("Connection refused")) {
            return withCause(new PortUnreachableException(show(dest) + " refused a datagram (ICMP port unreachable)"),
                    cause);
        }
        int colon = reason.lastIndexOf(": ");
        return withCause(new SocketException("cannot send to " + show(dest) + ": "
                + (colon >= 0 ? reason.substring(colon + 2) : reason)), cause);
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
