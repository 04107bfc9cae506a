package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The hard limit: WAIT and FAIL, tryGet, and flushing what is stuck in stripes. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // StalledReader is held for its scope, not referenced
class SmrPoolLimitTest {
    /** A pooled object. */
    static final class Obj {
    }

    @Test
    void failPolicyThrowsNamingPoolAndLimit() {
        try (SmrPool<Obj> pool = SmrPool.builder("limited", Obj::new).jmx(false).hardLimit(4)
                .limitPolicy(SmrPool.LimitPolicy.FAIL).build()) {
            for (int i = 0; i < 4; i++) {
                pool.get();
            }
            assertThatThrownBy(pool::get).isInstanceOf(SmrPoolLimitException.class)
                    .hasMessageContaining("pool 'limited'").hasMessageContaining("hard limit of 4")
                    .satisfies(e -> {
                        assertThat(((SmrPoolLimitException) e).pool()).isEqualTo("limited");
                        assertThat(((SmrPoolLimitException) e).limit()).isEqualTo(4);
                    });
            assertThat(pool.tryGet()).isNull();
            assertThat(pool.stats().failures()).isEqualTo(2);
            assertThat(pool.stats().live()).isEqualTo(4);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void atTheLimitAPartialFreeMagazineIsTaggedSoTheWaiterProgresses(final SmrPoolTesting.Mode mode) {
        final Smr smr = mode.domain("partial-" + mode);
        try (SmrPool<Obj> pool = SmrPool.builder("partial-" + mode, Obj::new).smr(smr).jmx(false).hardLimit(4)
                .magazineSize(8).build()) {
            final Obj[] held = new Obj[4];
            for (int i = 0; i < 4; i++) {
                held[i] = pool.get();
            }
            pool.put(held[2]); // sits alone in a partial free magazine
            assertThat(pool.stats().batchesPending()).isZero();
            assertThat(pool.get()).as("the waiter tags it, waits for its goal and reuses it").isSameAs(held[2]);
            assertThat(pool.stats().created()).isEqualTo(4);
            pool.checkInvariants();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void waitPolicyBlocksUntilTheReaderExits(final SmrPoolTesting.Mode mode) throws Exception {
        final Smr smr = mode.domain("wait-" + mode);
        try (SmrPool<Obj> pool = SmrPool.builder("wait-" + mode, Obj::new).smr(smr).jmx(false).hardLimit(2)
                .magazineSize(1).build()) {
            final Obj a = pool.get();
            pool.get();
            final CompletableFuture<Obj> waiter;
            try (SmrPoolTesting.StalledReader r = new SmrPoolTesting.StalledReader(smr, "wait-reader-" + mode)) {
                pool.put(a);
                pool.flush();
                waiter = CompletableFuture.supplyAsync(pool::get,
                        task -> Thread.ofPlatform().name("limit-waiter").start(task));
                // Under load the waiter's thread may not run for a while: wait until its get()
                // has counted its wait (the depot counts it before it waits), then hold the
                // reader a little longer and check that the get is still blocked.
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (pool.stats().waits() == 0 && !waiter.isDone() && System.nanoTime() - deadline < 0) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
                assertThat(pool.stats().waits()).as("the get at the hard limit waits").isPositive();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                assertThat(waiter).as("blocked while the reader is inside").isNotDone();
            }
            assertThat(waiter.get(10, TimeUnit.SECONDS)).isSameAs(a);
            assertThat(pool.stats().waits()).isPositive();
            assertThat(pool.stats().created()).isEqualTo(2);
        }
    }

    @Test
    void waitPolicyWaitsForAPutWhenEverythingIsHandedOut() throws Exception {
        try (SmrPool<Obj> pool = SmrPool.builder("wait-put", Obj::new).jmx(false).hardLimit(1).build()) {
            final Obj a = pool.get();
            final CompletableFuture<Obj> waiter = CompletableFuture.supplyAsync(pool::get,
                    task -> Thread.ofVirtual().name("put-waiter").start(task));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            assertThat(waiter).isNotDone();
            pool.put(a);
            assertThat(waiter.get(10, TimeUnit.SECONDS)).isSameAs(a);
        }
    }

    /**
     * Issue 13.4: get() waiting at the hard limit for a put re-set the interrupt flag and then
     * parked, and a park returns at once while the flag is set: 1,987 ms of CPU in 2 s. Now
     * the wait clears the flag while it waits and restores it when get() returns.
     */
    @Test
    void anInterruptedWaiterAtTheHardLimitDoesNotSpinAndKeepsTheInterrupt() throws Exception {
        // No owned caches: then a waiter that waits costs almost nothing (with them, each of its
        // wake-ups, one per millisecond, takes the caches through a membarrier), and the
        // comparison with the spinning control is clear at any load.
        try (SmrPool<Obj> pool = SmrPool.builder("interrupted-waiter", Obj::new).jmx(false).hardLimit(1)
                .ownedCaches(0).build()) {
            final Obj a = pool.get();
            final CompletableFuture<Boolean> interruptedAfter = new CompletableFuture<>();
            final Thread waiter = Thread.ofPlatform().name("limit-waiter-interrupted").start(() -> {
                try {
                    final Obj got = pool.get();
                    interruptedAfter.complete(Thread.interrupted()); // reads and clears
                    pool.put(got);
                } catch (final Throwable e) {
                    interruptedAfter.completeExceptionally(e);
                }
            });
            TestSupport.awaitParked(waiter, "get() waits at the hard limit");
            Faults.assertWaits("get() at the hard limit", Faults.interruptAndMeasure(waiter, 300));
            assertThat(interruptedAfter).as("an interrupt does not end the wait").isNotDone();
            pool.put(a);
            assertThat(interruptedAfter.get(10, TimeUnit.SECONDS)).as("the interrupt is kept for the caller").isTrue();
            waiter.join(10_000);
        }
    }

    @Test
    void waitingInsideAReadSectionIsRefused() {
        try (SmrPool<Obj> pool = SmrPool.builder("in-section", Obj::new).jmx(false).hardLimit(1).build()) {
            pool.get();
            pool.smr().enter();
            try {
                assertThatThrownBy(pool::get).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("pool 'in-section'").hasMessageContaining("read section")
                        .hasMessageContaining(Thread.currentThread().getName());
            } finally {
                pool.smr().exit();
            }
        }
    }

    @Test
    void failPolicyInsideASectionFailsWithoutAdvancing() {
        try (SmrPool<Obj> pool = SmrPool.builder("fail-in-section", Obj::new).jmx(false).hardLimit(1)
                .limitPolicy(SmrPool.LimitPolicy.FAIL).build()) {
            pool.get();
            final long advances = pool.smr().stats().advances();
            pool.smr().enter();
            try {
                assertThatThrownBy(pool::get).isInstanceOf(SmrPoolLimitException.class);
                assertThat(pool.tryGet()).isNull();
            } finally {
                pool.smr().exit();
            }
            assertThat(pool.smr().stats().advances()).isEqualTo(advances);
        }
    }

    @Test
    void manyThreadsAtTheLimitAllProgressAndNeverExceedIt() throws Exception {
        final int limit = 8;
        try (SmrPool<Obj> pool = SmrPool.builder("contended-limit", Obj::new).jmx(false).hardLimit(limit)
                .magazineSize(2).build()) {
            final Thread[] ts = new Thread[16];
            for (int t = 0; t < ts.length; t++) {
                ts[t] = Thread.ofVirtual().name("limit-" + t).start(() -> {
                    for (int i = 0; i < 2_000; i++) {
                        final Obj o = pool.get();
                        assertThat(pool.stats().live()).isLessThanOrEqualTo(limit);
                        pool.put(o);
                    }
                });
            }
            for (final Thread t : ts) {
                t.join(Duration.ofSeconds(20));
                assertThat(t.isAlive()).as(t.getName() + " finished").isFalse();
            }
            assertThat(pool.stats().created()).isLessThanOrEqualTo(limit);
            pool.checkInvariants();
        }
    }
}
