package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** FIFO of tagged batches, tags and polls, in every domain mode. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // StalledReader is held for its scope, not referenced
class SmrPoolBatchTest {
    /** A pooled object. */
    static final class Obj {
    }

    private static SmrPool<Obj> pool(final SmrPoolTesting.Mode mode, final String name, final int magazine) {
        return SmrPool.builder(name, Obj::new).smr(mode.domain(name)).jmx(false).magazineSize(magazine).build();
    }

    /** Lets a goal issued now become reachable: a lazy tick passes; deferred goals get pushed. */
    static void letGoalsPass(final SmrPoolTesting.Mode mode, final Smr smr) {
        if (mode == SmrPoolTesting.Mode.LAZY) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(3));
        } else if (mode == SmrPoolTesting.Mode.DEFERRED) {
            for (int i = 0; i < 4; i++) {
                smr.advance(); // the deferred limit is 4: one of these writes the shared sequence
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void putObjectIsNotHandedOutWhileAReaderIsInsideAndIsAfterItExits(final SmrPoolTesting.Mode mode) {
        try (SmrPool<Obj> pool = pool(mode, "fifo-" + mode, 4)) {
            final Obj a = pool.get();
            final List<Obj> held = new ArrayList<>();
            try (SmrPoolTesting.StalledReader r = new SmrPoolTesting.StalledReader(pool.smr(), "reader-" + mode)) {
                pool.put(a); // the reader entered before the put: it could have found a
                assertThat(pool.flush()).isEqualTo(1);
                assertThat(pool.stats().batchesPending()).isEqualTo(1);
                for (int i = 0; i < 100; i++) {
                    final Obj x = pool.get();
                    assertThat(x).as("get " + i + " while the reader is inside").isNotSameAs(a);
                    held.add(x);
                    if (i == 50) {
                        letGoalsPass(mode, pool.smr()); // time alone must not release it
                    }
                }
                assertThat(pool.stats().batchesPending()).isEqualTo(1);
            }
            letGoalsPass(mode, pool.smr());
            final long created = pool.stats().created();
            assertThat(pool.get()).as("after the reader exits, one poll hands a out").isSameAs(a);
            assertThat(pool.stats().created()).isEqualTo(created);
            held.forEach(pool::put);
            pool.checkInvariants();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void batchesAreReusedOldestFirst(final SmrPoolTesting.Mode mode) {
        try (SmrPool<Obj> pool = pool(mode, "order-" + mode, 1)) {
            final Obj a = pool.get();
            final Obj b = pool.get();
            final Obj c = pool.get();
            pool.put(a);
            pool.flush();
            pool.put(b);
            pool.flush();
            pool.put(c);
            pool.flush();
            assertThat(pool.stats().batchesPending()).isEqualTo(3);
            letGoalsPass(mode, pool.smr());
            assertThat(pool.get()).isSameAs(a);
            assertThat(pool.get()).isSameAs(b);
            assertThat(pool.get()).isSameAs(c);
            pool.checkInvariants();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void getNeverTakesFromAFreeMagazine(final SmrPoolTesting.Mode mode) {
        try (SmrPool<Obj> pool = pool(mode, "nofree-" + mode, 8)) {
            final Obj a = pool.get();
            pool.put(a); // untagged: sits in the stripe's free magazine
            for (int i = 0; i < 20; i++) {
                assertThat(pool.get()).isNotSameAs(a);
            }
            assertThat(pool.stats().created()).isEqualTo(21);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void fullMagazinesAreTaggedWithOneAdvanceEach(final SmrPoolTesting.Mode mode) {
        try (SmrPool<Obj> pool = pool(mode, "tags-" + mode, 4)) {
            final List<Obj> objs = new ArrayList<>();
            for (int i = 0; i < 17; i++) {
                objs.add(pool.get());
            }
            final long advances = pool.smr().stats().advances();
            objs.forEach(pool::put);
            // 17 puts into magazines of 4: four full magazines queued when the 5th, 9th, 13th
            // and 17th put found the magazine full.
            assertThat(pool.stats().batchesQueued()).isEqualTo(4);
            assertThat(pool.smr().stats().advances() - advances).isEqualTo(4);
            assertThat(pool.stats().objectsPending() + pool.stats().cached() - pool.stats().objectsPending())
                    .isEqualTo(17);
            pool.checkInvariants();
        }
    }
}
