/**
 * Who a node is: its secp256k1 key pair ({@link io.p2pd.node.id.NodeKey}, {@link io.p2pd.node.id.NodePublicKey}),
 * the node id derived from the public key ({@link io.p2pd.node.id.NodeId}), the machine id
 * ({@link io.p2pd.node.id.MachineId}), and what the keys do: ECDSA signatures and the original P2PD's ECIES
 * encryption, byte-compatible with its {@code vendor/ecies}.
 */
package io.p2pd.node.id;
