package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link SmrPool.Builder#pendingLimit}: the objects of tagged batches awaiting their goals
 * never exceed the limit, whatever the number of live objects; a writer at the limit waits
 * (expedited) while a reader is stalled and resumes when it leaves; the slack is exactly what
 * the javadoc says; and without the limit the same work exceeds it (negative control).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // samplers and stalled readers are held for their scope
class SmrPoolPendingLimitTest {
    private static final int MAGAZINE = 8;
    private static final int LIMIT = 64;
    private static final int OBJECTS = 200;

    /** A pooled object. */
    static final class Obj {
    }

    /** Samples objectsPending every 50 us on its own thread and keeps the peak. */
    static final class Sampler implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong peak = new AtomicLong();
        private final Thread thread;

        Sampler(final SmrPool<?> pool) {
            thread = Thread.ofPlatform().name("pending-sampler").daemon().start(() -> {
                while (!stop.get()) {
                    peak.accumulateAndGet(pool.stats().objectsPending(), Math::max);
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                }
            });
        }

        long peak() {
            return peak.get();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
        }
    }

    private static SmrPool<Obj> pool(final String name, final Smr smr, final boolean limited) {
        return pool(name, smr, limited, SmrPool.OWNED_CACHES_DEFAULT);
    }

    private static SmrPool<Obj> pool(final String name, final Smr smr, final boolean limited, final int owned) {
        final SmrPool.Builder<Obj> b = SmrPool.builder(name, Obj::new).smr(smr).jmx(false).magazineSize(MAGAZINE)
                .ownedCaches(owned);
        if (limited) {
            b.pendingLimit(LIMIT);
        }
        return b.build();
    }

    /** Gets OBJECTS objects, then puts them back one by one on a writer thread, counting returned puts. */
    private static Thread writer(final SmrPool<Obj> pool, final AtomicLong returned) {
        final List<Obj> held = new ArrayList<>();
        for (int i = 0; i < OBJECTS; i++) {
            held.add(pool.get());
        }
        return Thread.ofPlatform().name("pending-writer").start(() -> {
            for (final Obj o : held) {
                pool.put(o);
                returned.incrementAndGet();
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void boundHoldsWhileReaderStallsAndWriterResumes(final SmrPoolTesting.Mode mode) throws Exception {
        final Smr smr = mode.domain("pl-" + mode);
        // No owned caches: the writer then uses one stripe, so the slack is exact (below).
        try (SmrPool<Obj> pool = pool("pl-" + mode, smr, true, 0)) {
            final AtomicLong returned = new AtomicLong();
            final Thread w;
            try (Sampler sampler = new Sampler(pool)) {
                final SmrPoolTesting.StalledReader reader = new SmrPoolTesting.StalledReader(smr, "stalled-" + mode);
                try {
                    w = writer(pool, returned);
                    // The writer stops: put 73 would queue a ninth batch of 8 behind the reader.
                    SmrPoolTesting.await(() -> w.getState() == Thread.State.TIMED_WAITING
                            && pool.stats().objectsPending() == LIMIT, Duration.ofSeconds(20), "writer blocked at the limit");
                    final long stuck = returned.get();
                    Thread.sleep(100);
                    assertThat(returned.get()).as("no put returns while the reader stalls").isEqualTo(stuck);
                    final SmrPool.Stats s = pool.stats();
                    assertThat(s.objectsPending()).isEqualTo(LIMIT);
                    // Slack, as documented: the put in progress left its object in a fresh FREE
                    // magazine and holds the full one it is queueing: magazineSize + 1 here
                    // (one thread, one cache), within magazineSize * (stripes + owned caches + 1).
                    // (With an owned cache claimed after its first full stripe magazine, the
                    // writer would leave one more object in that stripe: two caches.)
                    final long untagged = stuck + 1 - s.objectsPending();
                    assertThat(untagged).isEqualTo(MAGAZINE + 1);
                    assertThat(untagged).isLessThanOrEqualTo((long) MAGAZINE * (s.stripes() + s.ownedCaches() + 1));
                    assertThat(stuck).isEqualTo(LIMIT + MAGAZINE);
                } finally {
                    reader.close();
                }
                w.join(20_000);
                assertThat(w.isAlive()).as("the writer resumed once the reader left").isFalse();
                assertThat(returned.get()).isEqualTo(OBJECTS);
                assertThat(sampler.peak()).as("sampled peak").isLessThanOrEqualTo(LIMIT);
                System.out.printf("pending limit %s: peak %d of %d, waits %d%n", mode, sampler.peak(), LIMIT,
                        pool.stats().waits());
            }
            assertThat(pool.stats().waits()).isPositive();
            pool.checkInvariants();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void withoutTheLimitTheSameWorkExceedsIt(final SmrPoolTesting.Mode mode) throws Exception {
        final Smr smr = mode.domain("nolimit-" + mode);
        try (SmrPool<Obj> pool = pool("nolimit-" + mode, smr, false)) {
            final AtomicLong returned = new AtomicLong();
            try (SmrPoolTesting.StalledReader reader = new SmrPoolTesting.StalledReader(smr, "stalled-" + mode)) {
                final Thread w = writer(pool, returned);
                w.join(20_000);
                assertThat(w.isAlive()).as("without a limit puts never wait").isFalse();
                // 200 puts in magazines of 8: 24 batches queued, the 25th still filling.
                assertThat(pool.stats().objectsPending()).isGreaterThan(LIMIT).isEqualTo(OBJECTS - MAGAZINE);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void concurrentChurnNeverExceedsTheLimit(final SmrPoolTesting.Mode mode) throws Exception {
        final Smr smr = mode.domain("plchurn-" + mode);
        try (SmrPool<Obj> pool = pool("plchurn-" + mode, smr, true)) {
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicLong ops = new AtomicLong();
            final List<Thread> threads = new ArrayList<>();
            try (Sampler sampler = new Sampler(pool)) {
                for (int t = 0; t < 4; t++) {
                    threads.add(Thread.ofPlatform().name("churn-" + t).start(() -> {
                        final List<Obj> mine = new ArrayList<>();
                        while (!stop.get()) {
                            for (int i = 0; i < 5; i++) {
                                mine.add(pool.get());
                            }
                            mine.forEach(pool::put);
                            mine.clear();
                            ops.incrementAndGet();
                        }
                    }));
                }
                Thread.sleep(100);
                final long before;
                try (SmrPoolTesting.StalledReader reader = new SmrPoolTesting.StalledReader(smr, "stalled-" + mode)) {
                    SmrPoolTesting.await(() -> pool.stats().objectsPending() >= LIMIT - 4L * MAGAZINE,
                            Duration.ofSeconds(20), "pending fills up behind the reader");
                    Thread.sleep(200);
                    before = ops.get();
                }
                SmrPoolTesting.await(() -> ops.get() > before + 100, Duration.ofSeconds(20), "churn resumes");
                stop.set(true);
                for (final Thread t : threads) {
                    t.join(20_000);
                }
                assertThat(sampler.peak()).as("sampled peak").isLessThanOrEqualTo(LIMIT).isPositive();
                System.out.printf("pending limit churn %s: peak %d of %d, created %d%n", mode, sampler.peak(), LIMIT,
                        pool.stats().created());
            }
            pool.checkInvariants();
        }
    }

    @Test
    void refillGivesExpiredSurplusBack() {
        try (SmrPool<Obj> limited = pool("surplus", Smr.create("surplus"), true);
             SmrPool<Obj> unlimited = pool("surplus-control", Smr.create("surplus-control"), false)) {
            for (final SmrPool<Obj> pool : List.of(limited, unlimited)) {
                final List<Obj> held = new ArrayList<>();
                for (int i = 0; i < 1_000; i++) {
                    held.add(pool.get());
                }
                held.forEach(pool::put);
                pool.flush();
                pool.get(); // a refill: takes a magazine, finds the rest
            }
            // Limited: the depot keeps at most the limit of expired objects (plus pending).
            final SmrPool.Stats l = limited.stats();
            assertThat(l.finalised()).isGreaterThan(1_000 - 2L * LIMIT);
            assertThat(l.cached()).isLessThanOrEqualTo(2L * LIMIT + 2L * MAGAZINE);
            // Control: nothing given back.
            assertThat(unlimited.stats().finalised()).isZero();
            limited.checkInvariants();
        }
    }

    @Test
    void lazyWaitAtTheLimitIsExpedited() {
        // A 1 s tick (the longest allowed): a plain wait for a lazy goal sleeps to the next tick boundary; the pool's
        // wait at the pending limit moves the write sequence and pays the barrier now.
        final Smr lazy = Smr.builder("expedited").lazy(Duration.ofSeconds(1)).build();
        try (SmrPool<Obj> pool = SmrPool.builder("expedited", Obj::new).smr(lazy).jmx(false).magazineSize(MAGAZINE)
                .pendingLimit(MAGAZINE).ownedCaches(0).build()) {
            final List<Obj> held = new ArrayList<>();
            for (int i = 0; i < 4 * MAGAZINE + 1; i++) {
                held.add(pool.get());
            }
            final long barriers = lazy.stats().barriers();
            final long t0 = System.nanoTime();
            held.forEach(pool::put); // queues 4 batches, each after the one before expired
            final long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(ms).as("4 waits at the limit, expedited, took " + ms + " ms").isLessThan(500); // >= 1 s per wait without expediting
            assertThat(pool.stats().waits()).isGreaterThanOrEqualTo(3);
            if (lazy.fenceFreeReaders()) {
                assertThat(lazy.stats().barriers()).as("the barrier was paid at once").isGreaterThan(barriers);
            }
            // Negative control: a plain wait for a fresh lazy goal does wait for the tick.
            final long t1 = System.nanoTime();
            lazy.waitFor(lazy.advance());
            assertThat((System.nanoTime() - t1) / 1_000_000).as("plain lazy wait").isGreaterThan(100);
            pool.checkInvariants();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void failAndTryGetAtTheHardLimitDoNotWaitForThePendingLimit(final SmrPoolTesting.Mode mode) {
        final Smr smr = mode.domain("plfail-" + mode);
        try (SmrPool<Obj> pool = SmrPool.builder("plfail-" + mode, Obj::new).smr(smr).jmx(false).magazineSize(MAGAZINE)
                .ownedCaches(0).hardLimit(4 * MAGAZINE).pendingLimit(MAGAZINE).limitPolicy(SmrPool.LimitPolicy.FAIL)
                .build();
             SmrPoolTesting.StalledReader reader = new SmrPoolTesting.StalledReader(smr, "stalled-" + mode)) {
            final List<Obj> held = new ArrayList<>();
            for (int i = 0; i < 4 * MAGAZINE; i++) {
                held.add(pool.get());
            }
            // One batch pending (the limit), a full FREE magazine in the stripe.
            held.subList(0, 2 * MAGAZINE).forEach(pool::put);
            assertThat(pool.stats().objectsPending()).isEqualTo(MAGAZINE);
            // Queueing that FREE magazine would wait behind the reader: FAIL fails, tryGet
            // returns null, neither waits (flushing FREE magazines here used to block).
            assertThat(pool.tryGet()).isNull();
            assertThatThrownBy(pool::get).isInstanceOf(SmrPoolLimitException.class);
            assertThat(pool.stats().objectsPending()).isEqualTo(MAGAZINE);
        }
    }

    @Test
    void limitBelowTheMagazineIsRefused() {
        assertThatThrownBy(() -> SmrPool.builder("small", Obj::new).jmx(false).magazineSize(32).pendingLimit(31).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pool 'small'")
                .hasMessageContaining("pending limit 31").hasMessageContaining("[32");
        assertThatThrownBy(() -> SmrPool.builder("zero", Obj::new).pendingLimit(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pending limit 0");
    }
}
