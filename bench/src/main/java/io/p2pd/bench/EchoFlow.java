package io.p2pd.bench;

/**
 * The client side of a pipelined echo over one connection (or one UDP socket): keeps {@code window} messages
 * outstanding, and for every message that comes back records its round trip and sends a new one.
 *
 * <p>The same bookkeeping serves the pipe client and the raw Netty client, so the two differ only in the library
 * calls they make. TCP may hand back any number of bytes at once: whole messages are counted from the byte total.
 * Methods are synchronized because the first window is sent from the harness thread while replies arrive on an
 * event loop; the lock is uncontended afterwards and costs both sides the same.
 */
final class EchoFlow {

    /** Sends {@code count} more messages; a stream sends them in one write, datagrams one by one. */
    interface Wire {
        void send(int count);
    }

    private final int size;
    private final long[] sentAt;
    private final Histogram latency = new Histogram();
    private Wire wire;
    private int head;
    private int inflight;
    private long carry;
    private long sent;
    private long completed;
    private long lost;
    private boolean running;
    private boolean measuring;

    EchoFlow(int size, int window) {
        this.size = size;
        this.sentAt = new long[window];
    }

    int size() {
        return size;
    }

    int window() {
        return sentAt.length;
    }

    synchronized void start(Wire wire) {
        this.wire = wire;
        running = true;
        sendMore(sentAt.length);
    }

    /** {@code bytes} more echoed bytes arrived. */
    synchronized void onBytes(int bytes) {
        carry += bytes;
        int done = (int) Math.min(inflight, carry / size);
        carry -= (long) done * size;
        long now = System.nanoTime();
        for (int i = 0; i < done; i++) {
            long t = sentAt[head];
            head = (head + 1) % sentAt.length;
            inflight--;
            if (measuring) {
                latency.record(now - t);
                completed++;
            }
        }
        if (running && done > 0) {
            sendMore(done);
        }
    }

    /**
     * Datagrams can be lost: declares the outstanding ones older than {@code ageNanos} lost and sends replacements,
     * so a lost datagram cannot stall the window for good.
     */
    synchronized void expire(long ageNanos) {
        long now = System.nanoTime();
        int gone = 0;
        while (inflight > 0 && now - sentAt[head] > ageNanos) {
            head = (head + 1) % sentAt.length;
            inflight--;
            gone++;
        }
        if (measuring) {
            lost += gone;
        }
        if (running && gone > 0) {
            sendMore(gone);
        }
    }

    private void sendMore(int count) {
        long now = System.nanoTime();
        for (int i = 0; i < count; i++) {
            sentAt[(head + inflight) % sentAt.length] = now;
            inflight++;
        }
        if (measuring) {
            sent += count;
        }
        wire.send(count);
    }

    synchronized void measure(boolean on) {
        measuring = on;
    }

    synchronized void stop() {
        running = false;
        measuring = false;
    }

    synchronized long completed() {
        return completed;
    }

    synchronized long sent() {
        return sent;
    }

    synchronized long lost() {
        return lost;
    }

    synchronized void addLatencyTo(Histogram into) {
        into.add(latency);
    }
}
