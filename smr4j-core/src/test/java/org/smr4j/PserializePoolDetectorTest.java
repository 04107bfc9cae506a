package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Concurrent checks of {@link PserializePool}'s promise: objects are reused at once, but never
 * finalised while a reader that found them is inside its section.
 *
 * <ul>
 *   <li>{@link #noReaderSeesAFinalisedObject()}: readers find objects through shared slots and
 *       keep re-checking a flag the {@code fini} hook sets; a writer swaps objects out, puts them
 *       back in bursts, and the pool (one stripe, magazines of 2, hiwat 0) shrinks all the
 *       time. Zero violations, and reuse and finalisation both happened.</li>
 *   <li>{@link #negativeControlWithoutBarrierIsCaught()}: the same with the pool's barrier
 *       switched off; the detector must see a violation.</li>
 *   <li>{@link #revalidationPatternFromTheJavadoc()}: the in_pcb-style pattern of the class
 *       javadoc (try-lock inside the section, check the key and the freed flag) never accepts
 *       a recycled object as the one looked up, although recycled objects are found.</li>
 * </ul>
 * Each runs {@value #RUN_MILLIS} ms ({@value #SLOW_RUN_MILLIS} ms with
 * {@code -Dsmr4j.test.slow=true}).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PserializePoolDetectorTest {
    static final long RUN_MILLIS = 1_500;
    static final long SLOW_RUN_MILLIS = 60_000;
    static final int SLOTS = 4;
    static final int BURST = 8;
    static final int DWELL = 500;

    static long runMillis() {
        return Boolean.getBoolean("smr4j.test.slow") ? SLOW_RUN_MILLIS : RUN_MILLIS;
    }

    static final class Obj {
        /** Set by fini; accessed through FINALISED (opaque: re-read in the reader's loop without adding ordering). */
        boolean finalised;
        volatile int constructs;

        boolean finalisedOpaque() {
            return (boolean) FINALISED.getOpaque(this);
        }

        private static final VarHandle FINALISED;

        static {
            try {
                FINALISED = MethodHandles.lookup().findVarHandle(Obj.class, "finalised", boolean.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    record Outcome(long violations, long sections, long reused, PserializePool.Stats stats) {
    }

    @SuppressWarnings("NonAtomicVolatileUpdate") // hooks run for an object on one thread at a time (its holder)
    static Outcome run(final boolean barrier, final long millis, final boolean stopAtFirst) throws InterruptedException {
        final PserializePool.Builder<Obj> builder = PserializePool.builder("detector", Obj::new)
                .stripes(1).magazineSize(2).hiwat(0)
                .construct(o -> o.constructs++)
                .fini(o -> Obj.FINALISED.setOpaque(o, true));
        final PserializePool<Obj> pool = (barrier ? builder : builder.unsafeNoBarrierForTest()).build();
        final Pserialize psz = pool.pserialize();
        final AtomicReferenceArray<Obj> slots = new AtomicReferenceArray<>(SLOTS);
        for (int i = 0; i < SLOTS; i++) {
            slots.set(i, pool.get());
        }
        final AtomicBoolean stop = new AtomicBoolean();
        final LongAdder violations = new LongAdder();
        final LongAdder sections = new LongAdder();
        final LongAdder reused = new LongAdder();
        final List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            final int first = r;
            readers.add(Thread.ofPlatform().name("reader-" + r).start(() -> {
                final Pserialize.Reader reader = psz.reader();
                int slot = first;
                long n = 0;
                while (!stop.get()) {
                    reader.enter();
                    try {
                        final Obj o = slots.getAcquire(slot);
                        for (int k = 0; k < DWELL; k++) {
                            if (o.finalisedOpaque()) {
                                violations.increment();
                                if (stopAtFirst) {
                                    stop.set(true);
                                }
                                break;
                            }
                        }
                    } finally {
                        reader.exit();
                    }
                    slot = (slot + 1) % SLOTS;
                    n++;
                }
                sections.add(n);
            }));
        }
        final Thread writer = Thread.ofPlatform().name("writer").start(() -> {
            final List<Obj> retired = new ArrayList<>();
            long i = 0;
            while (!stop.get()) {
                final Obj fresh = pool.get();
                if (fresh.constructs > 1) {
                    reused.increment();
                }
                retired.add(slots.getAndSet((int) (i++ % SLOTS), fresh));
                if (retired.size() == BURST) {
                    retired.forEach(pool::put); // overflows the stripe: shrink behind perform()
                    retired.clear();
                }
            }
            retired.forEach(pool::put);
        });
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!stop.get() && System.nanoTime() - deadline < 0) {
            Thread.sleep(10);
        }
        stop.set(true);
        writer.join(30_000);
        for (final Thread t : readers) {
            t.join(30_000);
        }
        for (int i = 0; i < SLOTS; i++) {
            pool.put(slots.get(i));
        }
        pool.checkInvariants();
        final PserializePool.Stats stats = pool.stats();
        pool.close();
        pool.checkInvariants();
        return new Outcome(violations.sum(), sections.sum(), reused.sum(), stats);
    }

    @Test
    void noReaderSeesAFinalisedObject() throws Exception {
        final Outcome outcome = run(true, runMillis(), false);
        assertThat(outcome.violations()).as("finalised objects seen inside a section: %s", outcome).isZero();
        assertThat(outcome.sections()).isPositive();
        assertThat(outcome.reused()).as("objects were handed out again").isPositive();
        assertThat(outcome.stats().finalised()).as("the pool shrank").isPositive();
        assertThat(outcome.stats().batches()).isPositive();
    }

    @Test
    void negativeControlWithoutBarrierIsCaught() throws Exception {
        final Outcome outcome = run(false, 10_000, true);
        assertThat(outcome.violations()).as("the detector must catch fini without perform(): %s", outcome).isPositive();
    }

    /** The pooled object of the javadoc example. */
    static final class Conn {
        final ReentrantLock lock = new ReentrantLock();
        /** Guarded by lock; written under it, read by readers only after tryLock. */
        long key;
        /** Guarded by lock; construct clears it, the freeing writer sets it. */
        boolean freed = true;
    }

    @Test
    void revalidationPatternFromTheJavadoc() throws Exception {
        final PserializePool<Conn> pool = PserializePool.builder("conns", Conn::new)
                .stripes(1).magazineSize(2).hiwat(2).build();
        final Pserialize psz = pool.pserialize();
        final AtomicReferenceArray<Conn> table = new AtomicReferenceArray<>(SLOTS);
        final ReentrantLock tableLock = new ReentrantLock();
        final AtomicBoolean stop = new AtomicBoolean();
        final LongAdder wrongIdentity = new LongAdder();
        final LongAdder found = new LongAdder();
        final LongAdder recycledRejected = new LongAdder();
        final List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            final int first = r;
            threads.add(Thread.ofPlatform().name("reader-" + r).start(() -> {
                int slot = first;
                while (!stop.get()) {
                    // Slot s holds keys k with k % SLOTS == s; look up the key the reader last saw.
                    Conn hit = null;
                    long key = -1;
                    psz.enter();
                    try {
                        final Conn c = table.getAcquire(slot);
                        if (c != null && c.lock.tryLock()) {
                            if (!c.freed && c.key % SLOTS == slot) {
                                hit = c;
                                key = c.key;
                            } else {
                                recycledRejected.increment();
                                c.lock.unlock();
                            }
                        }
                    } finally {
                        psz.exit();
                    }
                    if (hit != null) {
                        try {
                            found.increment();
                            for (int k = 0; k < 50; k++) {
                                if (hit.freed || hit.key != key) {
                                    wrongIdentity.increment(); // would mean it was recycled under our lock
                                }
                            }
                        } finally {
                            hit.lock.unlock();
                        }
                    }
                    slot = (slot + 1) % SLOTS;
                }
            }));
        }
        threads.add(Thread.ofPlatform().name("writer").start(() -> {
            long nextKey = 0;
            while (!stop.get()) {
                final int slot = (int) (nextKey % SLOTS);
                final Conn fresh = pool.get();
                fresh.lock.lock();
                try {
                    fresh.key = nextKey++;
                    fresh.freed = false;
                } finally {
                    fresh.lock.unlock();
                }
                final Conn old;
                tableLock.lock();
                try {
                    old = table.getAndSet(slot, fresh);
                } finally {
                    tableLock.unlock();
                }
                if (old != null) {
                    old.lock.lock();
                    try {
                        old.freed = true;
                    } finally {
                        old.lock.unlock();
                    }
                    pool.put(old);
                }
            }
        }));
        Thread.sleep(runMillis());
        stop.set(true);
        for (final Thread t : threads) {
            t.join(30_000);
        }
        final String counts = "found=" + found.sum() + " recycledRejected=" + recycledRejected.sum()
                + " " + pool.stats();
        assertThat(wrongIdentity.sum()).as(counts).isZero();
        assertThat(found.sum()).as(counts).isPositive();
        pool.close();
    }
}
