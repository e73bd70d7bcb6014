package io.p2pd.cli;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * An MQTT 3.1.1 broker for nodes' signalling on one machine or a LAN (see {@link EmbeddedBroker}). Its first line of
 * output is the address it listens on. It runs until Ctrl-C or SIGTERM, then closes its port and clients; it does
 * not read stdin, so that a script can start it in the background (where stdin is often already at its end).
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Run an MQTT 3.1.1 broker (Moquette, in memory) until Ctrl-C.",
            "Prints 'broker listening on IP:PORT' first; anonymous clients may connect, so bind to loopback or a "
                + "trusted LAN."})
final class BrokerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "local IP (default: ${DEFAULT-VALUE})")
    String bind;

    @Option(names = "--port", defaultValue = "1883",
            description = "local port, 0 for any (default: ${DEFAULT-VALUE}, MQTT's)")
    String port;

    @Override
    public Integer call() throws Exception {
        InetSocketAddress at = new InetSocketAddress(Addresses.ip(spec, bind), Addresses.port(spec, port));
        EmbeddedBroker broker = EmbeddedBroker.start(at);
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close));
        PrintWriter out = spec.commandLine().getOut();
        // Scripts read this line to learn the port.
        out.println("broker listening on " + Addresses.show(broker.address()));
        out.flush();
        broker.closeFuture().join();
        return 0;
    }
}
