/**
 * Signalling between nodes: the original P2PD's message types and envelope, byte-compatible with it
 * ({@link io.p2pd.node.signal.SignalMessage}), the sending side that signs and encrypts
 * ({@link io.p2pd.node.signal.SignalSealer}) and the receiving side that decrypts, checks and drops
 * ({@link io.p2pd.node.signal.SignalInbox}, {@link io.p2pd.node.signal.SignalDrop}), all without I/O; and
 * {@link io.p2pd.node.signal.Signalling}, which carries them through MQTT brokers (one client per broker, a copy
 * through two of the peer's brokers, de-duplicated on arrival).
 *
 * <p>Where we differ from the original, on purpose: every message is signed by the sender's node key and checked
 * against the sender's node id; stale, replayed and duplicate messages are dropped and counted; a message to a peer
 * whose key is known is never plaintext; the original's unsigned messages are refused unless the legacy switch
 * {@link io.p2pd.node.signal.SignalPolicy#allowUnsignedPeers()} is on, and even then never make a node dial.
 */
package io.p2pd.node.signal;
