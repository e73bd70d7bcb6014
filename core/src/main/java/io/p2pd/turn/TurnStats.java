package io.p2pd.turn;

/**
 * Counters of one allocation, read at one moment.
 *
 * @param sentChannelData         datagrams sent to peers as ChannelData (over a bound channel)
 * @param sentIndications         datagrams sent to peers in Send indications (no channel bound yet, or channels off)
 * @param receivedChannelData     datagrams from peers that came as ChannelData
 * @param receivedIndications     datagrams from peers that came in Data indications
 * @param dropped                 datagrams to peers dropped: the queue of a peer whose permission was being installed
 *                                was full, or its permission was refused, or the allocation was closing, or the
 *                                datagram with its TURN framing was too large for UDP, or writing it to the control
 *                                socket failed (the OS refused it: no buffer space, message too long)
 * @param ignored                 datagrams on the control socket that were not for us (another source, an unknown
 *                                channel or transaction, not TURN)
 * @param unsignedResponses       responses dropped because they were not signed with our key: success responses
 *                                without our signature, error responses with a signature that is not ours
 * @param refreshes               allocation refreshes the server accepted
 * @param permissionRefreshes     permission refreshes the server accepted (CreatePermission after the first)
 * @param channelRefreshes        channel binding refreshes the server accepted (ChannelBind after the first)
 * @param staleNonces             438 Stale Nonce answers, each retried once with the server's new nonce
 * @param expiredPermissions      permissions let go because their peer had no traffic either way for a whole
 *                                permission lifetime (or their timed-out refreshes ran past it)
 * @param expiredChannels         channels let go the same way, for a whole channel lifetime
 */
public record TurnStats(long sentChannelData, long sentIndications, long receivedChannelData,
                        long receivedIndications, long dropped, long ignored, long unsignedResponses, long refreshes,
                        long permissionRefreshes, long channelRefreshes, long staleNonces,
                        long expiredPermissions, long expiredChannels) {
}
