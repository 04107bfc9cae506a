package org.smr4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A type-stable object pool with NetBSD's {@code PR_PSERIALIZE} semantics: an object
 * {@linkplain #put(Object) put} back may be handed out again at once by {@link #get()}, with no
 * barrier on either path, but it is never finalised (its {@code fini} hook run and the pool's
 * last reference dropped) while a {@link Pserialize} reader might still be looking at it. The
 * pool pays one {@link Pserialize#perform()} per <em>batch</em> of objects it finalises, when it
 * shrinks: beyond the high-water mark, on {@link #reclaim()} and on {@link #close()}.
 *
 * <h2>Readers must revalidate</h2>
 * A reader that finds an object through a lock-free structure inside a section may find it
 * <em>recycled</em>: put back by a writer and handed out again for another identity. The pool
 * guarantees only that it is still an object of this pool in a state its hooks left it in
 * (type stability), never that it is the same logical object. So readers check identity after
 * finding it, as FreeBSD's {@code in_pcb} lookup checks {@code INP_FREED} after locking the
 * object it found: the check and the lock happen inside the section (try-lock, never block),
 * and after them the object cannot be freed under the reader.
 * <pre>{@code
 * final class Conn {                      // pooled
 *     final ReentrantLock lock = new ReentrantLock();  // made by init, survives reuse
 *     long key;                           // guarded by lock
 *     boolean freed = true;               // guarded by lock; construct clears it
 * }
 * // reader
 * Conn found = null;
 * psz.enter();
 * try {
 *     Conn c = table.lookup(key);         // acquire loads; may be a recycled Conn
 *     if (c != null && c.lock.tryLock()) {
 *         if (!c.freed && c.key == key) found = c;   // revalidate identity under its lock
 *         else c.lock.unlock();
 *     }
 * } finally {
 *     psz.exit();
 * }
 * if (found != null) try { use(found); } finally { found.lock.unlock(); }
 * // writer (under the table's lock)
 * c.lock.lock(); c.freed = true; table.remove(c); c.lock.unlock();
 * pool.put(c);                            // may be reused at once; revalidation catches it
 * }</pre>
 * An optimistic variant replaces the lock by a generation (sequence) field: read it with
 * acquire before and after reading the object's fields, and trust them only if it did not change.
 *
 * <h2>Hooks</h2>
 * <ul>
 *   <li>{@code init}: once per object, when the factory creates it (NetBSD's ctor,
 *       UMA's init). State that must survive reuse, such as locks, belongs here. If the
 *       factory or init throws, the object is not counted and the exception propagates.</li>
 *   <li>{@code construct}: on every {@link #get()} (UMA's ctor); if it throws, the object
 *       goes back to the cache and the exception propagates.</li>
 *   <li>{@code destruct}: on every {@link #put(Object)}, before the object is cached
 *       (UMA's dtor); readers may still see the object meanwhile. If it throws, the object is
 *       cached anyway and the exception propagates.</li>
 *   <li>{@code fini}: once per object, after a {@code perform()}, when the pool lets it go
 *       (NetBSD's dtor, UMA's fini). Readers can no longer reach it. It runs for a whole batch
 *       of objects, often in another thread's {@code put}, so a failure is not thrown: it is
 *       counted in {@link Stats#hookFailures()} and logged through {@link System.Logger}
 *       (the pool's first fini failure at {@code WARNING} with its stack trace, later ones at
 *       {@code DEBUG}), the object is let go all the same, and the rest of the batch is
 *       finalised.</li>
 * </ul>
 * Hooks run on the calling thread, outside the pool's locks. Whatever a hook throws (a
 * runtime exception, an error, or a checked exception thrown sneakily), the pool's counts stay
 * exact, no object is lost, and the failure is reported once: thrown to the caller, or, for
 * fini, counted and logged.
 *
 * <h2>Structure</h2>
 * Per-thread caching without thread-locals: {@code stripes} (a power of two, twice the CPUs
 * by default) chosen by thread id, each with a tiny lock held for a few instructions, holding
 * up to two magazines of objects (NetBSD's current and previous groups). A thread whose stripe
 * is busy tries the next one, then waits for its own (spin, then park; never
 * {@code Thread.yield}), so millions of virtual threads share a fixed number of stripes. Full
 * magazines overflow into a shared depot; the depot keeps at most {@code hiwat} objects, and
 * what lies beyond is finalised in one batch behind one {@code perform()}.
 *
 * <h2>Limits</h2>
 * {@code hardLimit} caps the objects alive in the pool (handed out or cached). At the limit
 * {@link #get()} waits until an object is put back (NetBSD's {@code PR_WAITOK}) and
 * {@link #tryGet()} returns {@code null} ({@code PR_NOWAIT | PR_LIMITFAIL}). Inside a read
 * section use {@code tryGet()}: a {@code get()} waiting there blocks inside the section, which
 * can deadlock with a {@code put} that is shrinking the pool and waits for that section.
 * {@linkplain Builder#pendingLimit(long) pendingLimit} bounds the objects taken out of reuse
 * and awaiting the {@code perform()} before their {@code fini}.
 *
 * <h2>Misuse</h2>
 * {@code put(null)} throws {@link NullPointerException} naming the pool. Any call after
 * {@link #close()} (except {@code close}, {@code stats} and accessors) throws
 * {@link IllegalStateException} naming the pool. {@link #reclaim()} and {@link #close()} inside
 * a section of the pool's {@link Pserialize} throw {@link IllegalStateException} (they would
 * wait for themselves); a {@code put} that overflows inside a section defers the shrink instead.
 *
 * <h2>Double puts</h2>
 * A second put of an object with no get of it between (a double put) would leave it cached
 * twice and have it handed out twice. The pool keeps a <em>held set</em>, an identity set of
 * the objects it holds (a put adds, a get or a finalisation removes; nothing handed out is in
 * it, so it keeps nothing reachable longer than the pool does), and refuses a double put
 * with {@link IllegalStateException} naming the pool, the object's class and the thread,
 * before anything changes (the destruct hook does not run), whatever thread put it first.
 * It costs one uncontended monitor and one identity-hash probe per put and per get;
 * {@link Builder#doublePutCheck doublePutCheck(false)} turns it off for callers who promise
 * no double put. Not detected either way: a put of an object the pool has already finalised,
 * or of another pool's (they are accepted as the pool's own). The statistics never go
 * negative: a finalisation that would take {@link Stats#allocated()} below 0 (of an object
 * the pool did not count) is not counted.
 *
 * <h2>Progress</h2>
 * {@code get} and {@code put} are blocking only in the lock sense: they hold a stripe lock for
 * a few instructions, and the depot lock for a few more when a magazine moves; a {@code put}
 * that shrinks the pool calls {@code perform()} and the {@code fini} hooks. {@code get} at the
 * hard limit waits for a put. {@code reclaim} and {@code close} call {@code perform()}.
 *
 * <h2>Memory consistency effects</h2>
 * Actions in a thread before {@code put(x)} <i>happen-before</i> actions after the
 * {@code get()} that returns {@code x} (the stripe and depot locks). Readers of the pool's
 * {@link Pserialize} get its guarantees for finalisation: the {@code fini} hook of an object
 * runs after every section that could have found the object has ended. Nothing orders a
 * reader's view of an object against a concurrent put and get: that is what revalidation is for.
 *
 * @param <T> the type of pooled objects
 */
public final class PserializePool<T> implements AutoCloseable {
    /*
     * Overview
     * --------
     * NetBSD pool_cache(9) with PR_PSERIALIZE (thorpej, Dec 2021), rewritten for Java from
     * its description (no NetBSD text or code is copied):
     *   - put and get never barrier: a freed object is reusable at once (type-stable memory);
     *   - before a batch of objects is destructed and returned to the backing pool
     *     (pool_cache_pre_destruct), one pserialize barrier (xc_barrier(0) in NetBSD,
     *     Pserialize.perform() here) separates the readers from the destruction.
     * In Java the garbage collector owns memory; what we hold back is the fini hook (which may
     * poison the object, release native memory, close a resource) and the pool's last
     * reference.
     *
     * Invariants (checkInvariants() checks them in tests):
     *  1. allocated == created - finalised, and 0 <= allocated <= hardLimit.
     *  2. Each stripe holds 0 <= count <= 2 * magazineSize objects, all non-null, in
     *     objects[0, count); objects[count, 2M) are null.
     *  3. The depot holds full magazines only: depotObjects == full.size() * magazineSize.
     *  4. After a put's shrink or a reclaim, depotObjects <= hiwat (unless the shrink was
     *     deferred because the caller was inside a section).
     *  5. After close(): closed, and every stripe and the depot are empty.
     *  6. 0 <= awaiting <= pendingLimit: objects withdrawn from reuse for finalisation whose
     *     perform() has not returned yet. A shrink reserves them (CAS, reserveAwaiting) before
     *     it takes them out of the depot, and takes only what fits; reclaim and close reserve
     *     chunk by chunk, waiting for room; finalise gives them back when perform() returns.
     * Non-invariants: objects handed out are not tracked; a cached object may also be
     * referenced by readers (that is the point).
     *
     * Lock order: stripe lock, then depot lock. Hooks and perform() run with no lock held.
     *
     * Closing: close() sets `closed` (volatile), then empties each stripe under its lock, then
     * the depot under its lock. get/put check `closed` again under the stripe lock (and the
     * depot lock), so a call that passed the first check either placed its object where close
     * will find it, or sees `closed` and throws; no object slips into a closed pool.
     */

    /** NetBSD's default group size: 15 objects per magazine. */
    public static final int MAGAZINE_SIZE_DEFAULT = 15;
    /** Default high-water mark: unlimited, as pool_cache(9) (the pool shrinks only on reclaim and close). */
    public static final int HIWAT_DEFAULT = Integer.MAX_VALUE;
    /** Default hard limit: unlimited. */
    public static final int HARD_LIMIT_DEFAULT = Integer.MAX_VALUE;
    /** Empty magazines kept by the depot for reuse. */
    private static final int EMPTY_MAGAZINES_MAX = 16;

    private static final String LOGGER = "org.smr4j.pool";

    private final String name;
    private final Pserialize pserialize;
    /** Test negative control only: finalise without perform(). */
    private final boolean noBarrier;
    /** The objects the pool holds, by identity ("Double puts"); null with doublePutCheck(false). */
    private final @Nullable PoolHeldSet held;
    private final Supplier<? extends T> factory;
    private final Consumer<? super T> init;
    private final Consumer<? super T> fini;
    private final Consumer<? super T> construct;
    private final Consumer<? super T> destruct;
    private final int magazineSize;
    private final int hiwat;
    private final int hardLimit;
    /** Builder.pendingLimit: the most objects awaiting their barrier (invariant 6). */
    private final long pendingLimit;
    private final Stripe[] stripes;
    private final int stripeMask;

    private final ReentrantLock depotLock = new ReentrantLock();
    /** Full magazines, oldest first. Guarded by depotLock. */
    private final ArrayDeque<Object[]> full = new ArrayDeque<>();
    /** Empty magazines for reuse. Guarded by depotLock. */
    private final ArrayDeque<Object[]> empties = new ArrayDeque<>();
    /** Objects in {@code full}. Guarded by depotLock. */
    private int depotObjects;

    /** Set once by close(); checked on entry and again under the stripe and depot locks. */
    private volatile boolean closed;
    /** Objects created and not yet finalised. Accessed through ALLOCATED (CAS against hardLimit). */
    @SuppressWarnings("UnusedVariable") // read and written only through ALLOCATED, which Error Prone does not follow
    private long allocated;
    /** Objects withdrawn for finalisation, perform() not yet returned (invariant 6). Through AWAITING. */
    @SuppressWarnings("UnusedVariable") // read and written only through AWAITING, which Error Prone does not follow
    private long awaiting;

    private final LongAdder created = new LongAdder();
    private final LongAdder finalised = new LongAdder();
    /** Finalisations that allocated could not count (released): undetected double puts. */
    private final LongAdder foreign = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final LongAdder limitWaits = new LongAdder();
    private final LongAdder deferredShrinks = new LongAdder();
    /** fini failures: counted and logged once each (Stats.hookFailures). */
    private final HookFailures hookFailures;
    /** The MBean, or null (disabled, or registration failed); see Mbeans. */
    private final Mbeans.@Nullable Registration mbean;
    /** Membership of the periodic JFR statistics; see Periodic. */
    private final Periodic.Handle periodic;

    private PserializePool(final Builder<T> b) {
        this.name = b.name;
        this.hookFailures = new HookFailures(LOGGER, "pool '" + b.name + "'");
        this.pserialize = b.pserialize != null ? b.pserialize : Pserialize.create(b.name);
        this.noBarrier = b.noBarrier;
        this.held = b.doublePutCheck ? new PoolHeldSet(PoolHeldSet.defaultSegments()) : null;
        this.factory = b.factory;
        this.init = b.init;
        this.fini = b.fini;
        this.construct = b.construct;
        this.destruct = b.destruct;
        this.magazineSize = b.magazineSize;
        this.hiwat = b.hiwat;
        this.hardLimit = b.hardLimit;
        this.pendingLimit = b.pendingLimit;
        final int n = b.stripes > 0 ? b.stripes
                : Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 4 - 1);
        this.stripes = new Stripe[n];
        for (int i = 0; i < n; i++) {
            stripes[i] = new Stripe(2 * magazineSize);
        }
        this.stripeMask = n - 1;
        // ORDER: full fence: the stripes are visible before any thread that learns of the pool
        // uses it (final fields already promise it; the fence documents it, as Smr does), the
        // MBean's and the statistics hook's threads among them.
        VarHandle.fullFence();
        this.mbean = b.jmx ? Mbeans.register("PserializePool", name, DomainJmx.pserializePool(this), this) : null;
        this.periodic = Periodic.add(Periodic.Kind.PSERIALIZE_POOL, this);
    }

    /**
     * Starts building a pool.
     *
     * @param name    the pool's name, used in messages and statistics
     * @param factory creates objects when the pool has none cached; must not return null
     * @param <T>     the type of pooled objects
     * @return a builder
     * @throws NullPointerException if an argument is null ({@code "name"}, {@code "factory"})
     * @throws IllegalArgumentException if {@code name} is empty
     */
    public static <T> Builder<T> builder(final String name, final Supplier<? extends T> factory) {
        return new Builder<>(Smr.checkName(name), Objects.requireNonNull(factory, "factory"));
    }

    /**
     * Returns this pool's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Returns the {@link Pserialize} instance whose readers this pool protects: readers enter
     * it around lookups of pooled objects.
     *
     * @return the shared or own instance
     */
    public Pserialize pserialize() {
        return pserialize;
    }

    // ------------------------------------------------------------------ get

    /**
     * Returns an object, cached (possibly put back a moment ago) or new, after running the
     * {@code construct} hook on it. At the hard limit, waits until an object is put back.
     *
     * @return an object of this pool
     * @throws IllegalStateException if the pool is closed (also while waiting)
     */
    @SuppressWarnings("NullAway") // allocateObserved(true) waits rather than return null
    public T get() {
        T obj = getCached();
        if (obj == null) {
            obj = allocateObserved(true);
        }
        return constructed(obj);
    }

    /**
     * As {@link #get()}, but returns {@code null} instead of waiting at the hard limit.
     *
     * @return an object of this pool, or {@code null} at the hard limit
     * @throws IllegalStateException if the pool is closed
     */
    public @Nullable T tryGet() {
        T obj = getCached();
        if (obj == null) {
            obj = allocateObserved(false);
            if (obj == null) {
                return null;
            }
        }
        return constructed(obj);
    }

    private @Nullable T getCached() {
        checkOpen();
        final Stripe s = lockStripe();
        try {
            checkOpenLocked();
            s.gets++;
            int c = s.count;
            if (c == 0) {
                c = refillLocked(s);
                if (c == 0) {
                    return null;
                }
            }
            s.hits++;
            return popLocked(s, c);
        } finally {
            s.unlock();
        }
    }

    // unchecked: only T instances are ever stored; NullAway: objects[0, count) hold objects
    @SuppressWarnings({"unchecked", "NullAway"})
    private T popLocked(final Stripe s, final int c) {
        final Object obj = s.objects[c - 1];
        s.objects[c - 1] = null;
        s.count = c - 1;
        return (T) obj;
    }

    /** Moves a full magazine from the depot into an empty stripe; returns the new count. */
    private int refillLocked(final Stripe s) {
        depotLock.lock();
        try {
            checkOpenLocked();
            final Object[] mag = full.pollFirst();
            if (mag == null) {
                return 0;
            }
            depotObjects -= magazineSize;
            System.arraycopy(mag, 0, s.objects, 0, magazineSize);
            Arrays.fill(mag, null);
            if (empties.size() < EMPTY_MAGAZINES_MAX) {
                empties.addFirst(mag);
            }
        } finally {
            depotLock.unlock();
        }
        s.count = magazineSize;
        return magazineSize;
    }

    /**
     * {@link #allocate} timed for the slow-refill event, once a Flight Recorder exists (see
     * SmrPoolEvents.recording(): no event class is touched before).
     */
    private @Nullable T allocateObserved(final boolean wait) {
        if (!SmrPoolEvents.recording()) {
            return allocate(wait);
        }
        final SmrEvents.PserializePoolRefill event = new SmrEvents.PserializePoolRefill();
        event.begin();
        final long waitsBefore = limitWaits.sum();
        final T obj = allocate(wait);
        event.end();
        if (event.shouldCommit()) {
            event.pool = name;
            event.source = obj == null ? "none" : limitWaits.sum() != waitsBefore ? "waited" : "created";
            event.limit = hardLimit;
            event.commit();
        }
        return obj;
    }

    /** Creates an object, or at the hard limit waits for one (or returns null if not waiting). */
    private @Nullable T allocate(final boolean wait) {
        if (reserve()) {
            return create();
        }
        if (!wait) {
            return null;
        }
        limitWaits.increment();
        final Backoff backoff = new Backoff(this);
        try {
            while (true) {
                checkOpen();
                final T stolen = steal();
                if (stolen != null) {
                    return stolen;
                }
                if (reserve()) {
                    return create();
                }
                backoff.pause();
            }
        } finally {
            backoff.restoreInterrupt();
        }
    }

    /** At the hard limit: takes a cached object from any stripe or the depot. */
    private @Nullable T steal() {
        for (int i = 0; i < stripes.length; i++) {
            final Stripe s = stripes[i];
            if (s.countRacy() == 0 && depotObjectsRacy() == 0) {
                continue;
            }
            lockStripeAt(s);
            try {
                checkOpenLocked();
                int c = s.count;
                if (c == 0) {
                    c = refillLocked(s);
                }
                if (c > 0) {
                    s.hits++;
                    return popLocked(s, c);
                }
            } finally {
                s.unlock();
            }
        }
        return null;
    }

    /** Counts one more object alive if below the hard limit. */
    private boolean reserve() {
        // ORDER: volatile loads and CAS on a counter; no data is published through it.
        long a = (long) ALLOCATED.getVolatile(this);
        while (a < hardLimit) {
            if (ALLOCATED.compareAndSet(this, a, a + 1)) {
                return true;
            }
            a = (long) ALLOCATED.getVolatile(this);
        }
        return false;
    }

    private T create() {
        boolean ok = false;
        try {
            final T obj = factory.get();
            if (obj == null) {
                throw new NullPointerException("pool '" + name + "': factory returned null");
            }
            init.accept(obj);
            created.increment();
            ok = true;
            return obj;
        } finally {
            if (!ok) {
                ALLOCATED.getAndAdd(this, -1L); // ORDER: volatile RMW on a counter; undoes reserve()
            }
        }
    }

    private T constructed(final T obj) {
        if (held != null) {
            held.remove(obj); // it leaves the pool (a miss for a new object): a put of it is a first put again
        }
        try {
            construct.accept(obj);
        } catch (final Throwable e) { // checked ones too (a sneaky throw): the object must not be lost
            recache(obj, e); // constructed state unknown, but init'ed: cache it, as NetBSD does on ctor failure
            throw e;
        }
        return obj;
    }

    /** A hook failed for {@code obj} on its way in or out: cache it, keeping {@code failure} first. */
    private void recache(final Object obj, final Throwable failure) {
        if (held != null) {
            held.add(obj); // back in the pool (already held after a destruct failure: a no-op)
        }
        try {
            putCached(obj);
        } catch (final Throwable e) { // closed meanwhile (the object stays with no holder, as at close)
            unhold(obj);
            failure.addSuppressed(e);
        }
    }

    /** A put that did not cache {@code obj} because the pool closed: the held set lets it go. */
    private void unhold(final Object obj) {
        // ORDER: volatile load; close() drained everything after setting it, so an object of
        // a refused put is not cached (and one it finalised is gone from the set already).
        if (held != null && closed) {
            held.remove(obj);
        }
    }

    // ------------------------------------------------------------------ put

    /**
     * Returns an object to the pool after running the {@code destruct} hook on it. The object
     * may be handed out again at once, to any thread. Cheap: no barrier, unless the put makes
     * the depot exceed the high-water mark, in which case this call finalises a batch (one
     * {@code perform()} plus the {@code fini} hooks), or defers that if the caller is inside a
     * section of the pool's {@link Pserialize}.
     *
     * @param obj an object obtained from this pool's {@code get()} and not put since
     * @throws NullPointerException if {@code obj} is null
     * @throws IllegalStateException if the pool is closed, or (unless built with
     *         {@link Builder#doublePutCheck doublePutCheck(false)}) if the pool holds
     *         {@code obj} already: a double put (see "Double puts")
     */
    public void put(final T obj) {
        if (obj == null) {
            throw new NullPointerException("obj: pool '" + name + "': put(null) (thread " + Thread.currentThread() + ")");
        }
        checkOpen();
        if (held != null && !held.add(obj)) {
            throw new IllegalStateException("pool '" + name + "': double put of an object of "
                    + obj.getClass().getName() + ": the pool already holds it (put and not handed out since)"
                    + " (thread " + Thread.currentThread() + ")");
        }
        try {
            destruct.accept(obj);
        } catch (final Throwable e) { // checked ones too (a sneaky throw): cached anyway, then rethrown
            recache(obj, e);
            throw e;
        }
        try {
            putCached(obj);
        } catch (final Throwable e) {
            unhold(obj);
            throw e;
        }
    }

    private void putCached(final Object obj) {
        List<Object[]> batch = null;
        final Stripe s = lockStripe();
        try {
            checkOpenLocked();
            s.puts++;
            int c = s.count;
            if (c == s.objects.length) {
                batch = flushLocked(s);
                c = s.count;
            }
            s.objects[c] = obj;
            s.count = c + 1;
        } finally {
            s.unlock();
        }
        if (batch != null) {
            finalise(batch);
        }
    }

    /**
     * The stripe is full: moves its oldest magazine's worth of objects to the depot, and takes
     * out of the depot what lies beyond the high-water mark (the batch to finalise), unless
     * the caller is inside a section.
     */
    private @Nullable List<Object[]> flushLocked(final Stripe s) {
        final int m = magazineSize;
        List<Object[]> batch = null;
        depotLock.lock();
        try {
            checkOpenLocked();
            Object[] mag = empties.pollFirst();
            if (mag == null) {
                mag = new Object[m];
            }
            System.arraycopy(s.objects, 0, mag, 0, m);
            System.arraycopy(s.objects, m, s.objects, 0, s.count - m);
            Arrays.fill(s.objects, s.count - m, s.count, null);
            s.count -= m;
            full.addLast(mag);
            depotObjects += m;
            if (depotObjects > hiwat) {
                if (pserialize.entered()) {
                    deferredShrinks.increment(); // perform() would wait for us: shrink later
                } else {
                    batch = new ArrayList<>();
                    // Invariant 6: only what fits under the pending limit leaves reuse; the
                    // rest stays cached (reusable at once) for a later shrink.
                    while (depotObjects > hiwat && reserveAwaiting(m)) {
                        batch.add(full.pollFirst());
                        depotObjects -= m;
                    }
                }
            }
        } finally {
            depotLock.unlock();
        }
        return batch;
    }

    // ------------------------------------------------------------------ shrink

    /**
     * Finalises every object cached in the pool (per-thread stripes and depot): one
     * {@code perform()}, then the {@code fini} hook of each. Objects handed out are not
     * affected. Like {@code pool_cache_invalidate} followed by {@code pool_reclaim}.
     *
     * @return the number of objects finalised
     * @throws IllegalStateException if the pool is closed, or if the calling thread is inside
     *         a section of the pool's {@link Pserialize}
     */
    public int reclaim() {
        checkOpen();
        checkNotInSection("reclaim()");
        return finaliseReserving(drain());
    }

    /**
     * Closes the pool: later calls to {@code get}, {@code tryGet}, {@code put} and
     * {@code reclaim} throw {@link IllegalStateException}; every cached object is finalised
     * behind one {@code perform()}. Objects still handed out are left to their holders (close
     * when all are back, as for {@code pool_cache_destroy}). Idempotent. A pool that created
     * its own {@link Pserialize} leaves it usable.
     *
     * @throws IllegalStateException if the calling thread is inside a section of the pool's
     *         {@link Pserialize}
     */
    @Override
    public void close() {
        // ORDER: volatile load; the CAS below decides.
        if (closed) {
            return;
        }
        checkNotInSection("close()");
        // ORDER: volatile CAS: exactly one closer; get/put see the flag on entry or under
        // the stripe lock (see "Closing").
        if (!CLOSED.compareAndSet(this, false, true)) {
            return;
        }
        try {
            finaliseReserving(drain());
        } finally {
            Mbeans.unregister(mbean);
            periodic.remove();
        }
    }

    /**
     * Returns whether {@link #close()} has been called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Returns the name under which this pool's MBean is registered.
     *
     * @return the object name ({@code org.smr4j:type=PserializePool,name=<name>}, with
     *         {@code ,instance=<n>} appended while another pool of the same name is
     *         registered), or null if JMX was disabled or registration failed; kept after
     *         {@link #close()}
     */
    public @Nullable String mbeanName() {
        return Mbeans.nameOf(mbean);
    }

    /** For the MBean. */
    int hardLimitValue() {
        return hardLimit;
    }

    /** For the MBean. */
    int hiwatValue() {
        return hiwat;
    }

    /** The periodic JFR hook (Periodic): this pool's statistics. */
    void emitStatistics() {
        final SmrEvents.PserializePoolStatistics e = new SmrEvents.PserializePoolStatistics();
        if (e.shouldCommit()) {
            final Stats s = stats();
            e.pool = name;
            e.gets = s.gets();
            e.hits = s.hits();
            e.puts = s.puts();
            e.created = s.created();
            e.finalised = s.finalised();
            e.batches = s.batches();
            e.limitWaits = s.limitWaits();
            e.allocated = s.allocated();
            e.cached = s.cached();
            e.commit();
        }
    }

    /**
     * Counts {@code n} more objects awaiting their barrier if that keeps invariant 6; never
     * blocks. ORDER: volatile CAS on a counter; it publishes no data.
     */
    private boolean reserveAwaiting(final long n) {
        long a = (long) AWAITING.getVolatile(this);
        while (a + n <= pendingLimit) {
            if (AWAITING.compareAndSet(this, a, a + n)) {
                return true;
            }
            a = (long) AWAITING.getVolatile(this);
        }
        return false;
    }

    /**
     * For reclaim and close, which take everything at once: finalises {@code batch} in chunks
     * that fit under the pending limit, each behind its own perform(), waiting (spin, then
     * park) for shrinks of other threads to finish when there is no room. One chunk and one
     * perform() when the pool has no pending limit.
     */
    private int finaliseReserving(final List<Object[]> batch) {
        int n = 0;
        int i = 0;
        while (i < batch.size()) {
            final List<Object[]> chunk = new ArrayList<>();
            long size = 0;
            while (i < batch.size() && size + batch.get(i).length <= pendingLimit) {
                size += batch.get(i).length;
                chunk.add(batch.get(i++));
            }
            if (chunk.isEmpty()) { // cannot happen: build() keeps pendingLimit >= 2 * magazineSize
                chunk.add(batch.get(i++));
                size = chunk.get(0).length;
            }
            awaitAwaitingRoom(size);
            n += finalise(chunk);
        }
        return n;
    }

    /** Reserves {@code size} awaiting objects, waiting for room; keeps an interrupt for the caller. */
    private void awaitAwaitingRoom(final long size) {
        final Backoff backoff = new Backoff(this);
        while (!reserveAwaiting(size)) {
            backoff.pause();
        }
        backoff.restoreInterrupt();
    }

    /** Takes every cached object out of the stripes and the depot. */
    private List<Object[]> drain() {
        final List<Object[]> batch = new ArrayList<>();
        for (final Stripe s : stripes) {
            lockStripeAt(s);
            try {
                if (s.count > 0) {
                    batch.add(Arrays.copyOf(s.objects, s.count));
                    Arrays.fill(s.objects, 0, s.count, null);
                    s.count = 0;
                }
            } finally {
                s.unlock();
            }
        }
        depotLock.lock();
        try {
            batch.addAll(full);
            full.clear();
            depotObjects = 0;
        } finally {
            depotLock.unlock();
        }
        return batch;
    }

    /**
     * One barrier for the whole batch, then the fini hooks. Returns the objects finalised.
     * A fini that throws anything is reported (counted, logged once) and its object let go
     * all the same; the rest of the batch is finalised, and each object's accounting is in a
     * finally.
     */
    // unchecked: only T instances are ever stored; NullAway: clears each slot after reading it
    @SuppressWarnings({"unchecked", "NullAway"})
    private int finalise(final List<Object[]> batch) {
        int n = 0;
        for (final Object[] mag : batch) {
            n += mag.length;
        }
        if (n == 0) {
            return 0;
        }
        try {
            if (!noBarrier) {
                // Every reader that could have found one of these objects leaves its section first.
                pserialize.perform();
            }
        } finally {
            // ORDER: volatile RMW on a counter (invariant 6): the batch no longer awaits.
            AWAITING.getAndAdd(this, (long) -n);
        }
        batches.increment();
        for (final Object[] mag : batch) {
            for (int i = 0; i < mag.length; i++) {
                final Object obj = mag[i];
                mag[i] = null;
                try {
                    fini.accept((T) obj);
                } catch (final Throwable e) {
                    hookFailures.report(HookFailures.Hook.FINI, obj, e, "the object was let go all the same");
                } finally {
                    if (held != null) {
                        held.remove(obj);
                    }
                    released();
                }
            }
        }
        return n;
    }

    /**
     * One object let go: allocated goes down by one, but never below 0. An object the pool
     * did not count (an undetected double put, a foreign object: see "Double puts") would be
     * finalised twice; that finalisation is counted as foreign, not finalised, which keeps
     * allocated == created - finalised (invariant 1).
     */
    private void released() {
        // ORDER: volatile loads and CAS on a counter; a waiting get() may now create.
        long a = (long) ALLOCATED.getVolatile(this);
        while (a > 0 && !ALLOCATED.compareAndSet(this, a, a - 1)) {
            a = (long) ALLOCATED.getVolatile(this);
        }
        if (a > 0) {
            finalised.increment();
        } else {
            foreign.increment();
        }
    }

    /** For tests: finalisations not counted because allocated was 0 (see released). */
    long foreignFinalisations() {
        return foreign.sum();
    }

    /** For tests: the held set, or null with doublePutCheck(false). */
    @Nullable PoolHeldSet heldSet() {
        return held;
    }

    // ------------------------------------------------------------------ stripes

    private Stripe lockStripe() {
        final long id = Thread.currentThread().threadId();
        final int h = (int) ((id * 0x9E3779B97F4A7C15L) >>> 40);
        final Stripe home = stripes[h & stripeMask];
        if (home.tryLock()) {
            return home;
        }
        if (stripeMask != 0) {
            final Stripe next = stripes[(h + 1) & stripeMask];
            if (next.tryLock()) {
                return next;
            }
        }
        lockStripeAt(home);
        return home;
    }

    /** Takes {@code s}'s lock: spins briefly, then parks with growing timeouts. */
    private void lockStripeAt(final Stripe s) {
        final Backoff backoff = new Backoff(this);
        while (!s.tryLock()) {
            backoff.pause();
        }
        backoff.restoreInterrupt();
    }

    private int depotObjectsRacy() {
        return depotObjects; // benign race: only a hint for steal(); the locked path decides
    }

    // ------------------------------------------------------------------ checks

    private void checkOpen() {
        // ORDER: volatile load of closed; a fast early answer, confirmed under the lock.
        if (closed) {
            throw closedException();
        }
    }

    /** Under a stripe or the depot lock; see "Closing" in the overview. */
    private void checkOpenLocked() {
        // ORDER: volatile load under the lock; close() set it before taking this lock to drain.
        if (closed) {
            throw closedException();
        }
    }

    private IllegalStateException closedException() {
        return new IllegalStateException("pool '" + name + "' is closed (thread " + Thread.currentThread() + ")");
    }

    private void checkNotInSection(final String what) {
        if (pserialize.entered()) {
            throw new IllegalStateException("pool '" + name + "': " + what + " inside a read section of pserialize '"
                    + pserialize.name() + "' (thread " + Thread.currentThread() + ")");
        }
    }

    /** For tests: objects withdrawn for finalisation whose perform() has not returned (invariant 6). */
    long awaitingBarrier() {
        return (long) AWAITING.getVolatile(this);
    }

    /** For tests: checks the invariants of the overview; call when the pool is quiescent. */
    void checkInvariants() {
        final long a = (long) ALLOCATED.getVolatile(this);
        check(a == created.sum() - finalised.sum(), "allocated " + a + " != created - finalised");
        check(a >= 0 && a <= hardLimit, "allocated " + a + " outside [0, hardLimit]");
        final long w = (long) AWAITING.getVolatile(this);
        check(w >= 0 && w <= pendingLimit, "awaiting " + w + " outside [0, pendingLimit " + pendingLimit + "]");
        long cached = 0;
        final java.util.IdentityHashMap<Object, String> where = new java.util.IdentityHashMap<>();
        for (final Stripe s : stripes) {
            lockStripeAt(s);
            try {
                check(s.count >= 0 && s.count <= s.objects.length, "stripe count " + s.count);
                for (int i = 0; i < s.objects.length; i++) {
                    check((s.objects[i] != null) == (i < s.count), "stripe slot " + i + " vs count " + s.count);
                    if (s.objects[i] != null) {
                        check(where.put(s.objects[i], "stripe") == null, "an object cached twice");
                    }
                }
                cached += s.count;
            } finally {
                s.unlock();
            }
        }
        depotLock.lock();
        try {
            check(depotObjects == full.size() * magazineSize, "depot count " + depotObjects);
            for (final Object[] mag : full) {
                for (final Object o : mag) {
                    check(where.put(o, "depot") == null, "an object cached twice");
                }
            }
            cached += depotObjects;
        } finally {
            depotLock.unlock();
        }
        check(cached <= a, "cached " + cached + " > allocated " + a);
        if (closed) {
            check(cached == 0, "closed pool still caches " + cached);
        }
        if (held != null) {
            held.check(name, where);
        }
    }

    private void check(final boolean ok, final String what) {
        if (!ok) {
            throw new AssertionError("pool '" + name + "': invariant broken: " + what);
        }
    }

    // ------------------------------------------------------------------ statistics

    /**
     * Returns a snapshot of this pool's counters; takes each stripe lock briefly.
     *
     * @return the counters now
     */
    public Stats stats() {
        long gets = 0;
        long hits = 0;
        long puts = 0;
        long cached = 0;
        for (final Stripe s : stripes) {
            lockStripeAt(s);
            try {
                gets += s.gets;
                hits += s.hits;
                puts += s.puts;
                cached += s.count;
            } finally {
                s.unlock();
            }
        }
        depotLock.lock();
        try {
            cached += depotObjects;
        } finally {
            depotLock.unlock();
        }
        return new Stats(gets, hits, puts, created.sum(), finalised.sum(), batches.sum(), limitWaits.sum(),
                deferredShrinks.sum(), (long) ALLOCATED.getVolatile(this), cached, hookFailures.count());
    }

    @Override
    public String toString() {
        return "PserializePool[" + name + (closed ? ", closed" : "") + ", pserialize=" + pserialize.name()
                + ", stripes=" + stripes.length + ", magazine=" + magazineSize + "]";
    }

    /**
     * A snapshot of a pool's counters.
     *
     * @param gets            calls to {@code get()} and {@code tryGet()}
     * @param hits            gets served from the cache (including objects taken at the hard limit)
     * @param puts            objects put back (including those whose construct hook failed)
     * @param created         objects created by the factory (and init'ed)
     * @param finalised       objects finalised (fini'ed) and let go
     * @param batches         finalisation batches, each behind one {@code perform()}
     * @param limitWaits      gets that met the hard limit
     * @param deferredShrinks shrinks deferred because the caller was inside a section
     * @param allocated       objects alive now: handed out or cached
     * @param cached          objects cached now
     * @param hookFailures    fini hooks that threw (each counted once); failures of the other
     *                        hooks propagate to the caller and are not counted here
     */
    public record Stats(long gets, long hits, long puts, long created, long finalised, long batches,
                        long limitWaits, long deferredShrinks, long allocated, long cached, long hookFailures) {
    }

    // ------------------------------------------------------------------ Stripe

    /** One stripe: a tiny lock and up to two magazines of objects; see PserializeLayout. */
    static final class Stripe extends PserializeLayout.StripePad1 {
        Stripe(final int capacity) {
            this.objects = new Object[capacity];
        }

        boolean tryLock() {
            // ORDER: opaque pre-check avoids CAS storms on a held lock; the volatile CAS
            // acquires, pairing with the release in unlock().
            return (int) LOCKED.getOpaque(this) == 0 && LOCKED.compareAndSet(this, 0, 1);
        }

        void unlock() {
            // ORDER: release; everything done under the lock is visible to the next holder.
            LOCKED.setRelease(this, 0);
        }

        int countRacy() {
            return count; // benign race: only a hint for steal(); the locked path decides
        }

        private static final VarHandle LOCKED;

        static {
            try {
                LOCKED = MethodHandles.lookup().findVarHandle(PserializeLayout.StripeFields.class, "locked", int.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    // ------------------------------------------------------------------ Builder

    /**
     * Configures a pool. Not thread-safe.
     *
     * @param <T> the type of pooled objects
     */
    public static final class Builder<T> {
        private final String name;
        private final Supplier<? extends T> factory;
        private @Nullable Pserialize pserialize;
        private boolean noBarrier;
        private boolean doublePutCheck = true;
        private Consumer<? super T> init = o -> { };
        private Consumer<? super T> fini = o -> { };
        private Consumer<? super T> construct = o -> { };
        private Consumer<? super T> destruct = o -> { };
        private int magazineSize = MAGAZINE_SIZE_DEFAULT;
        private int hiwat = HIWAT_DEFAULT;
        private int hardLimit = HARD_LIMIT_DEFAULT;
        private long pendingLimit = Long.MAX_VALUE;
        private int stripes;
        private boolean jmx = true;

        private Builder(final String name, final Supplier<? extends T> factory) {
            this.name = name;
            this.factory = factory;
        }

        /**
         * Shares a {@link Pserialize} instance (for example with other pools whose objects the
         * same readers look at). Without this call the pool creates its own, named after it.
         *
         * @param pserialize the instance whose readers the pool protects
         * @return this builder
         */
        public Builder<T> pserialize(final Pserialize pserialize) {
            this.pserialize = Objects.requireNonNull(pserialize, "pserialize");
            return this;
        }

        /**
         * Sets the hook run once per object when it is created (NetBSD's ctor).
         *
         * @param init the hook
         * @return this builder
         */
        public Builder<T> init(final Consumer<? super T> init) {
            this.init = Objects.requireNonNull(init, "init");
            return this;
        }

        /**
         * Sets the hook run once per object after a {@code perform()}, when the pool lets it
         * go (NetBSD's dtor).
         *
         * @param fini the hook
         * @return this builder
         */
        public Builder<T> fini(final Consumer<? super T> fini) {
            this.fini = Objects.requireNonNull(fini, "fini");
            return this;
        }

        /**
         * Sets the hook run on every {@code get()} before the object is returned.
         *
         * @param construct the hook
         * @return this builder
         */
        public Builder<T> construct(final Consumer<? super T> construct) {
            this.construct = Objects.requireNonNull(construct, "construct");
            return this;
        }

        /**
         * Sets the hook run on every {@code put()} before the object is cached.
         *
         * @param destruct the hook
         * @return this builder
         */
        public Builder<T> destruct(final Consumer<? super T> destruct) {
            this.destruct = Objects.requireNonNull(destruct, "destruct");
            return this;
        }

        /**
         * Sets the magazine size: objects moved at once between a stripe and the depot (a
         * stripe caches up to twice as many). Default {@value PserializePool#MAGAZINE_SIZE_DEFAULT}.
         *
         * @param size at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code size < 1}
         */
        public Builder<T> magazineSize(final int size) {
            if (size < 1) {
                throw new IllegalArgumentException("pool '" + name + "': magazine size must be in [1, "
                        + Integer.MAX_VALUE + "], was " + size);
            }
            this.magazineSize = size;
            return this;
        }

        /**
         * Sets the high-water mark: the most idle objects the shared depot keeps; a put that
         * pushes it beyond finalises the excess in one batch. Per-stripe caches hold up to
         * {@code 2 * magazineSize} each on top. Default unlimited.
         *
         * @param hiwat at least 0
         * @return this builder
         * @throws IllegalArgumentException if {@code hiwat < 0}
         */
        public Builder<T> hiwat(final int hiwat) {
            if (hiwat < 0) {
                throw new IllegalArgumentException("pool '" + name + "': hiwat must be in [0, " + Integer.MAX_VALUE
                        + "], was " + hiwat);
            }
            this.hiwat = hiwat;
            return this;
        }

        /**
         * Sets the hard limit: the most objects alive in the pool, handed out or cached.
         * Default unlimited.
         *
         * @param limit at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code limit < 1}
         */
        public Builder<T> hardLimit(final int limit) {
            if (limit < 1) {
                throw new IllegalArgumentException("pool '" + name + "': hard limit must be in [1, " + Integer.MAX_VALUE
                        + "], was " + limit);
            }
            this.hardLimit = limit;
            return this;
        }

        /**
         * Bounds the objects awaiting their barrier: taken out of reuse to be finalised, whose
         * {@code perform()} has not returned yet. A put's shrink beyond the high-water mark
         * takes out of the depot only the magazines that fit under the limit; the rest stays
         * cached and reusable at once ({@code PR_PSERIALIZE}: nothing else is pending), and a
         * later shrink takes it, so while a reader stalls inside a section at most {@code n}
         * objects are held back from reuse and every further put returns at once instead of
         * adding a batch behind the stall; the depot may then hold more than the high-water
         * mark until the reader leaves. {@link PserializePool#reclaim()} and
         * {@link PserializePool#close()} finalise in chunks of at most {@code n} objects, each
         * behind its own {@code perform()}, waiting (spin, then park) for room. No slack: the
         * bound is exact. Unlimited by default.
         *
         * @param n at least twice the magazine size (a stripe's contents; checked by
         *        {@link #build()})
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         */
        public Builder<T> pendingLimit(final long n) {
            if (n < 1) {
                throw new IllegalArgumentException("pool '" + name + "': pending limit " + n
                        + " out of range [1, " + Long.MAX_VALUE + "]");
            }
            this.pendingLimit = n;
            return this;
        }

        /**
         * Sets the number of stripes. Default: the power of two at or above twice the number
         * of CPUs.
         *
         * @param count a power of two, at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code count} is not a positive power of two
         */
        public Builder<T> stripes(final int count) {
            if (count < 1 || Integer.bitCount(count) != 1) {
                throw new IllegalArgumentException("pool '" + name + "': stripes " + count
                        + " is not a power of two in [1, 2^30]");
            }
            this.stripes = count;
            return this;
        }

        /**
         * Registers the pool's MBean ({@code org.smr4j:type=PserializePool,name=<name>};
         * see {@link PserializePoolMXBean}) or not. On by default.
         *
         * @param on whether to register an MBean
         * @return this builder
         */
        public Builder<T> jmx(final boolean on) {
            this.jmx = on;
            return this;
        }

        /**
         * Turns off the held set (on by default; see "Double puts" in the class documentation):
         * the caller promises never to put an object twice, and the pool saves one identity-set
         * update (a monitor and a hash probe) per put and per get. A double put then goes
         * undetected and the object can be handed out twice; the statistics still never go
         * negative.
         *
         * @param on false to trust the callers
         * @return this builder
         */
        public Builder<T> doublePutCheck(final boolean on) {
            this.doublePutCheck = on;
            return this;
        }

        /** Negative control for tests only: finalise without waiting for readers. */
        Builder<T> unsafeNoBarrierForTest() {
            this.noBarrier = true;
            return this;
        }

        /**
         * Builds the pool.
         *
         * @return a new pool
         * @throws IllegalArgumentException if the pending limit is below twice the magazine size
         */
        public PserializePool<T> build() {
            if (pendingLimit < 2L * magazineSize) {
                throw new IllegalArgumentException("pool '" + name + "': pending limit " + pendingLimit
                        + " out of range [" + 2L * magazineSize + " (twice the magazine size), " + Long.MAX_VALUE + "]");
            }
            return new PserializePool<>(this);
        }
    }

    // VarHandle mechanics
    private static final VarHandle ALLOCATED;
    private static final VarHandle AWAITING;
    private static final VarHandle CLOSED;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            ALLOCATED = lookup.findVarHandle(PserializePool.class, "allocated", long.class);
            AWAITING = lookup.findVarHandle(PserializePool.class, "awaiting", long.class);
            CLOSED = lookup.findVarHandle(PserializePool.class, "closed", boolean.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
