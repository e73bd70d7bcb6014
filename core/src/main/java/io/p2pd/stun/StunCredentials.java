package io.p2pd.stun;

import java.util.Objects;

/**
 * Short-term STUN credentials (RFC 8489 section 9.1): a client signs its requests with USERNAME and
 * MESSAGE-INTEGRITY and accepts only success responses signed with the same key; a server holding them refuses
 * requests that are not signed with them. The password never appears in {@link #toString()}.
 */
public record StunCredentials(String username, String password) {

    public StunCredentials {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        if (username.isEmpty()) {
            throw new IllegalArgumentException("username is empty");
        }
    }

    /** The HMAC key: the SASLprep'd password as UTF-8. */
    byte[] key() {
        return StunMessage.shortTermKey(password);
    }

    @Override
    public String toString() {
        return "StunCredentials[" + username + "]";
    }
}
