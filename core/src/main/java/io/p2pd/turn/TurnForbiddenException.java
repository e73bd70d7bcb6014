package io.p2pd.turn;

import io.p2pd.stun.StunErrorCode;
import java.net.InetSocketAddress;

/** 403 Forbidden: the server refuses the request, e.g. a permission for a peer address it denies. */
public final class TurnForbiddenException extends TurnErrorResponseException {
    private static final long serialVersionUID = 1L;

    TurnForbiddenException(InetSocketAddress server, String request, StunErrorCode error) {
        super(server, request, error);
    }
}
