package io.p2pd.turn;

/**
 * The control connection between client and TURN server (RFC 8656 section 3.1). The relay to peers is UDP with every
 * one of them; only how the client reaches the server differs.
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
