package org.smr4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

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
 * callers' threads when they queue a batch, never on a thread of its own. The
 * {@linkplain Builder#pendingLimit pending limit} bounds the objects awaiting their grace
 * period directly, whatever the number of live objects: a put that would exceed it makes the
 * oldest batch expire first (an expedited wait for its readers).
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
 * <h2>Double puts in unchecked pools</h2>
 * A double put (a second put of an object with no get of it between) would leave the object in
 * two places of the pool and have it handed out twice. Every pool refuses it with an
 * {@link IllegalStateException} naming the pool, the object's class and the thread, before
 * anything changes, on any thread and whatever the pool did with the first put's object
 * meanwhile (queued, expired, refilled, flushed), in one of three ways, from the cheapest:
 * <ul>
 *   <li><b>a state word</b> ({@link Builder#stateWord}), for a type that can spare an
 *       {@code int} field: the pool keeps the object's state in it, one compare-and-set per
 *       put and one store per get, O(1). It also refuses an object that is in another pool
 *       with a state word, or that this pool finalised.</li>
 *   <li><b>the held set</b>, the default of an unchecked pool without a state word: an
 *       identity set of the objects the pool holds (cached, pending or ready; a put adds, a
 *       get or a finalisation removes), one uncontended monitor and one identity-hash probe
 *       per put and per get, in segments so that threads rarely meet. It keeps no object
 *       reachable longer than the pool holds it anyway. It cannot refuse a put of an object
 *       the pool has already finalised, or of another pool's (it has no record of objects
 *       handed out): such an object is accepted as if it were the pool's.</li>
 *   <li><b>checked mode</b> ({@link Builder#checked}), the full detector (below).</li>
 * </ul>
 * {@link Builder#doublePutCheck doublePutCheck(false)} turns the held set off for callers who
 * promise no double put; then only a put of the object last put on the same cache (the same
 * thread, no put between) is refused. In every configuration the statistics never go
 * negative: when the pool finalises an object it did not count (an undetected double put, or
 * a foreign object), {@link Stats#live()} stays at 0 and the finalisation is not counted.
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
     * stripe lock, or in the owner's busy window), then, under the depot lock, tag the full
     * one with goal = smr.advance() (one advance per magazine, not per object) and append it
     * to PENDING. Advancing under the depot
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
     * The parts. This class is the map and the fast path; each layer below it is a
     * package-private class that can be read on its own with this overview beside it, as
     * UMA's uma_core.c separates the per-CPU cache, the zone's bucket cache and the keg:
     *
     *   SmrPool               the API, the cache layer's fast paths and slow paths (get: pop
     *                         ALLOC, miss, refill, create, limit; put: push FREE, full, queue),
     *                         flush/prime/reclaim/drain/close, stats() and checkInvariants()
     *                         gathered from the parts; the per-thread cache records Stripe and
     *                         Owned, which the fast paths touch directly; Builder, Stats.
     *   SmrPoolOwnedCaches    the owned-cache table: lookup, claim, the sweep of dead
     *                         owners' caches, and the collector's half of the hand-off.
     *   SmrPoolStripes        the stripe array: choice by thread id, probing, growth, and
     *                         emptying the stripes for flush, drain and close.
     *   SmrPoolDepot          PENDING and READY, their hints, tagging and trimming (UMA's zone
     *                         domain); under the same lock, live objects against the hard
     *                         limit, the waits at the limit, finalisation, and `closed`.
     *   SmrPoolHooks          the user's factory, init, destruct, fini and poison, and what a
     *                         failure of each does (construct runs on the fast path, here).
     *   SmrPoolCheckTable     checked mode's identity side table.
     *   PoolHeldSet           the held set of unchecked pools without a state word: the
     *                         objects the pool holds, by identity (shared with PserializePool).
     *   SmrPoolMagazine       the unit all of them move (UMA's bucket).
     *   SmrPoolJmx, SmrPoolEvents   the MBean and its registration; the JFR events.
     *   SmrPoolLayout         the padding of Stripe and Owned.
     *
     * Calls go down the list: SmrPool drives the cache layer (owned caches, stripes), both
     * hand magazines to the depot, the depot runs the hooks. Upward there are only the
     * record types Stripe and Owned (the cache layer's parts work on them), the depot's
     * once-per-trim-interval request to sweep dead owners (a Runnable given to it at
     * construction), and the MBean's reads of the pool's statistics.
     *
     * Invariants (checkInvariants() verifies 1, 2, 4, 5, 6 and 7 when the pool is quiescent):
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
     *     PENDING, READY for ALLOC and READY; its size equals live. Held set (unchecked, no
     *     state word): it holds exactly the objects of places other than "handed out" (an
     *     object enters it before it is stored in a FREE magazine or primed, and leaves it
     *     after it was taken out of an ALLOC magazine, or when it is finalised).
     *  6. An owned cache sits in its owner's home or alternative slot; `claimed` counts
     *     the slots whose cache is not revoked; a cache's magazines are touched only by its
     *     owner inside a busy window that began while request was NONE, or by a collector
     *     between its setting request and its release store of NONE (or for good, REVOKED).
     *  7. objectsPending (the objects of PENDING) <= pendingLimit (Builder.pendingLimit):
     *     the depot appends a batch only if it fits, and the queueing thread otherwise waits
     *     (expedited) for the head to expire, holding its magazine ("The pending limit" in
     *     SmrPoolDepot).
     * Non-invariants: headTag read without the lock may be stale (a stale valid tag is at or
     * before the real head's, so a successful poll of it is re-checked under the lock, unless
     * the head's tag is at or before a goal just seen reached); the stripe array only grows;
     * counters summed by stats() are not a consistent cut, and an owner's latest calls may be
     * missing from them; a slot's cache may belong to a thread that has died (until a sweep).
     * Which part keeps which invariant: 1 all of them together (checkInvariants visits
     * stripes, owned caches, then the depot); 2 the caches for FREE, the depot for PENDING;
     * 3, 4 and 7 the depot; 5 the check table; 6 the owned caches.
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
     * Owned caches (the fast path without atomics; the part SmrPoolOwnedCaches). A platform
     * thread may claim a cache of its own (an Owned, in a fixed, padded slot array indexed
     * by the thread id's low bits or a Fibonacci hash of it), which it uses with plain
     * accesses and no atomic instruction; other threads take what sits in it through a
     * hand-off that costs them one membarrier. The owner's half runs in this file (get, put,
     * install, the slow paths of both), the collector's half in SmrPoolOwnedCaches, whose
     * overview has the profile that motivated it, the reason for every access mode and the
     * proof (Dekker's, with the barrier on one side only). Per call:
     *
     *   owner (get/put/install, here)              collector (SmrPoolOwnedCaches.collect:
     *                                                drain, flush, limit, close)
     *   c = slot[home] or slot[alt], ownerId == me  request = HELD or REVOKED   (volatile)
     *   busy = 1                     (opaque)       membarrier(PRIVATE_EXPEDITED), once
     *   if request == NONE           (acquire)      wait until busy == 0        (acquire)
     *       plain pop/push on the magazines         take the magazines, swap in new ones
     *   busy = 0 (in finally)        (release)      request = NONE              (release)
     *   else: use the stripes for this call         (REVOKED stays: close)
     *
     * A window is a few dozen instructions with no allocation, no lock, no call and no user
     * code between its first and last magazine write, and busy is reset in a finally, so a
     * collector never waits for user code. The cache keeps each installed magazine's items
     * array and count in its own fields (allocItems, allocCount; freeItems, freeCount), so
     * the fast path loads one object fewer; a magazine's own count is brought up to date when
     * it leaves the cache (Owned.uninstallAlloc/uninstallFree).
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
     * never reaches them. SmrPoolDepot.deferredNudge() moves the write sequence up to the
     * head's tag (one CAS, Smr.forceWrSeq, as smr_poll's waiting path does) when it is still
     * ahead, then polls again.
     *
     * Closing. close() sets the depot's `closed` (release, under the depot lock), then
     * revokes the owned caches and takes every stripe lock in turn; a get/put re-reads
     * `closed` under its stripe lock, so either close() finds its object in the stripe or it
     * sees `closed` and throws. Threads already past that point (a put that
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
     * This file: configuration and fields; get (fast path, miss, install); put (fast path,
     * full magazines); flush; reclaim, drain, close; checks; statistics; the records Stripe
     * and Owned; Builder and Stats.
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
    /** Owned cache request state NONE (SmrPoolOwnedCaches), compared on every owned fast path. */
    private static final int NONE = SmrPoolOwnedCaches.NONE;

    private final String name;
    private final Smr smr;
    private final int magazineSize;
    private final long lowat;
    private final long hardLimit;
    /** Builder.pendingLimit; Long.MAX_VALUE = none. Enforced by the depot (its invariant 7). */
    private final long pendingLimit;
    private final LimitPolicy policy;
    private final boolean checked;
    /** Run at every hand-out, on the fast path: kept here; the other hooks are in SmrPoolHooks. */
    private final @Nullable Consumer<? super T> construct;
    /** Checked mode only: the identity side table; null otherwise. */
    private final @Nullable SmrPoolCheckTable table;
    /** The objects' state word (Builder.stateWord), or null: O(1) double-put detection. */
    private final @Nullable StateWord<? super T> state;
    /** What {@link #state} holds while an object is in this pool: unique per pool, never 0. */
    private final int stateId;
    /**
     * Unchecked pools without a state word (unless Builder.doublePutCheck(false)): the objects
     * the pool holds, by identity, so that a double put is refused; null otherwise.
     */
    private final @Nullable PoolHeldSet held;

    // The parts, top down (see "The parts" in the overview).
    /**
     * The owned-cache slot table, which {@link #ownedCaches} writes (under its lock, with
     * release stores): the fast path's own reference to it, read plain (cacheOf).
     */
    private final @Nullable Owned[] owned;
    private final SmrPoolOwnedCaches ownedCaches;
    private final SmrPoolStripes stripes;
    private final SmrPoolDepot<T> depot;

    /** Requests refused at the hard limit (Stats.failures). A LongAdder, off the fast path. */
    private final LongAdder failures = new LongAdder();
    private final Mbeans.@Nullable Registration mbean;
    /** Membership of the periodic JFR statistics; see Periodic. */
    private final Periodic.Handle periodic;
    /** Whether the pool created its domain (and so closes it). */
    private final boolean ownsSmr;

    private SmrPool(final Builder<T> b) {
        this.name = b.name;
        final Smr given = b.smr;
        this.ownsSmr = given == null;
        this.smr = given == null ? Smr.builder(b.name).jmx(b.jmx).build() : given;
        this.magazineSize = b.magazineSize;
        this.lowat = b.lowat;
        this.hardLimit = b.hardLimit;
        this.pendingLimit = b.pendingLimit;
        this.policy = b.policy;
        this.checked = b.checked;
        this.construct = b.construct;
        this.table = checked ? new SmrPoolCheckTable(b.name) : null;
        this.state = b.state;
        this.stateId = nextStateId();
        this.held = !checked && b.state == null && b.doublePutCheck ? new PoolHeldSet(PoolHeldSet.defaultSegments()) : null;
        final SmrPoolHooks<T> hooks = new SmrPoolHooks<>(b.name, b.factory, b.init, b.fini, b.destruct,
                checked ? b.poison : null);
        // Owned caches need the process-wide barrier for their hand-off; without it the
        // owner would need a store-load fence per call, which costs what the stripe lock does.
        final boolean ownedEnabled = b.ownedCaches > 0 && AsymmetricFence.available();
        this.depot = new SmrPoolDepot<>(b.name, smr, hooks, table, held, b.lowat, b.hiwat, b.trimInterval.toNanos(),
                b.hardLimit, b.pendingLimit, ownedEnabled, this::sweepOwned);
        this.stripes = new SmrPoolStripes(b.name, magazineSize, b.maxStripes);
        this.ownedCaches = new SmrPoolOwnedCaches(b.name, magazineSize, smr, depot, ownedEnabled ? b.ownedCaches : 0);
        this.owned = ownedCaches.slots();
        if (b.lowat > 0) {
            primeAtBuild((int) Math.min(b.lowat, Integer.MAX_VALUE));
        }
        // ORDER: release fence, as a constructor publishing plain fields that other threads
        // read through VarHandles: the pool escapes only through the caller's publication,
        // which is safe for final fields; this covers the non-final ones too (the parts'
        // fields among them). Before the MBean registration, which publishes the pool to JMX
        // threads.
        VarHandle.releaseFence();
        // Last: a build that fails (priming above) leaves no MBean holding an unreachable pool.
        this.mbean = b.jmx ? SmrPoolJmx.register(this) : null;
        this.periodic = Periodic.add(Periodic.Kind.SMR_POOL, this);
    }

    /** The depot's once-per-trim-interval request: retire the caches of threads that died. */
    private void sweepOwned() {
        ownedCaches.sweep();
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
                depot.release(0, false);
            } catch (final Throwable cleanup) {
                e.addSuppressed(cleanup);
            }
            if (ownsSmr) {
                smr.close(); // nobody can reach the domain either: its MBean goes now, not at the next GC
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
     * @throws NullPointerException if an argument is null ({@code "name"}, {@code "factory"})
     * @throws IllegalArgumentException if {@code name} is empty
     */
    public static <T> Builder<T> builder(final String name, final Supplier<? extends T> factory) {
        return new Builder<>(Smr.checkName(name), Objects.requireNonNull(factory, "factory"));
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
    @SuppressWarnings("NullAway") // take(true) returns null only when it may not block
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
    public @Nullable T tryGet() {
        return take(false);
    }

    /** get() and tryGet(): the owned fast path, else the striped one, else the slow path. */
    private @Nullable T take(final boolean block) {
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
            // volatile store of request and its membarrier (SmrPoolOwnedCaches.collect); the
            // JIT keeps the two in order (MemBarCPUOrder), membarrier orders them for the CPU.
            c.setBusyOpaque(1);
            try {
                if (c.requestAcquire() == NONE) {
                    none = true;
                    c.requests++;
                    final int n = c.allocCount - 1;
                    if (n >= 0) {
                        final @Nullable Object[] items = c.allocItems;
                        o = items[n];
                        items[n] = null;
                        c.allocCount = n;
                    }
                }
            } finally {
                // ORDER: release; our magazine writes are visible to a collector that reads
                // busy == 0 with acquire (Owned.awaitIdle). In finally: see "Owned caches".
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

    /** The calling thread's owned cache, or null: two plain probes (SmrPoolOwnedCaches.cacheOf). */
    private @Nullable Owned ownedCache() {
        return SmrPoolOwnedCaches.cacheOf(owned);
    }

    /** The striped fast path: virtual threads, and platform threads without an owned cache. */
    @SuppressWarnings("NullAway") // a magazine's slots below its count hold objects
    private @Nullable T getFast() {
        final Stripe s = stripes.lock();
        if (depot.closedOpaque()) {
            s.unlock();
            throw closedException("get()", null);
        }
        s.requests++;
        final SmrPoolMagazine a = s.alloc;
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
        if (table != null) { // checked pools
            table.handOut(o, fresh);
        } else if (held != null && !fresh) {
            held.remove(o); // it leaves the pool: a put of it is a first put again
        }
        @SuppressWarnings("unchecked")
        final T obj = (T) o;
        if (state != null) {
            // ORDER: release; the object reaches a later put (of any thread) only through the
            // caller's own publication, which orders this store before that put's CAS anyway.
            state.setRelease(obj, 0);
        }
        if (construct != null) {
            try {
                construct.accept(obj);
            } catch (final Throwable e) { // checked ones too (a sneaky throw): never lose the object
                depot.finalise(obj, false); // fini (and poison); the failure itself goes to the caller
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
    private @Nullable T getSlow(final boolean block, final @Nullable Owned claimed) {
        Owned c = claimed;
        if (c == null) {
            c = ownedCaches.tryClaim();
        }
        // The owner's FREE magazine is usually full when its ALLOC one runs dry (gets and puts
        // alternate): queue it in the same depot visit, one lock instead of two per magazine.
        // With a pending limit, only if the depot seems to have room for it (a racy hint;
        // queueing re-checks and, if another thread took the room meanwhile, waits for it),
        // and never for tryGet: a get below the hard limit prefers creating to waiting.
        SmrPoolMagazine full = c != null && (pendingLimit == Long.MAX_VALUE
                || (block && policy == LimitPolicy.WAIT && depot.roomHint(magazineSize))) ? takeFullFree(c) : null;
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
                final SmrPoolMagazine m = depot.fetch(full);
                full = null;
                if (m != null && m.count == 0) {
                    continue; // every object of the batch was dropped by a failing destruct
                }
                if (m != null) {
                    source = m.tag == SmrSeq.INVALID ? "ready" : "batch";
                    objects = m.count;
                    return install(m, c);
                }
                final T fresh = depot.tryCreate();
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
                if (depot.closedAcquire()) {
                    throw closedException("get()", null);
                }
                if (!flushed && !inSection) {
                    flushed = true;
                    // With a pending limit, a caller that must not wait (tryGet, FAIL) leaves the
                    // FREE magazines where they are: queueing them might wait for room.
                    final boolean takeFree = pendingLimit == Long.MAX_VALUE || (block && policy == LimitPolicy.WAIT);
                    if (flushCaches(true, false, takeFree) > 0) {
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
                interrupted |= depot.awaitProgress();
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
    @SuppressWarnings("NullAway") // a magazine's slots below its count hold objects
    private T install(final SmrPoolMagazine m, final @Nullable Owned c) {
        final int n = m.count - 1;
        final Object o = m.items[n];
        m.items[n] = null;
        m.count = n;
        m.tag = SmrSeq.INVALID;
        if (n > 0 && c != null) {
            SmrPoolMagazine empty = null;
            // ORDER: the busy window, as in get(): a collector either waits for it or made us
            // see its request.
            c.setBusyOpaque(1);
            try {
                if (c.requestAcquire() == NONE && c.allocCount == 0) {
                    empty = c.alloc;
                    c.alloc = m;
                    c.allocItems = m.items;
                    c.allocCount = n;
                }
            } finally {
                c.setBusyRelease(0); // ORDER: release, as in get()
            }
            if (empty == null) {
                depot.pushReady(m); // finalises it if the pool closed
            } else if (c.spare == null && empty.items.length == magazineSize) {
                empty.count = 0; // its count went stale while installed; its slots are null
                c.spare = empty; // owner-only field: no window needed
            }
        } else if (n > 0) {
            final Stripe s = stripes.lock();
            if (depot.closedOpaque()) {
                s.unlock();
                depot.finaliseAll(m, false);
            } else if (s.alloc.count == 0) {
                if (s.spare == null) {
                    s.spare = s.alloc;
                }
                s.alloc = m;
                s.unlock();
            } else {
                s.unlock();
                depot.pushReady(m);
            }
        }
        return handOut(o, false);
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
     * @throws NullPointerException if {@code obj} is null (the message starts with {@code obj}
     *         and names the pool)
     * @throws IllegalStateException if the pool is closed; if the call would advance the
     *         domain from inside one of its read sections (always, when checked); checked
     *         pools also for a double put or an object from another pool; pools with a
     *         {@linkplain Builder#stateWord state word} for a double put or an object in
     *         another such pool; other unchecked pools for a put of an object the pool holds
     *         (its held set), or with {@link Builder#doublePutCheck doublePutCheck(false)} of
     *         the object last put on the caller's cache (see "Double puts in unchecked pools")
     */
    public void put(final T obj) {
        if (obj == null) {
            throw new NullPointerException("obj: pool '" + name + "': put(null) (thread " + Thread.currentThread() + ")");
        }
        if (table != null) { // checked pools
            checkNotInSection("put()", obj);
            if (depot.closedAcquire()) {
                throw closedException("put()", obj);
            }
            table.put(obj);
        }
        if (state != null) {
            markPut(obj);
        } else if (held != null && !held.add(obj)) {
            throw heldDoublePut(obj); // nothing changed: the set refused it
        }
        final Owned c = ownedCache();
        if (c != null) {
            boolean none = false;
            boolean done = false;
            boolean repeated = false;
            // ORDER: the busy window, as in get().
            c.setBusyOpaque(1);
            try {
                if (c.requestAcquire() == NONE) {
                    none = true;
                    final @Nullable Object[] items = c.freeItems;
                    final int n = c.freeCount;
                    if (n < items.length) {
                        done = true;
                        if (n > 0 && items[n - 1] == obj) {
                            repeated = true; // refused below, after the window; nothing stored
                        } else {
                            items[n] = obj;
                            c.freeCount = n + 1;
                            c.puts++;
                        }
                    }
                }
            } finally {
                c.setBusyRelease(0); // ORDER: release, as in get()
            }
            if (done) {
                if (repeated) {
                    throw repeatedPut(obj);
                }
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
        final Stripe s = stripes.lock();
        if (depot.closedOpaque()) {
            s.unlock();
            unput(obj);
            throw closedException("put()", obj);
        }
        final SmrPoolMagazine f = s.free;
        final int n = f.count;
        if (n > 0 && f.items[n - 1] == obj) {
            s.unlock();
            throw repeatedPut(obj);
        }
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
            unput(obj);
            throw inSection("put()", obj);
        }
        SmrPoolMagazine empty = c.spare;
        if (empty == null) {
            try {
                empty = new SmrPoolMagazine(magazineSize);
            } catch (final Error e) { // OutOfMemoryError: nothing changed yet
                unput(obj);
                throw e;
            }
        }
        c.spare = null; // owner-only field
        SmrPoolMagazine full = null;
        boolean held = true;
        empty.items[0] = obj; // not yet visible to anyone: the magazine is ours
        // ORDER: the busy window, as in get().
        c.setBusyOpaque(1);
        try {
            if (c.requestAcquire() == NONE) {
                held = false;
                final @Nullable Object[] items = c.freeItems;
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
            depot.enqueue(full);
        }
    }

    /**
     * A get miss of an owner: if its FREE magazine is full, swaps in an empty one (in a busy
     * window) and returns the full one for fetch to queue; else null. Not inside a read
     * section (queueing advances), and only a hint-guided attempt: the racy plain reads below
     * may see a collector's writes half-way, the window re-checks.
     */
    private @Nullable SmrPoolMagazine takeFullFree(final Owned c) {
        if (c.freeCount != c.freeItems.length || smr.entered()) {
            return null;
        }
        SmrPoolMagazine empty = c.spare;
        if (empty == null) {
            empty = new SmrPoolMagazine(magazineSize);
        }
        c.spare = null; // owner-only field
        SmrPoolMagazine full = null;
        // ORDER: the busy window, as in get().
        c.setBusyOpaque(1);
        try {
            if (c.requestAcquire() == NONE) {
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
            unput(obj);
            throw inSection("put()", obj);
        }
        final SmrPoolMagazine full = s.free;
        SmrPoolMagazine empty = s.spare;
        if (empty == null) {
            try {
                empty = new SmrPoolMagazine(magazineSize);
            } catch (final Error e) { // OutOfMemoryError: never leave the stripe locked
                s.unlock();
                unput(obj);
                throw e;
            }
        }
        s.spare = null;
        empty.items[0] = obj;
        empty.count = 1;
        s.free = empty;
        s.puts++;
        s.unlock();
        depot.enqueue(full);
        ownedCaches.tryClaim(); // a platform thread's next puts go to a cache of its own, if a slot is free
    }

    /**
     * Moves what sits in stripes and owned caches to the depot: with {@code takeFree}, partial
     * (or full) FREE magazines are tagged with one advance and queued (waiting for room under a
     * pending limit); with {@code takeAlloc}, ALLOC magazines go to READY (or, with
     * {@code finaliseAlloc}, are finalised). Caches of dead threads are retired on the way
     * (their ALLOC and FREE magazines always leave). Returns the number
     * of objects tagged, plus with {@code takeAlloc} those of ALLOC magazines. Never call
     * inside a read section (it advances).
     */
    private long flushCaches(final boolean takeAlloc, final boolean finaliseAlloc, final boolean takeFree) {
        final List<SmrPoolMagazine> frees = new ArrayList<>();
        final List<SmrPoolMagazine> allocs = new ArrayList<>();
        ownedCaches.collect(takeAlloc, takeFree, false, frees, allocs);
        stripes.collect(takeAlloc, takeFree, frees, allocs);
        long moved = 0;
        for (final SmrPoolMagazine m : allocs) {
            if (takeAlloc) {
                moved += m.count; // else only dead owners' magazines: not counted by flush()
            }
            if (finaliseAlloc) {
                depot.finaliseAll(m, false);
            } else {
                depot.pushReady(m);
            }
        }
        if (!frees.isEmpty()) {
            for (final SmrPoolMagazine m : frees) {
                moved += m.count;
            }
            depot.enqueueAll(frees);
        }
        return moved;
    }

    /** For tests: whether the calling thread has an owned cache that is not revoked. */
    boolean ownsCache() {
        return ownedCaches.owns();
    }

    /** For tests: whether owned caches are on for this pool. */
    boolean ownedCachesEnabled() {
        return ownedCaches.enabled();
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
        if (depot.closedAcquire()) {
            return 0;
        }
        return flushCaches(false, false, true);
    }

    /**
     * Creates objects (factory and init, no construct) until {@code n} more are cached, or the
     * hard limit is reached, as {@code pool_prime(9)} does. They are handed out before any
     * recycled ones. If the factory or init throws, the objects made before stay cached and
     * the failure propagates.
     *
     * <p>A request that no pool of these limits could meet is refused before anything is
     * created: {@code n} above the hard limit, or above what the heap can hold at
     * {@value #MIN_OBJECT_BYTES} bytes an object (the smallest object with compact headers
     * and its magazine slot; see {@link Builder#lowat(long)}). A request the limits allow stops
     * early when the live objects reach the hard limit.
     *
     * @param n how many objects to add, from 0 to the least of the hard limit and
     *        {@code Runtime.maxMemory() / }{@value #MIN_OBJECT_BYTES}
     * @return how many were created (fewer than {@code n} at the hard limit)
     * @throws IllegalArgumentException if {@code n} is out of that range
     * @throws IllegalStateException if the pool is closed, or if called inside a read section
     *         of the domain
     */
    public int prime(final int n) {
        final long max = primeLimit(hardLimit);
        if (n < 0 || n > max) {
            throw new IllegalArgumentException(primeRange("pool '" + name + "': prime n", n, hardLimit));
        }
        checkNotInSection("prime()", null); // as the class comment promises ("Read sections")
        if (depot.closedAcquire()) {
            throw closedException("prime()", null);
        }
        int made = 0;
        SmrPoolMagazine m = new SmrPoolMagazine(magazineSize);
        try {
            while (made < n) {
                final T obj = depot.tryCreate();
                if (obj == null) {
                    break;
                }
                if (table != null) { // checked pools
                    table.primed(obj);
                }
                if (state != null) {
                    state.setRelease(obj, stateId); // cached: a put of it now is a double put
                } else if (held != null) {
                    held.add(obj); // cached: a put of it now is a double put
                }
                m.items[m.count++] = obj;
                made++;
                if (m.count == magazineSize) {
                    depot.pushReady(m);
                    m = new SmrPoolMagazine(magazineSize);
                }
            }
        } finally {
            // Also when the factory or init threw: what was made before is cached, not lost.
            if (m.count > 0) {
                depot.pushReady(m);
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
        return depot.release(lowat, false);
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
        final long before = depot.finalised();
        if (!depot.closedAcquire()) {
            flushCaches(true, true, true);
        }
        depot.release(0, false);
        return depot.finalised() - before;
    }

    /**
     * Closes the pool: afterwards {@code get}, {@code put} and {@code prime} throw
     * {@link IllegalStateException} naming the pool. Tags everything cached with one advance,
     * waits until no reader can hold any of it, then runs destruct (where pending) and fini on
     * every cached object, unregisters the MBean and the JFR statistics and, if the pool
     * created its domain, {@linkplain Smr#close() closes} the domain (a shared domain is left
     * open). Objects still handed out are not finalised by the
     * pool (their holders own them). Idempotent: later calls return at once.
     *
     * <p>Progress: blocking (it waits for readers).
     *
     * @throws IllegalStateException if called inside a read section of the domain
     */
    @Override
    public void close() {
        checkNotInSection("close()", null);
        if (!depot.close()) {
            return;
        }
        // Owned caches are revoked (their owners fall back to the stripes, which throw), and
        // with the stripes: ALLOC magazines are finalised now; FREE ones are collected and
        // tagged.
        final List<SmrPoolMagazine> frees = new ArrayList<>();
        final List<SmrPoolMagazine> allocs = new ArrayList<>();
        ownedCaches.collect(true, true, true, frees, allocs);
        for (final SmrPoolMagazine a : allocs) {
            depot.finaliseAll(a, false);
        }
        stripes.close(frees, a -> depot.finaliseAll(a, false));
        if (!frees.isEmpty()) {
            final long tag = smr.advance();
            depot.waitForGoal(tag);
            for (final SmrPoolMagazine m : frees) {
                depot.finaliseAll(m, true);
            }
        }
        depot.release(0, true);
        Mbeans.unregister(mbean);
        periodic.remove();
        if (ownsSmr) {
            smr.close();
        }
    }

    /**
     * Returns whether {@link #close()} has been called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return depot.closedAcquire();
    }

    // ------------------------------------------------------------------ checks

    /** Source of {@link #stateId}: one per pool, skipping 0 (the word's "not in a pool"). */
    private static final java.util.concurrent.atomic.AtomicInteger STATE_IDS =
            new java.util.concurrent.atomic.AtomicInteger();

    private static int nextStateId() {
        int id;
        do {
            id = STATE_IDS.incrementAndGet();
        } while (id == 0);
        return id;
    }

    /**
     * The state word's half of put: 0 (handed out) becomes this pool's id with one CAS, so
     * that of two puts of an object, racing or not, exactly one wins. Refuses, changing
     * nothing, an object the word says is already in this pool (a double put, or a put after
     * the pool finalised it) or in another pool.
     */
    @SuppressWarnings("NullAway") // called only when state != null
    private void markPut(final T obj) {
        final int was = state.compareAndExchange(obj, 0, stateId);
        if (was != 0) {
            if (table != null) { // checked pools
                table.unput(obj); // the table accepted it (it said OUT): nothing changes after all
            }
            throw doublePut(obj, was);
        }
    }

    private IllegalStateException doublePut(final T obj, final int was) {
        return new IllegalStateException("pool '" + name + "': " + (was == stateId
                ? "double put of an object of " + obj.getClass().getName()
                        + ": its state word says it is already in this pool (put and not handed out"
                        + " since, or finalised)"
                : "put of an object of " + obj.getClass().getName() + " whose state word says it is in another"
                        + " pool (state " + was + ", this pool's is " + stateId + ")")
                + " (thread " + Thread.currentThread() + ")");
    }

    /**
     * The one double put an unchecked pool without a state word can see at no cost: the
     * object is the last one put on the caller's cache (one compare with a slot the put
     * touches anyway). Checked pools, state words and the held set refuse it earlier, so
     * this is reached only with doublePutCheck(false), and nothing was marked.
     */
    private IllegalStateException repeatedPut(final T obj) {
        return new IllegalStateException("pool '" + name + "': double put of an object of " + obj.getClass().getName()
                + ": it is the last object put on this thread's cache (a pool built with doublePutCheck(false)"
                + " detects only this case; see Builder.stateWord) (thread " + Thread.currentThread() + ")");
    }

    /**
     * An unchecked pool without a state word refuses a put of an object it holds (its held
     * set; see "Double puts in unchecked pools").
     */
    private IllegalStateException heldDoublePut(final T obj) {
        return new IllegalStateException("pool '" + name + "': double put of an object of " + obj.getClass().getName()
                + ": the pool already holds it (put and not handed out since) (thread " + Thread.currentThread() + ")");
    }

    /** Undoes put's marks (checked table, state word, held set) when the put is refused after them. */
    private void unput(final T obj) {
        if (table != null) { // checked pools
            table.unput(obj);
        }
        if (state != null) {
            state.setRelease(obj, 0);
        }
        if (held != null) {
            held.remove(obj);
        }
    }

    private void checkNotInSection(final String what, final @Nullable Object obj) {
        if (smr.entered()) {
            throw inSection(what, obj);
        }
    }

    private IllegalStateException inSection(final String what, final @Nullable Object obj) {
        return new IllegalStateException("pool '" + name + "': " + what
                + (obj == null ? "" : " of an object of " + obj.getClass().getName())
                + " inside a read section of domain '" + smr.name()
                + "' (it may advance or wait on the domain, which would wait for itself; thread "
                + Thread.currentThread() + ")");
    }

    private IllegalStateException closedException(final String what, final @Nullable Object obj) {
        return new IllegalStateException("pool '" + name + "': " + what
                + (obj == null ? "" : " of an object of " + obj.getClass().getName())
                + " after close() (thread " + Thread.currentThread() + ")");
    }

    /**
     * For tests: verifies invariants 1, 2, 4 and 5 of the overview. Call only while no other
     * thread uses the pool. Throws {@link AssertionError} naming the broken invariant.
     */
    @SuppressWarnings("IdentityHashMapUsage") // the checks pass it on as a Map; identity is what they track
    void checkInvariants() {
        final Map<Object, String> where = new IdentityHashMap<>();
        stripes.check(where);
        ownedCaches.check(where);
        depot.check(where);
        if (held != null) {
            held.check(name, where);
        }
    }

    /** For tests: the held set (unchecked pools without a state word), or null. */
    @Nullable PoolHeldSet heldSet() {
        return held;
    }

    // ------------------------------------------------------------------ statistics

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
        final SmrPoolStripes.Counts s = stripes.counts();
        final SmrPoolOwnedCaches.Counts o = ownedCaches.counts();
        final SmrPoolDepot.Snapshot d = depot.snapshot();
        return new Stats(name, s.requests() + o.requests(), s.puts() + o.puts(), failures.sum(), depot.created(),
                depot.finalised(), depot.live(), s.cached() + o.cached() + d.cached(), d.batches(),
                d.objectsPending(), Duration.ofNanos(d.ageNanos()), d.refills(), depot.waits(), d.queued(),
                depot.hookFailures(), depot.trims(), s.stripes(), stripes.contention(), o.caches());
    }

    /** For the MBean: requests refused at the hard limit. */
    long limitFailures() {
        return failures.sum();
    }

    /** For the MBean. */
    long hardLimit() {
        return hardLimit;
    }

    /**
     * Returns the name under which this pool's MBean is registered.
     *
     * @return the object name ({@code org.smr4j:type=SmrPool,name=<name>}, with
     *         {@code ,instance=<n>} appended if another pool of the same name is registered),
     *         or null if JMX registration was disabled or failed
     */
    public @Nullable String mbeanName() {
        return Mbeans.nameOf(mbean);
    }

    /** The periodic JFR hook (Periodic): this pool's statistics. */
    void emitStatistics() {
        final SmrEvents.SmrPoolStatistics e = new SmrEvents.SmrPoolStatistics();
        if (e.shouldCommit()) {
            final Stats s = stats();
            e.pool = name;
            e.requests = s.requests();
            e.puts = s.puts();
            e.failures = s.failures();
            e.created = s.created();
            e.live = s.live();
            e.cached = s.cached();
            e.batchesPending = s.batchesPending();
            e.objectsPending = s.objectsPending();
            e.oldestPendingAge = s.oldestPendingAge().toNanos();
            e.waits = s.waits();
            e.commit();
        }
    }

    @Override
    public String toString() {
        return "SmrPool[" + name + ", smr=" + smr.name() + ", live=" + depot.live()
                + (depot.closedAcquire() ? ", closed" : "") + "]";
    }

    /**
     * The least heap one cached object can take: 8 bytes for the smallest object with compact
     * headers ({@code -XX:+UseCompactObjectHeaders}) and 4 for its slot in a magazine
     * (compressed references). A prime or low-water mark that needs more heap than
     * {@code Runtime.maxMemory()} at this rate cannot be met and is refused before anything is
     * created, rather than running for seconds into {@link OutOfMemoryError}.
     */
    static final int MIN_OBJECT_BYTES = 12;

    /** The largest prime or low-water mark a pool with this hard limit can meet (see MIN_OBJECT_BYTES). */
    static long primeLimit(final long hardLimit) {
        return Math.min(Math.min(hardLimit, Integer.MAX_VALUE), Runtime.getRuntime().maxMemory() / MIN_OBJECT_BYTES);
    }

    /** {@code what must be in [0, max] (...), was n}: the range message of prime and lowat. */
    static String primeRange(final String what, final long n, final long hardLimit) {
        return what + " must be in [0, " + primeLimit(hardLimit) + "] (the least of the hard limit "
                + (hardLimit == Long.MAX_VALUE ? "(none)" : Long.toString(hardLimit)) + ", 2^31 - 1 and the "
                + "heap's max " + Runtime.getRuntime().maxMemory() + " bytes / " + MIN_OBJECT_BYTES
                + " bytes an object), was " + n;
    }

    private static int ceilPow2(final int n) {
        return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    // ------------------------------------------------------------------ the per-thread cache records

    /** One per-thread cache: an ALLOC and a FREE magazine under a spin lock. */
    static final class Stripe extends SmrPoolLayout.StripePad1 {
        Stripe(final int magazineSize) {
            this.alloc = new SmrPoolMagazine(magazineSize);
            this.free = new SmrPoolMagazine(magazineSize);
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
                if (spins < SmrPoolDepot.LOCK_SPINS) {
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
     * request / membarrier / busy hand-off (SmrPoolOwnedCaches.collect). See "Owned caches" in the overview.
     */
    static final class Owned extends SmrPoolLayout.OwnedPad1 {
        Owned(final Thread owner, final int magazineSize) {
            super(owner);
            final SmrPoolMagazine a = new SmrPoolMagazine(magazineSize);
            final SmrPoolMagazine f = new SmrPoolMagazine(magazineSize);
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
        SmrPoolMagazine uninstallAlloc(final SmrPoolMagazine m) {
            final SmrPoolMagazine old = alloc;
            old.count = allocCount;
            alloc = m;
            allocItems = m.items;
            allocCount = m.count;
            return old;
        }

        /** As {@link #uninstallAlloc}, for the FREE magazine. */
        SmrPoolMagazine uninstallFree(final SmrPoolMagazine m) {
            final SmrPoolMagazine old = free;
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
                if (spins < SmrPoolDepot.LOCK_SPINS) {
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

        /** Under the owned lock only (the lock orders it), or where a stale value is harmless. */
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
        private @Nullable Smr smr;
        private @Nullable Consumer<? super T> init;
        private @Nullable Consumer<? super T> fini;
        private @Nullable Consumer<? super T> construct;
        private @Nullable Consumer<? super T> destruct;
        private @Nullable Consumer<? super T> poison;
        private int magazineSize = MAGAZINE_SIZE_DEFAULT;
        private long lowat;
        private long hiwat = Long.MAX_VALUE;
        private Duration trimInterval = TRIM_INTERVAL_DEFAULT;
        private long hardLimit = Long.MAX_VALUE;
        private long pendingLimit = Long.MAX_VALUE;
        private LimitPolicy policy = LimitPolicy.WAIT;
        private boolean checked;
        private boolean jmx = true;
        private int maxStripes = MAX_STRIPES_DEFAULT;
        private int ownedCaches = OWNED_CACHES_DEFAULT;
        private @Nullable StateWord<? super T> state;
        private boolean doublePutCheck = true;

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
                        + " out of range [1, " + MAGAZINE_SIZE_MAX + "] (size must be in [1, " + MAGAZINE_SIZE_MAX
                        + "], was " + size + ")");
            }
            this.magazineSize = size;
            return this;
        }

        /**
         * Sets the low-water mark: objects created at build ({@link SmrPool#prime}) and kept by
         * {@link SmrPool#reclaim()} ({@code pool_setlowat}). A mark that no pool can meet is
         * refused here; one above the hard limit or the high-water mark set on this builder
         * is refused by {@link #build()}, before the pool or its domain is created.
         *
         * @param n from 0 to the least of 2<sup>31</sup> - 1 and
         *        {@code Runtime.maxMemory() / 12} (the least heap an object takes, see
         *        {@link SmrPool#prime(int)}); at most the hard limit and the high-water mark
         * @return this builder
         * @throws IllegalArgumentException if out of that range
         */
        public Builder<T> lowat(final long n) {
            if (n < 0 || n > primeLimit(Long.MAX_VALUE)) {
                throw new IllegalArgumentException(primeRange("pool '" + name + "': lowat", n, Long.MAX_VALUE));
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
                throw new IllegalArgumentException("pool '" + name + "': hiwat must be in [0, " + Long.MAX_VALUE + "], was " + n);
            }
            this.hiwat = n;
            return this;
        }

        /**
         * Sets the working-set trim interval: about once per interval (checked when a batch is
         * queued, so no thread is needed), half of the objects that sat unused in the shared
         * depot for the whole interval are finalised, as far as they have expired and down to
         * the low-water mark, so an idle excess decays geometrically. This returns what a burst, or a
         * reader that stalled, made the pool create.
         * {@link Duration#ZERO} turns it off. Default {@link SmrPool#TRIM_INTERVAL_DEFAULT}.
         *
         * @param interval zero or positive
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder<T> trimInterval(final Duration interval) {
            if (Objects.requireNonNull(interval, "interval").isNegative()) {
                throw new IllegalArgumentException("pool '" + name + "': trim interval must be zero or positive, was "
                        + interval);
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
                throw new IllegalArgumentException("pool '" + name + "': hard limit must be in [1, " + Long.MAX_VALUE
                        + "], was " + n);
            }
            this.hardLimit = n;
            return this;
        }

        /**
         * Bounds the objects awaiting their grace period in the shared depot: at every instant
         * the tagged batches waiting for their goals hold at most {@code n} objects
         * ({@link Stats#objectsPending()} never exceeds it), whatever the number of live
         * objects. When queueing a batch (a full FREE magazine) would exceed it, the thread
         * that queues it first makes the oldest batch expire: it waits for the batch's goal,
         * expedited, as {@code synchronize_rcu_expedited} does (a deferred domain's write
         * sequence is moved to the goal at once; a lazy domain's is moved up to one tick past
         * its clock and the process-wide barrier is paid now instead of at the next tick),
         * spinning briefly and then parking, moves every expired batch to the ready stack and
         * queues its own. Puts never fail at this limit, whatever the {@link #limitPolicy
         * limit policy} (as {@code uma_zfree_smr} cannot fail); they wait, so a reader stalled
         * inside a section stops the writers instead of making the pool grow. A
         * {@link SmrPool#tryGet()}, and a {@code get()} with {@link LimitPolicy#FAIL}, do not
         * wait for it: they do not queue their cache's full magazine, and at the hard limit they
         * flush only the other caches' ALLOC magazines, not their FREE ones (except the caches
         * of threads that died, which are recovered whole). Since the limit is at least one magazine, a put always finds room
         * once its readers have left their sections.
         *
         * <p>Slack, exactly: objects put but not yet in a batch are not pending in this sense.
         * They are in the FREE magazine still filling of a cache (at most
         * {@linkplain #magazineSize magazine size} objects in each of the pool's
         * {@link Stats#stripes()} stripes and {@link Stats#ownedCaches()} owned caches), or in
         * the full magazine a thread holds while it waits for room (at most one magazine per
         * waiting thread). So the objects put and not yet reusable are at most
         * {@code n + magazineSize * (stripes + ownedCaches + threads waiting in put)}.
         * A refill ({@code get} finding its cache empty) that finds more than
         * {@code max(lowat, n)} expired objects in the depot gives the surplus back at once
         * (finalises it down to that many, ready magazines first), so the working set drops
         * right after a stall or a burst instead of a {@linkplain #trimInterval trim interval}
         * later. Unlimited by default.
         *
         * @param n at least the magazine size (checked by {@link #build()})
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
         * Opts the pooled type in to O(1) double-put detection: the pool keeps one {@code int}
         * of state in each object, through {@code word}, and from then on refuses a put of an
         * object that is already in the pool, or in another pool with a state word, with an
         * {@link IllegalStateException} naming the pool and the object's class, before
         * anything changes. No object is then ever in two places of the pool, so none is
         * handed out twice and the statistics stay exact, unchecked as checked. The cost is
         * one compare-and-set per {@code put} and one release store per {@code get}; without
         * it an unchecked pool trusts its callers (see {@link #checked(boolean)} for the full
         * detector, which also catches objects of other pools and stale references).
         *
         * <p>The word belongs to the pool: 0 while the object is handed out (or new: the
         * default value of an {@code int} field), the pool's own nonzero id while the object
         * is in it, and the id for good once the pool has finalised it. Not detected: a put
         * through a stale reference after the object was handed out again (it is then
         * handed out, as far as the word can tell); checked mode does not catch that either.
         * Implement the word with a {@code static final} {@link VarHandle} on a field of the
         * object, so that the JIT inlines it:
         * <pre>{@code
         * final class Node {
         *     int poolState; // owned by the pool
         *     static final VarHandle POOL_STATE = ...findVarHandle(Node.class, "poolState", int.class);
         *     static final SmrPool.StateWord<Node> STATE = new SmrPool.StateWord<>() {
         *         public int compareAndExchange(Node n, int expected, int next) {
         *             return (int) POOL_STATE.compareAndExchange(n, expected, next);
         *         }
         *         public void setRelease(Node n, int value) {
         *             POOL_STATE.setRelease(n, value);
         *         }
         *     };
         * }
         * SmrPool.builder("nodes", Node::new).stateWord(Node.STATE).build();
         * }</pre>
         *
         * @param word the accessor of the objects' state word
         * @return this builder
         * @throws NullPointerException if {@code word} is null
         */
        public Builder<T> stateWord(final StateWord<? super T> word) {
            this.state = Objects.requireNonNull(word, "word");
            return this;
        }

        /**
         * Turns off the held set of an unchecked pool without a {@linkplain #stateWord state
         * word} (on by default; see "Double puts in unchecked pools" in the class
         * documentation): the caller promises never to put an object twice, and the pool
         * saves one identity-set update (a monitor and a hash probe) per put and per get.
         * Then only a put of the object last put on the same cache is refused; any other
         * double put goes undetected and can make the pool hand the object out twice. The
         * statistics still never go negative: a finalisation that would take
         * {@link Stats#live()} below 0 is not counted (neither in {@code live} nor in
         * {@link Stats#finalised()}).
         *
         * <p>Use it only for a type that cannot spare an {@code int} field and a pool whose
         * callers are tested with {@link #checked(boolean) checked(true)}; a type that can
         * spare one gets O(1) detection from {@link #stateWord} at about the same cost.
         *
         * @param on false to trust the callers
         * @return this builder
         * @see #build() which refuses {@code false} with {@code checked(true)} or a state word
         */
        public Builder<T> doublePutCheck(final boolean on) {
            this.doublePutCheck = on;
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
                throw new IllegalArgumentException("pool '" + name + "': maxStripes " + n + " out of range [1, "
                        + (1 << 20) + "]");
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
         * @throws IllegalArgumentException if the marks and limit are inconsistent, the
         *         pending limit is below the magazine size, or {@link #doublePutCheck
         *         doublePutCheck(false)} was combined with {@code checked(true)} or a
         *         {@linkplain #stateWord state word} (both always detect double puts)
         */
        public SmrPool<T> build() {
            if (!doublePutCheck && (checked || state != null)) {
                throw new IllegalArgumentException("pool '" + name + "': doublePutCheck(false) contradicts "
                        + (checked ? "checked(true)" : "stateWord(...)") + ", which always detects double puts");
            }
            if (lowat > hardLimit) {
                throw new IllegalArgumentException("pool '" + name + "': lowat must be in [0, hard limit " + hardLimit
                        + "], was " + lowat);
            }
            if (hiwat < lowat) {
                throw new IllegalArgumentException("pool '" + name + "': hiwat must be in [lowat " + lowat
                        + ", " + Long.MAX_VALUE + "], was " + hiwat);
            }
            if (pendingLimit < magazineSize) {
                throw new IllegalArgumentException("pool '" + name + "': pending limit " + pendingLimit
                        + " out of range [" + magazineSize + " (the magazine size), " + Long.MAX_VALUE + "]");
            }
            return new SmrPool<>(this);
        }
    }

    // ------------------------------------------------------------------ StateWord

    /**
     * Access to an {@code int} of state that each pooled object keeps for its pool
     * ({@link Builder#stateWord}): the opt-in that lets an unchecked pool refuse a double put
     * in O(1). Implementations are stateless and usually wrap a {@code static final}
     * {@link VarHandle} on a field of the object that nothing but the pool touches.
     *
     * <p>Memory consistency effects: {@link #compareAndExchange} must have the effects of
     * {@link VarHandle#compareAndExchange} (volatile), {@link #setRelease} at least those of
     * {@link VarHandle#setRelease}.
     *
     * @param <T> the type of the pooled objects
     */
    public interface StateWord<T> {
        /**
         * Atomically sets the word of {@code obj} to {@code next} if it is {@code expected}.
         *
         * @param obj a pooled object
         * @param expected the value expected
         * @param next the new value
         * @return the value the word had (equal to {@code expected} when it was set)
         */
        int compareAndExchange(T obj, int expected, int next);

        /**
         * Sets the word of {@code obj}, with release semantics or stronger.
         *
         * @param obj a pooled object
         * @param value the new value
         */
        void setRelease(T obj, int value);
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
     * @param finalised        objects released (fini run); a release that would take
     *                         {@code live} below 0 (an object the pool did not count, after an
     *                         undetected double put) is not counted
     * @param live             created minus finalised: handed out plus cached; never negative
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
}
