package io.p2pd.bench;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server end of the many-connections workload, alone in its JVM so its heap holds nothing else: an echo server
 * (pipes or raw Netty) that says on stdout when half and when all of {@code n} connections are accepted, and its
 * settled heap when asked. Ends when stdin closes or says "quit", or after five minutes at most.
 *
 * <pre>READY port / ACCEPTED k / (stdin "heap") HEAP bytes k</pre>
 */
public final class AcceptChild {

    private AcceptChild() {
    }

    public static void main(String[] args) throws Exception {
        String impl = args[0];
        int n = Integer.parseInt(args[1]);
        AtomicInteger accepted = new AtomicInteger();
        Runnable counted = () -> {
            int k = accepted.incrementAndGet();
            if (k == n / 2 || k == n) {
                System.out.println("ACCEPTED " + k);
            }
        };
        Side.Open server;
        if (impl.equals("pipes")) {
            Pipe pipe = Pipes.tcp().bind(PipeSide.LOOPBACK)
                    .msgHandler(MsgHandler.plain((msg, p) -> p.send(msg.data())))
                    .upHandler(p -> counted.run())
                    .open().get(5, TimeUnit.SECONDS);
            server = PipeSide.wrap(pipe);
        } else {
            server = NettySide.listen(new CountingEcho(counted));
        }
        settledHeap(); // the first measurement keeps ~3 MB that later ones free: it must not be a baseline
        System.out.println("READY " + server.address().getPort());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(TimeUnit.MINUTES.toMillis(5));
                System.exit(2);
            } catch (InterruptedException e) {
                // ended normally
            }
        });
        String line;
        while ((line = in.readLine()) != null && !line.equals("quit")) {
            if (line.equals("heap")) {
                System.out.println("HEAP " + settledHeap() + " " + accepted.get());
            }
        }
        watchdog.interrupt();
        server.close();
        System.exit(0);
    }

    /**
     * Heap in use after full collections (the child runs the serial collector, whose full GC compacts all),
     * repeated until two readings agree: objects freed through reference processing need more than one cycle.
     */
    static long settledHeap() {
        var memory = ManagementFactory.getMemoryMXBean();
        long last = -1;
        for (int i = 0; i < 10; i++) {
            System.gc();
            long now = memory.getHeapMemoryUsage().getUsed();
            if (now == last) {
                break;
            }
            last = now;
        }
        return last;
    }

    /** The raw Netty echo, counting connections as they become active. */
    @ChannelHandler.Sharable
    static final class CountingEcho extends NettySide.Echo {
        private final Runnable counted;

        CountingEcho(Runnable counted) {
            this.counted = counted;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            counted.run();
            ctx.fireChannelActive();
        }
    }
}
