package io.p2pd.pipe;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects the chunks a TCP pipe delivers: their sizes, and the whole stream once {@code total} bytes came. */
final class ChunkCollector {

    final List<Integer> sizes = new CopyOnWriteArrayList<>();
    final CompletableFuture<byte[]> whole = new CompletableFuture<>();
    private final ByteArrayOutputStream got = new ByteArrayOutputStream(); // event loop only
    private final int total;

    ChunkCollector(int total) {
        this.total = total;
    }

    MsgHandler handler() {
        return MsgHandler.plain((m, p) -> {
            sizes.add(m.data().length);
            got.writeBytes(m.data());
            if (got.size() == total) {
                whole.complete(got.toByteArray());
            }
        });
    }
}
