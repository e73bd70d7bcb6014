package io.p2pd.cli;

import io.p2pd.internal.Descriptors;
import io.p2pd.net.HostPort;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A port forwarder made of linked pipes: every TCP connection to LISTEN is linked both ways to a new connection to
 * TARGET, on the same event loop; for UDP, each client address gets its own pipe to TARGET, and replies go back to
 * the client that sent the request. Those UDP upstreams close after {@code --udp-idle} without traffic and are
 * capped at {@code --udp-max-clients} (the least recently used makes room), see {@link UdpUpstreams}.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Forward LISTEN (IP:PORT) to TARGET (HOST:PORT) until Ctrl-C.")
final class ForwardCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--proto", defaultValue = "tcp", description = "tcp or udp (default: ${DEFAULT-VALUE})")
    String proto;

    @Option(names = "--udp-idle", paramLabel = "SECONDS", defaultValue = "60",
            description = "UDP: close a client's upstream socket after this long without traffic either way, as "
                    + "socat -T (default: ${DEFAULT-VALUE})")
    double udpIdleSeconds;

    @Option(names = "--udp-max-clients", paramLabel = "N",
            description = "UDP: most clients with an upstream socket at once; the least recently used one is "
                    + "closed to make room (default: half the process's descriptor limit, at most 4096)")
    Integer udpMaxClients;

    @Parameters(index = "0", paramLabel = "LISTEN", description = "local IP:PORT to listen on (port 0: any)")
    String listen;

    @Parameters(index = "1", paramLabel = "TARGET", description = "HOST:PORT to forward to")
    String target;

    @Override
    public Integer call() throws Exception {
        Proto p = Protos.parse(spec, proto);
        InetSocketAddress local = Addresses.socket(spec, Addresses.hostPort(spec, listen, 0));
        HostPort to = Addresses.hostPort(spec, target, 0);
        if (!(udpIdleSeconds > 0 && udpIdleSeconds <= Duration.ofDays(1).toSeconds())) {
            throw new ParameterException(spec.commandLine(), "--udp-idle must be more than 0 and at most a day");
        }
        int maxClients = udpMaxClients != null ? udpMaxClients : defaultMaxClients();
        if (maxClients < 1) {
            throw new ParameterException(spec.commandLine(), "--udp-max-clients must be at least 1");
        }
        Pipe server = p == Proto.TCP ? tcp(local, to) : udp(local, to, maxClients,
                Duration.ofNanos((long) (udpIdleSeconds * 1e9)), client -> { }).server();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("forward %s %s -> %s%s%n", p.name().toLowerCase(), Addresses.show(server.localAddress()), to,
                p == Proto.UDP ? " (at most " + maxClients + " clients)" : "");
        out.flush();
        server.closeFuture().join();
        return 0;
    }

    private static Pipe tcp(InetSocketAddress local, HostPort to) {
        return Pipes.tcp().bind(local)
                .upHandler(in -> Pipes.tcp().dest(to).eventLoopOf(in).open().whenComplete((out, e) -> {
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

    /**
     * Half the descriptor limit, at most 4096: a cap at the limit itself let a flood use up the descriptors before
     * the cap made room (an attack run with a limit of 4096 left 2 of 20 new clients answered), and the server
     * socket, the event loops and the JVM need some too.
     */
    static int defaultMaxClients() {
        return Descriptors.halfTheLimit(4096);
    }

    /** A running UDP forwarder: its server pipe and its table of upstreams (closed with the server). */
    record UdpForwarder(Pipe server, UdpUpstreams upstreams) {
    }

    /**
     * A UDP forwarder from {@code local} to {@code to}. A datagram that cannot be forwarded (its upstream could not
     * be opened, or a send failed) is dropped; drops are reported on stderr, one line a second at most.
     */
    static UdpForwarder udp(InetSocketAddress local, HostPort to, int maxClients, Duration idle,
                            Consumer<InetSocketAddress> released) {
        Pipe server = Pipes.udp().bind(local).open().join();
        DropReport drops = new DropReport();
        // The table is made after its opener, whose reply handler marks the client as used in it.
        AtomicReference<UdpUpstreams> table = new AtomicReference<>();
        UdpUpstreams upstreams = new UdpUpstreams(client -> Pipes.udp().dest(to).eventLoopOf(server)
                .msgHandler(MsgHandler.plain((reply, upstream) -> {
                    table.get().used(client);
                    server.send(reply.data(), client)
                            .exceptionally(e -> drops.dropped("a reply to " + Addresses.show(client), e));
                }))
                .open(), maxClients, idle, released);
        table.set(upstreams);
        server.addMsgHandler((msg, pipe) -> upstreams.upstream(msg.sender())
                .thenCompose(upstream -> upstream.send(msg.data()))
                .exceptionally(e -> drops.dropped("a datagram from " + Addresses.show(msg.sender()), e)));
        server.addEndHandler(ended -> upstreams.close());
        return new UdpForwarder(server, upstreams);
    }

    /** Reports dropped datagrams without flooding: one line a second at most, counting the ones not shown. */
    static final class DropReport {
        private final AtomicLong unreported = new AtomicLong();
        private final AtomicLong nextReportNanos = new AtomicLong(System.nanoTime());

        Void dropped(String what, Throwable error) {
            long count = unreported.incrementAndGet();
            long due = nextReportNanos.get();
            long now = System.nanoTime();
            if (now - due >= 0 && nextReportNanos.compareAndSet(due, now + TimeUnit.SECONDS.toNanos(1))) {
                unreported.addAndGet(-count);
                System.err.println("p2pd forward: dropped " + what + ": " + Main.describe(error)
                        + (count > 1 ? " (" + (count - 1) + " more dropped since the last report)" : ""));
            }
            return null;
        }
    }
}
