package io.p2pd.cli;

import io.p2pd.net.HostPort;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A port forwarder made of linked pipes: every TCP connection to LISTEN is linked both ways to a new connection to
 * TARGET, on the same event loop; for UDP, each client address gets its own pipe to TARGET, and replies go back to
 * the client that sent the request.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Forward LISTEN (IP:PORT) to TARGET (HOST:PORT) until Ctrl-C.")
final class ForwardCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--proto", defaultValue = "tcp", description = "tcp or udp (default: ${DEFAULT-VALUE})")
    String proto;

    @Parameters(index = "0", paramLabel = "LISTEN", description = "local IP:PORT to listen on (port 0: any)")
    String listen;

    @Parameters(index = "1", paramLabel = "TARGET", description = "HOST:PORT to forward to")
    String target;

    @Override
    public Integer call() throws Exception {
        Proto p = Protos.parse(spec, proto);
        InetSocketAddress local = Addresses.socket(spec, Addresses.hostPort(spec, listen, 0));
        HostPort to = Addresses.hostPort(spec, target, 0);
        Pipe server = p == Proto.TCP ? tcp(local, to) : udp(local, to);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("forward %s %s -> %s%n", p.name().toLowerCase(), Addresses.show(server.localAddress()), to);
        out.flush();
        server.closeFuture().join();
        return 0;
    }

    private static Pipe tcp(InetSocketAddress local, HostPort to) {
        return Pipes.opener(Proto.TCP).bind(local)
                .upHandler(in -> Pipes.opener(Proto.TCP).dest(to).eventLoopOf(in).open().whenComplete((out, e) -> {
                    if (e != null) {
                        System.err.println("p2pd forward: " + Main.describe(e));
                        in.closeAsync();
                        return;
                    }
                    in.link(out);
                    out.link(in);
                    // Either side ending ends the other: a forwarded connection is one conversation.
                    in.addEndHandler(ended -> out.closeAsync());
                    out.addEndHandler(ended -> in.closeAsync());
                }))
                .open().join();
    }

    private static Pipe udp(InetSocketAddress local, HostPort to) {
        Map<InetSocketAddress, CompletableFuture<Pipe>> upstreams = new ConcurrentHashMap<>();
        Pipe server = Pipes.opener(Proto.UDP).bind(local)
                .msgHandler((msg, pipe) -> upstreams.computeIfAbsent(msg.sender(), client ->
                        Pipes.opener(Proto.UDP).dest(to).eventLoopOf(pipe)
                                .msgHandler((reply, upstream) -> pipe.send(reply.data(), client))
                                .open())
                        .thenCompose(upstream -> upstream.send(msg.data())))
                .open().join();
        server.addEndHandler(ended -> upstreams.values().forEach(f -> f.thenAccept(Pipe::closeAsync)));
        return server;
    }
}
