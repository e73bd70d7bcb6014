/**
 * P2PD for Java: pipes over TCP and UDP, interfaces and routes, STUN and NAT detection, TURN relays.
 */
@SuppressWarnings("module") // the qualified export names io.p2pd.cli and io.p2pd.node, built after this module
module io.p2pd {
    requires io.netty.common;
    requires io.netty.buffer;
    // Part of the API: PipeConf.loop, EventLoops and Resolver take or return Netty event loops.
    requires transitive io.netty.transport;
    requires io.netty.handler;
    requires io.netty.codec;
    requires io.netty.resolver;
    requires io.netty.resolver.dns;
    requires io.netty.transport.classes.epoll;
    requires io.netty.transport.unix.common;
    requires org.slf4j;

    exports io.p2pd.pipe;
    exports io.p2pd.net;
    exports io.p2pd.nic;
    exports io.p2pd.stun;
    exports io.p2pd.nat;
    exports io.p2pd.turn;
    // Not API: the JSON writer (shared with the command line), the loop-safe futures and channel factories (shared
    // with the node module).
    exports io.p2pd.internal to io.p2pd.cli, io.p2pd.node;
}
