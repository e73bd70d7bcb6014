package io.p2pd.cli;

import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Like netcat: standard input goes down the pipe, what arrives goes to standard output. TCP: when standard input
 * ends the connection half-closes (the peer reads end of stream) and the command ends when the peer closes, whether
 * or not standard input has ended. UDP: ends {@code --linger-ms} after standard input ended. Its default, 3 s, lets
 * a reply through {@code forward --proto udp} arrive: with 1 s one was lost, the forwarder opening its upstream
 * socket for the first datagram on a cold JVM.
 */
@Command(name = "connect", mixinStandardHelpOptions = true,
        description = "Connect to HOST PORT: stdin to the pipe, the pipe to stdout.")
final class ConnectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--proto", defaultValue = "tcp", description = "tcp or udp (default: ${DEFAULT-VALUE})")
    String proto;

    @Option(names = "--linger-ms", defaultValue = "3000",
            description = "UDP: after stdin ends, wait this long for replies (default: ${DEFAULT-VALUE})")
    long lingerMs;

    @Parameters(index = "0", description = "host name or IP")
    String host;

    @Parameters(index = "1", description = "port")
    String port;

    @Override
    public Integer call() throws Exception {
        Proto p = Protos.parse(spec, proto);
        PrintStream out = System.out;
        try (Pipe pipe = Pipes.opener(p).dest(new io.p2pd.net.HostPort(host, Addresses.port(spec, port)))
                .msgHandler(MsgHandler.plain((msg, ignored) -> {
                    out.write(msg.data());
                    out.flush();
                })).open().join()) {
            Runtime.getRuntime().addShutdownHook(new Thread(pipe::close));
            if (p == Proto.TCP) {
                // Stdin is read aside so that the peer closing ends the command even while stdin stays open; when
                // stdin ends, the connection half-closes, so a peer that answers at end of stream can answer.
                Thread.ofPlatform().daemon().name("p2pd-stdin").start(() -> {
                    if (pump(System.in, pipe, 16 * 1024)) {
                        pipe.shutdownOutput();
                    }
                });
                pipe.closeFuture().join();
            } else {
                // A send that fails (the OS refused it: no route, ...) fails the command, exit 1 with one line,
                // rather than ending it as if all went out. An ICMP port unreachable does not show here: the UDP
                // pipe takes it as a read error and only logs it.
                sendAll(System.in, pipe, 1400);
                pipe.closeFuture().completeOnTimeout(null, lingerMs, java.util.concurrent.TimeUnit.MILLISECONDS)
                        .join();
            }
        }
        return 0;
    }

    /** Sends what {@code in} gives until it ends; a failed send fails this. */
    private static void sendAll(InputStream in, Pipe pipe, int chunk) throws IOException {
        byte[] buffer = new byte[chunk];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            if (n > 0) {
                pipe.send(Arrays.copyOf(buffer, n)).join();
            }
        }
    }

    /** Sends what {@code in} gives until it ends (true) or the pipe closes (false); p2pd peer bridges with it too. */
    static boolean pump(InputStream in, Pipe pipe, int chunk) {
        byte[] buffer = new byte[chunk];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (!pipe.isOpen()) {
                    return false;
                }
                if (n > 0) {
                    pipe.send(Arrays.copyOf(buffer, n)).join();
                }
            }
            return pipe.isOpen();
        } catch (IOException | CompletionException e) {
            // Stdin failed or the pipe closed while sending: the pipe's end decides how the command ends.
            return false;
        }
    }
}
