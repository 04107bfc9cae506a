package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A reader that never leaves its section must not stop allocation: the pool grows and its
 * statistics show the pending batches piling up; once the reader exits, the next poll reuses.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SmrPoolStalledReaderTest {
    /** A pooled object. */
    static final class Obj {
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void stalledReaderCostsMemoryNotProgress(final SmrPoolTesting.Mode mode) {
        final Smr smr = mode.domain("stall-" + mode);
        try (SmrPool<Obj> pool = SmrPool.builder("stall-" + mode, Obj::new).smr(smr).jmx(false)
                .magazineSize(16).build()) {
            final List<Obj> held = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                held.add(pool.get());
            }
            held.forEach(pool::put);
            held.clear();
            final SmrPoolTesting.StalledReader reader = new SmrPoolTesting.StalledReader(smr, "stalled-" + mode);
            long pendingBefore = pool.stats().batchesPending();
            final long createdBefore = pool.stats().created();
            try {
                for (int round = 0; round < 10; round++) {
                    for (int i = 0; i < 1_000; i++) {
                        pool.put(pool.get());
                    }
                    final SmrPool.Stats s = pool.stats();
                    assertThat(s.batchesPending()).as("round " + round).isGreaterThan((int) pendingBefore);
                    pendingBefore = s.batchesPending();
                }
                final SmrPool.Stats s = pool.stats();
                System.out.printf("stalled reader %s: created %d, live %d, batches pending %d, objects pending %d,"
                                + " oldest %s%n", mode, s.created(), s.live(), s.batchesPending(), s.objectsPending(),
                        s.oldestPendingAge());
                assertThat(s.created()).as("the pool grew instead of waiting").isGreaterThan(createdBefore + 5_000);
                assertThat(s.oldestPendingAge()).isPositive();
            } finally {
                reader.close();
            }
            // The head batch is old: its goal was passed long ago (even a lazy tick or a
            // deferred limit ago); only the reader held it back. One poll reuses it.
            final long created = pool.stats().created();
            final long refills = pool.stats().refills();
            pool.get();
            assertThat(pool.stats().created()).as("reused within one poll of the reader's exit").isEqualTo(created);
            assertThat(pool.stats().refills()).isEqualTo(refills + 1);
            pool.checkInvariants();
        }
    }
}
