package io.p2pd.pipe;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class SubQueueTest {

    private static final InetSocketAddress FROM = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);

    private static Message message(String text) {
        return new Message(text.getBytes(US_ASCII), FROM);
    }

    @Test
    void bytesGivenBackGoFirstWhileSubscribedAndAreRefusedOnceUnsubscribed() {
        SubQueue queue = new SubQueue(Sub.ALL, 4, false, () -> { });
        assertThat(queue.offer(message("later"))).isEqualTo(SubQueue.Offer.QUEUED);
        assertThat(queue.offerFirst(message("earlier"))).isEqualTo(SubQueue.Offer.QUEUED);
        assertThat(queue.size()).isEqualTo(2);

        queue.remove(() -> new PipeClosedException("unsubscribed"));
        assertThat(queue.offerFirst(message("lost"))).isEqualTo(SubQueue.Offer.GONE);
        assertThat(queue.offer(message("lost too"))).isEqualTo(SubQueue.Offer.GONE);
        assertThat(queue.size()).isEqualTo(2);
    }
}
