package org.smr4j.demo.churn;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.HdrHistogram.SingleWriterRecorder;
import org.smr4j.netinet.ConnectionKey;
import org.smr4j.netinet.ConnectionTable;
import org.smr4j.netinet.ControlBlock;

/**
 * The three kinds of thread a {@link ChurnHarness} run starts: lookups ("packets"), churn
 * (connections opened and closed) and flood (half-open connections that expire).
 *
 * <p>Counters. Each worker counts in locals and publishes each count with an opaque store to
 * its own padded {@code long[]} ({@link Worker#publish}); the sampler reads them with opaque
 * loads at the start and end of the measured time and for progress lines. Opaque is enough:
 * each slot has one writer, and a reader only needs an untorn value that is not older than
 * one it has already seen. The final values are read after {@link Thread#join()}.
 *
 * <p>Histograms. Each timed value goes to a {@link SingleWriterRecorder} owned by the worker
 * (wait-free, allocation-free recording); the sampler takes interval histograms at the start
 * (discarded: the warmup) and at the end.
 *
 * <p>Nothing in the loops allocates: keys are prebuilt ({@link ChurnKeys}), the read function
 * is a constant, and recorders do not resize (values are clamped to {@link #HIGHEST}).
 */
final class ChurnWorkers {

    /** Highest value a histogram tracks: 60 s in ns; larger values are clamped to it. */
    static final long HIGHEST = 60_000_000_000L;
    /** Significant digits of every histogram. */
    static final int DIGITS = 3;
    /** What a lookup saw when the block it got was freed. */
    static final Object FREED = new Object() {
        @Override
        public String toString() {
            return "FREED";
        }
    };
    /**
     * The lock-free read: what the block holds at that instant, or {@link #FREED}. A constant,
     * so that calls do not allocate a lambda.
     */
    static final Function<ControlBlock, Object> VERIFY_READ = b -> b.isFreed() ? FREED : b.key();

    private ChurnWorkers() {
    }

    /** State shared by the workers of one strategy's run. */
    static final class Shared {
        final ConnectionTable table;
        final CountDownLatch ready;
        final CountDownLatch go = new CountDownLatch(1);
        /** Cleared by the sampler at the end, or by a worker that fails. */
        volatile boolean running = true;
        /** The first failure of a worker, or null. */
        volatile Throwable error;

        Shared(final ConnectionTable table, final int workers) {
            this.table = table;
            this.ready = new CountDownLatch(workers);
        }

        synchronized void fail(final Throwable t) {
            if (error == null) {
                error = t;
            }
            running = false;
        }
    }

    static SingleWriterRecorder recorder() {
        return new SingleWriterRecorder(1, HIGHEST, DIGITS);
    }

    static void record(final SingleWriterRecorder r, final long value) {
        r.recordValue(Math.max(1L, Math.min(value, HIGHEST)));
    }

    /**
     * A worker: a thread body with padded published counters and an optional rate.
     */
    abstract static class Worker implements Runnable {
        /** Slots before and after the counters: 128 bytes against false sharing. */
        private static final int PAD = 16;
        private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

        final Shared shared;
        final String name;
        private final long[] counters;
        /** Nanoseconds between operations of this thread; 0 = full speed. */
        private final long interval;
        private long nextDue;
        Thread thread;

        Worker(final Shared shared, final String name, final int counterCount, final long ratePerThread) {
            this.shared = shared;
            this.name = name;
            this.counters = new long[PAD + counterCount + PAD];
            this.interval = ratePerThread <= 0 ? 0L : Math.max(1L, 1_000_000_000L / ratePerThread);
        }

        /** Publishes a counter (opaque store; this worker is the slot's only writer). */
        final void publish(final int counter, final long value) {
            LONGS.setOpaque(counters, PAD + counter, value);
        }

        /** Reads a counter from any thread (opaque load). */
        final long read(final int counter) {
            return (long) LONGS.getOpaque(counters, PAD + counter);
        }

        @Override
        public final void run() {
            try {
                shared.ready.countDown();
                shared.go.await();
                nextDue = System.nanoTime();
                loop();
            } catch (final Throwable t) {
                shared.fail(new IllegalStateException(name + " failed", t));
            }
        }

        abstract void loop();

        /**
         * Waits until the next operation is due, at the configured rate. Parks when more than
         * 100 µs early, spins the rest; after falling more than 1 s behind it starts afresh
         * rather than bursting.
         */
        final void pace() {
            if (interval == 0L) {
                return;
            }
            final long due = nextDue + interval;
            long now = System.nanoTime();
            if (now - due > 1_000_000_000L) {
                nextDue = now;
                return;
            }
            while (due - now > 0) {
                if (due - now > 100_000L) {
                    LockSupport.parkNanos(due - now - 50_000L);
                } else {
                    Thread.onSpinWait();
                }
                if (!shared.running) {
                    return;
                }
                now = System.nanoTime();
            }
            nextDue = due;
        }
    }

    // ------------------------------------------------------------------ lookups

    /** Lookups over the prebuilt sequence, each verified. */
    static final class Lookups extends Worker {
        static final int LOOKUPS = 0;
        static final int READS = 1;
        static final int WRONG_KEY = 2;
        static final int FREED_SEEN = 3;
        static final int ESTABLISHED_MISSES = 4;
        static final int CHURN_HITS = 5;
        static final int CHURN_MISSES = 6;
        static final int READ_RACED_REMOVE = 7;
        static final int COUNTERS = 8;

        final SingleWriterRecorder latency = recorder();
        private final ConnectionKey[] sequence;
        private final byte[] flags;
        private final int start;
        private final int sampleEvery;

        Lookups(final Shared shared, final String name, final ChurnKeys keys, final int start, final int sampleEvery,
                final long rate) {
            super(shared, name, COUNTERS, rate);
            this.sequence = keys.sequence;
            this.flags = keys.flags;
            this.start = start;
            this.sampleEvery = sampleEvery;
        }

        @Override
        void loop() {
            final ConnectionTable table = shared.table;
            final ConnectionKey[] seq = sequence;
            final byte[] fl = flags;
            final int n = seq.length;
            final int every = sampleEvery;
            int i = start;
            int countdown = every;
            long lookups = 0;
            long reads = 0;
            long wrongKey = 0;
            long freed = 0;
            long establishedMisses = 0;
            long churnHits = 0;
            long churnMisses = 0;
            long readRaced = 0;
            while (shared.running) {
                pace();
                final ConnectionKey key = seq[i];
                final byte f = fl[i];
                if (++i == n) {
                    i = 0;
                }
                final Object seen;
                if (--countdown == 0) {
                    countdown = every;
                    final long t0 = System.nanoTime();
                    seen = lookupOnce(table, key, f);
                    record(latency, System.nanoTime() - t0);
                } else {
                    seen = lookupOnce(table, key, f);
                }
                publish(LOOKUPS, ++lookups);
                if ((f & ChurnKeys.USE_READ) != 0) {
                    publish(READS, ++reads);
                }
                if (seen == null) {
                    if ((f & ChurnKeys.MUST_HIT) != 0) {
                        publish(ESTABLISHED_MISSES, ++establishedMisses);
                    } else {
                        publish(CHURN_MISSES, ++churnMisses);
                    }
                } else if (seen == FREED) {
                    // Under the block lock a freed block is a bug. Inside read(key, fn) it is
                    // a race the contract allows ("the block as of some instant during the
                    // call"): a remove marked it between the table's check and fn. Only a key
                    // that churns can be removed, so only churn lookups can see it.
                    if ((f & ChurnKeys.USE_READ) != 0 && (f & ChurnKeys.MUST_HIT) == 0) {
                        publish(READ_RACED_REMOVE, ++readRaced);
                    } else {
                        publish(FREED_SEEN, ++freed);
                    }
                } else if (seen != key && !key.equals(seen)) {
                    publish(WRONG_KEY, ++wrongKey);
                } else if ((f & ChurnKeys.MUST_HIT) == 0) {
                    publish(CHURN_HITS, ++churnHits);
                }
            }
        }

        /**
         * One lookup: {@code lookup(READ)}, note what the locked block holds, {@code unlock()};
         * or {@code read(key, VERIFY_READ)}. Returns the block's key, {@link #FREED} or null.
         */
        private static Object lookupOnce(final ConnectionTable table, final ConnectionKey key, final byte f) {
            if ((f & ChurnKeys.USE_READ) != 0) {
                return table.read(key, VERIFY_READ);
            }
            final ControlBlock b = table.lookup(key, ConnectionTable.LockMode.READ);
            if (b == null) {
                return null;
            }
            final Object seen = b.isFreed() ? FREED : b.key();
            b.unlock();
            return seen;
        }
    }

    // ------------------------------------------------------------------ writers

    /** What churn and flood share: sampled insert and remove with their counters. */
    abstract static class Writer extends Worker {
        static final int INSERTS = 0;
        static final int REMOVES = 1;
        static final int REUSED = 2;
        static final int DUPLICATE_INSERTS = 3;
        static final int LOST_REMOVES = 4;
        static final int EXPIRED = 5;
        static final int EVICTED = 6;
        static final int COUNTERS = 7;

        final SingleWriterRecorder insertNanos = recorder();
        final SingleWriterRecorder removeNanos = recorder();
        final SingleWriterRecorder reuseDelayNanos = recorder();
        private final int sampleEvery;
        private int countdown;
        private long inserts;
        private long removes;
        private long reused;
        private long duplicates;
        private long lost;

        Writer(final Shared shared, final String name, final int sampleEvery, final long rate) {
            super(shared, name, COUNTERS, rate);
            this.sampleEvery = sampleEvery;
            this.countdown = sampleEvery;
        }

        /** Whether this operation is a timed one (one in {@code sampleEvery}). */
        final boolean sample() {
            if (--countdown == 0) {
                countdown = sampleEvery;
                return true;
            }
            return false;
        }

        /**
         * Inserts {@code key} and unlocks it; records the insert's cost and the delay since the
         * block's previous incarnation was freed when {@code timed}.
         *
         * @return true if inserted; false (a violation) if the key was present
         */
        final boolean open(final ConnectionTable table, final ConnectionKey key, final boolean timed) {
            final ControlBlock b;
            final long t1;
            if (timed) {
                final long t0 = System.nanoTime();
                b = table.insert(key);
                t1 = System.nanoTime();
                record(insertNanos, t1 - t0);
            } else {
                b = table.insert(key);
                t1 = 0L;
            }
            if (b == null) {
                publish(DUPLICATE_INSERTS, ++duplicates);
                return false;
            }
            final long freed = b.lastFreedNanos();
            b.unlock();
            if (freed != 0L) {
                publish(REUSED, ++reused);
                if (timed) {
                    record(reuseDelayNanos, t1 - freed);
                }
            }
            publish(INSERTS, ++inserts);
            return true;
        }

        /** Removes {@code key}, timed when {@code timed}; a key not found is a violation. */
        final void close(final ConnectionTable table, final ConnectionKey key, final boolean timed) {
            final boolean found;
            if (timed) {
                final long t0 = System.nanoTime();
                found = table.remove(key);
                record(removeNanos, System.nanoTime() - t0);
            } else {
                found = table.remove(key);
            }
            if (found) {
                publish(REMOVES, ++removes);
            } else {
                publish(LOST_REMOVES, ++lost);
            }
        }

        /** Connections this worker holds open now (read after join). */
        abstract int openNow();
    }

    /**
     * Opens connections from its key ring and closes the oldest once more than
     * {@code window} are open.
     */
    static final class Churn extends Writer {
        private final ConnectionKey[] ring;
        private final ConnectionKey[] open;
        private int head;
        private int count;

        Churn(final Shared shared, final String name, final ConnectionKey[] ring, final int window,
                final int sampleEvery, final long rate) {
            super(shared, name, sampleEvery, rate);
            this.ring = ring;
            this.open = new ConnectionKey[window + 1];
        }

        @Override
        void loop() {
            final ConnectionTable table = shared.table;
            final ConnectionKey[] keys = ring;
            final ConnectionKey[] q = open;
            final int window = q.length - 1;
            int next = 0;
            while (shared.running) {
                pace();
                final boolean timed = sample();
                final ConnectionKey key = keys[next];
                if (++next == keys.length) {
                    next = 0;
                }
                if (open(table, key, timed)) {
                    q[(head + count) % q.length] = key;
                    count++;
                }
                if (count > window) {
                    final ConnectionKey oldest = q[head];
                    q[head] = null;
                    head = head + 1 == q.length ? 0 : head + 1;
                    count--;
                    close(table, oldest, timed);
                }
            }
        }

        @Override
        int openNow() {
            return count;
        }
    }

    /**
     * The attacker: inserts half-open connections from random tuples, each removed once it is
     * {@code ttl} old, or early when {@code max} are present (counted as evicted).
     */
    static final class Flood extends Writer {
        private final ConnectionKey[] keys;
        private final ConnectionKey[] open;
        private final long[] born;
        private final long ttl;
        private int head;
        private int count;

        Flood(final Shared shared, final String name, final ConnectionKey[] keys, final int max, final long ttlNanos,
                final int sampleEvery, final long rate) {
            super(shared, name, sampleEvery, rate);
            this.keys = keys;
            this.open = new ConnectionKey[max];
            this.born = new long[max];
            this.ttl = ttlNanos;
        }

        @Override
        void loop() {
            final ConnectionTable table = shared.table;
            final ConnectionKey[] ks = keys;
            final ConnectionKey[] q = open;
            final long[] t = born;
            long expired = 0;
            long evicted = 0;
            int next = 0;
            while (shared.running) {
                pace();
                final long now = System.nanoTime();
                while (count > 0 && now - t[head] >= ttl) {
                    closeOldest(table, q);
                    publish(EXPIRED, ++expired);
                }
                if (count == q.length) {
                    closeOldest(table, q);
                    publish(EVICTED, ++evicted);
                }
                final ConnectionKey key = ks[next];
                if (++next == ks.length) {
                    next = 0;
                }
                if (open(table, key, sample())) {
                    final int slot = (head + count) % q.length;
                    q[slot] = key;
                    t[slot] = now;
                    count++;
                }
            }
        }

        private void closeOldest(final ConnectionTable table, final ConnectionKey[] q) {
            final ConnectionKey oldest = q[head];
            q[head] = null;
            head = head + 1 == q.length ? 0 : head + 1;
            count--;
            close(table, oldest, sample());
        }

        @Override
        int openNow() {
            return count;
        }
    }
}
