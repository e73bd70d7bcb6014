package io.p2pd.pipe;

/** A subscription as a pipe holds it: a handler to call or a queue to fill, never both. */
record Subscription(Sub sub, MsgHandler handler, SubQueue queue) {

    boolean hasHandler() {
        return handler != null;
    }
}
