package io.p2pd.cli;

import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** An echo server: whatever a peer sends comes back to it. Runs until interrupted. */
@Command(name = "echo", mixinStandardHelpOptions = true, description = "Run an echo server until Ctrl-C.")
final class EchoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--proto", defaultValue = "tcp", description = "tcp or udp (default: ${DEFAULT-VALUE})")
    String proto;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "local IP (default: ${DEFAULT-VALUE})")
    String bind;

    @Option(names = "--port", defaultValue = "0", description = "local port, 0 for any (default: ${DEFAULT-VALUE})")
    String port;

    @Override
    public Integer call() throws Exception {
        Pipe server = Pipes.opener(Protos.parse(spec, proto))
                .bind(new InetSocketAddress(bind, Addresses.port(spec, port)))
                .msgHandler((msg, pipe) -> pipe.send(msg.data(), msg.sender())).open().join();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        PrintWriter out = spec.commandLine().getOut();
        // Scripts read this line to learn the port.
        out.printf("echo %s listening on %s%n", proto.toLowerCase(), Addresses.show(server.localAddress()));
        out.flush();
        server.closeFuture().join();
        return 0;
    }
}
