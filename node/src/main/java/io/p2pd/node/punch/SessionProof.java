package io.p2pd.node.punch;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.p2pd.pipe.Pipe;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The stand-in {@link PunchProof} until the node-key proof is merged: each side sends the punch's pipe id (a length
 * byte, then the characters) and checks that the peer sent the same. The pipe id is random and, when both keys are
 * known, only travelled encrypted, so a stray connection to a predicted port does not pass; it does not prove a key.
 */
final class SessionProof implements PunchProof {

    @Override
    public CompletableFuture<Pipe> prove(Pipe tcp, String session, Duration limit) {
        byte[] id = session.getBytes(US_ASCII);
        byte[] frame = new byte[1 + id.length];
        frame[0] = (byte) id.length;
        System.arraycopy(id, 0, frame, 1, id.length);
        tcp.send(frame);
        return readExactly(tcp, frame.length, limit).thenApply(got -> {
            if (!Arrays.equals(got, frame)) {
                tcp.closeAsync();
                throw new CompletionException(new IllegalStateException("the peer named another punch"));
            }
            return tcp;
        }).whenComplete((p, e) -> {
            if (e != null) {
                tcp.closeAsync();
            }
        });
    }

    /**
     * Exactly {@code n} bytes from {@code tcp}'s queue, reading chunk by chunk; bytes of the last chunk past them
     * are given back ({@link Pipe#unread}) for whoever reads next.
     */
    static CompletableFuture<byte[]> readExactly(Pipe tcp, int n, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        return readMore(tcp, new byte[n], 0, deadline);
    }

    private static CompletableFuture<byte[]> readMore(Pipe tcp, byte[] into, int have, long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return CompletableFuture.failedFuture(new IllegalStateException("the peer's handshake did not come in "
                    + "time"));
        }
        return tcp.recv(Duration.ofNanos(left)).thenCompose(msg -> {
            byte[] data = msg.data();
            int take = Math.min(data.length, into.length - have);
            System.arraycopy(data, 0, into, have, take);
            if (take < data.length) {
                tcp.unread(Arrays.copyOfRange(data, take, data.length));
            }
            return have + take == into.length ? CompletableFuture.completedFuture(into)
                    : readMore(tcp, into, have + take, deadline);
        });
    }
}
