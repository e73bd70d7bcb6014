/**
 * NAT type and port-allocation ("delta") detection over STUN, numbered as the original P2PD numbers them.
 *
 * <ul>
 *   <li>{@link io.p2pd.nat.NatDetector#detect}: runs the tests, returns a {@link io.p2pd.nat.NatReport}
 *       (immutable, {@code toJson()}) or fails with {@link io.p2pd.nat.NatDetectionException}.</li>
 *   <li>{@link io.p2pd.nat.NatConfig}: servers, local IP, time limits, port-allocation sockets, progress
 *       callback.</li>
 *   <li>{@link io.p2pd.nat.NatType}, {@link io.p2pd.nat.DeltaType}, {@link io.p2pd.nat.PortDelta}: the
 *       results.</li>
 * </ul>
 *
 * <p>The decisions themselves are pure functions of the probe outcomes (package-private), tested apart from
 * any network; the NAT cases are proven in network-namespace labs (scripts/nat-lab.sh).
 */
package io.p2pd.nat;
