package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Owned caches: a platform thread's own ALLOC and FREE magazines, used without atomics, and
 * what other threads do with them. drain, flush, close and the hard limit take their
 * contents from a live owner (the membarrier hand-off); caches of dead threads are recovered;
 * virtual threads never get one. Where membarrier is unavailable (the membarrier-fallback
 * execution), owned caches are off and the same promises hold through the stripes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SmrPoolOwnedCacheTest {
    /** A pooled object. */
    static final class Obj {
        long uses;
    }

    /** Counts created and finalised objects. */
    static final class Counts {
        final AtomicLong fini = new AtomicLong();
    }

    private static SmrPool.Builder<Obj> builder(final SmrPoolTesting.Mode mode, final String name, final Counts counts) {
        return SmrPool.builder(name, Obj::new).smr(mode.domain(name)).jmx(false).magazineSize(8)
                .fini(o -> counts.fini.incrementAndGet());
    }

    /** Whether owned caches should be on in this JVM. */
    private static boolean ownedExpected() {
        return AsymmetricFence.available();
    }

    /** A platform thread that stays alive between tasks: an owner we can keep waiting. */
    private static final class Owner implements AutoCloseable {
        private final ExecutorService ex = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform()
                .name("owner").daemon().unstarted(r));

        <V> V run(final Callable<V> task) throws InterruptedException, ExecutionException, TimeoutException {
            final Future<V> f = ex.submit(task);
            return f.get(20, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            ex.shutdownNow();
        }
    }

    /**
     * Leaves objects in the calling thread's ALLOC and FREE magazines (magazines of 8): 20
     * fresh objects, all put (two full magazines queued, 4 in FREE), then one get refills ALLOC
     * from the oldest batch (DEFAULT: expired at once) and its put leaves 5 in FREE.
     */
    private static void fillOwnCache(final SmrPool<Obj> pool) {
        final List<Obj> got = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            got.add(pool.get());
        }
        got.forEach(pool::put);
    }

    @Test
    void aPlatformThreadClaimsACacheAndVirtualThreadsNever() throws Exception {
        final Counts counts = new Counts();
        try (SmrPool<Obj> pool = builder(SmrPoolTesting.Mode.DEFAULT, "owned-claim", counts).build()) {
            assertThat(pool.ownedCachesEnabled()).isEqualTo(ownedExpected());
            if (TestSupport.membarrierDisabledByProperty()) {
                assertThat(pool.ownedCachesEnabled()).as("-Dorg.smr4j.membarrier=false").isFalse();
            }
            try (Owner owner = new Owner()) {
                final boolean owns = owner.run(() -> {
                    fillOwnCache(pool);
                    return pool.ownsCache();
                });
                assertThat(owns).as("a platform thread that missed its stripe claims a cache").isEqualTo(ownedExpected());
                assertThat(pool.stats().ownedCaches()).isEqualTo(ownedExpected() ? 1 : 0);
            }
            final AtomicBoolean anyOwned = new AtomicBoolean();
            final java.util.List<java.util.concurrent.Future<?>> tasks = new java.util.ArrayList<>();
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int t = 0; t < 1_000; t++) {
                    tasks.add(ex.submit(() -> {
                        fillOwnCache(pool);
                        if (pool.ownsCache()) {
                            anyOwned.set(true);
                        }
                    }));
                }
            }
            for (final java.util.concurrent.Future<?> task : tasks) {
                task.get(); // a task's exception fails the test
            }
            assertThat(anyOwned).as("a virtual thread got an owned cache").isFalse();
            assertThat(pool.stats().ownedCaches()).isLessThanOrEqualTo(ownedExpected() ? 1 : 0);
            pool.checkInvariants();
        }
    }

    @Test
    void ownedCachesOffMeansStripesOnly() {
        final Counts counts = new Counts();
        try (SmrPool<Obj> pool = builder(SmrPoolTesting.Mode.DEFAULT, "owned-off", counts).ownedCaches(0).build()) {
            fillOwnCache(pool);
            assertThat(pool.ownsCache()).isFalse();
            assertThat(pool.stats().ownedCaches()).isZero();
            pool.checkInvariants();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void drainTakesALiveOwnersCacheAndTheOwnerCarriesOn(final SmrPoolTesting.Mode mode) throws Exception {
        final Counts counts = new Counts();
        try (SmrPool<Obj> pool = builder(mode, "owned-drain-" + mode, counts).build();
             Owner owner = new Owner()) {
            owner.run(() -> {
                fillOwnCache(pool);
                SmrPoolBatchTest.letGoalsPass(mode, pool.smr());
                pool.put(pool.get()); // refill ALLOC from an expired batch, put one back
                return null;
            });
            assertThat(pool.stats().live()).isEqualTo(20);
            // The owner is alive and idle: drain must take its magazines without its help.
            pool.drain();
            SmrPoolBatchTest.letGoalsPass(mode, pool.smr());
            pool.drain();
            assertThat(pool.stats().live()).as("everything, including the owner's magazines, finalised").isZero();
            assertThat(counts.fini).hasValue(20);
            assertThat(pool.stats().cached()).isZero();
            // The owner keeps its cache and uses it again.
            final boolean owns = owner.run(() -> {
                pool.put(pool.get());
                return pool.ownsCache();
            });
            assertThat(owns).isEqualTo(ownedExpected());
            assertThat(pool.stats().requests()).isEqualTo(22);
            assertThat(pool.stats().puts()).isEqualTo(22);
            pool.checkInvariants();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void flushTagsALiveOwnersFreeMagazine(final SmrPoolTesting.Mode mode) throws Exception {
        final Counts counts = new Counts();
        try (SmrPool<Obj> pool = builder(mode, "owned-flush-" + mode, counts).build();
             Owner owner = new Owner()) {
            final Obj a = owner.run(() -> {
                final Obj o = pool.get();
                pool.put(o); // alone in the owner's FREE magazine: untagged
                return o;
            });
            assertThat(pool.stats().batchesPending()).isZero();
            assertThat(pool.flush()).as("the owner's partial FREE magazine is tagged and queued").isEqualTo(1);
            assertThat(pool.stats().batchesPending()).isEqualTo(1);
            SmrPoolBatchTest.letGoalsPass(mode, pool.smr());
            // Another thread (a virtual one: it has no cache) gets the very object once expired.
            final AtomicReference<Obj> got = new AtomicReference<>();
            Thread.ofVirtual().start(() -> got.set(pool.get())).join();
            assertThat(got.get()).isSameAs(a);
            assertThat(pool.stats().created()).isEqualTo(1);
            pool.put(got.get());
            pool.checkInvariants();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void closeFinalisesALiveOwnersCacheAndTheOwnerThenFails(final SmrPoolTesting.Mode mode) throws Exception {
        final Counts counts = new Counts();
        final SmrPool<Obj> pool = builder(mode, "owned-close-" + mode, counts).build();
        try (Owner owner = new Owner()) {
            final Obj kept = owner.run(() -> {
                fillOwnCache(pool);
                SmrPoolBatchTest.letGoalsPass(mode, pool.smr());
                pool.put(pool.get());
                return pool.get(); // handed out across the close
            });
            pool.close();
            assertThat(counts.fini).as("every cached object finalised, the handed-out one not").hasValue(19);
            assertThat(pool.stats().live()).isEqualTo(1);
            assertThat(pool.stats().ownedCaches()).as("revoked").isZero();
            final Throwable getFailure = owner.run(() -> {
                try {
                    pool.get();
                    return null;
                } catch (final IllegalStateException e) {
                    return e;
                }
            });
            assertThat(getFailure).isInstanceOf(IllegalStateException.class).hasMessageContaining("after close()");
            final Throwable putFailure = owner.run(() -> {
                try {
                    pool.put(kept);
                    return null;
                } catch (final IllegalStateException e) {
                    return e;
                }
            });
            assertThat(putFailure).isInstanceOf(IllegalStateException.class).hasMessageContaining("after close()");
            assertThat(counts.fini).hasValue(19);
            pool.checkInvariants();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void atTheHardLimitAWaiterTakesALiveOwnersPuts(final SmrPoolTesting.Mode mode) throws Exception {
        final Counts counts = new Counts();
        try (SmrPool<Obj> pool = builder(mode, "owned-limit-" + mode, counts).hardLimit(4).build();
             Owner owner = new Owner()) {
            owner.run(() -> {
                final Obj[] all = new Obj[4];
                for (int i = 0; i < 4; i++) {
                    all[i] = pool.get();
                }
                for (final Obj o : all) {
                    pool.put(o); // four puts: the owner's FREE magazine (8) is not full, nothing tagged
                }
                return null;
            });
            assertThat(pool.stats().batchesPending()).isZero();
            // A virtual thread (no cache of its own) at the limit: it must flush the owner's
            // FREE magazine, wait for the goal and reuse one of those four.
            final AtomicReference<Obj> got = new AtomicReference<>();
            Thread.ofVirtual().start(() -> got.set(pool.get())).join();
            assertThat(got.get()).isNotNull();
            assertThat(pool.stats().created()).isEqualTo(4);
            pool.put(got.get());
            pool.checkInvariants();
        }
    }

    @Test
    void atTheHardLimitFailPolicyStillFlushesOwnedCachesFirst() throws Exception {
        final Counts counts = new Counts();
        try (SmrPool<Obj> pool = builder(SmrPoolTesting.Mode.DEFAULT, "owned-limit-fail", counts).hardLimit(2)
                .limitPolicy(SmrPool.LimitPolicy.FAIL).build();
             Owner owner = new Owner()) {
            owner.run(() -> {
                final Obj a = pool.get();
                final Obj b = pool.get();
                pool.put(a);
                pool.put(b);
                return null;
            });
            final AtomicReference<Obj> got = new AtomicReference<>();
            final AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread.ofVirtual().start(() -> {
                try {
                    got.set(pool.get());
                } catch (final RuntimeException e) {
                    failed.set(e);
                }
            }).join();
            assertThat(failed.get()).as("FAIL only once nothing moved").isNull();
            assertThat(got.get()).isNotNull();
            pool.put(got.get());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void aDeadThreadsCacheIsRecovered(final SmrPoolTesting.Mode mode) throws Exception {
        final Counts counts = new Counts();
        try (SmrPool<Obj> pool = builder(mode, "owned-dead-" + mode, counts).build()) {
            final AtomicBoolean owned = new AtomicBoolean();
            final Thread t = Thread.ofPlatform().name("short-lived owner").start(() -> {
                fillOwnCache(pool);
                SmrPoolBatchTest.letGoalsPass(mode, pool.smr());
                pool.put(pool.get());
                owned.set(pool.ownsCache());
            });
            t.join();
            assertThat(owned.get()).isEqualTo(ownedExpected());
            assertThat(pool.stats().ownedCaches()).as("not swept yet").isEqualTo(ownedExpected() ? 1 : 0);
            assertThat(pool.stats().requests()).isEqualTo(21);
            pool.drain(); // retires the dead thread's cache on the way
            assertThat(pool.stats().ownedCaches()).isZero();
            SmrPoolBatchTest.letGoalsPass(mode, pool.smr());
            pool.drain();
            assertThat(pool.stats().live()).isZero();
            assertThat(counts.fini).hasValue(20);
            assertThat(pool.stats().requests()).as("a retired cache's counters are kept").isEqualTo(21);
            assertThat(pool.stats().puts()).isEqualTo(21);
            pool.checkInvariants();
        }
    }

    @Test
    void deadThreadsCachesAreSweptOncePerTrimIntervalWithoutAnyDrain() throws Exception {
        final Counts counts = new Counts();
        try (SmrPool<Obj> pool = builder(SmrPoolTesting.Mode.DEFAULT, "owned-sweep", counts)
                .trimInterval(Duration.ofMillis(1)).magazineSize(1).build()) {
            final Thread t = Thread.ofPlatform().name("short-lived owner").start(() -> fillOwnCache(pool));
            t.join();
            assertThat(pool.stats().ownedCaches()).isEqualTo(ownedExpected() ? 1 : 0);
            // Puts from a virtual thread (no cache of its own) queue batches; the first after a
            // trim interval sweeps the dead owner's cache.
            SmrPoolTesting.await(() -> {
                try {
                    Thread.ofVirtual().start(() -> {
                        pool.put(pool.get());
                        pool.put(pool.get());
                    }).join();
                } catch (final InterruptedException e) {
                    throw new AssertionError(e);
                }
                return pool.stats().ownedCaches() == 0;
            }, Duration.ofSeconds(10), "the dead owner's cache swept");
            pool.checkInvariants();
        }
    }

    @Test
    void platformThreadsBeyondTheBoundUseStripesAndEverythingIsReturned() throws Exception {
        final Counts counts = new Counts();
        final int threads = 16;
        try (SmrPool<Obj> pool = builder(SmrPoolTesting.Mode.DEFAULT, "owned-bound", counts).ownedCaches(4).build()) {
            final CyclicBarrier allAlive = new CyclicBarrier(threads + 1);
            final CountDownLatch release = new CountDownLatch(1);
            final List<Thread> ts = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                ts.add(Thread.ofPlatform().name("bound-" + i).start(() -> {
                    for (int r = 0; r < 100; r++) {
                        fillOwnCache(pool);
                    }
                    try {
                        allAlive.await(20, TimeUnit.SECONDS);
                        release.await(20, TimeUnit.SECONDS);
                    } catch (final Exception e) {
                        throw new AssertionError(e);
                    }
                }));
            }
            allAlive.await(20, TimeUnit.SECONDS);
            assertThat(pool.stats().ownedCaches()).as("16 live platform threads, 4 slots").isLessThanOrEqualTo(4);
            if (ownedExpected()) {
                assertThat(pool.stats().ownedCaches()).isPositive();
            }
            // All alive: drain takes from every owner and every stripe.
            pool.drain();
            SmrPoolBatchTest.letGoalsPass(SmrPoolTesting.Mode.DEFAULT, pool.smr());
            pool.drain();
            assertThat(pool.stats().live()).isZero();
            release.countDown();
            for (final Thread t : ts) {
                t.join();
            }
            assertThat(pool.stats().requests()).isEqualTo(threads * 100L * 20);
            pool.checkInvariants();
        }
    }

    /**
     * Owners churn while a collector flushes, drains and reads statistics in a loop: every
     * hand-off races a busy window. A checked pool: a double hand-out, a lost object or an
     * object in two places fails the test.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void ownersChurnWhileACollectorDrains(final SmrPoolTesting.Mode mode) throws Exception {
        final Counts counts = new Counts();
        final long ops = SmrPoolTesting.slow() ? 5_000_000 : 300_000;
        try (SmrPool<Obj> pool = builder(mode, "owned-race-" + mode, counts).checked(true).build()) {
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final List<Thread> owners = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                owners.add(Thread.ofPlatform().name("churn-" + i).start(() -> {
                    try {
                        final Obj[] held = new Obj[3];
                        for (long n = 0; n < ops; n++) {
                            final int k = (int) (n % held.length);
                            if (held[k] != null) {
                                pool.put(held[k]);
                            }
                            held[k] = pool.get();
                            held[k].uses++;
                        }
                        for (final Obj o : held) {
                            pool.put(o);
                        }
                    } catch (final Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            final Thread collector = Thread.ofPlatform().name("collector").start(() -> {
                try {
                    long n = 0;
                    while (!stop.get()) {
                        switch ((int) (n++ % 3)) {
                            case 0 -> pool.flush();
                            case 1 -> pool.drain();
                            default -> pool.stats();
                        }
                    }
                } catch (final Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            for (final Thread t : owners) {
                t.join();
            }
            stop.set(true);
            collector.join();
            if (failure.get() != null) {
                throw new AssertionError("failed under the race", failure.get());
            }
            assertThat(pool.stats().requests()).isEqualTo(2 * ops);
            pool.checkInvariants();
            pool.drain();
            SmrPoolBatchTest.letGoalsPass(mode, pool.smr());
            pool.drain();
            assertThat(pool.stats().live()).isZero();
            assertThat(counts.fini.get()).isEqualTo(pool.stats().created());
        }
    }

    @Test
    void ownedCachesBuilderBounds() {
        assertThatThrownBy(() -> SmrPool.builder("x", Obj::new).ownedCaches(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ownedCaches -1");
        assertThatThrownBy(() -> SmrPool.builder("x", Obj::new).ownedCaches(SmrPool.OWNED_CACHES_MAX + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
