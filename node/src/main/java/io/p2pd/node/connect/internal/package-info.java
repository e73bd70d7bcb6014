/**
 * Not API (this package is not exported): the engine behind {@code Node.connect} and {@code Node.accept}, and the
 * hooks other parts of the node module use to hand it connections ({@link io.p2pd.node.connect.internal.Connector#of},
 * {@link io.p2pd.node.connect.internal.Connector#handOver}, {@link io.p2pd.node.connect.internal.Connector#register}).
 */
package io.p2pd.node.connect.internal;
