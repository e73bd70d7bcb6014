package io.p2pd.turn;

import io.p2pd.stun.StunErrorCode;
import java.net.InetSocketAddress;

/** 440 Address Family not Supported, or 443 Peer Address Family Mismatch. */
public final class TurnAddressFamilyException extends TurnErrorResponseException {
    private static final long serialVersionUID = 1L;

    TurnAddressFamilyException(InetSocketAddress server, String request, StunErrorCode error) {
        super(server, request, error);
    }
}
