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
                try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int t = 0; t < threads; t++) {
                        ex.submit(() -> {
                            for (int i = 0; i < perThread; i++) {
                                final Obj o = pool.get();
                                o.uses++;
                                pool.put(o);
                                if (i % 5 == 0) {
                                    Thread.yield(); // let other virtual threads interleave
                                }
                            }
                        });
                    }
                }
                final SmrPool.Stats s = pool.stats();
                System.out.printf("virtual threads %s round %d: live %d, cached %d, stripes %d, batches pending %d,"
                        + " contention %d; domain %s%n", mode, round, s.live(), s.cached(), s.stripes(),
                        s.batchesPending(), s.contention(), smr.stats());
                assertThat(s.stripes()).isLessThanOrEqualTo(SmrPool.MAX_STRIPES_DEFAULT);
                if (round == 0) {
                    liveAfterFirst = s.live();
                }
            }
            final SmrPool.Stats s = pool.stats();
            assertThat(s.requests()).isEqualTo((long) threads * perThread * rounds);
            // Bounded by the stripes and by what is pending for a grace period (in lazy mode a
            // tick or two of puts, plus what warm-up and scheduling hiccups of the first round
            // added), never by the number of threads (no per-thread caches): later rounds of
            // another 10,000 threads each do not grow the pool.
            assertThat(s.live()).as("live objects after %d rounds", rounds)
                    .isLessThanOrEqualTo(liveAfterFirst + liveAfterFirst / 2 + 1024);
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
}
