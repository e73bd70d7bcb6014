package io.p2pd.bench;

/**
 * A fixed-size log-linear latency histogram (about 1.6 % precision): recording is one array increment, so the
 * recorder costs the same for both sides of a comparison and never allocates on the hot path.
 */
final class Histogram {

    /** 64 linear sub-buckets per power of two: the relative error of a reported value is at most 1/64. */
    private static final int SUB_BITS = 6;
    private static final int SUB = 1 << SUB_BITS;
    private final long[] counts = new long[64 * SUB];
    private long total;

    void record(long nanos) {
        long v = Math.max(0, nanos);
        int index;
        if (v < SUB) {
            index = (int) v;
        } else {
            int shift = 63 - Long.numberOfLeadingZeros(v) - SUB_BITS;
            index = (shift + 1) * SUB + (int) ((v >>> shift) - SUB);
        }
        counts[Math.min(index, counts.length - 1)]++;
        total++;
    }

    void add(Histogram other) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
    }

    long count() {
        return total;
    }

    /** Forgets everything recorded. */
    void reset() {
        java.util.Arrays.fill(counts, 0);
        total = 0;
    }

    /** The mean of the recorded values (each taken at its bucket's lower bound), in nanoseconds; NaN when empty. */
    double mean() {
        if (total == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (int i = 0; i < counts.length; i++) {
            sum += (double) counts[i] * lowestOf(i);
        }
        return sum / total;
    }

    /** The value at quantile {@code q} (0..1), in nanoseconds; 0 when nothing was recorded. */
    long quantile(double q) {
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return lowestOf(i);
            }
        }
        return lowestOf(counts.length - 1);
    }

    private static long lowestOf(int index) {
        if (index < SUB) {
            return index;
        }
        int shift = index / SUB - 1;
        long mantissa = SUB + index % SUB;
        return mantissa << shift;
    }
}
