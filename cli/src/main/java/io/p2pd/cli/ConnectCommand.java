package io.p2pd.cli;

import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Like netcat: standard input goes down the pipe, what arrives goes to standard output. Ends when the peer closes
 * (TCP) or, after standard input ends, when no datagram came for {@code --linger-ms} (UDP).
 */
@Command(name = "connect", mixinStandardHelpOptions = true,
        description = "Connect to HOST PORT: stdin to the pipe, the pipe to stdout.")
final class ConnectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--proto", defaultValue = "tcp", description = "tcp or udp (default: ${DEFAULT-VALUE})")
    String proto;

    @Option(names = "--linger-ms", defaultValue = "1000",
            description = "UDP: after stdin ends, wait this long for replies (default: ${DEFAULT-VALUE})")
    long lingerMs;

    @Parameters(index = "0", description = "host name or IP")
    String host;

    @Parameters(index = "1", description = "port")
    int port;

    @Override
    public Integer call() throws Exception {
        Proto p = Protos.parse(spec, proto);
        PrintStream out = System.out;
        try (Pipe pipe = Pipes.opener(p).dest(new io.p2pd.net.HostPort(host, port))
                .msgHandler(MsgHandler.plain((msg, ignored) -> {
                    out.write(msg.data());
                    out.flush();
                })).open().join()) {
            Runtime.getRuntime().addShutdownHook(new Thread(pipe::close));
            InputStream in = System.in;
            byte[] buffer = new byte[p == Proto.UDP ? 1400 : 16 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0 && pipe.isOpen()) {
                pipe.send(Arrays.copyOf(buffer, n)).join();
            }
            if (p == Proto.TCP) {
                // Stdin ended: keep printing until the peer closes.
                pipe.closeFuture().join();
            } else {
                pipe.closeFuture().completeOnTimeout(null, lingerMs, java.util.concurrent.TimeUnit.MILLISECONDS)
                        .join();
            }
        }
        return 0;
    }
}
