package io.p2pd.turn;

import io.p2pd.stun.StunErrorCode;
import java.net.InetSocketAddress;

/** 486 Allocation Quota Reached: the user has as many allocations as the server allows. */
public final class TurnQuotaException extends TurnErrorResponseException {
    private static final long serialVersionUID = 1L;

    TurnQuotaException(InetSocketAddress server, String request, StunErrorCode error) {
        super(server, request, error);
    }
}
