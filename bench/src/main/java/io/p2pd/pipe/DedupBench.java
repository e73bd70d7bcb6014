package io.p2pd.pipe;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Duplicate suppression per message ({@code enableMsgIds}): a new message (remembered, the oldest evicted) and a
 * repeat (found). It sits in package io.p2pd.pipe because the table is package-private: on the class path the
 * bench jar shares the package with core.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DedupBench {

    @Param({"64", "1024"})
    int size;

    private final InetSocketAddress sender = new InetSocketAddress("127.0.0.1", 40000);
    private RecentMessages recent;
    private Message[] fresh;
    private Message repeat;
    private int next;

    @Setup
    public void setup() {
        recent = new RecentMessages(1000);
        // More distinct messages than the memory holds, so every "fresh" one is new and evicts the oldest.
        fresh = new Message[4096];
        for (int i = 0; i < fresh.length; i++) {
            byte[] data = new byte[size];
            data[0] = (byte) i;
            data[1] = (byte) (i >> 8);
            fresh[i] = new Message(data, sender);
        }
        repeat = new Message(new byte[size], new InetSocketAddress("127.0.0.2", 40000));
        recent.repeat(repeat);
    }

    @Benchmark
    public boolean newMessage() {
        Message m = fresh[next];
        next = (next + 1) & (fresh.length - 1);
        return recent.repeat(m);
    }

    @Benchmark
    public boolean repeatedMessage() {
        return recent.repeat(repeat);
    }
}
