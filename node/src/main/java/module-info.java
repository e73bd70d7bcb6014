/**
 * P2PD for Java, peer to peer: a node's identity (secp256k1 keys, node id, machine id), its peer address in the
 * original P2PD's text format, and the original's ECIES encryption. Signalling and connecting come later.
 */
module io.p2pd.node {
    requires transitive io.p2pd;
    requires org.bouncycastle.provider;
    requires io.netty.common;
    requires io.netty.buffer;
    requires io.netty.codec;
    requires io.netty.handler;
    requires io.netty.codec.mqtt;
    requires org.slf4j;

    exports io.p2pd.node;
    exports io.p2pd.node.id;
    exports io.p2pd.node.addr;
    exports io.p2pd.node.mqtt;
    exports io.p2pd.node.signal;
    exports io.p2pd.node.punch;
    exports io.p2pd.node.connect;
}
