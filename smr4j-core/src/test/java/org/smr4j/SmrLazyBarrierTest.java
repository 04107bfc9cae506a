package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lazy mode with fence-free readers: every goal reported reached is covered by a process-wide
 * barrier begun after the write sequence reached it. The read sequence answers later polls
 * without a scan, so it must never pass the barrier sequence.
 *
 * <p>Regression: a scan for an old goal used to skip the barrier (the old goal was covered)
 * and still publish the read sequence up to the current write sequence; a later goal then
 * read as reached with no barrier after it (found by smr4j-stress
 * EnterPollRace.LazyOldestGoalFirst).
 */
class SmrLazyBarrierTest {

    @Test
    @Timeout(10)
    void readSequenceNeverPassesTheBarrierSequence() throws InterruptedException {
        final Smr smr = Smr.builder("lazy-barrier").lazy(Duration.ofMillis(1)).build();
        assumeTrue(smr.fenceFreeReaders(), "membarrier(2) unavailable: " + AsymmetricFence.unavailableReason());
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch leave = new CountDownLatch(1);
        final Thread reader = Thread.ofPlatform().name("held-reader").start(() -> {
            smr.enter();
            entered.countDown();
            try {
                leave.await(5, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                smr.exit();
            }
        });
        assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();

        final long g1 = smr.advance();
        awaitClockPast(smr, g1);
        assertThat(smr.poll(g1)).as("held reader blocks g1").isFalse();
        assertInvariant(smr);
        final long barriersAfterG1 = smr.stats().barriers();
        assertThat(barriersAfterG1).isPositive();

        leave.countDown();
        reader.join();
        final long g2 = smr.advance();
        awaitClockPast(smr, g2);
        // The scan for g1 runs with a write sequence past g2: it must barrier before it may
        // publish a read sequence that covers g2.
        assertThat(smr.poll(g1)).isTrue();
        assertInvariant(smr);
        assertThat(smr.poll(g2)).isTrue();
        assertInvariant(smr);
        assertThat(smr.stats().barriers()).as("a barrier after g2 was issued").isGreaterThan(barriersAfterG1);
        assertThat(SmrSeq.geq(smr.barrierSequence(), g2)).as("barrier covers g2").isTrue();
    }

    private static void assertInvariant(final Smr smr) {
        final long rd = smr.stats().readSequence();
        assertThat(SmrSeq.leq(rd, smr.barrierSequence()))
                .as("rdSeq %d <= barrierSeq %d", rd, smr.barrierSequence()).isTrue();
    }

    /** Polls nothing: sleeps until the lazy clock is a few ticks past the goal. */
    private static void awaitClockPast(final Smr smr, final long goal) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (SmrSeq.lt(smr.clockSequence(), goal + 4 * SmrSeq.INCR)) {
            assertThat(System.nanoTime()).as("lazy clock stuck before goal %d", goal).isLessThan(deadline);
            Thread.sleep(1);
        }
    }
}
