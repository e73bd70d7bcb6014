/**
 * A TURN client (RFC 8656) over UDP: {@link io.p2pd.turn.TurnClient#allocate} gives a
 * {@link io.p2pd.turn.TurnAllocation} whose {@link io.p2pd.turn.TurnAllocation#pipe() pipe} is an ordinary UDP
 * {@link io.p2pd.pipe.Pipe}: {@code send(data, peer)} goes through the relay, messages arrive with the peer as their
 * sender, and handlers, subscriptions, bounded queues with counted drops, links and {@code request} behave as on any
 * UDP pipe, because it is the library's own UDP pipe.
 *
 * <p>How: the relayed pipe sits on a Netty channel of this package that reads and writes datagrams like a UDP socket
 * but has no socket: its writes become ChannelData or Send indications on the allocation's control socket (itself a
 * UDP pipe), and ChannelData and Data indications from the server become its reads. That is the smallest honest way:
 * no second pipe implementation to keep in step with UdpPipe, no loopback socket pair in the middle; the only hook
 * in io.p2pd.pipe is the internal {@link io.p2pd.internal.UdpPipeFactory}. The control socket and the relayed
 * channel share one event loop, so the allocation's state (transactions, permissions, channels, timers) has one
 * thread.
 *
 * <p>TCP relays (RFC 6062): {@link io.p2pd.turn.TurnClient#allocateTcp} gives a
 * {@link io.p2pd.turn.TurnTcpAllocation}, the same allocation asked for with REQUESTED-TRANSPORT TCP, whose
 * connections to peers are the library's own TCP pipes on data connections to the server: a handler first in each
 * one's channel answers the ConnectionBind, then leaves the stream to the pipe (the internal
 * {@link io.p2pd.internal.TcpPipeFactory} puts it there).
 *
 * <p>The STUN codec is {@link io.p2pd.stun.StunMessage}, with the TURN methods and attributes. Errors are the
 * {@link io.p2pd.turn.TurnException} types, carrying the server's code and reason.
 */
package io.p2pd.turn;
