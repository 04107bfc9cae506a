package org.smr4j.bench.pool;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.smr4j.PserializePool;
import org.smr4j.Smr;
import org.smr4j.SmrPool;

/**
 * What does a get + put of a 64-byte object ({@link Obj64}) cost through {@link SmrPool}, in
 * each domain mode, compared with not pooling at all? The targets: the fast path
 * within 1.5x of allocating a 64-byte object, and an allocation rate near zero once warm.
 *
 * <p>Every case does the same work per operation: take an object, write one field, hand it to
 * the blackhole, give it back. The {@link Impl} parameter says where it comes from:
 * <ul>
 *   <li>{@code NEW}: the baseline. {@code new Obj64()}, and "put" does nothing: the garbage
 *       collector reclaims it (TLAB bump allocation plus its share of young collections).</li>
 *   <li>{@code CLQ}: the usual hand-written pool, a {@link ConcurrentLinkedQueue}: poll, else
 *       new; offer. Each offer allocates a queue node.</li>
 *   <li>{@code PSERIALIZE}: {@link PserializePool}, NetBSD's {@code PR_PSERIALIZE} semantics
 *       (reuse at once, barrier only when shrinking): the cheapest safe pool, readers revalidate.
 *       With {@code doublePutCheck(false)}, as the SMR rows.</li>
 *   <li>{@code SMR_DEFAULT}, {@code SMR_DEFERRED}, {@code SMR_LAZY}: {@link SmrPool} on a domain
 *       of that mode (deferred: limit 8, as the section benchmarks; lazy: the default 1 ms tick).
 *       JMH's threads are platform threads, so each gets an owned cache: no atomic instruction
 *       per call; one domain advance, one poll and one depot visit per magazine of 32 gets and
 *       32 puts. No reader is registered: the poll scans nobody, this is the pool's own cost.
 *       Built with {@code doublePutCheck(false)} (no held set), so that these rows measure the
 *       pool's own paths and stay comparable with earlier runs; the detection costs are the
 *       rows below.</li>
 *   <li>{@code SMR_STRIPED}: {@code SMR_DEFAULT} with owned caches off
 *       ({@code ownedCaches(0)}): the striped path that virtual threads (and platform threads
 *       beyond the owned-cache bound) take, one stripe lock per get and per put.</li>
 *   <li>{@code SMR_STATE_WORD}: {@code SMR_DEFAULT} with the objects' state word
 *       ({@code SmrPool.Builder.stateWord}, {@link Obj64#STATE}): what O(1) double-put
 *       detection costs, one compare-and-set per put and one release store per get.</li>
 *   <li>{@code SMR_HELD_SET}: {@code SMR_DEFAULT} as a type without a state word gets it by
 *       default, with the held set (an identity set of the pooled objects, one monitor and one
 *       identity-hash probe per put and per get): what safe-by-default costs.</li>
 *   <li>{@code LOCKED_STACK} and {@code TL_STACK}: floors, not pools anyone should use for
 *       SMR (they reuse at once and never tag anything). {@code LOCKED_STACK} is the skeleton of
 *       SmrPool's and PserializePool's fast path: a stripe chosen by thread id, a CAS-acquired
 *       spin lock, an array stack, a release store; one lock per get and one per put.
 *       {@code TL_STACK} is the same stack in a {@link ThreadLocal}, with no atomic instruction:
 *       what a per-thread fast path could cost.</li>
 * </ul>
 * {@link #one} runs on one thread, {@link #two} on two threads sharing the pool (on this
 * two-core machine that is as many threads as cores; with neighbours it partly measures the
 * scheduler). {@link PoolTable} runs this class and prints each case's ratio to {@code NEW} and
 * to {@code CLQ} of the same method, with {@code -prof gc}'s bytes per operation.
 *
 * <p>Run (from the repository root, after {@code mvn -pl smr4j-bench -am package}):
 * <pre>
 * java -cp smr4j-bench/target/benchmarks.jar org.smr4j.bench.pool.PoolTable \
 *      -f 3 -wi 4 -w 1s -i 6 -r 1s -prof gc -rf json -rff pool.json
 * # or plain JMH, same arguments:
 * java -jar smr4j-bench/target/benchmarks.jar 'pool.PoolBenchmark' -f 3 -wi 4 -w 1s -i 6 -r 1s -prof gc
 * </pre>
 * Profilers: {@code -prof gc} (bytes/op: expected 64 for {@code NEW}, about 24 for
 * {@code CLQ}, its node, and near 0 for the pools once warm);
 * {@code -prof 'perfasm:events=cpu-clock'} with {@code -p impl=SMR_DEFAULT} for the hot loop.
 * {@code --enable-native-access=ALL-UNNAMED} is in {@link Fork#jvmArgsAppend()} so that lazy
 * domains get {@code membarrier(2)}.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 6, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class PoolBenchmark {
    /** Where the objects come from; {@code NEW} is the baseline. */
    public enum Impl {
        /** Allocate, let the GC reclaim. */
        NEW,
        /** ConcurrentLinkedQueue: poll, else new; offer. */
        CLQ,
        /** PserializePool (PR_PSERIALIZE). */
        PSERIALIZE,
        /** SmrPool on a default-mode domain. */
        SMR_DEFAULT,
        /** SmrPool on a deferred domain (limit 8). */
        SMR_DEFERRED,
        /** SmrPool on a lazy domain (1 ms tick). */
        SMR_LAZY,
        /** SmrPool on a default-mode domain with owned caches off: the striped path. */
        SMR_STRIPED,
        /** SMR_DEFAULT with the objects' state word (Builder.stateWord): a CAS per put, a store per get. */
        SMR_STATE_WORD,
        /** SMR_DEFAULT with the default held set (no state word): a monitor and a probe per put and per get. */
        SMR_HELD_SET,
        /** Floor, not a safe pool: striped array stacks, one CAS lock taken per get and per put. */
        LOCKED_STACK,
        /** Floor, not a safe pool: a ThreadLocal array stack, no atomic instruction at all. */
        TL_STACK
    }

    /** Deferred mode's limit, the same as the section benchmarks' ({@code Domains}). */
    static final int DEFERRED_LIMIT = 8;

    /** The implementation measured. */
    @Param({"NEW", "CLQ", "PSERIALIZE", "SMR_DEFAULT", "SMR_DEFERRED", "SMR_LAZY", "SMR_STRIPED", "SMR_STATE_WORD",
            "SMR_HELD_SET", "LOCKED_STACK", "TL_STACK"})
    public Impl impl;

    private Cache cache;

    /** Builds the pool (shared by the threads of {@link #two}). */
    @Setup
    public void setup() {
        cache = Cache.of(impl, "poolbench-" + impl);
    }

    /** Closes the pool. */
    @TearDown
    public void tearDown() {
        cache.close();
    }

    /**
     * One get + put on one thread.
     *
     * @param bh the blackhole the object escapes to
     */
    @Benchmark
    @Threads(1)
    public void one(final Blackhole bh) {
        cycle(bh);
    }

    /**
     * One get + put per thread, two threads sharing the pool.
     *
     * @param bh the blackhole the object escapes to
     */
    @Benchmark
    @Threads(2)
    public void two(final Blackhole bh) {
        cycle(bh);
    }

    private void cycle(final Blackhole bh) {
        final Cache c = cache;
        final Obj64 o = c.get();
        o.a = 1;
        bh.consume(o);
        c.put(o);
    }

    /** get/put over each implementation; one subclass per {@link Impl}, monomorphic per fork. */
    abstract static class Cache {
        abstract Obj64 get();

        abstract void put(Obj64 o);

        void close() {
        }

        static Smr domain(final Smr.Mode mode, final String name) {
            final Smr smr = switch (mode) {
                case DEFAULT -> Smr.create(name);
                case DEFERRED -> Smr.builder(name).deferred(DEFERRED_LIMIT).build();
                case LAZY -> Smr.builder(name).lazy().build();
            };
            if (mode == Smr.Mode.LAZY && !smr.fenceFreeReaders()) {
                throw new IllegalStateException("lazy domain has fenced readers (membarrier unavailable): "
                        + "run with --enable-native-access=ALL-UNNAMED on Linux; " + smr);
            }
            return smr;
        }

        static Cache of(final Impl impl, final String name) {
            return switch (impl) {
                case NEW -> new New();
                case CLQ -> new Clq();
                case PSERIALIZE -> new Psz(PserializePool.builder(name, Obj64::new).doublePutCheck(false).build());
                case SMR_DEFAULT -> new SmrCache(Smr.Mode.DEFAULT, name, true);
                case SMR_DEFERRED -> new SmrCache(Smr.Mode.DEFERRED, name, true);
                case SMR_LAZY -> new SmrCache(Smr.Mode.LAZY, name, true);
                case SMR_STRIPED -> new SmrCache(Smr.Mode.DEFAULT, name, false);
                case SMR_STATE_WORD -> new SmrCache(Smr.Mode.DEFAULT, name, true, Obj64.STATE, false);
                case SMR_HELD_SET -> new SmrCache(Smr.Mode.DEFAULT, name, true, null, true);
                case LOCKED_STACK -> new LockedStack();
                case TL_STACK -> new TlStack();
            };
        }
    }

    /** The baseline: allocate; the GC reclaims. */
    static final class New extends Cache {
        @Override
        Obj64 get() {
            return new Obj64();
        }

        @Override
        void put(final Obj64 o) {
        }
    }

    /** A ConcurrentLinkedQueue pool: poll, else new; offer (allocates a node per offer). */
    static final class Clq extends Cache {
        private final ConcurrentLinkedQueue<Obj64> q = new ConcurrentLinkedQueue<>();

        @Override
        Obj64 get() {
            final Obj64 o = q.poll();
            return o != null ? o : new Obj64();
        }

        @Override
        void put(final Obj64 o) {
            q.offer(o);
        }
    }

    /** PserializePool with its defaults (magazines of 15, 4 stripes on 2 CPUs, no hooks). */
    static final class Psz extends Cache {
        private final PserializePool<Obj64> pool;

        Psz(final PserializePool<Obj64> pool) {
            this.pool = pool;
        }

        @Override
        Obj64 get() {
            return pool.get();
        }

        @Override
        void put(final Obj64 o) {
            pool.put(o);
        }

        @Override
        void close() {
            System.out.println("\n" + pool.stats());
            pool.close();
        }
    }

    /** Striped, spin-locked array stacks: the skeleton of the pools' fast path (floor). */
    static final class LockedStack extends Cache {
        private static final int CAPACITY = 64;
        private final Stripe[] stripes = new Stripe[4];

        LockedStack() {
            for (int i = 0; i < stripes.length; i++) {
                stripes[i] = new Stripe();
            }
        }

        private Stripe lock() {
            final Stripe s = stripes[(int) Thread.currentThread().threadId() & (stripes.length - 1)];
            // ORDER: CAS acquires, paired with the release store in get/put: what a stripe lock does.
            while (!Stripe.LOCKED.compareAndSet(s, 0, 1)) {
                Thread.onSpinWait();
            }
            return s;
        }

        @Override
        Obj64 get() {
            final Stripe s = lock();
            final int n = s.count - 1;
            Obj64 o = null;
            if (n >= 0) {
                o = s.items[n];
                s.items[n] = null;
                s.count = n;
            }
            Stripe.LOCKED.setRelease(s, 0);
            return o != null ? o : new Obj64();
        }

        @Override
        void put(final Obj64 o) {
            final Stripe s = lock();
            final int n = s.count;
            if (n < CAPACITY) {
                s.items[n] = o;
                s.count = n + 1;
            }
            Stripe.LOCKED.setRelease(s, 0);
        }

        /** One stripe, padded against false sharing with its neighbours. */
        @SuppressWarnings("unused")
        static final class Stripe {
            static final java.lang.invoke.VarHandle LOCKED;

            static {
                try {
                    LOCKED = java.lang.invoke.MethodHandles.lookup().findVarHandle(Stripe.class, "locked", int.class);
                } catch (final ReflectiveOperationException e) {
                    throw new ExceptionInInitializerError(e);
                }
            }

            long p0, p1, p2, p3, p4, p5, p6;
            int locked;
            int count;
            final Obj64[] items = new Obj64[CAPACITY];
            long q0, q1, q2, q3, q4, q5, q6;
        }
    }

    /** A per-thread array stack in a ThreadLocal: no atomics at all (floor). */
    static final class TlStack extends Cache {
        private final ThreadLocal<Stack> local = ThreadLocal.withInitial(Stack::new);

        @Override
        Obj64 get() {
            final Stack s = local.get();
            final int n = s.count - 1;
            if (n < 0) {
                return new Obj64();
            }
            final Obj64 o = s.items[n];
            s.items[n] = null;
            s.count = n;
            return o;
        }

        @Override
        void put(final Obj64 o) {
            final Stack s = local.get();
            final int n = s.count;
            if (n < s.items.length) {
                s.items[n] = o;
                s.count = n + 1;
            }
        }

        /** The per-thread stack. */
        static final class Stack {
            final Obj64[] items = new Obj64[64];
            int count;
        }
    }

    /** SmrPool with its defaults (magazines of 32, no hooks, no limit), no MBean; owned caches on or off. */
    static final class SmrCache extends Cache {
        private final SmrPool<Obj64> pool;

        SmrCache(final Smr.Mode mode, final String name, final boolean owned) {
            this(mode, name, owned, null, false);
        }

        SmrCache(final Smr.Mode mode, final String name, final boolean owned, final SmrPool.StateWord<Obj64> word,
                 final boolean heldSet) {
            final SmrPool.Builder<Obj64> b = SmrPool.builder(name, Obj64::new).smr(domain(mode, name)).jmx(false);
            if (!owned) {
                b.ownedCaches(0);
            }
            if (word != null) {
                b.stateWord(word);
            } else if (!heldSet) {
                b.doublePutCheck(false);
            }
            pool = b.build();
        }

        @Override
        Obj64 get() {
            return pool.get();
        }

        @Override
        void put(final Obj64 o) {
            pool.put(o);
        }

        @Override
        void close() {
            // In the fork's output: stripes, contention, refills, batches, objects created, and
            // ownedCaches (1 or 2 with owned caches on: 0 would mean membarrier was unavailable).
            System.out.println("\n" + pool.stats());
            pool.close();
        }
    }
}
