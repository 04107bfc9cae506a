package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Many virtual threads: the caches stay bounded by the stripes, not by the thread count. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SmrPoolVirtualThreadTest {
    /** A pooled object. */
    static final class Obj {
        long uses;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void tenThousandVirtualThreadsWithoutUnboundedGrowth(final SmrPoolTesting.Mode mode) throws Exception {
        final int threads = 10_000;
        final int rounds = SmrPoolTesting.slow() ? 20 : 3;
        final int perThread = 20;
        final Smr smr = mode.domain("vt-" + mode);
        try (SmrPool<Obj> pool = SmrPool.builder("vt-" + mode, Obj::new).smr(smr).jmx(false).build()) {
            long liveAfterFirst = 0;
            for (int round = 0; round < rounds; round++) {
                final java.util.List<java.util.concurrent.Future<?>> tasks = new java.util.ArrayList<>();
                try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int t = 0; t < threads; t++) {
                        tasks.add(ex.submit(() -> {
                            for (int i = 0; i < perThread; i++) {
                                final Obj o = pool.get();
                                o.uses++;
                                pool.put(o);
                                if (i % 5 == 0) {
                                    yieldToOthers(); // let other virtual threads interleave
                                }
                            }
                        }));
                    }
                }
                for (final java.util.concurrent.Future<?> task : tasks) {
                    task.get(); // a task's exception fails the test
                }
                final SmrPool.Stats s = pool.stats();
                System.out.printf("virtual threads %s round %d: live %d, cached %d, stripes %d, batches pending %d,"
                        + " contention %d; domain %s%n", mode, round, s.live(), s.cached(), s.stripes(),
                        s.batchesPending(), s.contention(), smr.stats());
                assertThat(s.stripes()).isLessThanOrEqualTo(SmrPool.MAX_STRIPES_DEFAULT);
                // No per-thread caches: once this round's 10,000 threads are gone and their
                // goals have passed, the pool can give back every object it made. (How many it
                // made depends on scheduling: when a carrier stalls, gets create rather than
                // wait, by design, so the peak is printed, not bounded.)
                SmrPoolBatchTest.letGoalsPass(mode, smr);
                pool.drain();
                SmrPoolBatchTest.letGoalsPass(mode, smr);
                pool.drain();
                assertThat(pool.stats().live()).as("live after round %d's threads died and the pool drained", round)
                        .isZero();
                liveAfterFirst = Math.max(liveAfterFirst, s.live());
            }
            System.out.printf("virtual threads %s: peak live %d%n", mode, liveAfterFirst);
            final SmrPool.Stats s = pool.stats();
            assertThat(s.requests()).isEqualTo((long) threads * perThread * rounds);
            // Nothing is stuck for dead threads: once the goals pass, everything can be released.
            SmrPoolBatchTest.letGoalsPass(mode, smr);
            pool.drain();
            SmrPoolBatchTest.letGoalsPass(mode, smr);
            pool.drain();
            assertThat(pool.stats().cached()).as("cached after drain").isZero();
            assertThat(pool.stats().live()).isZero();
            pool.checkInvariants();
        }
    }

    @SuppressWarnings("ThreadPriorityCheck") // interleaving virtual threads is what the test wants
    private static void yieldToOthers() {
        Thread.yield();
    }
}
