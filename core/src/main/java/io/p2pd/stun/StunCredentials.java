package io.p2pd.stun;

import java.util.Objects;

/**
 * Short-term STUN credentials (RFC 8489 section 9.1): a client signs its requests with USERNAME and
 * MESSAGE-INTEGRITY and accepts only success responses signed with the same key; a server holding them refuses
 * requests that are not signed with them. The password never appears in {@link #toString()}.
 *
 * <p>Both are checked against the OpaqueString profile of RFC 8265, as RFC 8489 asks: the username is kept in its
 * enforced form (NFC, non-ASCII spaces as ASCII spaces), which is what goes on the wire in USERNAME, and the key
 * is made from the enforced password. Making credentials throws {@link IllegalArgumentException} when either is
 * empty or holds a code point OpaqueString disallows.
 */
public record StunCredentials(String username, String password) {

    public StunCredentials {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        if (username.isEmpty()) {
            throw new IllegalArgumentException("username is empty");
        }
        username = OpaqueString.enforce(username, "username");
        OpaqueString.enforce(password, "password"); // refused now, not at the first request
    }

    /** The HMAC key: the password under OpaqueString, as UTF-8. */
    byte[] key() {
        return StunMessage.shortTermKey(password);
    }

    @Override
    public String toString() {
        return "StunCredentials[" + username + "]";
    }
}
