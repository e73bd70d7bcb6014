package io.p2pd.node.signal;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.node.mqtt.MqttBroker;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Signalling's bound between the MQTT loops and the checking thread: with the listener stuck, one message is being
 * handled, {@value Signalling#QUEUE} wait, and every further one is dropped unchecked and counted, never queued.
 */
class SignallingOverloadTest {

    @Test
    void messagesBeyondTheQueueAreDroppedAndCountedWhileTheCheckerIsBusy() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch handled = new CountDownLatch(1 + Signalling.QUEUE);
        SignalListener stuck = stuckOnDrops(release, handled::countDown);
        Signalling s = unstarted(stuck);
        try {
            int flood = 1 + Signalling.QUEUE + 75;
            for (int i = 0; i < flood; i++) {
                s.onMessage("zz".getBytes(US_ASCII));
            }
            SignallingStats during = s.stats();
            assertThat(during.received()).isEqualTo(flood);
            assertThat(during.overloaded()).isEqualTo(75);

            release.countDown();
            assertThat(handled.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(s.stats().inbox().dropped(SignalDrop.MALFORMED)).isEqualTo(1 + Signalling.QUEUE);
            assertThat(s.stats().overloaded()).isEqualTo(75);
        } finally {
            release.countDown();
            s.close();
        }
    }

    @Test
    void theQueueIsBoundedInBytesAndAPayloadOverTheCapHoldsNothing() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        byte[] largest = "zz".repeat(SignalCodec.MAX_WIRE_CHARS / 2).getBytes(US_ASCII);
        int fit = Signalling.QUEUE_BYTES / largest.length;
        Semaphore handled = new Semaphore(0);
        SignalListener stuck = stuckOnDrops(release, handled::release);
        Signalling s = unstarted(stuck);
        try {
            // Payloads of the largest size read: the one being checked and those waiting hold at most QUEUE_BYTES.
            for (int i = 0; i < fit + 40; i++) {
                s.onMessage(largest);
            }
            assertThat(fit).isLessThan(Signalling.QUEUE);
            assertThat(s.stats().overloaded()).isEqualTo(40);
            // One over the cap is counted malformed without being held (it needs no room in the queue's bytes).
            s.onMessage(new byte[SignalCodec.MAX_WIRE_CHARS + 1]);
            assertThat(s.stats().overloaded()).isEqualTo(40);
            release.countDown();
            assertThat(handled.tryAcquire(fit + 1, 30, TimeUnit.SECONDS)).isTrue();
            // Checked in turn, each giving its bytes back: the queue takes payloads again.
            s.onMessage("zz".getBytes(US_ASCII));
            assertThat(handled.tryAcquire(1, 30, TimeUnit.SECONDS)).isTrue();
            assertThat(s.stats().inbox().dropped(SignalDrop.MALFORMED)).isEqualTo(fit + 2);
            assertThat(s.stats().overloaded()).isEqualTo(40);
        } finally {
            release.countDown();
            s.close();
        }
    }

    /** A listener whose drops wait for {@code release}, then say so: it holds the checking thread meanwhile. */
    static SignalListener stuckOnDrops(CountDownLatch release, Runnable handled) {
        return new SignalListener() {
            @Override
            public void accepted(SignalReceipt receipt) {
            }

            @Override
            public void dropped(SignalDrop reason, String detail) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                handled.run();
            }
        };
    }

    /** Signalling that was never started: no broker is contacted, payloads are fed as a broker's loop would. */
    static Signalling unstarted(SignalListener listener) {
        return new Signalling(Signalling.builder(Fixtures.KEY_B)
                .brokers(List.of(MqttBroker.of("127.0.0.1", 1883))).listener(listener));
    }
}
