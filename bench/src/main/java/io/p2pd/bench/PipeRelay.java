package io.p2pd.bench;

import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Relays made of pipes: with {@link Pipe#link}, and by hand with a forwarding message handler. */
final class PipeRelay {

    private PipeRelay() {
    }

    /**
     * A server pipe whose accepted connection is linked both ways to a client pipe to the sink. The benchmark has
     * one connection, so the sink pipe is opened first and linked in the up handler, before the first read.
     */
    static Side.Open link(InetSocketAddress sink) throws Exception {
        Pipe out = Pipes.open(Proto.TCP, sink).get(5, TimeUnit.SECONDS);
        Pipe server = Pipes.opener(Proto.TCP).bind(PipeSide.LOOPBACK)
                .upHandler(conn -> {
                    conn.link(out);
                    out.link(conn);
                })
                .open().get(5, TimeUnit.SECONDS);
        Side.Open open = PipeSide.wrap(server);
        return new Side.Open() {
            @Override
            public InetSocketAddress address() {
                return open.address();
            }

            @Override
            public void close() {
                open.close();
                out.close();
            }
        };
    }

    /**
     * The relay a user writes without {@code Pipe.link}: each accepted connection opens a client pipe to the sink,
     * and a message handler forwards every chunk. The handler returns the send's future, so the pipe stops reading
     * until the chunk is written: back-pressure, as the spec requires of a relay.
     */
    static Side.Open handlers(InetSocketAddress sink) throws Exception {
        Map<Pipe, CompletableFuture<Pipe>> outs = new ConcurrentHashMap<>();
        Pipe server = Pipes.opener(Proto.TCP).bind(PipeSide.LOOPBACK)
                .upHandler(conn -> {
                    CompletableFuture<Pipe> out = Pipes.open(Proto.TCP, sink);
                    outs.put(conn, out);
                    conn.addEndHandler(c -> out.thenAccept(Pipe::closeAsync));
                })
                .msgHandler((msg, conn) -> outs.get(conn).thenCompose(out -> out.send(msg.data())))
                .open().get(5, TimeUnit.SECONDS);
        return PipeSide.wrap(server);
    }
}
