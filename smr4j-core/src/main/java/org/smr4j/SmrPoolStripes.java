package org.smr4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The stripe layer of an {@link SmrPool}: the per-thread caches of virtual threads and of
 * every platform thread without an owned cache. A bounded array of {@link SmrPool.Stripe}s
 * chosen by a hash of the thread id, each an ALLOC and a FREE magazine under a tiny spin lock
 * that is never held while user code or the domain runs.
 */
final class SmrPoolStripes {
    /*
     * The map of the whole pool is in the overview of SmrPool. This part chooses and grows
     * stripes; the get and put fast paths in SmrPool work on the stripe it returns, locked.
     *
     * Choice: the home stripe is a Fibonacci hash of the thread id (ids are consecutive; the
     * multiply spreads them). A thread that finds its home busy first grows the array (up to
     * maxStripes), so that the next call of each of the two colliding threads finds a home
     * of its own; then it probes PROBES other stripes (xorshift, as Striped64.advanceProbe);
     * then it waits for its home (Stripe.lock: spins, then parks, never Thread.yield, which
     * can starve the carriers of virtual threads). Millions of virtual threads share a
     * bounded number of stripes; nothing is kept per thread.
     *
     * The array only grows (a non-invariant the checks rely on): grow() publishes a doubled
     * copy, whose old elements are the same stripes, with a CAS; readers load it with acquire.
     * A thread holding an older array locks a stripe that is also in the new one.
     */

    /** Other stripes a thread tries before it grows the array or waits for its own. */
    private static final int PROBES = 2;

    private final String name;
    private final int magazineSize;
    private final int maxStripes;
    /** The stripes; length a power of two, only grows. Accessed through {@link #STRIPES}. */
    @SuppressWarnings("UnusedVariable") // read and written only through STRIPES, which Error Prone does not follow
    private SmrPool.Stripe[] stripes;
    /** Stripe lock attempts that found the stripe busy (Stats.contention). */
    private final LongAdder contention = new LongAdder();

    SmrPoolStripes(final String name, final int magazineSize, final int maxStripes) {
        this.name = name;
        this.magazineSize = magazineSize;
        this.maxStripes = maxStripes;
        final SmrPool.Stripe[] ss = new SmrPool.Stripe[Math.min(2, maxStripes)];
        for (int i = 0; i < ss.length; i++) {
            ss[i] = new SmrPool.Stripe(magazineSize);
        }
        this.stripes = ss;
        // Published with the pool: SmrPool's constructor ends with a release fence.
    }

    /** Fibonacci hashing of a thread id; also the owned caches' alternative slot. */
    static int hash(final long threadId) {
        // Fibonacci hashing: thread ids are consecutive, the multiply spreads them.
        final long z = threadId * 0x9E3779B97F4A7C15L;
        return (int) (z ^ (z >>> 32));
    }

    private static int rehash(final int h) {
        int x = h ^ (h << 13); // xorshift, as Striped64.advanceProbe
        x ^= x >>> 17;
        return x ^ (x << 5);
    }

    /** Locks and returns the calling thread's stripe: its home if free, else see the overview. */
    SmrPool.Stripe lock() {
        final SmrPool.Stripe[] ss = stripesAcquire();
        final int h = hash(Thread.currentThread().threadId());
        final SmrPool.Stripe home = ss[h & (ss.length - 1)];
        if (home.tryLock()) {
            return home;
        }
        return lockSlow(ss, h);
    }

    private SmrPool.Stripe lockSlow(final SmrPool.Stripe[] first, final int h) {
        contention.increment();
        SmrPool.Stripe[] ss = first;
        boolean grown = false;
        // Contention on the home stripe means two threads share it: grow first (up to
        // maxStripes), so the next call of each finds a home of its own. Probing alone would
        // succeed every time and never grow, and the two threads would keep colliding on
        // their common home (seen in PoolBenchmark.two: 44M-178M contended requests per fork).
        if (ss.length < maxStripes) {
            ss = grow(ss);
            grown = true;
            final SmrPool.Stripe home = ss[h & (ss.length - 1)];
            if (home.tryLock()) {
                return home;
            }
        }
        while (true) {
            int p = h;
            for (int i = 0; i < PROBES; i++) {
                p = rehash(p);
                final SmrPool.Stripe s = ss[p & (ss.length - 1)];
                if (s.tryLock()) {
                    return s;
                }
            }
            if (!grown && ss.length < maxStripes) {
                ss = grow(ss);
                grown = true;
                final SmrPool.Stripe home = ss[h & (ss.length - 1)];
                if (home.tryLock()) {
                    return home;
                }
                continue;
            }
            final SmrPool.Stripe home = ss[h & (ss.length - 1)];
            home.lock();
            return home;
        }
    }

    /** Doubles the stripe array (if nobody did meanwhile); returns the current array. */
    private SmrPool.Stripe[] grow(final SmrPool.Stripe[] ss) {
        final SmrPool.Stripe[] bigger = new SmrPool.Stripe[ss.length * 2];
        System.arraycopy(ss, 0, bigger, 0, ss.length);
        for (int i = ss.length; i < bigger.length; i++) {
            bigger[i] = new SmrPool.Stripe(magazineSize);
        }
        // ORDER: volatile CAS publishes the new stripes (constructed with plain stores)
        // to threads that load the array with acquire.
        if (STRIPES.compareAndSet(this, ss, bigger)) {
            return bigger;
        }
        return stripesAcquire();
    }

    // ------------------------------------------------------------------ collection

    /**
     * For flush, drain and the hard limit: with {@code takeFree}, takes every stripe's FREE
     * magazine if not empty (into {@code frees}), and with {@code takeAlloc} its ALLOC magazine
     * if not empty (into {@code allocs}), leaving empty ones.
     */
    void collect(final boolean takeAlloc, final boolean takeFree, final List<SmrPoolMagazine> frees,
                 final List<SmrPoolMagazine> allocs) {
        for (final SmrPool.Stripe s : stripesAcquire()) {
            s.lock();
            try {
                if (takeFree && s.free.count > 0) {
                    frees.add(s.free);
                    s.free = s.spare != null ? s.spare : new SmrPoolMagazine(magazineSize);
                    s.spare = null;
                }
                if (takeAlloc && s.alloc.count > 0) {
                    allocs.add(s.alloc);
                    s.alloc = new SmrPoolMagazine(magazineSize);
                }
            } finally {
                s.unlock();
            }
        }
    }

    /**
     * For close, after the depot closed: empties every stripe for good (empty magazines of
     * size 0 stay, so a get or put that gets past its closed check finds nothing); FREE
     * magazines go into {@code frees}, each ALLOC magazine to {@code finalise} as soon as
     * its stripe is unlocked.
     */
    void close(final List<SmrPoolMagazine> frees, final Consumer<SmrPoolMagazine> finalise) {
        for (final SmrPool.Stripe s : stripesAcquire()) {
            final SmrPoolMagazine a;
            s.lock();
            try {
                a = s.alloc;
                s.alloc = new SmrPoolMagazine(0);
                if (s.free.count > 0) {
                    frees.add(s.free);
                }
                s.free = new SmrPoolMagazine(0);
                s.spare = null;
            } finally {
                s.unlock();
            }
            finalise.accept(a);
        }
    }

    // ------------------------------------------------------------------ statistics and checks

    /**
     * The stripes' counters, each stripe read under its lock.
     *
     * @param requests gets counted by stripes
     * @param puts     puts counted by stripes
     * @param cached   objects in stripe magazines
     * @param stripes  stripes now
     */
    record Counts(long requests, long puts, long cached, int stripes) {
    }

    Counts counts() {
        long requests = 0;
        long puts = 0;
        long cached = 0;
        final SmrPool.Stripe[] ss = stripesAcquire();
        for (final SmrPool.Stripe s : ss) {
            s.lock();
            try {
                requests += s.requests;
                puts += s.puts;
                cached += s.alloc.count + s.free.count;
            } finally {
                s.unlock();
            }
        }
        return new Counts(requests, puts, cached, ss.length);
    }

    long contention() {
        return contention.sum();
    }

    /** For checkInvariants: notes every stripe's objects in {@code where}; spares must be empty. */
    void check(final Map<Object, String> where) {
        final SmrPool.Stripe[] ss = stripesAcquire();
        for (int i = 0; i < ss.length; i++) {
            final SmrPool.Stripe s = ss[i];
            s.lock();
            try {
                s.alloc.note(name, where, "stripe " + i + " alloc", "READY");
                s.free.note(name, where, "stripe " + i + " free", "CACHED");
                if (s.spare != null && s.spare.count != 0) {
                    throw new AssertionError("pool '" + name + "': stripe " + i + " spare not empty");
                }
            } finally {
                s.unlock();
            }
        }
    }

    private SmrPool.Stripe[] stripesAcquire() {
        return (SmrPool.Stripe[]) STRIPES.getAcquire(this);
    }

    // ------------------------------------------------------------------ VarHandle mechanics

    private static final VarHandle STRIPES;

    static {
        try {
            STRIPES = MethodHandles.lookup().findVarHandle(SmrPoolStripes.class, "stripes", SmrPool.Stripe[].class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
