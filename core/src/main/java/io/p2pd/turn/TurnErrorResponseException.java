package io.p2pd.turn;

import io.p2pd.net.HostPort;
import io.p2pd.stun.StunErrorCode;
import java.net.InetSocketAddress;

/**
 * The TURN server refused a request with an error response: {@link #code()} and {@link #reason()} are the server's.
 * The codes a caller acts on have their own subclass; any other code is this class itself.
 */
public sealed class TurnErrorResponseException extends TurnException
        permits TurnAuthenticationException, TurnForbiddenException, TurnAllocationMismatchException,
        TurnAddressFamilyException, TurnQuotaException, TurnCapacityException, TurnConnectionExistsException,
        TurnConnectionFailedException {
    private static final long serialVersionUID = 1L;
    private final transient InetSocketAddress server;
    private final StunErrorCode error;

    TurnErrorResponseException(InetSocketAddress server, String request, StunErrorCode error) {
        super("TURN server " + HostPort.of(server) + " refused " + request + ": " + error);
        this.server = server;
        this.error = error;
    }

    /** The exception of the class that fits {@code error}'s code. */
    static TurnErrorResponseException of(InetSocketAddress server, String request, StunErrorCode error) {
        return switch (error.code()) {
            case StunErrorCode.UNAUTHORIZED, StunErrorCode.WRONG_CREDENTIALS ->
                    new TurnAuthenticationException(server, request, error);
            case StunErrorCode.FORBIDDEN -> new TurnForbiddenException(server, request, error);
            case StunErrorCode.ALLOCATION_MISMATCH -> new TurnAllocationMismatchException(server, request, error);
            case StunErrorCode.ADDRESS_FAMILY_NOT_SUPPORTED, StunErrorCode.PEER_ADDRESS_FAMILY_MISMATCH ->
                    new TurnAddressFamilyException(server, request, error);
            case StunErrorCode.ALLOCATION_QUOTA_REACHED -> new TurnQuotaException(server, request, error);
            case StunErrorCode.INSUFFICIENT_CAPACITY -> new TurnCapacityException(server, request, error);
            case TurnConnectionExistsException.CODE -> new TurnConnectionExistsException(server, request, error);
            case TurnConnectionFailedException.CODE -> new TurnConnectionFailedException(server, request, error);
            default -> new TurnErrorResponseException(server, request, error);
        };
    }

    public InetSocketAddress server() {
        return server;
    }

    public StunErrorCode error() {
        return error;
    }

    public int code() {
        return error.code();
    }

    public String reason() {
        return error.reason();
    }
}
