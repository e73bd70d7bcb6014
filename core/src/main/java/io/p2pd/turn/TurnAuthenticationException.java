package io.p2pd.turn;

import io.p2pd.stun.StunErrorCode;
import java.net.InetSocketAddress;

/** Wrong credentials: 401 Unauthorized to a signed request (the password or user name is wrong), or 441 Wrong Credentials. */
public final class TurnAuthenticationException extends TurnErrorResponseException {
    private static final long serialVersionUID = 1L;

    TurnAuthenticationException(InetSocketAddress server, String request, StunErrorCode error) {
        super(server, request, error);
    }
}
