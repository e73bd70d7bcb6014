package io.p2pd.bench;

/**
 * The regex subscriptions of the subscription workloads: unanchored (searched through the whole message, the
 * common and costly case) and never matching {@link Payload#message}, so every one is fully evaluated.
 */
final class SubPatterns {

    private SubPatterns() {
    }

    static String pattern(int i) {
        return "seq=" + (1000 + i) + ";";
    }
}
