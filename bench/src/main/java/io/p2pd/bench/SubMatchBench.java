package io.p2pd.bench;

import io.p2pd.pipe.Message;
import io.p2pd.pipe.Sub;
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
 * What a pipe does per message for its subscriptions ({@code Dispatcher.advance}): {@link Sub#matches} on every
 * subscription, in order. One operation is one 64-byte message offered to all {@code subs} subscriptions.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SubMatchBench {

    @Param({"1", "10", "100"})
    int subs;

    private Sub[] regex;
    private Sub[] senders;
    private Message msg;

    @Setup
    public void setup() {
        msg = new Message(Payload.message(64), new InetSocketAddress("127.0.0.1", 40000));
        regex = new Sub[subs];
        senders = new Sub[subs];
        for (int i = 0; i < subs; i++) {
            regex[i] = Sub.matching(SubPatterns.pattern(i));
            senders[i] = Sub.from(new InetSocketAddress("127.0.0.1", 41000 + i));
        }
    }

    /** Unanchored patterns that do not match: each scans the whole message. */
    @Benchmark
    public int regex() {
        int n = 0;
        for (Sub s : regex) {
            if (s.matches(msg)) {
                n++;
            }
        }
        return n;
    }

    /**
     * The proposed fix of {@code Sub.matches}: the same patterns run over one copy-free Latin-1 view of the bytes
     * per message, instead of a new String per subscription. Not library code: it shows what the fix would save.
     */
    @Benchmark
    public int regexOverView() {
        CharSequence view = new Latin1View(msg.data());
        int n = 0;
        for (Sub s : regex) {
            if (s.pattern().orElseThrow().matcher(view).find()) {
                n++;
            }
        }
        return n;
    }

    /** Bytes read as ISO-8859-1, one char per byte, without copying them. */
    record Latin1View(byte[] data, int from, int to) implements CharSequence {
        Latin1View(byte[] data) {
            this(data, 0, data.length);
        }

        @Override
        public int length() {
            return to - from;
        }

        @Override
        public char charAt(int index) {
            return (char) (data[from + index] & 0xFF);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new Latin1View(data, from + start, from + end);
        }

        @Override
        public String toString() {
            return new String(data, from, to - from, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    /** Sender-only subscriptions (address and port compare), the cheap kind. */
    @Benchmark
    public int sender() {
        int n = 0;
        for (Sub s : senders) {
            if (s.matches(msg)) {
                n++;
            }
        }
        return n;
    }
}
