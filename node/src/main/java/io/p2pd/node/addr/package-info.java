/**
 * Peer addresses: the text a node publishes so others can reach it, in the original P2PD's format
 * ({@link io.p2pd.node.addr.PeerAddress}). Pure values and a codec, no I/O.
 */
package io.p2pd.node.addr;
