package io.p2pd.turn;

import io.p2pd.stun.StunErrorCode;
import java.net.InetSocketAddress;

/** 437 Allocation Mismatch: the server has no allocation on this 5-tuple, or has one already. */
public final class TurnAllocationMismatchException extends TurnErrorResponseException {
    private static final long serialVersionUID = 1L;

    TurnAllocationMismatchException(InetSocketAddress server, String request, StunErrorCode error) {
        super(server, request, error);
    }
}
