package org.smr4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The owned-cache layer of an {@link SmrPool}: caches of their own for up to a bounded number
 * of platform threads, which their owners use with plain memory accesses and no atomic
 * instruction ({@link SmrPool.Owned}), and the hand-off through which other threads take what
 * sits in them: a process-wide barrier ({@code membarrier(2)}) instead of UMA's cross-calls.
 * This part owns the slot table (lookup, claim, the sweep of dead owners' caches) and the
 * collector's side of the hand-off; the owner's side, the busy window, is in SmrPool's get
 * and put fast paths.
 */
final class SmrPoolOwnedCaches {
    /*
     * The map of the whole pool is in the overview of SmrPool; this part owns invariant 6
     * there.
     *
     * Why (the fast path without atomics). The profile of the stripe design
     * (smr4j-bench/results/2026-11-27-pool-fastpath) put three fifths of a one-thread
     * get+put in the two stripe-lock CASes: a locked instruction costs about 8 ns on this
     * project's machine, as much as a whole TLAB allocation of the object. So a platform
     * thread may claim a cache of its own: an Owned object in a fixed, padded slot array
     * indexed by the thread id's low bits (the home slot) or a Fibonacci hash of it (the
     * alternative), claimed under `lock` on a stripe slow path, never by a virtual thread.
     * Per call the owner does:
     *
     *   owner (get/put/install)                    collector (collect: drain, flush,
     *                                                limit, close)
     *   c = slot[home] or slot[alt], ownerId == me  request = HELD or REVOKED   (volatile)
     *   busy = 1                     (opaque)       membarrier(PRIVATE_EXPEDITED), once
     *   if request == NONE           (acquire)      wait until busy == 0        (acquire)
     *       plain pop/push on the magazines         take the magazines, swap in new ones
     *   busy = 0 (in finally)        (release)      request = NONE              (release)
     *   else: use the stripes for this call         (REVOKED stays: close)
     *
     * The cache keeps each installed magazine's items array and count in its own fields
     * (allocItems, allocCount; freeItems, freeCount), so the fast path loads one object
     * fewer; a magazine's own count is brought up to date when it leaves the cache.
     *
     * Why each mode:
     *  - slot loads are plain: an owner matches only a slot it installed itself (thread ids
     *    are never reused), so program order covers it; other threads compare only the final
     *    ownerId (final-field semantics). Slots are written under `lock` with release
     *    stores, and read with acquire where a non-owner looks inside (stats).
     *  - busy = 1 is an opaque store and request an acquire load: no locked instruction. The
     *    CPU may still let the load pass the store (store buffer); the collector's membarrier
     *    closes that gap, as Smr's lazy readers rely on (Smr overview, "Lazy mode": the CPU
     *    half). The JIT does not move them past each other or the magazine accesses past the
     *    acquire: C2 brackets non-plain VarHandle accesses with MemBarCPUOrder, C1 and the
     *    interpreter keep bytecode order (the same HotSpot argument as Smr's, stated there).
     *  - the magazine accesses are plain: while request is NONE only the owner touches them.
     *  - busy = 0 is a release store: the collector's acquire load of busy == 0 then sees the
     *    owner's magazine writes.
     *  - request = HELD/REVOKED is a volatile store (a full fence after it), made visible to
     *    all before membarrier returns; request = NONE after the swap is a release store
     *    that pairs with the owner's acquire load: it sees the new magazines.
     * The proof is Dekker's, with the barrier on one side only: membarrier returns after
     * every thread of the process executed a full barrier (or a context switch) at a point P
     * during the call. If the owner's busy = 1 came before P, it is visible to the
     * collector's later load, which waits for the matching busy = 0 (windows are a few dozen
     * instructions with no allocation, no lock and no call between the first and the last
     * magazine write, so they cannot stop half-way; busy is reset in a finally. Interpreted
     * code calls the VarHandle accessors, so a StackOverflowError may hit the request load,
     * before any write: the finally clears busy, unless the stack is so exhausted that the
     * reset overflows too; busy then stays set until the owner's next call or its death,
     * and a collector waits that long).
     * If it came after P, so did the owner's load of request, which sees HELD (the
     * collector's store preceded the call); the owner then leaves its magazines alone and
     * uses the stripes for that call. Either way the two never touch a magazine at once.
     * Everything outside the windows (hooks, depot, advances, the factory) runs with busy 0,
     * so a collector never waits for user code.
     *
     * What other threads do with owned caches, after UMA's cache_drain/uma_zone_reclaim
     * (which use cross-calls to each CPU; we have none, the hand-off replaces them):
     *  - drain(): ALLOC magazines are finalised, FREE ones tagged with one advance and queued;
     *    flush(): FREE magazines only; the hard limit: FREE tagged, ALLOC to READY; close():
     *    the same for good: request stays REVOKED, the owner falls back to the stripes, which
     *    throw "closed". A claim re-reads closed under `lock` after close set it, so no
     *    cache appears after close revoked them.
     *  - dead owners: a cache whose Thread is unreachable (weak reference cleared) or no
     *    longer alive is retired without a barrier (a dead thread runs no window): ALLOC to
     *    READY, FREE tagged and queued, counters kept, slot freed. Found by every collection,
     *    by a claim whose slots are taken, and once per trim interval by the enqueue that
     *    notices the interval passed (the depot's sweepDue), so no thread is needed.
     *  - stats() reads the owners' counters and magazine counts racily, without stopping
     *    them (plain longs, not torn by HotSpot on 64-bit); exact once the owner terminated or
     *    synchronised with the caller.
     * Without membarrier (not Linux, no native access, -Dorg.smr4j.membarrier=false) owned
     * caches are off: the owner would need a store-load fence per call, which costs what the
     * stripe lock does. A platform thread blocked forever holds at most two magazines per
     * pool until a collection takes them, as a CPU's buckets sit in UMA.
     */

    /** Owned cache request states (Owned.request). */
    static final int NONE = 0;
    static final int HELD = 1;
    static final int REVOKED = 2;

    private final String name;
    private final int magazineSize;
    private final Smr smr;
    private final SmrPoolDepot<?> depot;
    /**
     * Caches owned by platform threads, indexed by {@code home(threadId)} or
     * {@code alt(threadId)}; length a power of two, fixed. A one-slot array holding null when
     * owned caches are off. Slots are written only under {@link #lock}, with release stores;
     * see "Why each mode" in the overview for why the fast path may read them plain.
     */
    private final SmrPool.@Nullable Owned[] slots;
    /** Whether platform threads may claim owned caches (configured, and membarrier works). */
    private final boolean enabled;
    /** Serialises claims, collections, sweeps and close's revocation of owned caches. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Slots holding a cache that is not revoked. Under lock. */
    private int claimed;
    /** Requests and puts counted by caches of dead threads, once swept. Under lock. */
    private long retiredRequests;
    private long retiredPuts;

    /**
     * Creates the table with {@code caches} slots (a power of two), or with owned caches off
     * when it is 0: SmrPool turns them off where the membarrier of the hand-off is unavailable.
     */
    SmrPoolOwnedCaches(final String name, final int magazineSize, final Smr smr, final SmrPoolDepot<?> depot,
                       final int caches) {
        this.name = name;
        this.magazineSize = magazineSize;
        this.smr = smr;
        this.depot = depot;
        this.enabled = caches > 0;
        this.slots = new SmrPool.Owned[enabled ? caches : 1];
        // Published with the pool: SmrPool's constructor ends with a release fence.
    }

    /** The slot table, for the fast path's plain lookup ({@link #cacheOf}); written only here. */
    SmrPool.@Nullable Owned[] slots() {
        return slots;
    }

    boolean enabled() {
        return enabled;
    }

    // ------------------------------------------------------------------ lookup and claim

    /**
     * The calling thread's owned cache in {@code os}, or null. At most two plain probes: the
     * home slot and the alternative. ORDER: plain loads. A slot another thread installed is
     * only compared by its final ownerId (final-field semantics: never seen uninitialised); a
     * match means the caller installed the slot itself (thread ids are never reused), so
     * program order covers it; a slot replaced meanwhile can only have belonged to a dead
     * thread or been revoked, which the request flag tells the owner.
     */
    static SmrPool.@Nullable Owned cacheOf(final SmrPool.@Nullable Owned[] os) {
        final long tid = Thread.currentThread().threadId();
        final int mask = os.length - 1;
        SmrPool.Owned c = os[home(tid, mask)];
        if (c != null && c.ownerId == tid) {
            return c;
        }
        c = os[alt(tid, mask)];
        return c != null && c.ownerId == tid ? c : null;
    }

    /**
     * An owned cache's home slot: the thread id's low bits. Thread ids are handed out in
     * sequence, so threads started one after another get different homes, and the index
     * costs no multiply on the fast path.
     */
    private static int home(final long tid, final int mask) {
        return (int) tid & mask;
    }

    /** An owned cache's alternative slot: a Fibonacci hash of the thread id. */
    private static int alt(final long tid, final int mask) {
        return SmrPoolStripes.hash(tid) & mask;
    }

    /**
     * Slow paths of the striped path: gives the calling platform thread a cache of its own
     * when its home or alternative slot is free (or held by a dead thread, which is swept
     * first). Returns the caller's cache (possibly held or revoked), or null. Never blocks:
     * if another thread holds the owned lock, the caller stays on the striped path for now.
     */
    SmrPool.@Nullable Owned tryClaim() {
        if (!enabled) {
            return null;
        }
        final Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            return null; // millions of virtual threads must not mean millions of caches
        }
        final SmrPool.Owned mine = cacheOf(slots);
        if (mine != null) {
            return mine;
        }
        final SmrPool.@Nullable Owned[] os = slots;
        final int mask = os.length - 1;
        final int home = home(t.threadId(), mask);
        final int alt = alt(t.threadId(), mask);
        for (int attempt = 0; attempt < 2; attempt++) {
            if (!lock.tryLock()) {
                return null;
            }
            final boolean deadFound;
            try {
                // ORDER: acquire, under the owned lock: close() sets closed before it takes
                // this lock to revoke, so a claim made after its revocation sees closed here,
                // and a claim made before it is revoked by it.
                if (depot.closedAcquire()) {
                    return null;
                }
                final int free = os[home] == null ? home : os[alt] == null ? alt : -1;
                if (free >= 0) {
                    final SmrPool.Owned c = new SmrPool.Owned(t, magazineSize);
                    setSlotRelease(os, free, c);
                    claimed++;
                    return c;
                }
                deadFound = deadOwner(os[home]) || deadOwner(os[alt]);
            } finally {
                lock.unlock();
            }
            // Sweeping queues the dead thread's FREE magazine, which advances: not inside a
            // section (a get may run in one).
            if (!deadFound || smr.entered()) {
                return null;
            }
            sweep();
        }
        return null;
    }

    /** For tests: whether the calling thread has an owned cache that is not revoked. */
    boolean owns() {
        final SmrPool.Owned c = cacheOf(slots);
        return c != null && c.requestOpaque() != REVOKED;
    }

    /** Whether {@code c} is a live (not revoked) cache whose owner has terminated. */
    private static boolean deadOwner(final SmrPool.@Nullable Owned c) {
        return c != null && c.requestOpaque() != REVOKED && !c.ownerAlive();
    }

    // ------------------------------------------------------------------ dead owners

    /**
     * Retires the caches of dead threads: their ALLOC magazines go to READY, their FREE
     * magazines are tagged and queued, their counters are kept, their slots freed. Runs from
     * tryClaim, once per trim interval from the depot's enqueue, and from every collection.
     * Never call inside a read section (it advances).
     */
    void sweep() {
        final List<SmrPoolMagazine> frees = new ArrayList<>();
        final List<SmrPoolMagazine> orphans = new ArrayList<>();
        lock.lock();
        try {
            final SmrPool.@Nullable Owned[] os = slots;
            for (int i = 0; i < os.length; i++) {
                if (deadOwner(os[i])) {
                    retireDead(os, i, frees, orphans);
                }
            }
        } finally {
            lock.unlock();
        }
        for (final SmrPoolMagazine m : orphans) {
            depot.pushReady(m);
        }
        if (!frees.isEmpty()) {
            depot.enqueueAll(frees);
        }
    }

    /**
     * Under the owned lock: takes the contents of slot {@code i}, whose owner has terminated.
     * No barrier and no wait: a dead thread runs no busy window. ORDER: Thread.isAlive()
     * returning false synchronises-with the owner's last action (JLS 17.4.4), so its plain
     * magazine writes are visible. When the weak reference was cleared instead, the thread
     * had terminated before a collection found its Thread unreachable; the acquire load of
     * busy below pairs with the release store that ended its last window (HotSpot: the
     * collection's safepoints and handshakes are full fences on every thread).
     */
    @SuppressWarnings("NullAway") // called only for a slot deadOwner found occupied
    private void retireDead(final SmrPool.@Nullable Owned[] os, final int i, final List<SmrPoolMagazine> frees,
                            final List<SmrPoolMagazine> orphans) {
        final SmrPool.Owned c = os[i];
        c.setRequestVolatile(REVOKED);
        final int busy = c.busyAcquire();
        assert busy == 0 : "pool '" + name + "': a dead thread's cache is inside a busy window";
        final SmrPoolMagazine f = c.uninstallFree(SmrPoolMagazine.EMPTY);
        if (f.count > 0) {
            frees.add(f);
        }
        final SmrPoolMagazine a = c.uninstallAlloc(SmrPoolMagazine.EMPTY);
        if (a.count > 0) {
            orphans.add(a);
        }
        retiredRequests += c.requests;
        retiredPuts += c.puts;
        setSlotRelease(os, i, null);
        claimed--;
    }

    // ------------------------------------------------------------------ collection (the hand-off)

    /**
     * Takes the contents of every owned cache: with {@code takeFree} (or {@code revoke}) FREE
     * magazines (non-empty) into {@code frees}; with {@code takeAlloc} (or {@code revoke})
     * ALLOC magazines (non-empty) into {@code allocs}. With {@code revoke} (close), the caches are revoked for good; otherwise
     * their owners use them again as soon as this returns. Caches of dead threads are retired
     * (their ALLOC magazines go into {@code allocs} as well).
     *
     * <p>The hand-off, for a live owner (see the overview): set request (volatile), one
     * membarrier for all caches, then wait until each owner's busy flag reads 0 (acquire).
     * After that the owner does not touch its magazines until request is NONE again, so we
     * may swap them with plain accesses; the release store of NONE publishes the new
     * magazines to the owner's acquire load of request.
     */
    void collect(final boolean takeAlloc, final boolean takeFree, final boolean revoke,
                 final List<SmrPoolMagazine> frees, final List<SmrPoolMagazine> allocs) {
        if (!enabled) {
            return;
        }
        lock.lock();
        try {
            final SmrPool.@Nullable Owned[] os = slots;
            final List<SmrPool.Owned> held = new ArrayList<>();
            try {
                for (int i = 0; i < os.length; i++) {
                    final SmrPool.Owned c = os[i];
                    if (c == null || c.requestOpaque() == REVOKED) {
                        continue;
                    }
                    if (!c.ownerAlive()) {
                        retireDead(os, i, frees, allocs);
                        continue;
                    }
                    // ORDER: volatile store (a full fence after it on x86): the collector half
                    // of the Dekker pair; visible to every owner before the membarrier returns.
                    c.setRequestVolatile(revoke ? REVOKED : HELD);
                    held.add(c);
                }
                if (held.isEmpty()) {
                    return;
                }
                // ORDER: process-wide barrier: every owner either had published busy = 1
                // before its barrier point (we see it below and wait) or loads request after
                // it (and sees ours). Pairs with the opaque store / acquire load in get/put.
                AsymmetricFence.fence();
                for (final SmrPool.Owned c : held) {
                    c.awaitIdle();
                    if ((takeFree && c.freeCount > 0) || revoke) {
                        final SmrPoolMagazine f = c.uninstallFree(revoke ? SmrPoolMagazine.EMPTY
                                : new SmrPoolMagazine(magazineSize));
                        if (f.count > 0) {
                            frees.add(f);
                        }
                    }
                    if ((takeAlloc && c.allocCount > 0) || revoke) {
                        final SmrPoolMagazine a = c.uninstallAlloc(revoke ? SmrPoolMagazine.EMPTY
                                : new SmrPoolMagazine(magazineSize));
                        if (a.count > 0) {
                            allocs.add(a);
                        }
                    }
                    if (revoke) {
                        claimed--;
                    }
                }
            } finally {
                if (!revoke) {
                    for (final SmrPool.Owned c : held) {
                        // ORDER: release; pairs with the owner's acquire load of request: it
                        // sees the magazines we swapped in before it touches them.
                        c.setRequestRelease(NONE);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ statistics and checks

    /**
     * The owned caches' counters, read under the owned lock; the owners' own fields racily.
     *
     * @param caches   caches claimed and not revoked
     * @param requests gets counted by owned caches, live and retired
     * @param puts     puts counted by owned caches, live and retired
     * @param cached   objects in owned caches' magazines
     */
    record Counts(int caches, long requests, long puts, long cached) {
    }

    Counts counts() {
        lock.lock();
        try {
            long requests = retiredRequests;
            long puts = retiredPuts;
            long cached = 0;
            final SmrPool.@Nullable Owned[] os = slots;
            for (int i = 0; i < os.length; i++) {
                // ORDER: acquire; pairs with the release that installed the slot, so the
                // cache's magazines are seen initialised.
                final SmrPool.Owned c = slotAcquire(os, i);
                if (c != null) {
                    // Racy plain reads of owner-written fields: the owner does not stop for
                    // statistics (no barrier, no wait), so these may lag its last calls; a
                    // long is not torn by HotSpot on 64-bit platforms. Exact once the owner
                    // has terminated or synchronised with the caller.
                    requests += c.requests;
                    puts += c.puts;
                    cached += c.allocCount + c.freeCount;
                }
            }
            return new Counts(claimed, requests, puts, cached);
        } finally {
            lock.unlock();
        }
    }

    /** For checkInvariants: invariant 6, and notes every owned cache's objects in {@code where}. */
    void check(final Map<Object, String> where) {
        lock.lock();
        try {
            final SmrPool.@Nullable Owned[] os = slots;
            int live = 0;
            for (int i = 0; i < os.length; i++) {
                final SmrPool.Owned c = slotAcquire(os, i);
                if (c == null) {
                    continue;
                }
                final int mask = os.length - 1;
                if (i != home(c.ownerId, mask) && i != alt(c.ownerId, mask)) {
                    throw new AssertionError("pool '" + name + "': owned cache of thread " + c.ownerId
                            + " in slot " + i + ", neither its home nor its alternative");
                }
                if (c.requestOpaque() != REVOKED) {
                    live++;
                }
                if (c.allocItems != c.alloc.items || c.freeItems != c.free.items) {
                    throw new AssertionError("pool '" + name + "': owned cache " + i + " items are not its magazines'");
                }
                SmrPoolMagazine.note(name, where, c.allocItems, c.allocCount, "owned " + i + " alloc", "READY");
                SmrPoolMagazine.note(name, where, c.freeItems, c.freeCount, "owned " + i + " free", "CACHED");
                if (c.spare != null && c.spare.count != 0) {
                    throw new AssertionError("pool '" + name + "': owned cache " + i + " spare not empty");
                }
            }
            if (live != claimed) {
                throw new AssertionError("pool '" + name + "': " + live + " owned caches, counted " + claimed);
            }
            if (!enabled && live != 0) {
                throw new AssertionError("pool '" + name + "': owned caches claimed while disabled");
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ VarHandle accessors

    /** Under the owned lock. */
    private static void setSlotRelease(final SmrPool.@Nullable Owned[] os, final int i, final SmrPool.@Nullable Owned c) {
        // ORDER: release; publishes the cache's fields (its magazines) to threads that read
        // the slot with acquire (stats) or take the owned lock (collectors).
        SLOTS.setRelease(os, i, c);
    }

    private static SmrPool.@Nullable Owned slotAcquire(final SmrPool.@Nullable Owned[] os, final int i) {
        return (SmrPool.Owned) SLOTS.getAcquire(os, i);
    }

    // ------------------------------------------------------------------ VarHandle mechanics

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(SmrPool.Owned[].class);
}
