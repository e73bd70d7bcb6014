package io.p2pd.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketProtocolFamily;
import io.p2pd.internal.Channels;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Opens {@code n} idle TCP connections to a server in a child JVM ({@link AcceptChild}) and reports how long
 * accepting them took and how much server heap each costs. The child starts under
 * {@code ulimit -n 65536}, or the hard limit where that is lower (20,000 here: enough for 10,000).
 */
final class AcceptRun {

    /** Connects in flight at once: enough to keep the accept queue busy, under any listen backlog. */
    private static final int IN_FLIGHT = 256;

    /** Idle clients read nothing and need no handler; a bootstrap wants a sharable one. */
    private static final ChannelInitializer<Channel> IDLE = new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {
        }
    };

    private AcceptRun() {
    }

    static Sample run(String impl, int n) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = Procs.start(List.of("bash", "-c", "{ ulimit -n 65536 || ulimit -n \"$(ulimit -Hn)\"; } 2>/dev/null; exec \"$0\" \"$@\"", java,
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xms512m", "-Xmx512m",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), AcceptChild.class.getName(), impl,
                String.valueOf(n)));
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the child ended
            }
        });
        PrintStream toChild = new PrintStream(child.getOutputStream(), true);
        List<Channel> clients = new ArrayList<>(n);
        try {
            String[] ready = await(lines, "READY", 20_000).split(" ");
            InetSocketAddress server = new InetSocketAddress("127.0.0.1", Integer.parseInt(ready[1]));
            // Heap is compared between half and all of the connections, so what the first connection sets up
            // once (classes, pools, caches) is not charged to each.
            int first = n / 2;
            long t0 = System.nanoTime();
            connect(server, first, clients);
            await(lines, "ACCEPTED " + first, 60_000);
            double millis = (System.nanoTime() - t0) / 1e6;
            toChild.println("heap");
            long heapFirst = Long.parseLong(await(lines, "HEAP", 30_000).split(" ")[1]);
            long t1 = System.nanoTime();
            connect(server, n - first, clients);
            await(lines, "ACCEPTED " + n, 60_000);
            millis += (System.nanoTime() - t1) / 1e6;
            toChild.println("heap");
            long heapAll = Long.parseLong(await(lines, "HEAP", 30_000).split(" ")[1]);
            return new Sample().put("accept ms", millis)
                    .put("conn/s", n / (millis / 1e3))
                    .put("heap B/conn", (heapAll - heapFirst) / (double) (n - first));
        } finally {
            toChild.println("quit");
            for (Channel c : clients) {
                if (c.isRegistered()) {
                    c.close();
                }
            }
            if (!child.waitFor(10, TimeUnit.SECONDS)) {
                Procs.stop(child);
            }
            Procs.stop(child);
        }
    }

    private static void connect(InetSocketAddress server, int n, List<Channel> into) throws Exception {
        Bootstrap b = new Bootstrap()
                .group(NettySide.group())
                .channelFactory(Channels.tcpClient(NettySide.group(), SocketProtocolFamily.INET))
                .handler(IDLE);
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        List<ChannelFuture> pending = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (!inFlight.tryAcquire(10, TimeUnit.SECONDS)) {
                throw new IOException("connects stalled after " + i + " of " + n);
            }
            ChannelFuture f = b.connect(server);
            f.addListener(done -> inFlight.release());
            pending.add(f);
            into.add(f.channel());
        }
        for (ChannelFuture f : pending) {
            if (!f.await(10, TimeUnit.SECONDS) || !f.isSuccess()) {
                throw new IOException("connect failed: " + f.cause());
            }
        }
    }

    private static String await(BlockingQueue<String> lines, String prefix, long millis) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            String l = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (l == null) {
                throw new IOException("child JVM did not say " + prefix + " within " + millis + " ms");
            }
            if ((l + " ").startsWith(prefix + " ")) {
                return l;
            }
        }
    }
}
