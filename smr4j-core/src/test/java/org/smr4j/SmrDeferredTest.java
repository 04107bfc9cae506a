package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smr4j.TestSupport.awaitParked;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deferred mode ({@code SMR_DEFERRED}): advances return a goal one step in the future and
 * write the shared sequence only on every {@code limit}-th call per stripe of threads (chosen by
 * thread id, about one per CPU, FreeBSD's per-CPU counter); a non-blocking poll
 * reports a future goal as not reached (even with no readers at all) until something moves the
 * shared sequence; waitFor forces it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(DomainValidation.class)
class SmrDeferredTest {

    @Test
    void aFutureGoalIsNotReachedWithoutReadersUntilSomethingAdvances() {
        final Smr smr = Smr.builder("future").deferred(4).build();
        final long c0 = smr.current();
        final long goal = smr.advance();
        assertThat(goal).isEqualTo(c0 + SmrSeq.INCR);
        assertThat(smr.current()).as("a deferred advance writes nothing shared").isEqualTo(c0);
        for (int i = 0; i < 10; i++) {
            assertThat(smr.poll(goal)).as("future goal, no readers: still not reached").isFalse();
        }
        assertThat(smr.stats().scans()).as("a future goal is refused before any scan").isZero();
        assertThat(smr.stats().failedPolls()).isEqualTo(10);

        smr.advance();
        smr.advance();
        assertThat(smr.current()).as("advances 2 and 3 of this thread are still deferred").isEqualTo(c0);
        assertThat(smr.poll(goal)).isFalse();
        final long real = smr.advance();
        assertThat(smr.current()).as("the 4th advance of this thread writes the shared sequence")
                .isEqualTo(c0 + SmrSeq.INCR).isEqualTo(real);
        assertThat(smr.poll(goal)).isTrue();
    }

    @Test
    void waitForForcesAFutureGoal() {
        final Smr smr = Smr.builder("force").deferred(1000).build();
        final long goal = smr.advance();
        assertThat(smr.poll(goal)).isFalse();
        smr.waitFor(goal);
        assertThat(SmrSeq.geq(smr.current(), goal)).as("waitFor moved the write sequence to the goal: %s", smr).isTrue();
        assertThat(smr.poll(goal)).isTrue();
        assertThat(smr.stats().waits()).isEqualTo(1);
        smr.synchronize();
        assertThat(smr.stats().waits()).as("synchronize on a future goal forces it too").isEqualTo(2);
    }

    @Test
    void waitForOnAFutureGoalForcesItAndThenWaitsForTheReader() {
        final Smr smr = Smr.builder("force-then-wait").deferred(1000).build();
        try (Actor reader = new Actor("reader"); Actor waiter = new Actor("waiter")) {
            reader.run(smr::enter);
            final long goal = smr.advance();
            final Future<?> waiting = waiter.submit(() -> smr.waitFor(goal));
            awaitParked(waiter.thread(), "waitFor(" + goal + ") blocks on the reader after forcing the sequence");
            assertThat(SmrSeq.geq(smr.current(), goal)).as("forced: %s", smr).isTrue();
            assertThat(waiting).isNotDone();
            reader.run(smr::exit);
            Actor.join(waiting, "waitFor after the reader exited");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 7})
    void everyLimitThAdvanceOfAThreadWritesTheSharedSequence(final int limit) {
        final Smr smr = Smr.builder("limit-" + limit).deferred(limit).build();
        final List<Integer> moved = new ArrayList<>();
        for (int i = 1; i <= 3 * limit; i++) {
            final long before = smr.current();
            final long goal = smr.advance();
            final long after = smr.current();
            assertThat(goal).as("advance %d", i).isEqualTo(before + SmrSeq.INCR);
            if (after != before) {
                assertThat(after).isEqualTo(goal);
                moved.add(i);
            }
        }
        assertThat(moved).as("advances (1-based) that wrote the shared sequence").containsExactly(limit, 2 * limit, 3 * limit);
        assertThat(smr.stats().advances()).isEqualTo(3L * limit);
    }

    @Test
    void shortLivedThreadsShareStripeCountersAndMoveTheSequence() throws Exception {
        // Each thread advances once in its life. With per-thread counters (the first design)
        // none of them would ever reach the limit, and their goals would stay ahead of every
        // non-blocking poll forever. Counters are per stripe, so they add up. Threads run one
        // after the other, so no increment is lost to a race.
        final int limit = 4;
        final int threads = 100;
        final Smr smr = Smr.builder("short-lived").deferred(limit).build();
        final long c0 = smr.current();
        final List<Long> goals = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            final long[] goal = new long[1];
            final Thread t = Thread.ofVirtual().name("one-shot-writer-" + i).start(() -> goal[0] = smr.advance());
            t.join();
            goals.add(goal[0]);
        }
        final int stripes = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 2 - 1);
        // Each stripe wastes at most limit - 1 advances below its limit.
        final long minimumReal = (threads - (long) stripes * (limit - 1)) / limit;
        assertThat(SmrSeq.delta(smr.current(), c0) / SmrSeq.INCR)
                .as("real advances from %d one-shot threads over %d stripes", threads, stripes)
                .isGreaterThanOrEqualTo(minimumReal);
        assertThat(smr.stats().readers()).as("deferred advances register no reader record").isZero();
        // Every goal but the last few (within one step of the current sequence) is reachable.
        final long reachable = goals.stream().filter(smr::poll).count();
        assertThat(reachable).isGreaterThanOrEqualTo(threads - (long) stripes * (limit - 1) - 1);
    }
}
