package io.p2pd.stun;

import java.util.Objects;

/** The value of an ERROR-CODE attribute: a code 300-699 and a reason phrase. */
public record StunErrorCode(int code, String reason) implements java.io.Serializable {
    public static final int TRY_ALTERNATE = 300;
    public static final int BAD_REQUEST = 400;
    public static final int UNAUTHORIZED = 401;
    public static final int UNKNOWN_ATTRIBUTE = 420;
    public static final int STALE_NONCE = 438;
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
