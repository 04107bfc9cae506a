package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The spin-then-park wait: spins first, parks after, and keeps an interrupt for the end. */
class BackoffTest {

    @Test
    void spinsFirstThenParks() {
        final Backoff b = new Backoff(this);
        for (int i = 0; i < Backoff.SPINS; i++) {
            assertThat(b.parking()).as("pause %d spins", i).isFalse();
            b.pause();
        }
        assertThat(b.parking()).as("after %d spins", Backoff.SPINS).isTrue();
        final long t0 = System.nanoTime();
        b.pause(); // parks about 1 us (the scheduler may make it longer, never an endless wait)
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(5));
        b.restoreInterrupt();
        assertThat(Thread.interrupted()).as("no interrupt arrived").isFalse();
    }

    @Test
    void anInterruptDuringTheWaitIsClearedWhileWaitingAndRestoredAtTheEnd() {
        final Backoff b = new Backoff(this);
        Thread.currentThread().interrupt();
        b.park(1_000);
        assertThat(Thread.currentThread().isInterrupted())
                .as("cleared, so that the next park waits instead of returning at once").isFalse();
        final long t0 = System.nanoTime();
        b.park(TimeUnit.MILLISECONDS.toNanos(20));
        assertThat(System.nanoTime() - t0).as("the next park waits").isGreaterThanOrEqualTo(
                TimeUnit.MILLISECONDS.toNanos(15));
        b.restoreInterrupt();
        assertThat(Thread.interrupted()).as("restored for the caller").isTrue();
    }

    @Test
    void theParkTimeoutDoublesUpToOneMillisecond() {
        final Backoff b = new Backoff(this);
        for (int i = 0; i < Backoff.SPINS; i++) {
            b.pause();
        }
        // 1, 2, 4, ... 512 us, then 1 ms from the 11th park on: 20 parks take at least
        // 1 + 2 + ... + 512 us + 10 ms = 11.0 ms, and a fixed 1 us park would take far less.
        final long t0 = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            b.pause();
        }
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MICROSECONDS.toNanos(11_000));
        assertThat(Backoff.PARK_MAX_NANOS).isEqualTo(TimeUnit.MILLISECONDS.toNanos(1));
    }
}
