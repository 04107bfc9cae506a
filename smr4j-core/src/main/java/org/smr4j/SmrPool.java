package org.smr4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * A type-stable object pool whose freed objects are reused only when no reader of its
 * {@link Smr} domain can still hold them: FreeBSD's UMA SMR zones ({@code uma_zalloc_smr},
 * {@code uma_zfree_smr}) and NetBSD's proposed {@code pool_cache_set_smr(9)}, for Java.
 *
 * <p>Use it for objects that lock-free readers find inside read sections of the pool's domain:
 * a writer unlinks an object from the shared structure and {@link #put(Object) puts} it; the
 * pool hands it out again (through {@link #get()}) only once every reader that could have
 * found it has left its section. Readers therefore never see an object change identity under
 * them, without reference counts or revalidation. Objects are never freed under a reader
 * either, which matters when they own native memory.
 *
 * <h2>Example</h2>
 * <pre>{@code
 * SmrPool<Node> nodes = SmrPool.builder("nodes", Node::new)
 *         .construct(n -> n.refs = 1)           // every get
 *         .destruct(n -> n.value = null)        // once no reader can see it
 *         .build();
 * Smr smr = nodes.smr();
 * // writer, under the structure's lock
 * Node n = nodes.get();
 * n.value = v;
 * head.serializedStore(n);                      // publish (release)
 * ...
 * Node old = unlink(key);                       // no new reader can find it
 * nodes.put(old);                               // outside any read section
 * // reader, any thread
 * smr.enter();
 * try { Node x = head.enteredLoad(); ... } finally { smr.exit(); }
 * }</pre>
 *
 * <h2>Lifecycle hooks</h2>
 * With the kernel's meanings (UMA {@code init/fini/ctor/dtor}):
 * <ul>
 *   <li>{@link Builder#init init}: once per object, after the factory created it. State set up
 *       here (a lock, a buffer) survives every reuse: the pool is type-stable.</li>
 *   <li>{@link Builder#construct construct}: at every {@code get}, just before the object is
 *       returned.</li>
 *   <li>{@link Builder#destruct destruct}: deferred. It runs only when the batch the object
 *       was put in has expired, i.e. once no reader can hold it, and before it is
 *       constructed again or finalised.</li>
 *   <li>{@link Builder#fini fini}: once per object, when the pool releases it (reclaim, drain,
 *       close, trimming above the high-water mark).</li>
 * </ul>
 * An object's hooks never run concurrently with each other.
 *
 * <h2>Hook failures</h2>
 * Whatever a hook throws (a runtime exception, an error, or a checked exception thrown
 * sneakily, as a Kotlin lambda may), the pool loses no object, its statistics stay exact, and
 * the failure is reported exactly once:
 * <ul>
 *   <li>factory, init and construct run on the caller's {@code get} (or {@link #prime},
 *       or {@link Builder#build}) for the object it asked for: their failure propagates to
 *       that caller unchanged. A factory or init failure leaves nothing behind (the object
 *       is not counted as created); after a construct failure the object is finalised (its
 *       fini runs) and dropped.</li>
 *   <li>destruct, fini and poison run later, for objects their callers gave up, often on
 *       another thread and for a whole batch at a time: their failure is not thrown. It is
 *       counted in {@link Stats#hookFailures()} and logged through {@link System.Logger}
 *       ({@code org.smr4j.pool}): the first failure of each hook of a pool at
 *       {@code WARNING} with its stack trace, later ones at {@code DEBUG}, so a hook that
 *       fails for every object cannot flood a log. The object is then dropped, after its
 *       fini has run (unless fini was the hook that threw) and, in checked pools, its
 *       poison; the rest of the batch goes on.</li>
 * </ul>
 * So fini runs exactly once for every object whose init completed, unless the object is still
 * handed out when the pool closes.
 *
 * <h2>Limits</h2>
 * The pool prefers growing to waiting, as UMA does: when nothing cached has expired it creates
 * a new object, up to the {@linkplain Builder#hardLimit hard limit} of live objects (created and
 * not finalised). At the limit it first tags the partially filled free magazines of every
 * thread so that they can expire and collects idle alloc magazines, then either waits for the
 * oldest batch's goal ({@link LimitPolicy#WAIT}) or throws {@link SmrPoolLimitException}
 * ({@link LimitPolicy#FAIL}); {@link #tryGet()} returns null instead of either. The
 * {@linkplain Builder#lowat low-water mark} is primed at build and kept by {@link #reclaim()};
 * objects cached beyond the {@linkplain Builder#hiwat high-water mark} are finalised as soon as
 * they expire. Objects that sat unused in the shared depot for a whole
 * {@linkplain Builder#trimInterval trim interval} are given back too (UMA's working-set trim),
 * so a burst or a stalled reader does not leave the pool large for ever; the trim runs on the
 * callers' threads when they queue a batch, never on a thread of its own.
 *
 * <h2>Read sections</h2>
 * {@code get} and {@code put} may advance the domain (when a free magazine fills) or wait on it
 * (at the hard limit), which FreeBSD forbids inside a read section ({@code uma_zfree_smr}
 * asserts it) because a thread would wait for itself. Calling them inside a section of the
 * pool's domain is therefore an error. A pool cannot afford the thread-local lookup that
 * detects it on every call, so an unchecked pool detects it when it would advance or wait; a
 * {@linkplain Builder#checked checked} pool detects it on every call. Either way it throws
 * {@link IllegalStateException} naming the pool and the thread, before changing anything.
 * {@link #close()}, {@link #drain()} and {@link #prime(int)} have the same rule.
 *
 * <h2>Checked mode</h2>
 * {@linkplain Builder#checked(boolean) Checked} pools keep an identity side table of every
 * object they own and detect a double put, a put of an object this pool did not create (the
 * wrong pool), a hand-out of an object twice, and use after close, each with an exception
 * naming the pool and the object's class. Objects are poisoned (the
 * {@linkplain Builder#poison poison} hook, and their state in the side table) when they expire
 * and when they are finalised, so that a reader holding one by mistake sees garbage. Checked
 * pools keep every handed-out object strongly reachable until it is put back: use them for
 * tests and debugging.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe and may be called from platform or virtual threads. Per-thread
 * caching has two tiers, both bounded and neither a {@link ThreadLocal}:
 * <ul>
 *   <li><b>Owned caches</b>: up to {@link Builder#ownedCaches(int)} platform threads get a
 *       cache of their own, found by a hash of {@link Thread#threadId()}, which they use with
 *       plain memory accesses and no atomic instruction. Other threads take what sits in it
 *       (for {@link #drain()}, {@link #flush()}, {@link #close()} and at the hard limit)
 *       through a hand-off that costs them one process-wide barrier
 *       ({@code membarrier(2)}); caches of threads that died are recovered. Owned caches need
 *       that barrier, so they are on only where lazy domains are fence-free
 *       ({@link Smr#fenceFreeReaders()}).</li>
 *   <li><b>Stripes</b>, for virtual threads and every other thread: a bounded array of
 *       stripes chosen by a hash of the thread id, each guarded by a tiny lock that is never
 *       held while user code or the domain runs; a thread that finds its stripe busy tries
 *       others and, if those are busy too, doubles the array up to
 *       {@link Builder#maxStripes(int)}.</li>
 * </ul>
 * Virtual threads never get an owned cache, so millions of them do not multiply the caches;
 * nothing is retained for dead threads.
 *
 * <h2>Progress</h2>
 * {@code get} and {@code put} usually touch one array slot of the caller's owned cache with
 * plain accesses, or take one uncontended stripe lock; a miss or a full magazine takes the
 * pool's depot lock briefly, polls the domain (non-blocking), or creates an object. Only
 * {@code get} at the hard limit with {@link LimitPolicy#WAIT}, {@link #close()}, and the
 * hand-off of owned caches in {@link #drain()}, {@link #flush()}, {@code close()} and at the
 * hard limit (which waits, spinning then parking, for each owner to finish the call it is
 * in, a few dozen instructions) block. No method spins on {@link Thread#yield()}; waits park.
 *
 * <h2>Memory consistency effects</h2>
 * Actions in a thread before {@code put(x)} <i>happen-before</i> the destruct of {@code x},
 * which happens-before the construct of {@code x} and the actions after the {@code get()} that
 * returns {@code x}, in whatever thread. The exits of all read sections of the domain that
 * could have found {@code x} (sections entered before the put) happen-before its destruct.
 * Init happens-before every construct of the object; its last destruct happens-before fini.
 *
 * @param <T> the type of the pooled objects
 */
public final class SmrPool<T> implements AutoCloseable {
    /*
     * Overview
     * --------
     * The design is UMA's SMR zones (sys/vm/uma_core.c: cache_alloc, cache_free,
     * zone_put_bucket, zone_fetch_bucket, bucket_drain), with NetBSD's pool_cache vocabulary
     * for the limits, reworked for threads that are not CPUs. Written from the algorithm's
     * description; no FreeBSD or NetBSD text or code is copied.
     *
     * Places an object can be (each pooled object is in exactly one; invariant 1):
     *
     *   handed out --put--> cache FREE magazine --full--> tagged batch in PENDING (FIFO)
     *        ^                     |  (untagged; readers may              | poll(tag) true:
     *        |                     |   still hold its objects)            | destruct each
     *        |            close/limit/drain: tag                          v
     *        +------get----- cache ALLOC magazine <--refill/install-- READY stack (LIFO)
     *                                                                     ^
     *                                 factory + init (new), prime --------+
     *
     *   "cache" is the caller's owned cache (platform threads that claimed one) or its
     *   stripe (everyone else); the two hold the same two magazines and follow the same rules.
     *
     *   FREE and PENDING hold objects whose destruct has not run (constructed state);
     *   ALLOC and READY hold objects that no reader can hold (destructed or fresh).
     *
     * Free path (put, after cache_free): push onto the calling thread's cache's FREE
     * magazine, never the ALLOC one. When it is full, swap in an empty magazine (under the
     * stripe lock, or in the owner's busy window), then, under the depot lock, tag the full one with goal = smr.advance() (one
     * advance per magazine, not per object) and append it to PENDING. Advancing under the depot
     * lock makes the tags along PENDING non-decreasing (invariant 3), so the head is always the
     * first to expire and "stop at the first unexpired batch" loses nothing. The head's tag is
     * mirrored in headTag so the allocation path can poll it without the lock (uzd_seq).
     *
     * Allocation path (get, after cache_alloc): pop the cache's ALLOC magazine. When it is
     * empty (never swap in the FREE magazine: its objects are untagged), go to the depot
     * without holding the stripe lock or a busy window: take a READY magazine, else, if
     * headTag is valid and poll(headTag) succeeds (checked without the lock first, then
     * re-checked under it, as cache_fetch_bucket/zone_fetch_bucket do), dequeue the head
     * batch, and outside the lock run the deferred destruct on each of its objects. Keep one
     * object, install the rest as the cache's ALLOC magazine (or push them on READY if
     * another thread refilled it meanwhile, or a collector holds the owned cache). Failing
     * both, create a new object rather than wait (zone_alloc_bucket): readers that hold
     * batches back cost memory, not latency. At the hard limit, flush what is stuck in
     * stripes and owned caches (partial FREE magazines are tagged with one advance and
     * queued, idle ALLOC magazines go to READY) and retry; then wait on the head's goal or
     * fail.
     *
     * Invariants (checkInvariants() verifies 1, 2, 4, 5 and 6 when the pool is quiescent):
     *  1. Every live object (created, not finalised) is in exactly one place: handed out, an
     *     ALLOC, FREE or spare magazine of one stripe or owned cache, a READY magazine, a
     *     PENDING batch, or in transit inside exactly one thread's get/put/reclaim/collect
     *     call.
     *  2. No object in a PENDING batch, or in a FREE magazine, is handed out; an object leaves
     *     PENDING only after poll(tag) of its batch returned true, and leaves FREE only into
     *     PENDING (tagged with an advance made after it was put).
     *  3. Tags along PENDING are non-decreasing in SmrSeq order; headTag is the head's tag, or
     *     SmrSeq.INVALID when PENDING is empty (written under the depot lock).
     *  4. live == created - finalised <= hardLimit at all times: live is incremented by a
     *     CAS bounded by hardLimit before the factory runs (and decremented if it fails).
     *  5. Checked mode: the side table says OUT for handed-out objects, CACHED for FREE and
     *     PENDING, READY for ALLOC and READY; its size equals live.
     *  6. An owned cache sits in its owner's home or alternative slot; ownedClaimed counts
     *     the slots whose cache is not revoked; a cache's magazines are touched only by its
     *     owner inside a busy window that began while request was NONE, or by a collector
     *     between its setting request and its release store of NONE (or for good, REVOKED).
     * Non-invariants: headTag read without the lock may be stale (a stale valid tag is at or
     * before the real head's, so a successful poll of it is re-checked under the lock, unless
     * the head's tag is at or before a goal just seen reached); the stripe array only grows;
     * counters summed by stats() are not a consistent cut, and an owner's latest calls may be
     * missing from them; a slot's cache may belong to a thread that has died (until a sweep).
     *
     * Linearization: get at the pop from ALLOC (fast path), at the depot dequeue, or at the
     * CAS on live (new object); put at the push onto FREE. close() takes effect for an owned
     * cache when it revokes it: a call of its owner that began before finishes normally (a put
     * then is finalised by close; a get's object is the caller's).
     *
     * Memory ordering: magazine contents and stripe fields are plain and move between
     * threads only under the stripe spin lock (CAS acquire / release store), the depot
     * ReentrantLock, or an owned cache's hand-off (below), which give the put -> destruct ->
     * get happens-before edges. The reader-exit -> destruct edge is the domain's: poll() true
     * ends with an acquire fence that pairs with the readers' release on exit. headTag and
     * readyHint are hints published with release stores under the depot lock and read with
     * acquire loads outside it.
     *
     * Owned caches (the fast path without atomics). The profile of the stripe design
     * (smr4j-bench/results/2026-11-27-pool-fastpath) put three fifths of a one-thread
     * get+put in the two stripe-lock CASes: a locked instruction costs about 8 ns on this
     * project's machine, as much as a whole TLAB allocation of the object. So a platform
     * thread may claim a cache of its own: an Owned object in a fixed, padded slot array
     * indexed by the thread id's low bits (the home slot) or a Fibonacci hash of it (the
     * alternative), claimed under
     * ownedLock on a stripe slow path, never by a virtual thread. Per call the owner does:
     *
     *   owner (get/put/install)                    collector (collectOwned: drain, flush,
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
     * fewer; a Magazine's own count is brought up to date when it leaves the cache.
     *
     * Why each mode:
     *  - slot loads are plain: an owner matches only a slot it installed itself (thread ids
     *    are never reused), so program order covers it; other threads compare only the final
     *    ownerId (final-field semantics). Slots are written under ownedLock with release
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
     *    throw "closed". A claim re-reads closed under ownedLock after close set it, so no
     *    cache appears after close revoked them.
     *  - dead owners: a cache whose Thread is unreachable (weak reference cleared) or no
     *    longer alive is retired without a barrier (a dead thread runs no window): ALLOC to
     *    READY, FREE tagged and queued, counters kept, slot freed. Found by every collection,
     *    by a claim whose slots are taken, and once per trim interval by the enqueue that
     *    notices the interval passed (sweepDue), so no thread is needed.
     *  - stats() reads the owners' counters and magazine counts racily, without stopping
     *    them (plain longs, not torn by HotSpot on 64-bit); exact once the owner terminated or
     *    synchronised with the caller.
     * Without membarrier (not Linux, no native access, -Dorg.smr4j.membarrier=false) owned
     * caches are off: the owner would need a store-load fence per call, which costs what the
     * stripe lock does. A platform thread blocked forever holds at most two magazines per
     * pool until a collection takes them, as a CPU's buckets sit in UMA.
     *
     * Statistics on the hot paths: the owner's counters are plain fields of its cache; the
     * depot's refills and batchesQueued are plain fields under the depot lock (they were
     * LongAdders: one locked instruction each per magazine); enqueue reads the clock once.
     *
     * Giving memory back: reclaim() and drain() on request; above hiwat, and once per trim
     * interval half of what sat idle in the depot for the whole interval (UMA's working-set
     * estimate, uzd_imin), both decided when a batch is queued, so the callers drive it and no
     * thread is needed. Only READY magazines and expired batches (head first) are released.
     *
     * Deferred domains. Smr keeps the deferred counter per stripe of threads (FreeBSD keeps
     * it per CPU). Threads that advance fewer than `limit` times between them never write the
     * shared sequence, so their goals stay one step in the future and a non-blocking poll
     * never reaches them. deferredNudge() moves the write sequence up to the head's tag (one
     * CAS, Smr.forceWrSeq, as smr_poll's waiting path does) when it is still ahead, then
     * polls again.
     *
     * Closing. close() sets `closed` (release) and then takes every stripe lock in turn; a
     * get/put re-reads `closed` under its stripe lock, so either close() finds its object in
     * the stripe or it sees `closed` and throws. Threads already past that point (a put that
     * swapped out a full magazine, a refill holding a batch) find `closed` under the depot or
     * stripe lock and finalise what they hold themselves (waiting for its goal if needed).
     *
     * Layout: each stripe and each owned cache is padded by SmrPoolLayout (128 bytes either
     * side) so that threads on different caches never share a line. The depot is cold by
     * design (one visit per magazine of objects).
     *
     * Differences from UMA: caches owned by platform threads (with a membarrier hand-off
     * instead of cross-calls) and stripes chosen by thread id, instead of per-CPU caches with
     * critical sections; no slab layer (the garbage collector releases finalised objects); no
     * cross-domain buckets; a blocking wait at the hard limit works in lazy mode too (Smr
     * supports it); a put that cannot get an empty magazine cannot happen (magazines are
     * allocated on the heap), so the "synchronize every bucket" fallback is unnecessary.
     *
     * This file: configuration and fields; get; put; depot (fetch, enqueue, flush); owned
     * caches (lookup, claim, sweep, collect); reclaim, drain, close; finalisation; stats, JMX;
     * checking; Stripe, Magazine, Owned, Builder, Stats.
     */

    /** What {@link #get()} does at the hard limit when nothing cached has expired. */
    public enum LimitPolicy {
        /** Wait for the oldest batch's goal, or for a put (NetBSD {@code PR_WAITOK}). */
        WAIT,
        /** Throw {@link SmrPoolLimitException} at once (NetBSD {@code PR_LIMITFAIL}). */
        FAIL
    }

    /**
     * Default magazine size: 32 objects. Larger magazines mean fewer advances and depot
     * visits per object (one each per magazine) but more objects held per stripe and a longer
     * time before a partial magazine is tagged; UMA's buckets range from 2 to about 254 items
     * and NetBSD's groups hold 15 or 63.
     */
    public static final int MAGAZINE_SIZE_DEFAULT = 32;
    /**
     * Default working-set trim interval: 5 s. UMA trims every 20 s; a shorter interval gives
     * memory back sooner after a burst or a stalled reader, a longer one avoids re-creating
     * objects for bursts that recur less often than the interval.
     */
    public static final Duration TRIM_INTERVAL_DEFAULT = Duration.ofSeconds(5);
    /** Largest magazine size accepted. */
    public static final int MAGAZINE_SIZE_MAX = 1 << 16;
    /**
     * Default bound on the number of stripes: the next power of two at or above twice the
     * number of processors (Netty uses twice the cores; Striped64 the cores). More stripes than
     * threads that run at once buys nothing.
     */
    public static final int MAX_STRIPES_DEFAULT =
            ceilPow2(Math.max(2, 2 * Runtime.getRuntime().availableProcessors()));
    /**
     * Default bound on the number of owned caches (platform threads with a cache of their
     * own): the next power of two at or above four times the number of processors, at least
     * 8. Each holds at most two magazines; platform threads beyond it, and every virtual
     * thread, use the stripes.
     */
    public static final int OWNED_CACHES_DEFAULT =
            ceilPow2(Math.max(8, 4 * Runtime.getRuntime().availableProcessors()));
    /** Largest number of owned caches accepted. */
    public static final int OWNED_CACHES_MAX = 1 << 16;
    /** Owned cache request states (Owned.request). */
    static final int OWNED_NONE = 0;
    static final int OWNED_HELD = 1;
    static final int OWNED_REVOKED = 2;
    /** The magazine of revoked and retired caches: holds nothing, never written. */
    private static final Magazine EMPTY = new Magazine(0);
    /** Other stripes a thread tries before it grows the array or waits for its own. */
    private static final int PROBES = 2;
    /** Spins on a stripe lock before parking; the lock is held for a few dozen instructions. */
    private static final int LOCK_SPINS = 128;
    /** Longest park while waiting for a put at the hard limit, so missed signals cost little. */
    private static final long PUT_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private static final System.Logger LOG = System.getLogger("org.smr4j.pool");

    private final String name;
    private final Smr smr;
    private final boolean ownsSmr;
    private final Supplier<? extends T> factory;
    private final Consumer<? super T> init;
    private final Consumer<? super T> fini;
    private final Consumer<? super T> construct;
    private final Consumer<? super T> destruct;
    private final Consumer<? super T> poison;
    private final int magazineSize;
    private final long lowat;
    private final long hiwat;
    /** Working-set trim interval in nanoseconds, 0 = off. */
    private final long trimNanos;
    private final long hardLimit;
    private final LimitPolicy policy;
    private final boolean checked;
    private final int maxStripes;
    /** Checked mode only: the identity side table; null otherwise. */
    private final CheckTable table;

    /** The stripes; length a power of two, only grows. Accessed through {@link #STRIPES}. */
    private Stripe[] stripes;
    /** Set once by close(). Accessed through {@link #CLOSED}. */
    private boolean closed;

    // The depot: guarded by depotLock, except the two hints.
    private final ReentrantLock depotLock = new ReentrantLock();
    /** Signalled when a batch is queued, a magazine becomes ready, an object is finalised or the pool closes. */
    private final Condition depotChanged = depotLock.newCondition();
    /** Tagged batches, oldest first; tags non-decreasing (invariant 3). */
    private final ArrayDeque<Magazine> pending = new ArrayDeque<>();
    /** Expired, destructed (or fresh) magazines, most recent first. */
    private final ArrayDeque<Magazine> ready = new ArrayDeque<>();
    private long pendingObjects;
    private long readyObjects;
    /**
     * The fewest objects the depot (PENDING plus READY) held since the last working-set trim:
     * that many sat idle for the whole interval and were not needed (UMA's uzd_imin).
     */
    private long idleMin;
    /** System.nanoTime() of the last working-set trim. */
    private long lastTrimNanos;
    /** The last tag queued, for the monotonicity assertion. */
    private long lastTag;
    /** Mirror of pending.peekFirst().tag, or INVALID. Accessed through {@link #HEAD_TAG}. */
    private long headTag;
    /** 1 when READY is not empty, else 0. Accessed through {@link #READY_HINT}. */
    private int readyHint;
    /** Magazines taken from the depot by get (Stats.refills). */
    private long refills;
    /** Tagged batches queued so far (Stats.batchesQueued). */
    private long batchesQueued;
    /** Set by trimTarget once per trim interval: the next enqueue sweeps dead owners' caches. */
    private boolean sweepDue;

    // Owned caches: slots written under ownedLock (release), read without it; see the overview.
    /**
     * Caches owned by platform threads, indexed by {@code ownedHome(threadId)} or
     * {@code ownedAlt(threadId)}; length a power of two, fixed. A one-slot array holding null when
     * owned caches are off. Slots are written only under {@link #ownedLock}, with release
     * stores; see "Owned caches" in the overview for why the fast path may read them plain.
     */
    private final Owned[] owned;
    /** Whether platform threads may claim owned caches (configured, and membarrier works). */
    private final boolean ownedEnabled;
    /** Serialises claims, collections, sweeps and close's revocation of owned caches. */
    private final ReentrantLock ownedLock = new ReentrantLock();
    /** Slots holding a cache that is not revoked. Under ownedLock. */
    private int ownedClaimed;
    /** Requests and puts counted by caches of dead threads, once swept. Under ownedLock. */
    private long retiredRequests;
    private long retiredPuts;

    /** Created minus finalised; bounded by hardLimit (invariant 4). */
    private final AtomicLong live = new AtomicLong();
    /** Threads waiting in awaitProgress for a put or a finalisation. */
    private final AtomicInteger waiters = new AtomicInteger();
    // Statistics below: LongAdders, off the fast path; they order nothing.
    private final LongAdder created = new LongAdder();
    private final LongAdder finalised = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder waits = new LongAdder();
    /** destruct, fini and poison failures: counted and logged once each (Stats.hookFailures). */
    private final HookFailures hookFailures;
    private final LongAdder contention = new LongAdder();
    private final LongAdder trims = new LongAdder();

    private final ObjectName mbeanName;

    private SmrPool(final Builder<T> b) {
        this.name = b.name;
        this.hookFailures = new HookFailures(LOG, "pool '" + b.name + "'");
        this.factory = b.factory;
        this.ownsSmr = b.smr == null;
        this.smr = ownsSmr ? Smr.create(b.name) : b.smr;
        this.init = b.init;
        this.fini = b.fini;
        this.construct = b.construct;
        this.destruct = b.destruct;
        this.poison = b.poison;
        this.magazineSize = b.magazineSize;
        this.lowat = b.lowat;
        this.hiwat = b.hiwat;
        this.trimNanos = b.trimInterval.toNanos();
        this.lastTrimNanos = System.nanoTime();
        this.hardLimit = b.hardLimit;
        this.policy = b.policy;
        this.checked = b.checked;
        this.maxStripes = b.maxStripes;
        this.table = checked ? new CheckTable() : null;
        final Stripe[] ss = new Stripe[Math.min(2, maxStripes)];
        for (int i = 0; i < ss.length; i++) {
            ss[i] = new Stripe(magazineSize);
        }
        this.stripes = ss;
        // Owned caches need the process-wide barrier for their hand-off; without it the
        // owner would need a store-load fence per call, which costs what the stripe lock does.
        this.ownedEnabled = b.ownedCaches > 0 && AsymmetricFence.available();
        this.owned = new Owned[ownedEnabled ? b.ownedCaches : 1];
        this.headTag = SmrSeq.INVALID;
        this.lastTag = SmrSeq.INVALID;
        if (b.lowat > 0) {
            primeAtBuild((int) Math.min(b.lowat, Integer.MAX_VALUE));
        }
        // ORDER: release fence, as a constructor publishing plain fields that other threads
        // read through VarHandles: the pool escapes only through the caller's publication,
        // which is safe for final fields; this covers the non-final ones too. Before the
        // MBean registration, which publishes the pool to JMX threads.
        VarHandle.releaseFence();
        // Last: a build that fails (priming above) leaves no MBean holding an unreachable pool.
        this.mbeanName = b.jmx ? register() : null;
    }

    /**
     * Primes the new pool to its low-water mark. If the factory or init throws, finalises
     * what was primed (their fini runs: nobody else can ever reach these objects) and
     * rethrows, so that a failed build leaves nothing behind.
     */
    private void primeAtBuild(final int n) {
        try {
            prime(n);
        } catch (final Throwable e) {
            try {
                release(0, false);
            } catch (final Throwable cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * Starts building a pool.
     *
     * @param name the pool's name, used in messages, statistics and its MBean name
     * @param factory creates new objects; must not return null or an object it returned before
     * @param <T> the type of the pooled objects
     * @return a builder
     * @throws NullPointerException if an argument is null
     */
    public static <T> Builder<T> builder(final String name, final Supplier<? extends T> factory) {
        return new Builder<>(Objects.requireNonNull(name, "name"), Objects.requireNonNull(factory, "factory"));
    }

    /**
     * Returns the pool's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Returns the domain whose readers this pool protects: the one given to
     * {@link Builder#smr(Smr)}, or the default-mode domain the pool created, named after it.
     * Readers of pooled objects enter sections of this domain.
     *
     * @return the domain
     */
    public Smr smr() {
        return smr;
    }

    // ------------------------------------------------------------------ get

    /**
     * Returns an object from the pool, constructed. The object is either new (factory, then
     * init) or was put earlier and no reader that could have found it before the put is still
     * inside a section of the domain.
     *
     * <p>Progress: usually wait-free with no atomic instruction (a platform thread's owned
     * cache) or one uncontended stripe lock. Blocks only at the hard limit with
     * {@link LimitPolicy#WAIT}; not interruptible (an interrupt is kept for the caller).
     *
     * @return an object, never null
     * @throws SmrPoolLimitException at the hard limit with {@link LimitPolicy#FAIL}
     * @throws IllegalStateException if the pool is closed, or if the call would advance or
     *         wait on the domain from inside one of its read sections (always, when checked)
     */
    public T get() {
        return take(true);
    }

    /**
     * Returns an object as {@link #get()} does, or null instead of waiting or failing at the
     * hard limit.
     *
     * @return an object, or null if the pool is at its hard limit and nothing has expired
     * @throws IllegalStateException if the pool is closed, or (checked pools) if called
     *         inside a read section of the domain
     */
    public T tryGet() {
        return take(false);
    }

    /** get() and tryGet(): the owned fast path, else the striped one, else the slow path. */
    private T take(final boolean block) {
        if (checked) {
            checkNotInSection("get()", null);
        }
        final Owned c = ownedCache();
        if (c != null) {
            // The owned fast path: plain accesses inside the owner's busy window, no atomic
            // read-modify-write ("Owned caches" in the overview).
            Object o = null;
            boolean none = false;
            // ORDER: opaque store, then acquire load: a Dekker pair with a collector's
            // volatile store of request and its membarrier (collectOwned); the JIT keeps the
            // two in order (MemBarCPUOrder), membarrier orders them for the CPU.
            c.setBusyOpaque(1);
            try {
                if (c.requestAcquire() == OWNED_NONE) {
                    none = true;
                    c.requests++;
                    final int n = c.allocCount - 1;
                    if (n >= 0) {
                        final Object[] items = c.allocItems;
                        o = items[n];
                        items[n] = null;
                        c.allocCount = n;
                    }
                }
            } finally {
                // ORDER: release; our magazine writes are visible to a collector that reads
                // busy == 0 with acquire (awaitIdle). In finally: see "Owned caches".
                c.setBusyRelease(0);
            }
            if (o != null) {
                return handOut(o, false);
            }
            if (none) {
                return getSlow(block, c);
            }
            // held or revoked: the stripes serve this call
        }
        final T obj = getFast();
        return obj != null ? obj : getSlow(block, null);
    }

    /** The striped fast path: virtual threads, and platform threads without an owned cache. */
    private T getFast() {
        final Stripe s = lockStripe();
        if (closedOpaque()) {
            s.unlock();
            throw closedException("get()", null);
        }
        s.requests++;
        final Magazine a = s.alloc;
        final int n = a.count - 1;
        if (n >= 0) {
            final Object o = a.items[n];
            a.items[n] = null;
            a.count = n;
            s.unlock();
            return handOut(o, false);
        }
        s.unlock();
        return null;
    }

    /** Marks, constructs and returns an object leaving the pool. */
    private T handOut(final Object o, final boolean fresh) {
        if (checked) {
            table.handOut(o, fresh);
        }
        @SuppressWarnings("unchecked")
        final T obj = (T) o;
        if (construct != null) {
            try {
                construct.accept(obj);
            } catch (final Throwable e) { // checked ones too (a sneaky throw): never lose the object
                finalise(obj, false); // fini (and poison); the failure itself goes to the caller
                throw e;
            }
        }
        return obj;
    }

    /**
     * A miss: refill from the depot, else create, else (hard limit) flush every cache and wait
     * or fail. {@code c} is the caller's owned cache whose ALLOC magazine was empty (the
     * request already counted), or null for the striped path, where a platform thread first
     * tries to claim an owned cache.
     */
    private T getSlow(final boolean block, final Owned claimed) {
        Owned c = claimed;
        if (c == null) {
            c = tryClaim();
        }
        // The owner's FREE magazine is usually full when its ALLOC one runs dry (gets and puts
        // alternate): queue it in the same depot visit, one lock instead of two per magazine.
        Magazine full = c != null ? takeFullFree(c) : null;
        // JFR only once a recorder exists: loading the event classes costs about 200 ms,
        // which the first get of every pool would otherwise pay (SmrPoolEvents.recording()).
        final SmrPoolEvents.Refill event = SmrPoolEvents.recording() ? new SmrPoolEvents.Refill() : null;
        if (event != null) {
            event.begin();
        }
        String source = "none";
        int objects = 0;
        boolean flushed = false;
        boolean interrupted = false;
        try {
            while (true) {
                final Magazine m = fetch(full);
                full = null;
                if (m != null && m.count == 0) {
                    continue; // every object of the batch was dropped by a failing destruct
                }
                if (m != null) {
                    source = m.tag == SmrSeq.INVALID ? "ready" : "batch";
                    objects = m.count;
                    return install(m, c);
                }
                final T fresh = tryCreate();
                if (fresh != null) {
                    source = "created";
                    objects = 1;
                    return handOut(fresh, true);
                }
                // At the hard limit. Flushing advances and WAIT waits: neither inside a section
                // (FAIL and tryGet just fail there).
                final boolean inSection = smr.entered();
                if (inSection && block && policy == LimitPolicy.WAIT) {
                    throw inSection("get() at the hard limit", null);
                }
                if (closedAcquire()) {
                    throw closedException("get()", null);
                }
                if (!flushed && !inSection) {
                    flushed = true;
                    if (flushCaches(true, false) > 0) {
                        continue; // something moved: fetch again
                    }
                }
                if (!block) {
                    failures.increment();
                    return null;
                }
                if (policy == LimitPolicy.FAIL) {
                    failures.increment();
                    throw new SmrPoolLimitException(name, hardLimit, "pool '" + name + "': hard limit of "
                            + hardLimit + " objects reached and no cached object has expired (thread "
                            + Thread.currentThread() + ")");
                }
                // Not interruptible: an interrupt is taken off the thread while we wait (a set
                // flag makes every park return at once: the wait would spin) and put back below.
                interrupted |= awaitProgress();
                interrupted |= Thread.interrupted();
                flushed = false;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (event != null) {
                event.pool = name;
                event.source = source;
                event.objects = objects;
                event.commit();
            }
        }
    }

    /**
     * Keeps one object of a refill, installs the rest as the ALLOC magazine of the caller's
     * owned cache {@code c} (if not null) or stripe, or on READY if that is taken or held.
     */
    private T install(final Magazine m, final Owned c) {
        final int n = m.count - 1;
        final Object o = m.items[n];
        m.items[n] = null;
        m.count = n;
        m.tag = SmrSeq.INVALID;
        if (n > 0 && c != null) {
            Magazine empty = null;
            // ORDER: the busy window, as in get(): a collector either waits for it or made us
            // see its request.
            c.setBusyOpaque(1);
            try {
                if (c.requestAcquire() == OWNED_NONE && c.allocCount == 0) {
                    empty = c.alloc;
                    c.alloc = m;
                    c.allocItems = m.items;
                    c.allocCount = n;
                }
            } finally {
                c.setBusyRelease(0); // ORDER: release, as in get()
            }
            if (empty == null) {
                pushReady(m); // finalises it if the pool closed
            } else if (c.spare == null && empty.items.length == magazineSize) {
                empty.count = 0; // its count went stale while installed; its slots are null
                c.spare = empty; // owner-only field: no window needed
            }
        } else if (n > 0) {
            final Stripe s = lockStripe();
            if (closedOpaque()) {
                s.unlock();
                finaliseAll(m, false);
            } else if (s.alloc.count == 0) {
                if (s.spare == null) {
                    s.spare = s.alloc;
                }
                s.alloc = m;
                s.unlock();
            } else {
                s.unlock();
                pushReady(m);
            }
        }
        return handOut(o, false);
    }

    /** Creates a new object if below the hard limit; null at the limit. Not constructed. */
    private T tryCreate() {
        // ORDER: volatile read; only a first guess for the CAS below.
        long l = live.get();
        while (l < hardLimit) {
            // ORDER: volatile CAS; bounds live by hardLimit before the factory runs (invariant 4).
            if (live.compareAndSet(l, l + 1)) {
                return create();
            }
            l = live.get();
        }
        return null;
    }

    /**
     * Runs factory and init for a slot already counted in live. If either throws anything
     * (checked exceptions too), gives the slot back and lets the failure propagate.
     */
    private T create() {
        boolean made = false;
        try {
            final T obj = factory.get();
            if (obj == null) {
                throw new NullPointerException("pool '" + name + "': the factory returned null");
            }
            if (init != null) {
                init.accept(obj);
            }
            made = true;
            created.increment();
            return obj;
        } finally {
            if (!made) {
                // ORDER: volatile RMW, then signalIfWaiters reads waiters: see dropped().
                live.decrementAndGet();
                signalIfWaiters();
            }
        }
    }

    /**
     * At the hard limit, nothing to flush: wait for the head batch's goal, or for a put.
     * Returns whether an interrupt arrived during the wait (the flag is then clear; the
     * caller restores it when it returns).
     */
    private boolean awaitProgress() {
        boolean interrupted = false;
        // ORDER: acquire; pairs with the release in setHeadTag (a hint: waitFor re-polls).
        final long tag = headTagAcquire();
        final SmrPoolEvents.Wait event = SmrPoolEvents.recording() ? new SmrPoolEvents.Wait() : null;
        if (event != null) {
            event.begin();
        }
        waits.increment();
        if (tag != SmrSeq.INVALID) {
            smr.waitFor(tag);
        } else {
            // Every object is handed out (or in a thread's hands): wait for a put to fill a
            // magazine, a finalisation, or close; time out to flush partial magazines again.
            // ORDER: volatile RMW, then (under the lock) a volatile read of live. Dekker with
            // dropped(), which decrements live and then reads waiters: either we see the
            // smaller live and do not sleep, or it sees us and signals under the lock, which we
            // hold from the check until await releases it. awaitNanos bounds any other miss
            // (puts into partial magazines do not signal; we flush them again after waking).
            waiters.incrementAndGet();
            depotLock.lock();
            try {
                if (pending.isEmpty() && ready.isEmpty() && !closedOpaque() && live.get() >= hardLimit) {
                    depotChanged.awaitNanos(PUT_WAIT_NANOS);
                }
            } catch (final InterruptedException e) {
                // Kept for the caller (get() is not interruptible), but not re-set here: with
                // the flag set, every later await of the retry loop would return at once and
                // the loop would spin. getSlow restores it on the way out.
                interrupted = true;
            } finally {
                depotLock.unlock();
                waiters.decrementAndGet();
            }
        }
        if (event != null) {
            event.pool = name;
            event.goal = tag;
            event.limit = hardLimit;
            event.commit();
        }
        return interrupted;
    }

    // ------------------------------------------------------------------ put

    /**
     * Returns an object to the pool. The caller must have made it unreachable for new readers
     * (unlinked it) before the call, and must not use it afterwards. It is handed out again
     * only after every read section of the domain that was entered before this call has
     * exited; its destruct hook runs then.
     *
     * <p>Progress: usually wait-free with no atomic instruction (a platform thread's owned
     * cache) or one uncontended stripe lock; one advance of the domain and a short depot lock
     * per magazine of puts.
     *
     * @param obj an object obtained from this pool's {@link #get()}
     * @throws NullPointerException if {@code obj} is null (names the pool)
     * @throws IllegalStateException if the pool is closed; if the call would advance the
     *         domain from inside one of its read sections (always, when checked); checked
     *         pools also for a double put or an object from another pool
     */
    public void put(final T obj) {
        if (obj == null) {
            throw new NullPointerException("pool '" + name + "': put(null) (thread " + Thread.currentThread() + ")");
        }
        if (checked) {
            checkNotInSection("put()", obj);
            if (closedAcquire()) {
                throw closedException("put()", obj);
            }
            table.put(obj);
        }
        final Owned c = ownedCache();
        if (c != null) {
            boolean none = false;
            boolean done = false;
            // ORDER: the busy window, as in get().
            c.setBusyOpaque(1);
            try {
                if (c.requestAcquire() == OWNED_NONE) {
                    none = true;
                    final Object[] items = c.freeItems;
                    final int n = c.freeCount;
                    if (n < items.length) {
                        items[n] = obj;
                        c.freeCount = n + 1;
                        c.puts++;
                        done = true;
                    }
                }
            } finally {
                c.setBusyRelease(0); // ORDER: release, as in get()
            }
            if (done) {
                return;
            }
            if (none) {
                putOwnedSlow(c, obj);
                return;
            }
        }
        putStriped(obj);
    }

    /** The striped put: virtual threads, platform threads without an owned cache, held caches. */
    private void putStriped(final T obj) {
        final Stripe s = lockStripe();
        if (closedOpaque()) {
            s.unlock();
            if (checked) {
                table.unput(obj);
            }
            throw closedException("put()", obj);
        }
        final Magazine f = s.free;
        final int n = f.count;
        if (n < f.items.length) {
            f.items[n] = obj;
            f.count = n + 1;
            s.puts++;
            s.unlock();
            return;
        }
        putSlow(s, obj);
    }

    /**
     * The owned cache's free magazine was full: swap in an empty one (the spare, else a new
     * one made outside the window), then tag and queue the full one.
     */
    private void putOwnedSlow(final Owned c, final T obj) {
        if (smr.entered()) {
            if (checked) {
                table.unput(obj);
            }
            throw inSection("put()", obj);
        }
        Magazine empty = c.spare;
        if (empty == null) {
            try {
                empty = new Magazine(magazineSize);
            } catch (final Error e) { // OutOfMemoryError: nothing changed yet
                if (checked) {
                    table.unput(obj);
                }
                throw e;
            }
        }
        c.spare = null; // owner-only field
        Magazine full = null;
        boolean held = true;
        empty.items[0] = obj; // not yet visible to anyone: the magazine is ours
        // ORDER: the busy window, as in get().
        c.setBusyOpaque(1);
        try {
            if (c.requestAcquire() == OWNED_NONE) {
                held = false;
                final Object[] items = c.freeItems;
                final int n = c.freeCount;
                if (n < items.length) {
                    // A collector took the full magazine meanwhile and left an empty one.
                    items[n] = obj;
                    c.freeCount = n + 1;
                } else {
                    full = c.free;
                    full.count = n;
                    c.free = empty;
                    c.freeItems = empty.items;
                    c.freeCount = 1;
                }
                c.puts++;
            }
        } finally {
            c.setBusyRelease(0); // ORDER: release, as in get()
        }
        if (full == null) {
            empty.items[0] = null; // not installed: keep it as the spare
            c.spare = empty;
        }
        if (held) {
            putStriped(obj);
        } else if (full != null) {
            enqueue(full);
        }
    }

    /**
     * A get miss of an owner: if its FREE magazine is full, swaps in an empty one (in a busy
     * window) and returns the full one for fetch to queue; else null. Not inside a read
     * section (queueing advances), and only a hint-guided attempt: the racy plain reads below
     * may see a collector's writes half-way, the window re-checks.
     */
    private Magazine takeFullFree(final Owned c) {
        if (c.freeCount != c.freeItems.length || smr.entered()) {
            return null;
        }
        Magazine empty = c.spare;
        if (empty == null) {
            empty = new Magazine(magazineSize);
        }
        c.spare = null; // owner-only field
        Magazine full = null;
        // ORDER: the busy window, as in get().
        c.setBusyOpaque(1);
        try {
            if (c.requestAcquire() == OWNED_NONE) {
                final int n = c.freeCount;
                if (n == c.freeItems.length) {
                    full = c.free;
                    full.count = n;
                    c.free = empty;
                    c.freeItems = empty.items;
                    c.freeCount = 0;
                }
            }
        } finally {
            c.setBusyRelease(0); // ORDER: release, as in get()
        }
        if (full == null) {
            c.spare = empty;
        }
        return full;
    }

    /** The stripe's free magazine is full; called with the stripe locked. */
    private void putSlow(final Stripe s, final T obj) {
        if (smr.entered()) {
            s.unlock();
            if (checked) {
                table.unput(obj);
            }
            throw inSection("put()", obj);
        }
        final Magazine full = s.free;
        Magazine empty = s.spare;
        if (empty == null) {
            try {
                empty = new Magazine(magazineSize);
            } catch (final Error e) { // OutOfMemoryError: never leave the stripe locked
                s.unlock();
                if (checked) {
                    table.unput(obj);
                }
                throw e;
            }
        }
        s.spare = null;
        empty.items[0] = obj;
        empty.count = 1;
        s.free = empty;
        s.puts++;
        s.unlock();
        enqueue(full);
        tryClaim(); // a platform thread's next puts go to a cache of its own, if a slot is free
    }

    // ------------------------------------------------------------------ depot

    /**
     * Tags a magazine of put objects with a fresh goal and appends it to PENDING. If the pool
     * closed meanwhile, waits for the goal and finalises the objects instead.
     */
    private void enqueue(final Magazine m) {
        // One clock read per batch, for its age and for the trim interval (a vDSO call of
        // about 20 ns on this project's KVM guest: measurable at one per 32 puts).
        final long now = System.nanoTime();
        final long keep;
        final boolean sweep;
        lockDepot();
        try {
            keep = queueLocked(m, now);
            sweep = takeSweepDue();
        } finally {
            depotLock.unlock();
        }
        afterQueue(m, keep, sweep);
    }

    /** queueLocked's answer when the pool closed: the caller finalises the magazine. */
    private static final long LATE = Long.MIN_VALUE;

    /**
     * Under the depot lock: tags {@code m} with a fresh goal and appends it to PENDING.
     * Returns how many objects the depot should keep (trimTarget), or {@link #LATE} if the
     * pool closed (then {@code m} is tagged but not queued).
     */
    private long queueLocked(final Magazine m, final long now) {
        // ORDER: the advance is a store-load fence (Smr.advance): every put of these
        // objects, made before the puts' stripe unlocks or owned-cache busy windows that we
        // synchronised with (or made by this thread), is ordered before the new goal. Under
        // the depot lock so tags stay monotone.
        final long tag = smr.advance();
        m.tag = tag;
        if (closedOpaque()) {
            return LATE;
        }
        assert lastTag == SmrSeq.INVALID || SmrSeq.leq(lastTag, tag)
                : "pool '" + name + "': tag " + tag + " queued after " + lastTag;
        lastTag = tag;
        m.enqueuedNanos = now;
        if (pending.isEmpty()) {
            setHeadTagRelease(tag);
        }
        pending.addLast(m);
        pendingObjects += m.count;
        batchesQueued++;
        depotChanged.signalAll();
        return trimTarget(now);
    }

    /** Under the depot lock: whether a trim interval passed since the last sweep of dead owners. */
    private boolean takeSweepDue() {
        final boolean due = sweepDue;
        sweepDue = false;
        return due;
    }

    /** After queueLocked, outside the lock: finalise a late magazine, or trim and sweep. */
    private void afterQueue(final Magazine m, final long keep, final boolean sweep) {
        if (keep == LATE) {
            smr.waitFor(m.tag);
            finaliseAll(m, true);
            return;
        }
        if (keep != Long.MAX_VALUE) {
            release(keep, false);
        }
        if (sweep) {
            sweepOwned(); // once per trim interval: caches of threads that died
        }
    }

    /**
     * Under the depot lock, after queueing: how many objects the depot should keep, or
     * Long.MAX_VALUE for "no trim". Above the high-water mark, keep hiwat. Once per trim
     * interval, also give back half of the objects that sat idle in the depot for the whole interval
     * (the working-set estimate of UMA's zone_timeout), keeping the low-water mark. Only
     * expired objects are ever released.
     */
    private long trimTarget(final long now) {
        final long depot = pendingObjects + readyObjects;
        long keep = depot > hiwat ? hiwat : Long.MAX_VALUE;
        if (trimNanos > 0) {
            if (now - lastTrimNanos >= trimNanos) {
                sweepDue = ownedEnabled;
                // Give back half of what sat idle, not all of it: trimming to exactly the
                // minimum leaves no slack, so the next batch at the head is always young and
                // every reader section then makes the pool create objects again.
                final long idle = Math.min(idleMin, depot) / 2;
                if (idle > 0) {
                    keep = Math.min(keep, Math.max(lowat, depot - idle));
                    trims.increment();
                }
                lastTrimNanos = now;
                idleMin = depot;
            }
        }
        return keep;
    }

    /** Under the depot lock, after the depot shrank: tracks the idle minimum. */
    private void noteDepotLevel() {
        final long depot = pendingObjects + readyObjects;
        if (depot < idleMin) {
            idleMin = depot;
        }
    }

    /**
     * Takes a magazine the caller may hand out: a READY one, else the head of PENDING if its
     * goal has been reached (its objects destructed here, outside the lock). Null if neither.
     * First, in the same lock hold, queues {@code full} (if not null) as {@link #enqueue}
     * does; never inside a read section then (it advances).
     */
    private Magazine fetch(final Magazine full) {
        // ORDER: acquire loads of the two hints, without the lock (cache_fetch_bucket): a
        // failed poll of the head tag means nothing can be taken, so skip the lock (unless
        // there is a full magazine to queue). Stale hints are harmless: everything is
        // re-checked under the lock.
        long reached = SmrSeq.INVALID;
        boolean fromPending = true;
        if (readyHintAcquire() == 0) {
            final long tag = headTagAcquire();
            if (tag == SmrSeq.INVALID) {
                if (full == null) {
                    return null;
                }
                // PENDING was empty: the head will be `full` itself, with a fresh goal, which
                // a default domain without readers reaches at once. Taking it back keeps an
                // owner's ALLOC and FREE magazines in step (ALLOC runs dry when FREE fills),
                // so that every later miss queues and refills in one visit.
            } else if (!(smr.poll(tag) || deferredNudge(smr, tag))) {
                if (full == null) {
                    return null;
                }
                fromPending = false; // goals are reached in order: `full`'s is later still
            } else {
                reached = tag;
            }
        }
        final long now = full == null ? 0 : System.nanoTime();
        long keep = Long.MAX_VALUE;
        boolean sweep = false;
        Magazine got = null;
        boolean expire = false;
        lockDepot();
        try {
            if (full != null) {
                keep = queueLocked(full, now);
                sweep = takeSweepDue();
            }
            final Magazine r = ready.pollFirst();
            if (r != null) {
                readyObjects -= r.count;
                if (ready.isEmpty()) {
                    setReadyHintRelease(0);
                }
                noteDepotLevel();
                refills++;
                got = r;
            } else if (fromPending) {
                final Magazine head = pending.peekFirst();
                // Re-check under the lock: the head may have changed since the hint was read.
                // A head tagged at or before the goal we saw reached needs no second poll:
                // goals are reached in order (the read hand only moves forward), and that
                // poll's acquire fence already orders the readers' exits before our reuse.
                if (head != null && (reached != SmrSeq.INVALID && SmrSeq.leq(head.tag, reached)
                        || smr.poll(head.tag) || deferredNudge(smr, head.tag))) {
                    dequeueHead();
                    refills++;
                    got = head;
                    expire = true;
                }
            }
        } finally {
            depotLock.unlock();
        }
        if (expire) {
            expire(got);
        }
        if (full != null) {
            afterQueue(full, keep, sweep);
        }
        return got;
    }

    /**
     * Deferred domains only: if {@code tag} is a goal still ahead of the shared write sequence,
     * moves the sequence up to it (one CAS, as smr_poll's waiting path does), then polls
     * again. Without this, a pool used by short-lived threads (virtual threads above all)
     * would never see its goals reached: Smr counts deferred advances per stripe of threads,
     * and a thread that makes fewer than {@code limit} advances never writes the shared
     * sequence, so every batch it tags stays in the future. (It used to make up to
     * {@code limit} advances instead, each a fence and a counter: about 4 ns per get + put on
     * one thread with limit 8.) Costs nothing in other modes.
     */
    static boolean deferredNudge(final Smr smr, final long tag) {
        if (smr.mode() != Smr.Mode.DEFERRED || !SmrSeq.gt(tag, smr.current())) {
            return false;
        }
        smr.forceWrSeq(tag);
        return smr.poll(tag);
    }

    /**
     * Takes the depot lock for a per-magazine visit: spins briefly before blocking. The lock
     * is held for well under a microsecond (an advance, a deque operation, at most a poll),
     * so a thread that finds it busy does better to wait on its CPU than to park: with two
     * threads, ReentrantLock's park and unpark (futex system calls and context switches) cost
     * more than the work they waited for (seen in the two-thread profile, results
     * 2026-11-27-pool-fastpath). Blocks like lock() after LOCK_SPINS failed attempts.
     */
    private void lockDepot() {
        if (depotLock.tryLock()) {
            return;
        }
        for (int i = 0; i < LOCK_SPINS; i++) {
            Thread.onSpinWait();
            if (!depotLock.isLocked() && depotLock.tryLock()) {
                return;
            }
        }
        depotLock.lock();
    }

    /** Under the depot lock: removes the head of PENDING and updates the head tag. */
    private void dequeueHead() {
        final Magazine head = pending.pollFirst();
        pendingObjects -= head.count;
        noteDepotLevel();
        final Magazine next = pending.peekFirst();
        setHeadTagRelease(next == null ? SmrSeq.INVALID : next.tag);
    }

    /** Pushes an expired magazine on READY, or finalises it if the pool closed. */
    private void pushReady(final Magazine m) {
        lockDepot();
        try {
            if (!closedOpaque()) {
                m.tag = SmrSeq.INVALID;
                ready.addFirst(m);
                readyObjects += m.count;
                setReadyHintRelease(1);
                depotChanged.signalAll();
                return;
            }
        } finally {
            depotLock.unlock();
        }
        finaliseAll(m, false);
    }

    /**
     * Runs the deferred destruct (and, checked, the poison hook) on every object of an
     * expired batch. An object whose hook throws anything is reported, finalised and dropped;
     * the loop goes on, and the magazine keeps the others.
     */
    private void expire(final Magazine m) {
        if (destruct == null && !checked) {
            return;
        }
        int kept = 0;
        final Object[] items = m.items;
        final int n = m.count;
        try {
            for (int i = 0; i < n; i++) {
                @SuppressWarnings("unchecked")
                final T obj = (T) items[i];
                items[i] = null;
                if (destruct != null && !runReported(HookFailures.Hook.DESTRUCT, destruct, obj)) {
                    finalise(obj, false);
                    continue;
                }
                if (checked) {
                    table.expired(obj);
                    if (poison != null && !runReported(HookFailures.Hook.POISON, poison, obj)) {
                        finalise(obj, false);
                        continue;
                    }
                }
                items[kept++] = obj;
            }
        } finally {
            m.count = kept; // slots [kept, n) are null: kept or dropped, none left behind
        }
    }

    /**
     * Runs a hook whose failure no caller can take (destruct, fini, poison): a failure of any
     * kind is reported once (counted, logged) and the call returns false.
     */
    private boolean runReported(final HookFailures.Hook hook, final Consumer<? super T> h, final T obj) {
        try {
            h.accept(obj);
            return true;
        } catch (final Throwable e) {
            hookFailures.report(hook, obj, e, "the object was finalised and dropped");
            return false;
        }
    }

    /**
     * Moves what sits in stripes and owned caches to the depot: partial (or full) FREE
     * magazines are tagged with one advance and queued; with {@code takeAlloc}, ALLOC
     * magazines go to READY (or, with {@code finaliseAlloc}, are finalised). Caches of dead
     * threads are retired on the way (their ALLOC magazines always leave). Returns the number
     * of objects tagged, plus with {@code takeAlloc} those of ALLOC magazines. Never call
     * inside a read section (it advances).
     */
    private long flushCaches(final boolean takeAlloc, final boolean finaliseAlloc) {
        final List<Magazine> frees = new ArrayList<>();
        final List<Magazine> allocs = new ArrayList<>();
        collectOwned(takeAlloc, false, frees, allocs);
        for (final Stripe s : stripesAcquire()) {
            s.lock();
            try {
                if (s.free.count > 0) {
                    frees.add(s.free);
                    s.free = s.spare != null ? s.spare : new Magazine(magazineSize);
                    s.spare = null;
                }
                if (takeAlloc && s.alloc.count > 0) {
                    allocs.add(s.alloc);
                    s.alloc = new Magazine(magazineSize);
                }
            } finally {
                s.unlock();
            }
        }
        long moved = 0;
        for (final Magazine m : allocs) {
            if (takeAlloc) {
                moved += m.count; // else only dead owners' magazines: not counted by flush()
            }
            if (finaliseAlloc) {
                finaliseAll(m, false);
            } else {
                pushReady(m);
            }
        }
        if (!frees.isEmpty()) {
            for (final Magazine m : frees) {
                moved += m.count;
            }
            enqueueAll(frees);
        }
        return moved;
    }

    /** Tags several magazines with one advance and queues them (cache_drain does the same). */
    private void enqueueAll(final List<Magazine> ms) {
        boolean late = false;
        long tag;
        lockDepot();
        try {
            // ORDER: as in enqueue(): the advance orders every earlier put before the goal.
            tag = smr.advance();
            if (closedOpaque()) {
                late = true;
            } else {
                lastTag = tag;
                if (pending.isEmpty()) {
                    setHeadTagRelease(tag);
                }
                final long now = System.nanoTime();
                for (final Magazine m : ms) {
                    m.tag = tag;
                    m.enqueuedNanos = now;
                    pending.addLast(m);
                    pendingObjects += m.count;
                    batchesQueued++;
                }
                depotChanged.signalAll();
            }
        } finally {
            depotLock.unlock();
        }
        if (late) {
            smr.waitFor(tag);
            for (final Magazine m : ms) {
                finaliseAll(m, true);
            }
        }
    }

    // ------------------------------------------------------------------ owned caches

    /**
     * The calling thread's owned cache, or null. At most two plain probes: the home slot and
     * the alternative. ORDER: plain loads. A slot another thread installed is only compared by
     * its final ownerId (final-field semantics: never seen uninitialised); a match means the
     * caller installed the slot itself (thread ids are never reused), so program order covers
     * it; a slot replaced meanwhile can only have belonged to a dead thread or been revoked,
     * which the request flag tells the owner.
     */
    private Owned ownedCache() {
        final long tid = Thread.currentThread().threadId();
        final Owned[] os = owned;
        final int mask = os.length - 1;
        Owned c = os[ownedHome(tid, mask)];
        if (c != null && c.ownerId == tid) {
            return c;
        }
        c = os[ownedAlt(tid, mask)];
        return c != null && c.ownerId == tid ? c : null;
    }

    /**
     * An owned cache's home slot: the thread id's low bits. Thread ids are handed out in
     * sequence, so threads started one after another get different homes, and the index
     * costs no multiply on the fast path.
     */
    private static int ownedHome(final long tid, final int mask) {
        return (int) tid & mask;
    }

    /** An owned cache's alternative slot: a Fibonacci hash of the thread id. */
    private static int ownedAlt(final long tid, final int mask) {
        return hash(tid) & mask;
    }

    /**
     * Slow paths of the striped path: gives the calling platform thread a cache of its own
     * when its home or alternative slot is free (or held by a dead thread, which is swept
     * first). Returns the caller's cache (possibly held or revoked), or null. Never blocks:
     * if another thread holds the owned lock, the caller stays on the striped path for now.
     */
    private Owned tryClaim() {
        if (!ownedEnabled) {
            return null;
        }
        final Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            return null; // millions of virtual threads must not mean millions of caches
        }
        final Owned mine = ownedCache();
        if (mine != null) {
            return mine;
        }
        final Owned[] os = owned;
        final int mask = os.length - 1;
        final int home = ownedHome(t.threadId(), mask);
        final int alt = ownedAlt(t.threadId(), mask);
        for (int attempt = 0; attempt < 2; attempt++) {
            if (!ownedLock.tryLock()) {
                return null;
            }
            final boolean deadFound;
            try {
                // ORDER: acquire, under ownedLock: close() sets closed before it takes this
                // lock to revoke, so a claim made after its revocation sees closed here, and a
                // claim made before it is revoked by it.
                if (closedAcquire()) {
                    return null;
                }
                final int free = os[home] == null ? home : os[alt] == null ? alt : -1;
                if (free >= 0) {
                    final Owned c = new Owned(t, magazineSize);
                    setOwnedRelease(os, free, c);
                    ownedClaimed++;
                    return c;
                }
                deadFound = deadOwner(os[home]) || deadOwner(os[alt]);
            } finally {
                ownedLock.unlock();
            }
            // Sweeping queues the dead thread's FREE magazine, which advances: not inside a
            // section (a get may run in one).
            if (!deadFound || smr.entered()) {
                return null;
            }
            sweepOwned();
        }
        return null;
    }

    /** For tests: whether the calling thread has an owned cache that is not revoked. */
    boolean ownsCache() {
        final Owned c = ownedCache();
        return c != null && c.requestOpaque() != OWNED_REVOKED;
    }

    /** For tests: whether owned caches are on for this pool. */
    boolean ownedCachesEnabled() {
        return ownedEnabled;
    }

    /** Whether {@code c} is a live (not revoked) cache whose owner has terminated. */
    private static boolean deadOwner(final Owned c) {
        return c != null && c.requestOpaque() != OWNED_REVOKED && !c.ownerAlive();
    }

    /**
     * Retires the caches of dead threads: their ALLOC magazines go to READY, their FREE
     * magazines are tagged and queued, their counters are kept, their slots freed. Runs from
     * tryClaim, once per trim interval from enqueue, and from every flush. Never call inside
     * a read section (it advances).
     */
    private void sweepOwned() {
        final List<Magazine> frees = new ArrayList<>();
        final List<Magazine> orphans = new ArrayList<>();
        ownedLock.lock();
        try {
            final Owned[] os = owned;
            for (int i = 0; i < os.length; i++) {
                if (deadOwner(os[i])) {
                    retireDead(os, i, frees, orphans);
                }
            }
        } finally {
            ownedLock.unlock();
        }
        for (final Magazine m : orphans) {
            pushReady(m);
        }
        if (!frees.isEmpty()) {
            enqueueAll(frees);
        }
    }

    /**
     * Under ownedLock: takes the contents of slot {@code i}, whose owner has terminated.
     * No barrier and no wait: a dead thread runs no busy window. ORDER: Thread.isAlive()
     * returning false synchronises-with the owner's last action (JLS 17.4.4), so its plain
     * magazine writes are visible. When the weak reference was cleared instead, the thread
     * had terminated before a collection found its Thread unreachable; the acquire load of
     * busy below pairs with the release store that ended its last window (HotSpot: the
     * collection's safepoints and handshakes are full fences on every thread).
     */
    private void retireDead(final Owned[] os, final int i, final List<Magazine> frees, final List<Magazine> orphans) {
        final Owned c = os[i];
        c.setRequestVolatile(OWNED_REVOKED);
        final int busy = c.busyAcquire();
        assert busy == 0 : "pool '" + name + "': a dead thread's cache is inside a busy window";
        final Magazine f = c.uninstallFree(EMPTY);
        if (f.count > 0) {
            frees.add(f);
        }
        final Magazine a = c.uninstallAlloc(EMPTY);
        if (a.count > 0) {
            orphans.add(a);
        }
        retiredRequests += c.requests;
        retiredPuts += c.puts;
        setOwnedRelease(os, i, null);
        ownedClaimed--;
    }

    /**
     * Takes the contents of every owned cache: FREE magazines (non-empty) into {@code frees};
     * with {@code takeAlloc} (or {@code revoke}) ALLOC magazines (non-empty) into
     * {@code allocs}. With {@code revoke} (close), the caches are revoked for good; otherwise
     * their owners use them again as soon as this returns. Caches of dead threads are retired
     * (their ALLOC magazines go into {@code allocs} as well).
     *
     * <p>The hand-off, for a live owner (see "Owned caches" in the overview): set request
     * (volatile), one membarrier for all caches, then wait until each owner's busy flag reads
     * 0 (acquire). After that the owner does not touch its magazines until request is NONE
     * again, so we may swap them with plain accesses; the release store of NONE publishes the
     * new magazines to the owner's acquire load of request.
     */
    private void collectOwned(final boolean takeAlloc, final boolean revoke, final List<Magazine> frees,
                              final List<Magazine> allocs) {
        if (!ownedEnabled) {
            return;
        }
        ownedLock.lock();
        try {
            final Owned[] os = owned;
            final List<Owned> held = new ArrayList<>();
            try {
                for (int i = 0; i < os.length; i++) {
                    final Owned c = os[i];
                    if (c == null || c.requestOpaque() == OWNED_REVOKED) {
                        continue;
                    }
                    if (!c.ownerAlive()) {
                        retireDead(os, i, frees, allocs);
                        continue;
                    }
                    // ORDER: volatile store (a full fence after it on x86): the collector half
                    // of the Dekker pair; visible to every owner before the membarrier returns.
                    c.setRequestVolatile(revoke ? OWNED_REVOKED : OWNED_HELD);
                    held.add(c);
                }
                if (held.isEmpty()) {
                    return;
                }
                // ORDER: process-wide barrier: every owner either had published busy = 1
                // before its barrier point (we see it below and wait) or loads request after
                // it (and sees ours). Pairs with the opaque store / acquire load in get/put.
                AsymmetricFence.fence();
                for (final Owned c : held) {
                    c.awaitIdle();
                    if (c.freeCount > 0 || revoke) {
                        final Magazine f = c.uninstallFree(revoke ? EMPTY : new Magazine(magazineSize));
                        if (f.count > 0) {
                            frees.add(f);
                        }
                    }
                    if ((takeAlloc && c.allocCount > 0) || revoke) {
                        final Magazine a = c.uninstallAlloc(revoke ? EMPTY : new Magazine(magazineSize));
                        if (a.count > 0) {
                            allocs.add(a);
                        }
                    }
                    if (revoke) {
                        ownedClaimed--;
                    }
                }
            } finally {
                if (!revoke) {
                    for (final Owned c : held) {
                        // ORDER: release; pairs with the owner's acquire load of request: it
                        // sees the magazines we swapped in before it touches them.
                        c.setRequestRelease(OWNED_NONE);
                    }
                }
            }
        } finally {
            ownedLock.unlock();
        }
    }

    // ------------------------------------------------------------------ reclaim, drain, close

    /**
     * Tags the partially filled free magazines of every stripe and owned cache with one
     * advance of the domain and queues them, so that the objects put into them can expire
     * without waiting for more puts to fill their magazines. Useful before a quiet period, and
     * in tests. Never blocks on readers; takes owned caches from their owners through a
     * process-wide barrier and a brief wait for each owner's current call (see the class
     * documentation, "Threads"). Caches of threads that died are recovered on the way.
     *
     * @return the number of objects tagged
     * @throws IllegalStateException if called inside a read section of the domain
     */
    public long flush() {
        checkNotInSection("flush()", null);
        if (closedAcquire()) {
            return 0;
        }
        return flushCaches(false, false);
    }

    /**
     * Creates objects (factory and init, no construct) until {@code n} more are cached, or the
     * hard limit is reached, as {@code pool_prime(9)} does. They are handed out before any
     * recycled ones. If the factory or init throws, the objects made before stay cached and
     * the failure propagates.
     *
     * @param n how many objects to add, at least 0
     * @return how many were created (fewer than {@code n} at the hard limit)
     * @throws IllegalArgumentException if {@code n < 0}
     * @throws IllegalStateException if the pool is closed
     */
    public int prime(final int n) {
        if (n < 0) {
            throw new IllegalArgumentException("pool '" + name + "': prime(" + n + ")");
        }
        if (closedAcquire()) {
            throw closedException("prime()", null);
        }
        int made = 0;
        Magazine m = new Magazine(magazineSize);
        try {
            while (made < n) {
                final T obj = tryCreate();
                if (obj == null) {
                    break;
                }
                if (checked) {
                    table.primed(obj);
                }
                m.items[m.count++] = obj;
                made++;
                if (m.count == magazineSize) {
                    pushReady(m);
                    m = new Magazine(magazineSize);
                }
            }
        } finally {
            // Also when the factory or init threw: what was made before is cached, not lost.
            if (m.count > 0) {
                pushReady(m);
            }
        }
        return made;
    }

    /**
     * Finalises cached objects that no reader can hold, down to the low-water mark: expired
     * magazines first, then tagged batches from the head of the FIFO while their goal has been
     * reached (non-blocking poll), stopping at the first unexpired batch
     * ({@code bucket_cache_reclaim_domain}). Runs destruct (for batches) and fini on each.
     * Objects in per-thread magazines are left alone; see {@link #drain()}.
     *
     * @return the number of objects finalised
     */
    public long reclaim() {
        return release(lowat, false);
    }

    /**
     * Finalises everything that no reader can hold, ignoring the low-water mark
     * ({@code uma_reclaim(UMA_RECLAIM_DRAIN_CPU)}): the ALLOC magazines of every stripe and
     * owned cache (live owners included, as {@link #flush()} takes them), READY magazines, and
     * expired batches. Partially filled FREE magazines are tagged and queued, so that a later
     * {@code reclaim()} or {@code drain()} can release them once they expire.
     *
     * @return the number of objects finalised
     * @throws IllegalStateException if called inside a read section of the domain
     */
    public long drain() {
        checkNotInSection("drain()", null);
        final long before = finalised.sum();
        if (!closedAcquire()) {
            flushCaches(true, true);
        }
        release(0, false);
        return finalised.sum() - before;
    }

    /**
     * Finalises READY magazines, then expired batches from the head, while more than
     * {@code keep} objects are cached in the depot. With {@code wait}, waits for each batch.
     */
    private long release(final long keep, final boolean wait) {
        long done = 0;
        while (true) {
            final Magazine m;
            final boolean destructFirst;
            depotLock.lock();
            try {
                if (pendingObjects + readyObjects <= keep) {
                    break;
                }
                final Magazine r = ready.pollFirst();
                if (r != null) {
                    readyObjects -= r.count;
                    if (ready.isEmpty()) {
                        setReadyHintRelease(0);
                    }
                    noteDepotLevel();
                    m = r;
                    destructFirst = false;
                } else {
                    final Magazine head = pending.peekFirst();
                    if (head == null || (!wait && !smr.poll(head.tag))) {
                        break; // the first unexpired batch stops the reclaim
                    }
                    dequeueHead();
                    m = head;
                    destructFirst = true;
                }
            } finally {
                depotLock.unlock();
            }
            if (destructFirst && wait) {
                waitForGoal(m.tag);
            }
            done += m.count;
            finaliseAll(m, destructFirst);
        }
        return done;
    }

    private void waitForGoal(final long tag) {
        final SmrPoolEvents.Wait event = SmrPoolEvents.recording() ? new SmrPoolEvents.Wait() : null;
        if (event != null) {
            event.begin();
        }
        waits.increment();
        smr.waitFor(tag);
        if (event != null) {
            event.pool = name;
            event.goal = tag;
            event.limit = hardLimit;
            event.commit();
        }
    }

    /**
     * Closes the pool: afterwards {@code get}, {@code put} and {@code prime} throw
     * {@link IllegalStateException} naming the pool. Tags everything cached with one advance,
     * waits until no reader can hold any of it, then runs destruct (where pending) and fini on
     * every cached object, unregisters the MBean and, if the pool created its domain, leaves
     * the domain to the garbage collector. Objects still handed out are not finalised by the
     * pool (their holders own them). Idempotent: later calls return at once.
     *
     * <p>Progress: blocking (it waits for readers).
     *
     * @throws IllegalStateException if called inside a read section of the domain
     */
    @Override
    public void close() {
        checkNotInSection("close()", null);
        depotLock.lock();
        try {
            if (closedOpaque()) {
                return;
            }
            // ORDER: release; pairs with the stripe-lock CAS and acquire loads in get/put:
            // a stripe locked after our flush sees it; one locked before, we see its objects.
            setClosedRelease();
            depotChanged.signalAll();
        } finally {
            depotLock.unlock();
        }
        // Owned caches are revoked (their owners fall back to the stripes, which throw), and
        // with the stripes: ALLOC magazines are finalised now; FREE ones are collected and
        // tagged.
        final List<Magazine> frees = new ArrayList<>();
        final List<Magazine> allocs = new ArrayList<>();
        collectOwned(true, true, frees, allocs);
        for (final Magazine a : allocs) {
            finaliseAll(a, false);
        }
        for (final Stripe s : stripesAcquire()) {
            final Magazine a;
            s.lock();
            try {
                a = s.alloc;
                s.alloc = new Magazine(0);
                if (s.free.count > 0) {
                    frees.add(s.free);
                }
                s.free = new Magazine(0);
                s.spare = null;
            } finally {
                s.unlock();
            }
            finaliseAll(a, false);
        }
        if (!frees.isEmpty()) {
            final long tag = smr.advance();
            waitForGoal(tag);
            for (final Magazine m : frees) {
                finaliseAll(m, true);
            }
        }
        release(0, true);
        unregister();
    }

    /**
     * Returns whether {@link #close()} has been called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closedAcquire();
    }

    // ------------------------------------------------------------------ finalisation

    /** Runs destruct (if {@code destructFirst}) and fini on each object, then drops them. */
    private void finaliseAll(final Magazine m, final boolean destructFirst) {
        final Object[] items = m.items;
        for (int i = 0; i < m.count; i++) {
            @SuppressWarnings("unchecked")
            final T obj = (T) items[i];
            items[i] = null;
            finalise(obj, destructFirst);
        }
        m.count = 0;
    }

    /**
     * Runs destruct (if {@code destructFirst}), fini and (checked) poison, each whatever the
     * one before threw, then drops the object, in a finally: every object that reaches here
     * leaves the pool's accounting exactly once.
     */
    private void finalise(final T obj, final boolean destructFirst) {
        try {
            if (destructFirst && destruct != null) {
                runReported(HookFailures.Hook.DESTRUCT, destruct, obj);
            }
            if (fini != null) {
                runReported(HookFailures.Hook.FINI, fini, obj);
            }
            if (checked && poison != null) {
                runReported(HookFailures.Hook.POISON, poison, obj);
            }
        } finally {
            dropped(obj);
        }
    }

    /** Forgets an object: it leaves the pool for good. */
    private void dropped(final Object obj) {
        if (checked) {
            table.finalised(obj);
        }
        finalised.increment();
        // ORDER: volatile RMW, then the volatile read of waiters in signalIfWaiters; pairs with
        // awaitProgress (Dekker: one of the two sees the other).
        live.decrementAndGet();
        signalIfWaiters();
    }

    private void signalIfWaiters() {
        if (waiters.get() > 0) {
            depotLock.lock();
            try {
                depotChanged.signalAll();
            } finally {
                depotLock.unlock();
            }
        }
    }

    // ------------------------------------------------------------------ stripes

    private static int hash(final long threadId) {
        // Fibonacci hashing: thread ids are consecutive, the multiply spreads them.
        final long z = threadId * 0x9E3779B97F4A7C15L;
        return (int) (z ^ (z >>> 32));
    }

    private static int rehash(final int h) {
        int x = h ^ (h << 13); // xorshift, as Striped64.advanceProbe
        x ^= x >>> 17;
        return x ^ (x << 5);
    }

    private Stripe lockStripe() {
        final Stripe[] ss = stripesAcquire();
        final int h = hash(Thread.currentThread().threadId());
        final Stripe home = ss[h & (ss.length - 1)];
        if (home.tryLock()) {
            return home;
        }
        return lockStripeSlow(ss, h);
    }

    private Stripe lockStripeSlow(final Stripe[] first, final int h) {
        contention.increment();
        Stripe[] ss = first;
        boolean grown = false;
        // Contention on the home stripe means two threads share it: grow first (up to
        // maxStripes), so the next call of each finds a home of its own. Probing alone would
        // succeed every time and never grow, and the two threads would keep colliding on
        // their common home (seen in PoolBenchmark.two: 44M-178M contended requests per fork).
        if (ss.length < maxStripes) {
            ss = grow(ss);
            grown = true;
            final Stripe home = ss[h & (ss.length - 1)];
            if (home.tryLock()) {
                return home;
            }
        }
        while (true) {
            int p = h;
            for (int i = 0; i < PROBES; i++) {
                p = rehash(p);
                final Stripe s = ss[p & (ss.length - 1)];
                if (s.tryLock()) {
                    return s;
                }
            }
            if (!grown && ss.length < maxStripes) {
                ss = grow(ss);
                grown = true;
                final Stripe home = ss[h & (ss.length - 1)];
                if (home.tryLock()) {
                    return home;
                }
                continue;
            }
            final Stripe home = ss[h & (ss.length - 1)];
            home.lock();
            return home;
        }
    }

    /** Doubles the stripe array (if nobody did meanwhile); returns the current array. */
    private Stripe[] grow(final Stripe[] ss) {
        final Stripe[] bigger = new Stripe[ss.length * 2];
        System.arraycopy(ss, 0, bigger, 0, ss.length);
        for (int i = ss.length; i < bigger.length; i++) {
            bigger[i] = new Stripe(magazineSize);
        }
        // ORDER: volatile CAS publishes the new stripes (constructed with plain stores)
        // to threads that load the array with acquire.
        if (STRIPES.compareAndSet(this, ss, bigger)) {
            return bigger;
        }
        return stripesAcquire();
    }

    // ------------------------------------------------------------------ checks

    private void checkNotInSection(final String what, final Object obj) {
        if (smr.entered()) {
            throw inSection(what, obj);
        }
    }

    private IllegalStateException inSection(final String what, final Object obj) {
        return new IllegalStateException("pool '" + name + "': " + what
                + (obj == null ? "" : " of an object of " + obj.getClass().getName())
                + " inside a read section of domain '" + smr.name()
                + "' (it may advance or wait on the domain, which would wait for itself; thread "
                + Thread.currentThread() + ")");
    }

    private IllegalStateException closedException(final String what, final Object obj) {
        return new IllegalStateException("pool '" + name + "': " + what
                + (obj == null ? "" : " of an object of " + obj.getClass().getName())
                + " after close() (thread " + Thread.currentThread() + ")");
    }

    /**
     * For tests: verifies invariants 1, 2, 4 and 5 of the overview. Call only while no other
     * thread uses the pool. Throws {@link AssertionError} naming the broken invariant.
     */
    void checkInvariants() {
        final Map<Object, String> where = new IdentityHashMap<>();
        final Stripe[] ss = stripesAcquire();
        for (int i = 0; i < ss.length; i++) {
            final Stripe s = ss[i];
            s.lock();
            try {
                note(where, s.alloc, "stripe " + i + " alloc", "READY");
                note(where, s.free, "stripe " + i + " free", "CACHED");
                if (s.spare != null && s.spare.count != 0) {
                    throw new AssertionError("pool '" + name + "': stripe " + i + " spare not empty");
                }
            } finally {
                s.unlock();
            }
        }
        ownedLock.lock();
        try {
            final Owned[] os = owned;
            int claimed = 0;
            for (int i = 0; i < os.length; i++) {
                final Owned c = ownedAcquire(os, i);
                if (c == null) {
                    continue;
                }
                final int mask = os.length - 1;
                if (i != ownedHome(c.ownerId, mask) && i != ownedAlt(c.ownerId, mask)) {
                    throw new AssertionError("pool '" + name + "': owned cache of thread " + c.ownerId
                            + " in slot " + i + ", neither its home nor its alternative");
                }
                if (c.requestOpaque() != OWNED_REVOKED) {
                    claimed++;
                }
                if (c.allocItems != c.alloc.items || c.freeItems != c.free.items) {
                    throw new AssertionError("pool '" + name + "': owned cache " + i + " items are not its magazines'");
                }
                note(where, c.allocItems, c.allocCount, "owned " + i + " alloc", "READY");
                note(where, c.freeItems, c.freeCount, "owned " + i + " free", "CACHED");
                if (c.spare != null && c.spare.count != 0) {
                    throw new AssertionError("pool '" + name + "': owned cache " + i + " spare not empty");
                }
            }
            if (claimed != ownedClaimed) {
                throw new AssertionError("pool '" + name + "': " + claimed + " owned caches, counted " + ownedClaimed);
            }
            if (!ownedEnabled && claimed != 0) {
                throw new AssertionError("pool '" + name + "': owned caches claimed while disabled");
            }
        } finally {
            ownedLock.unlock();
        }
        depotLock.lock();
        try {
            long tagPrev = SmrSeq.INVALID;
            long pendingCount = 0;
            for (final Magazine m : pending) {
                if (tagPrev != SmrSeq.INVALID && SmrSeq.lt(m.tag, tagPrev)) {
                    throw new AssertionError("pool '" + name + "': pending tags decrease");
                }
                tagPrev = m.tag;
                pendingCount += m.count;
                note(where, m, "pending", "CACHED");
            }
            long readyCount = 0;
            for (final Magazine m : ready) {
                readyCount += m.count;
                note(where, m, "ready", "READY");
            }
            final Magazine head = pending.peekFirst();
            if (headTagAcquire() != (head == null ? SmrSeq.INVALID : head.tag)) {
                throw new AssertionError("pool '" + name + "': headTag is not the head's tag");
            }
            if (pendingCount != pendingObjects || readyCount != readyObjects) {
                throw new AssertionError("pool '" + name + "': depot counts drifted");
            }
        } finally {
            depotLock.unlock();
        }
        final long liveNow = live.get();
        if (liveNow != created.sum() - finalised.sum() || liveNow > hardLimit) {
            throw new AssertionError("pool '" + name + "': live " + liveNow + " != created " + created.sum()
                    + " - finalised " + finalised.sum() + " or above the limit " + hardLimit);
        }
        if (checked) {
            table.check(where, liveNow);
        } else if (where.size() > liveNow) {
            throw new AssertionError("pool '" + name + "': " + where.size() + " cached > " + liveNow + " live");
        }
    }

    private void note(final Map<Object, String> where, final Magazine m, final String place, final String state) {
        note(where, m.items, m.count, place, state);
    }

    private void note(final Map<Object, String> where, final Object[] items, final int count, final String place,
                      final String state) {
        for (int i = 0; i < items.length; i++) {
            final Object o = items[i];
            if (i >= count) {
                if (o != null) {
                    throw new AssertionError("pool '" + name + "': " + place + " has a stale slot " + i);
                }
                continue;
            }
            final String prev = where.put(o, place + "/" + state);
            if (prev != null) {
                throw new AssertionError("pool '" + name + "': object in two places: " + prev + " and " + place);
            }
        }
    }

    // ------------------------------------------------------------------ statistics and JMX

    /**
     * Returns a snapshot of the pool's counters, the columns {@code vmstat -m} shows for a
     * zone. Counters are kept off the fast path (per-stripe fields written under the stripe
     * lock, per-owned-cache fields written by their owner with plain stores, adders); the
     * snapshot visits each stripe, each owned cache and the depot in turn without stopping
     * anyone, so it is not a consistent cut while other threads use the pool, and a busy
     * owner's latest calls may be missing from it.
     *
     * @return the counters now
     */
    public Stats stats() {
        long requests = 0;
        long puts = 0;
        long cached = 0;
        final Stripe[] ss = stripesAcquire();
        for (final Stripe s : ss) {
            s.lock();
            try {
                requests += s.requests;
                puts += s.puts;
                cached += s.alloc.count + s.free.count;
            } finally {
                s.unlock();
            }
        }
        final int ownedCaches;
        ownedLock.lock();
        try {
            ownedCaches = ownedClaimed;
            requests += retiredRequests;
            puts += retiredPuts;
            final Owned[] os = owned;
            for (int i = 0; i < os.length; i++) {
                // ORDER: acquire; pairs with the release that installed the slot, so the
                // cache's magazines are seen initialised.
                final Owned c = ownedAcquire(os, i);
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
        } finally {
            ownedLock.unlock();
        }
        final int batches;
        final long objectsPending;
        final long ageNanos;
        final long refillsNow;
        final long queuedNow;
        depotLock.lock();
        try {
            batches = pending.size();
            objectsPending = pendingObjects;
            cached += pendingObjects + readyObjects;
            final Magazine head = pending.peekFirst();
            ageNanos = head == null ? 0 : System.nanoTime() - head.enqueuedNanos;
            refillsNow = refills;
            queuedNow = batchesQueued;
        } finally {
            depotLock.unlock();
        }
        return new Stats(name, requests, puts, failures.sum(), created.sum(), finalised.sum(), live.get(), cached,
                batches, objectsPending, Duration.ofNanos(ageNanos), refillsNow, waits.sum(),
                queuedNow, hookFailures.count(), trims.sum(), ss.length, contention.sum(), ownedCaches);
    }

    /**
     * Returns the name under which this pool's MBean is registered.
     *
     * @return the object name ({@code org.smr4j:type=SmrPool,name="<name>"}, with
     *         {@code ,instance=<n>} appended if another pool of the same name is registered),
     *         or null if JMX registration was disabled or failed
     */
    public String mbeanName() {
        return mbeanName == null ? null : mbeanName.getCanonicalName();
    }

    private ObjectName register() {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        final String base = "org.smr4j:type=SmrPool,name=" + ObjectName.quote(name);
        try {
            for (int i = 0; ; i++) {
                final ObjectName on = new ObjectName(i == 0 ? base : base + ",instance=" + i);
                if (!server.isRegistered(on)) {
                    try {
                        server.registerMBean(new MBean(this), on);
                        return on;
                    } catch (final javax.management.InstanceAlreadyExistsException raced) {
                        // another pool of the same name took it meanwhile; try the next
                    }
                }
            }
        } catch (final JMException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "pool '" + name + "': JMX registration failed", e);
            return null;
        }
    }

    private void unregister() {
        if (mbeanName != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(mbeanName);
            } catch (final JMException e) {
                LOG.log(System.Logger.Level.DEBUG, "pool '" + name + "': MBean already gone", e);
            }
        }
    }

    /** The MBean: each attribute takes a fresh snapshot. Holds the pool strongly until close. */
    private static final class MBean implements SmrPoolMXBean {
        private final SmrPool<?> pool;

        MBean(final SmrPool<?> pool) {
            this.pool = pool;
        }

        @Override
        public String getName() {
            return pool.name;
        }

        @Override
        public long getRequests() {
            return pool.stats().requests();
        }

        @Override
        public long getPuts() {
            return pool.stats().puts();
        }

        @Override
        public long getFailures() {
            return pool.failures.sum();
        }

        @Override
        public long getCreated() {
            return pool.created.sum();
        }

        @Override
        public long getFinalised() {
            return pool.finalised.sum();
        }

        @Override
        public long getLive() {
            return pool.live.get();
        }

        @Override
        public long getCached() {
            return pool.stats().cached();
        }

        @Override
        public int getBatchesPending() {
            return pool.stats().batchesPending();
        }

        @Override
        public long getObjectsPending() {
            return pool.stats().objectsPending();
        }

        @Override
        public double getOldestPendingAgeMillis() {
            return pool.stats().oldestPendingAge().toNanos() / 1e6;
        }

        @Override
        public long getWaits() {
            return pool.waits.sum();
        }

        @Override
        public long getHardLimit() {
            return pool.hardLimit;
        }

        @Override
        public int getOwnedCaches() {
            return pool.stats().ownedCaches();
        }
    }

    @Override
    public String toString() {
        return "SmrPool[" + name + ", smr=" + smr.name() + ", live=" + live.get()
                + (closedAcquire() ? ", closed" : "") + "]";
    }

    // ------------------------------------------------------------------ VarHandle accessors

    private Stripe[] stripesAcquire() {
        return (Stripe[]) STRIPES.getAcquire(this);
    }

    private boolean closedAcquire() {
        return (boolean) CLOSED.getAcquire(this);
    }

    /** Only under a lock whose acquisition orders it after close()'s release store. */
    private boolean closedOpaque() {
        return (boolean) CLOSED.getOpaque(this);
    }

    private void setClosedRelease() {
        CLOSED.setRelease(this, true);
    }

    private long headTagAcquire() {
        return (long) HEAD_TAG.getAcquire(this);
    }

    private void setHeadTagRelease(final long tag) {
        // ORDER: release; pairs with the acquire in fetch()/awaitProgress() (a hint only).
        HEAD_TAG.setRelease(this, tag);
    }

    private int readyHintAcquire() {
        return (int) READY_HINT.getAcquire(this);
    }

    /** Under ownedLock. */
    private static void setOwnedRelease(final Owned[] os, final int i, final Owned c) {
        // ORDER: release; publishes the cache's fields (its magazines) to threads that read
        // the slot with acquire (stats) or take ownedLock (collectors).
        OWNED.setRelease(os, i, c);
    }

    private static Owned ownedAcquire(final Owned[] os, final int i) {
        return (Owned) OWNED.getAcquire(os, i);
    }

    private void setReadyHintRelease(final int v) {
        // ORDER: release; pairs with the acquire in fetch() (a hint only).
        READY_HINT.setRelease(this, v);
    }

    private static int ceilPow2(final int n) {
        return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    // ------------------------------------------------------------------ Stripe and Magazine

    /** A fixed-capacity stack of objects; owned by whoever holds the lock it sits under. */
    static final class Magazine {
        final Object[] items;
        int count;
        /** The goal of a tagged batch, SmrSeq.INVALID otherwise. */
        long tag;
        /** System.nanoTime() when queued, for the age statistic. */
        long enqueuedNanos;

        Magazine(final int size) {
            this.items = new Object[size];
        }
    }

    /** One per-thread cache: an ALLOC and a FREE magazine under a spin lock. */
    static final class Stripe extends SmrPoolLayout.StripePad1 {
        Stripe(final int magazineSize) {
            this.alloc = new Magazine(magazineSize);
            this.free = new Magazine(magazineSize);
        }

        boolean tryLock() {
            // ORDER: volatile CAS, acquire: the holder sees the previous holder's plain writes.
            return (int) LOCK.getOpaque(this) == 0 && LOCK.compareAndSet(this, 0, 1);
        }

        /**
         * Takes the lock: spins, then parks with growing timeouts. Not interruptible: an
         * interrupt is cleared while it parks (a set flag makes every park return at once:
         * the wait would spin) and restored once the lock is taken.
         */
        void lock() {
            int spins = 0;
            long park = 1_000;
            boolean interrupted = false;
            while (!tryLock()) {
                if (spins < LOCK_SPINS) {
                    spins++;
                    Thread.onSpinWait();
                } else {
                    // Park, never Thread.yield(): a yielding virtual thread can starve carriers.
                    LockSupport.parkNanos(this, park);
                    park = Math.min(park * 2, 100_000);
                    interrupted |= Thread.interrupted();
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        void unlock() {
            // ORDER: release; pairs with the CAS in tryLock(): our plain writes to the
            // magazines and counters are visible to the next holder.
            LOCK.setRelease(this, 0);
        }

        private static final VarHandle LOCK;

        static {
            try {
                LOCK = MethodHandles.lookup().findVarHandle(SmrPoolLayout.StripeFields.class, "lock", int.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /**
     * A cache owned by one platform thread: an ALLOC and a FREE magazine that the owner uses
     * with plain accesses inside a busy window, and that other threads take only through the
     * request / membarrier / busy hand-off (collectOwned). See "Owned caches" in the overview.
     */
    static final class Owned extends SmrPoolLayout.OwnedPad1 {
        Owned(final Thread owner, final int magazineSize) {
            super(owner);
            final Magazine a = new Magazine(magazineSize);
            final Magazine f = new Magazine(magazineSize);
            this.alloc = a;
            this.allocItems = a.items;
            this.free = f;
            this.freeItems = f.items;
        }

        /**
         * Collectors only (the cache held, its owner seen idle, or dead): replaces the ALLOC
         * magazine with {@code m} (empty) and returns the old one with its count brought up
         * to date. The owner's windows write these fields inline, without calls.
         */
        Magazine uninstallAlloc(final Magazine m) {
            final Magazine old = alloc;
            old.count = allocCount;
            alloc = m;
            allocItems = m.items;
            allocCount = m.count;
            return old;
        }

        /** As {@link #uninstallAlloc}, for the FREE magazine. */
        Magazine uninstallFree(final Magazine m) {
            final Magazine old = free;
            old.count = freeCount;
            free = m;
            freeItems = m.items;
            freeCount = m.count;
            return old;
        }

        /**
         * Collectors only, with request set: waits until the owner is outside its busy
         * window. Windows are a few dozen instructions with no calls, so this spins; it parks
         * if the owner was preempted. Not interruptible: an interrupt is cleared while it
         * parks (a set flag makes every park return at once: the wait would spin) and
         * restored before it returns.
         */
        void awaitIdle() {
            int spins = 0;
            long park = 1_000;
            boolean interrupted = false;
            // ORDER: acquire; pairs with the release store of busy = 0 that ends the owner's
            // window: its magazine writes happen-before what we do with the magazines.
            while (busyAcquire() != 0) {
                if (spins < LOCK_SPINS) {
                    spins++;
                    Thread.onSpinWait();
                } else if (!ownerAlive()) {
                    break; // cannot happen (no window throws), but never wait for the dead
                } else {
                    LockSupport.parkNanos(this, park);
                    park = Math.min(park * 2, 100_000);
                    interrupted |= Thread.interrupted();
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        /** Whether the owner may still run: its Thread is reachable and alive. */
        boolean ownerAlive() {
            final Thread t = owner.get();
            return t != null && t.isAlive();
        }

        void setBusyOpaque(final int v) {
            BUSY.setOpaque(this, v);
        }

        void setBusyRelease(final int v) {
            BUSY.setRelease(this, v);
        }

        int busyAcquire() {
            return (int) BUSY.getAcquire(this);
        }

        int requestAcquire() {
            return (int) REQUEST.getAcquire(this);
        }

        /** Under ownedLock only (the lock orders it), or where a stale value is harmless. */
        int requestOpaque() {
            return (int) REQUEST.getOpaque(this);
        }

        void setRequestVolatile(final int v) {
            REQUEST.setVolatile(this, v);
        }

        void setRequestRelease(final int v) {
            REQUEST.setRelease(this, v);
        }

        private static final VarHandle BUSY;
        private static final VarHandle REQUEST;

        static {
            try {
                final MethodHandles.Lookup lookup = MethodHandles.lookup();
                BUSY = lookup.findVarHandle(SmrPoolLayout.OwnedFields.class, "busy", int.class);
                REQUEST = lookup.findVarHandle(SmrPoolLayout.OwnedFields.class, "request", int.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    // ------------------------------------------------------------------ checked mode

    /** Checked mode: where each object is, by identity. One lock; checked pools are for debugging. */
    private final class CheckTable {
        private final Map<Object, State> states = new IdentityHashMap<>();

        private enum State { OUT, CACHED, READY }

        synchronized void handOut(final Object o, final boolean fresh) {
            final State prev = states.put(o, State.OUT);
            if (fresh ? prev != null : prev != State.READY) {
                states.put(o, prev);
                throw new IllegalStateException("pool '" + name + "': about to hand out an object of "
                        + o.getClass().getName() + " that is " + (prev == null ? "unknown" : prev)
                        + (fresh ? " (the factory returned an object it returned before)" : " (handed out twice)"));
            }
        }

        synchronized void primed(final Object o) {
            if (states.put(o, State.READY) != null) {
                throw new IllegalStateException("pool '" + name + "': the factory returned an object of "
                        + o.getClass().getName() + " it returned before");
            }
        }

        synchronized void put(final Object o) {
            final State prev = states.get(o);
            if (prev == null) {
                throw new IllegalStateException("pool '" + name + "': put() of an object of " + o.getClass().getName()
                        + " that this pool did not hand out (wrong pool, or already finalised; thread "
                        + Thread.currentThread() + ")");
            }
            if (prev != State.OUT) {
                throw new IllegalStateException("pool '" + name + "': double put() of an object of "
                        + o.getClass().getName() + " (thread " + Thread.currentThread() + ")");
            }
            states.put(o, State.CACHED);
        }

        synchronized void unput(final Object o) {
            states.put(o, State.OUT);
        }

        synchronized void expired(final Object o) {
            if (states.put(o, State.READY) != State.CACHED) {
                throw new AssertionError("pool '" + name + "': expired an object that was not cached");
            }
        }

        synchronized void finalised(final Object o) {
            states.remove(o);
        }

        synchronized void check(final Map<Object, String> where, final long liveNow) {
            if (states.size() != liveNow) {
                throw new AssertionError("pool '" + name + "': side table holds " + states.size()
                        + " objects, live is " + liveNow);
            }
            for (final Map.Entry<Object, String> e : where.entrySet()) {
                final State s = states.get(e.getKey());
                if (s == null || !e.getValue().endsWith("/" + s)) {
                    throw new AssertionError("pool '" + name + "': object at " + e.getValue() + " is " + s);
                }
            }
            long out = 0;
            for (final State s : states.values()) {
                if (s == State.OUT) {
                    out++;
                }
            }
            if (out + where.size() != liveNow) {
                throw new AssertionError("pool '" + name + "': " + out + " out + " + where.size()
                        + " cached != " + liveNow + " live: an object was lost");
            }
        }
    }

    // ------------------------------------------------------------------ Builder

    /**
     * Configures a pool. Not thread-safe. Every setting has a default: a pool built from
     * {@code builder(name, factory).build()} has its own default-mode domain, magazines of
     * {@value SmrPool#MAGAZINE_SIZE_DEFAULT}, no limits, no hooks, no checks and an MBean.
     *
     * @param <T> the type of the pooled objects
     */
    public static final class Builder<T> {
        private final String name;
        private final Supplier<? extends T> factory;
        private Smr smr;
        private Consumer<? super T> init;
        private Consumer<? super T> fini;
        private Consumer<? super T> construct;
        private Consumer<? super T> destruct;
        private Consumer<? super T> poison;
        private int magazineSize = MAGAZINE_SIZE_DEFAULT;
        private long lowat;
        private long hiwat = Long.MAX_VALUE;
        private Duration trimInterval = TRIM_INTERVAL_DEFAULT;
        private long hardLimit = Long.MAX_VALUE;
        private LimitPolicy policy = LimitPolicy.WAIT;
        private boolean checked;
        private boolean jmx = true;
        private int maxStripes = MAX_STRIPES_DEFAULT;
        private int ownedCaches = OWNED_CACHES_DEFAULT;

        private Builder(final String name, final Supplier<? extends T> factory) {
            this.name = name;
            this.factory = factory;
        }

        /**
         * Shares an existing domain ({@code uma_zone_set_smr}): readers of several pools, or of
         * a pool and other structures, then use one domain. Without it the pool creates its own
         * default-mode domain named after the pool. Any mode works; lazy domains reach goals
         * about one tick after they are issued, so lazy pools grow a little more.
         *
         * @param smr the domain
         * @return this builder
         */
        public Builder<T> smr(final Smr smr) {
            this.smr = Objects.requireNonNull(smr, "smr");
            return this;
        }

        /**
         * Sets the once-per-object hook run after the factory (UMA {@code init}).
         *
         * @param hook the hook
         * @return this builder
         */
        public Builder<T> init(final Consumer<? super T> hook) {
            this.init = Objects.requireNonNull(hook, "init");
            return this;
        }

        /**
         * Sets the once-per-object hook run when the pool releases an object (UMA {@code fini}).
         *
         * @param hook the hook
         * @return this builder
         */
        public Builder<T> fini(final Consumer<? super T> hook) {
            this.fini = Objects.requireNonNull(hook, "fini");
            return this;
        }

        /**
         * Sets the hook run at every {@code get} (UMA {@code ctor}).
         *
         * @param hook the hook
         * @return this builder
         */
        public Builder<T> construct(final Consumer<? super T> hook) {
            this.construct = Objects.requireNonNull(hook, "construct");
            return this;
        }

        /**
         * Sets the deferred destructor: it runs for a put object once its batch has expired
         * (no reader can hold it), before the object is constructed again or finalised.
         *
         * @param hook the hook
         * @return this builder
         */
        public Builder<T> destruct(final Consumer<? super T> hook) {
            this.destruct = Objects.requireNonNull(hook, "destruct");
            return this;
        }

        /**
         * Sets the poison hook of checked pools: it runs after destruct when a batch expires,
         * and after fini, and should overwrite the object so that a reader still holding it
         * by mistake fails. Ignored unless {@link #checked(boolean) checked}.
         *
         * @param hook the hook
         * @return this builder
         */
        public Builder<T> poison(final Consumer<? super T> hook) {
            this.poison = Objects.requireNonNull(hook, "poison");
            return this;
        }

        /**
         * Sets the number of objects per magazine, and so per tagged batch.
         *
         * @param size from 1 to {@value SmrPool#MAGAZINE_SIZE_MAX}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder<T> magazineSize(final int size) {
            if (size < 1 || size > MAGAZINE_SIZE_MAX) {
                throw new IllegalArgumentException("pool '" + name + "': magazine size " + size
                        + " out of range [1, " + MAGAZINE_SIZE_MAX + "]");
            }
            this.magazineSize = size;
            return this;
        }

        /**
         * Sets the low-water mark: objects created at build ({@link SmrPool#prime}) and kept by
         * {@link SmrPool#reclaim()} ({@code pool_setlowat}).
         *
         * @param n at least 0, at most the hard limit
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder<T> lowat(final long n) {
            if (n < 0) {
                throw new IllegalArgumentException("pool '" + name + "': lowat " + n + " < 0");
            }
            this.lowat = n;
            return this;
        }

        /**
         * Sets the high-water mark: when more objects than this are cached in the shared
         * depot, those that have expired are finalised as soon as a batch is queued
         * ({@code pool_sethiwat}). Unexpired objects are never finalised early.
         *
         * @param n at least the low-water mark
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder<T> hiwat(final long n) {
            if (n < 0) {
                throw new IllegalArgumentException("pool '" + name + "': hiwat " + n + " < 0");
            }
            this.hiwat = n;
            return this;
        }

        /**
         * Sets the working-set trim interval: about once per interval (checked when a batch is
         * queued, so no thread is needed), half of the objects that sat unused in the shared
         * depot for the whole interval are finalised, as far as they have expired and down to
         * the low-water mark, so an idle excess decays geometrically. This returns what a burst, or a reader that stalled, made the pool create.
         * {@link Duration#ZERO} turns it off. Default {@link SmrPool#TRIM_INTERVAL_DEFAULT}.
         *
         * @param interval zero or positive
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder<T> trimInterval(final Duration interval) {
            if (Objects.requireNonNull(interval, "interval").isNegative()) {
                throw new IllegalArgumentException("pool '" + name + "': trim interval " + interval + " < 0");
            }
            this.trimInterval = interval;
            return this;
        }

        /**
         * Sets the hard limit on live objects (handed out plus cached, in every state)
         * ({@code pool_sethardlimit}). Unlimited by default.
         *
         * @param n at least 1
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         */
        public Builder<T> hardLimit(final long n) {
            if (n < 1) {
                throw new IllegalArgumentException("pool '" + name + "': hard limit " + n + " < 1");
            }
            this.hardLimit = n;
            return this;
        }

        /**
         * Sets what {@code get()} does at the hard limit; {@link LimitPolicy#WAIT} by default.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder<T> limitPolicy(final LimitPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Turns checked mode on: side table, misuse detection and poisoning; see the class
         * documentation. Off by default.
         *
         * @param on whether to check
         * @return this builder
         */
        public Builder<T> checked(final boolean on) {
            this.checked = on;
            return this;
        }

        /**
         * Turns JMX registration on (the default) or off.
         *
         * @param on whether to register an MBean
         * @return this builder
         */
        public Builder<T> jmx(final boolean on) {
            this.jmx = on;
            return this;
        }

        /**
         * Bounds the number of per-thread stripes. The array starts at 2 and doubles on
         * contention up to this bound.
         *
         * @param n at least 1; rounded up to a power of two
         * @return this builder
         * @throws IllegalArgumentException if less than 1 or more than 2<sup>20</sup>
         */
        public Builder<T> maxStripes(final int n) {
            if (n < 1 || n > 1 << 20) {
                throw new IllegalArgumentException("pool '" + name + "': maxStripes " + n + " out of range");
            }
            this.maxStripes = ceilPow2(n);
            return this;
        }

        /**
         * Bounds the number of platform threads that get a cache of their own (two magazines
         * they use without any atomic instruction; see the class documentation). Threads
         * beyond the bound, and all virtual threads, use the stripes. 0 turns owned caches off.
         * They are also off where the process-wide barrier they need is unavailable (see
         * {@link Smr#fenceFreeReaders()}: the same conditions as lazy domains).
         *
         * @param n from 0 to {@value SmrPool#OWNED_CACHES_MAX}; rounded up to a power of two
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder<T> ownedCaches(final int n) {
            if (n < 0 || n > OWNED_CACHES_MAX) {
                throw new IllegalArgumentException("pool '" + name + "': ownedCaches " + n + " out of range [0, "
                        + OWNED_CACHES_MAX + "]");
            }
            this.ownedCaches = n == 0 ? 0 : ceilPow2(n);
            return this;
        }

        /**
         * Builds the pool, primes it to the low-water mark and registers its MBean, last. If
         * the factory or init throws while priming, the objects primed so far are finalised,
         * no MBean is registered, and the failure propagates: a failed build leaves nothing
         * behind.
         *
         * @return a new pool
         * @throws IllegalArgumentException if the marks and limit are inconsistent
         */
        public SmrPool<T> build() {
            if (lowat > hardLimit || hiwat < lowat) {
                throw new IllegalArgumentException("pool '" + name + "': need lowat (" + lowat + ") <= hiwat ("
                        + hiwat + ") and lowat <= hard limit (" + hardLimit + ")");
            }
            return new SmrPool<>(this);
        }
    }

    // ------------------------------------------------------------------ Stats

    /**
     * A snapshot of a pool's counters, as {@code vmstat -m} and {@code vmstat -z} show a zone.
     *
     * @param name             the pool's name
     * @param requests         {@code get()}/{@code tryGet()} calls
     * @param puts             {@code put()} calls accepted
     * @param failures         requests refused at the hard limit
     * @param created          objects made by the factory
     * @param finalised        objects released (fini run)
     * @param live             created minus finalised: handed out plus cached
     * @param cached           objects cached in every state (magazines, ready, pending)
     * @param batchesPending   tagged batches waiting for their goal
     * @param objectsPending   objects in those batches
     * @param oldestPendingAge how long the oldest pending batch has waited, zero when none
     * @param refills          magazines taken from the depot by {@code get}
     * @param waits            blocking waits on a goal or for a put
     * @param batchesQueued    tagged batches queued so far (one domain advance each, or fewer)
     * @param hookFailures     destruct, fini or poison hooks that threw (each counted once);
     *                         factory, init and construct failures propagate to the caller
     *                         instead and are not counted here
     * @param trims            working-set trims that gave objects back
     * @param stripes          per-thread stripes now
     * @param contention       stripe lock attempts that found the stripe busy
     * @param ownedCaches      platform threads with a cache of their own now (not revoked, not
     *                         yet swept after the thread died)
     */
    public record Stats(String name, long requests, long puts, long failures, long created, long finalised,
                        long live, long cached, int batchesPending, long objectsPending,
                        Duration oldestPendingAge, long refills, long waits, long batchesQueued,
                        long hookFailures, long trims, int stripes, long contention, int ownedCaches) {
    }

    // ------------------------------------------------------------------ VarHandle mechanics

    private static final VarHandle STRIPES;
    private static final VarHandle CLOSED;
    private static final VarHandle HEAD_TAG;
    private static final VarHandle READY_HINT;
    private static final VarHandle OWNED = MethodHandles.arrayElementVarHandle(Owned[].class);

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            STRIPES = lookup.findVarHandle(SmrPool.class, "stripes", Stripe[].class);
            CLOSED = lookup.findVarHandle(SmrPool.class, "closed", boolean.class);
            HEAD_TAG = lookup.findVarHandle(SmrPool.class, "headTag", long.class);
            READY_HINT = lookup.findVarHandle(SmrPool.class, "readyHint", int.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
