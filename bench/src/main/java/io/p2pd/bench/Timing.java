package io.p2pd.bench;

/** How long each run warms up and then measures, in milliseconds, and how many runs make a median. */
record Timing(long warmupMillis, long measureMillis, int runs) {

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
