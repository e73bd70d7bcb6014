package io.p2pd.turn;

/**
 * The control connection between client and TURN server (RFC 8656 section 3.1): how the client reaches the server,
 * whatever the relay to peers is (UDP, or TCP for {@link TurnClient#allocateTcp}, which needs TCP or TLS here).
 */
public enum TurnTransport {
    /** A UDP socket: requests are retransmitted (RFC 8489 section 6.2.1), ChannelData is not padded. */
    UDP,
    /** One TCP connection: no retransmission, STUN messages and ChannelData (padded to 4 bytes) on the stream. */
    TCP,
    /** TCP inside TLS, as {@link #TCP} otherwise. */
    TLS;

    boolean stream() {
        return this != UDP;
    }
}
