package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link PserializePool.Builder#pendingLimit}: with a reader stalled inside a section, the
 * objects withdrawn from reuse and awaiting their {@code perform()} never exceed the limit
 * (exactly: no slack); the writers blocked in {@code perform()} resume once the reader leaves;
 * without the limit the same work exceeds it (negative control).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PserializePoolPendingLimitTest {
    private static final int MAGAZINE = 4;
    private static final int LIMIT = 16;
    private static final int WRITERS = 8;

    /** A pooled object. */
    static final class Obj {
    }

    private static PserializePool<Obj> pool(final String name, final Pserialize psz, final boolean limited) {
        final PserializePool.Builder<Obj> b = PserializePool.builder(name, Obj::new).pserialize(psz)
                .magazineSize(MAGAZINE).hiwat(0).stripes(WRITERS);
        if (limited) {
            b.pendingLimit(LIMIT);
        }
        return b.build();
    }

    /** Runs WRITERS threads that put 64 fresh objects each; returns the peak of awaitingBarrier while the reader stalls. */
    private static long stallAndPut(final PserializePool<Obj> pool, final Pserialize psz, final AtomicLong done)
            throws Exception {
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Thread reader = Thread.ofPlatform().name("stalled-psz-reader").start(() -> {
            psz.enter();
            try {
                inside.countDown();
                release.await();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                psz.exit();
            }
        });
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
        final List<Thread> writers = new ArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong peak = new AtomicLong();
        final Thread sampler = Thread.ofPlatform().name("awaiting-sampler").start(() -> {
            while (!stop.get()) {
                peak.accumulateAndGet(pool.awaitingBarrier(), Math::max);
                Thread.onSpinWait();
            }
        });
        for (int t = 0; t < WRITERS; t++) {
            final List<Obj> mine = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                mine.add(pool.get());
            }
            writers.add(Thread.ofPlatform().name("psz-writer-" + t).start(() -> {
                mine.forEach(pool::put);
                done.incrementAndGet();
            }));
        }
        // Give every writer time to overflow its stripe and meet the stall.
        Thread.sleep(300);
        final long peakDuringStall = peak.get();
        final long doneDuringStall = done.get();
        release.countDown();
        reader.join(10_000);
        for (final Thread w : writers) {
            w.join(20_000);
            assertThat(w.isAlive()).as(w.getName() + " resumed once the reader left").isFalse();
        }
        stop.set(true);
        sampler.join(10_000);
        assertThat(done.get()).isEqualTo(WRITERS);
        System.out.printf("pserialize pending limit %s: peak awaiting %d (limit %d), writers done during the stall %d%n",
                pool.name(), peakDuringStall, LIMIT, doneDuringStall);
        return Math.max(peakDuringStall, peak.get());
    }

    @Test
    void boundHoldsWhileReaderStallsAndWritersResume() throws Exception {
        final Pserialize psz = Pserialize.create("psz-pl");
        try (PserializePool<Obj> pool = pool("psz-pl", psz, true)) {
            final AtomicLong done = new AtomicLong();
            final long peak = stallAndPut(pool, psz, done);
            assertThat(peak).as("awaiting their barrier, sampled").isLessThanOrEqualTo(LIMIT).isPositive();
            assertThat(pool.awaitingBarrier()).isZero();
            pool.checkInvariants();
        }
    }

    @Test
    void withoutTheLimitTheSameWorkExceedsIt() throws Exception {
        final Pserialize psz = Pserialize.create("psz-nolimit");
        try (PserializePool<Obj> pool = pool("psz-nolimit", psz, false)) {
            final long peak = stallAndPut(pool, psz, new AtomicLong());
            assertThat(peak).as("every writer blocked with its own batch").isGreaterThan(LIMIT);
        }
    }

    @Test
    void reclaimFinalisesInChunksUnderTheLimit() {
        final Pserialize psz = Pserialize.create("psz-chunks");
        try (PserializePool<Obj> pool = PserializePool.builder("psz-chunks", Obj::new).pserialize(psz)
                .magazineSize(MAGAZINE).pendingLimit(LIMIT).build()) {
            final List<Obj> held = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                held.add(pool.get());
            }
            held.forEach(pool::put);
            final long batchesBefore = pool.stats().batches();
            assertThat(pool.reclaim()).isEqualTo(100);
            assertThat(pool.stats().batches() - batchesBefore).as("one perform() per chunk of <= 16")
                    .isGreaterThanOrEqualTo(100 / LIMIT);
            assertThat(pool.awaitingBarrier()).isZero();
            pool.checkInvariants();
        }
    }

    @Test
    void limitBelowTwoMagazinesIsRefused() {
        assertThatThrownBy(() -> PserializePool.builder("psz-small", Obj::new).magazineSize(15).pendingLimit(29).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pool 'psz-small'")
                .hasMessageContaining("pending limit 29").hasMessageContaining("[30");
        assertThatThrownBy(() -> PserializePool.builder("psz-zero", Obj::new).pendingLimit(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pending limit 0");
    }
}
