package io.p2pd.stun;

import java.util.Objects;

/** The value of an ERROR-CODE attribute: a code 300-699 and a reason phrase. */
public record StunErrorCode(int code, String reason) implements java.io.Serializable {
    public static final int TRY_ALTERNATE = 300;
    public static final int BAD_REQUEST = 400;
    public static final int UNAUTHORIZED = 401;
    public static final int UNKNOWN_ATTRIBUTE = 420;
    /** TURN (RFC 8656): the request is refused, e.g. a peer address the server denies. */
    public static final int FORBIDDEN = 403;
    /** TURN: no allocation on this 5-tuple, or one exists already (RFC 8656 section 7.2). */
    public static final int ALLOCATION_MISMATCH = 437;
    public static final int STALE_NONCE = 438;
    /** TURN: the address family is not supported by the server. */
    public static final int ADDRESS_FAMILY_NOT_SUPPORTED = 440;
    /** TURN: the credentials differ from those of the allocation. */
    public static final int WRONG_CREDENTIALS = 441;
    /** TURN: the REQUESTED-TRANSPORT is not supported. */
    public static final int UNSUPPORTED_TRANSPORT_PROTOCOL = 442;
    /** TURN: the peer address is of a family the allocation does not relay. */
    public static final int PEER_ADDRESS_FAMILY_MISMATCH = 443;
    /** TURN: the user has as many allocations as the server allows. */
    public static final int ALLOCATION_QUOTA_REACHED = 486;
    /** TURN: the server cannot make an allocation now (no relay port free, say). */
    public static final int INSUFFICIENT_CAPACITY = 508;
    public static final int SERVER_ERROR = 500;

    public StunErrorCode {
        if (code < 300 || code > 699) {
            throw new IllegalArgumentException("error code out of range 300-699: " + code);
        }
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public String toString() {
        return code + " " + reason;
    }
}
