package org.smr4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The depot of an {@link SmrPool}: the FIFO of tagged batches (PENDING) and the stack of
 * expired magazines (READY) that every thread's cache refills from and drains into, UMA's
 * zone domain ({@code zone_put_bucket}, {@code zone_fetch_bucket}, {@code uzd_seq}); and,
 * under the same lock, the pool's accounting of live objects against its hard limit, the
 * waits at that limit, the finalisation of what leaves the pool, and the closed flag.
 */
final class SmrPoolDepot<T> {
    /*
     * The map of the whole pool, its places, invariants and ordering are in the overview of
     * SmrPool; this part keeps invariants 3 and 4 there, and invariant 2 for PENDING.
     *
     * PENDING holds tagged magazines, oldest first: enqueue() tags each with goal =
     * smr.advance() under the depot lock, so tags along PENDING are non-decreasing
     * (invariant 3) and the head is always the first to expire; a reclaim can stop at the
     * first unexpired batch and lose nothing. The head's tag is mirrored in headTag, and
     * "READY is not empty" in readyHint, so that a get miss can poll the head without the lock
     * (cache_fetch_bucket does the same with uzd_seq) and skip the lock when nothing can be
     * taken. Both hints are written under the lock with release stores and read outside it
     * with acquire loads; a stale hint is harmless, everything is re-checked under the lock.
     *
     * READY holds magazines no reader can hold: expired batches that were not installed in a
     * cache, idle ALLOC magazines collected at the hard limit, primed objects. Most recent
     * first (LIFO: warm objects first).
     *
     * Expiry: fetch() dequeues the head only once poll(head.tag) is true (re-checked under the
     * lock, unless the head's tag is at or before a goal just seen reached: goals are reached
     * in order), then runs the deferred destruct (and, checked, poison) on each object outside
     * the lock. deferredNudge() moves a deferred domain's write sequence up to a goal that is
     * still ahead of it (see "Deferred domains" in the SmrPool overview).
     *
     * Giving memory back (trimTarget, decided when a batch is queued, so the callers drive it
     * and no thread is needed): above hiwat, keep hiwat; once per trim interval, give back
     * half of what sat idle in the depot for the whole interval (idleMin, UMA's uzd_imin),
     * down to lowat. Only READY magazines and expired batches, head first, are released. The
     * same interval makes the next enqueue ask the cache layer to sweep dead owners' caches
     * (sweepDue, then the sweeper given at construction).
     *
     * Accounting (invariant 4): live = created - finalised <= hardLimit. tryCreate()
     * increments live by a CAS bounded by hardLimit before the factory runs, and create()
     * gives the slot back in a finally if the factory or init throws. dropped() is the one way
     * out of the pool: table, finalised, live, then a signal to waiters. awaitProgress()
     * waits at the limit for the head's goal, or, when every object is out, for a put, a
     * finalisation or close, under this lock: what it waits for happens under it.
     *
     * Closing: close() sets closed (release) under the lock and signals; a queue or a push
     * that finds it closed under the lock finalises its magazine instead (waiting for its goal
     * first if it was tagged: LATE).
     *
     * The pending limit (Builder.pendingLimit; Long.MAX_VALUE = off). Invariant 7:
     * pendingObjects <= pendingLimit at all times, checked where it can change: queueLocked
     * appends only if the batch fits (pendingLimit >= magazineSize, so an empty PENDING always
     * has room) and answers NO_ROOM otherwise, before advancing. The queueing thread then
     * keeps its magazine (in transit, invariant 1), makes room (makeRoom: an expedited wait,
     * Smr.waitForExpedited, for the head's goal, then every expired batch from the head moves
     * to READY after its destruct) and tries again; it never holds the lock while it waits.
     * Objects not yet in a batch (FREE magazines still filling, one per cache, and a magazine
     * in the hands of each thread waiting for room) are outside the bound: that is the slack
     * the builder's javadoc states. After a stall, many batches expire at once and READY
     * swells: a refill that finds more than max(lowat, pendingLimit) objects on READY releases
     * the expired surplus (release(), READY first, then expired heads, down to that many plus
     * what is pending), so the working set drops without waiting for the trim interval.
     */

    /**
     * Spins on a lock held for a few dozen instructions (the depot lock, a stripe lock, an
     * owned cache's busy window) before blocking or parking. Shared by the cache layer.
     */
    static final int LOCK_SPINS = 128;
    /** Longest park while waiting for a put at the hard limit, so missed signals cost little. */
    private static final long PUT_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** queueLocked's answer when the pool closed: the caller finalises the magazine. */
    private static final long LATE = Long.MIN_VALUE;
    /** queueLocked's answer when the batch would exceed the pending limit: nothing was done. */
    private static final long NO_ROOM = Long.MIN_VALUE + 1;

    private final String name;
    private final Smr smr;
    private final SmrPoolHooks<T> hooks;
    private final boolean checked;
    /** Checked mode only: the identity side table; null otherwise. */
    private final @Nullable SmrPoolCheckTable table;
    /** Unchecked pools without a state word: the objects held (SmrPool's held set), or null. */
    private final @Nullable PoolHeldSet held;
    private final long lowat;
    private final long hiwat;
    /** Working-set trim interval in nanoseconds, 0 = off. */
    private final long trimNanos;
    private final long hardLimit;
    /** Most objects in PENDING (invariant 7 in the overview); Long.MAX_VALUE = no limit. */
    private final long pendingLimit;
    /** Whether there are owned caches whose dead owners a sweep could recover. */
    private final boolean sweepOwners;
    /** The cache layer's sweep of dead owners' caches, run once per trim interval. */
    private final Runnable sweeper;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a batch is queued, a magazine becomes ready, an object is finalised or the pool closes. */
    private final Condition changed = lock.newCondition();
    /** Tagged batches, oldest first; tags non-decreasing (invariant 3). */
    private final ArrayDeque<SmrPoolMagazine> pending = new ArrayDeque<>();
    /** Expired, destructed (or fresh) magazines, most recent first. */
    private final ArrayDeque<SmrPoolMagazine> ready = new ArrayDeque<>();
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
    @SuppressWarnings("UnusedVariable") // read and written only through HEAD_TAG, which Error Prone does not follow
    private long headTag;
    /** 1 when READY is not empty, else 0. Accessed through {@link #READY_HINT}. */
    @SuppressWarnings("UnusedVariable") // read and written only through READY_HINT, which Error Prone does not follow
    private int readyHint;
    /** Magazines taken from the depot by get (Stats.refills). */
    private long refills;
    /** Tagged batches queued so far (Stats.batchesQueued). */
    private long batchesQueued;
    /** Set by trimTarget once per trim interval: the next enqueue sweeps dead owners' caches. */
    private boolean sweepDue;
    /** Set once by close(), under the lock. Accessed through {@link #CLOSED}. */
    @SuppressWarnings("UnusedVariable") // read and written only through CLOSED, which Error Prone does not follow
    private boolean closed;

    /** Created minus finalised; bounded by hardLimit (invariant 4). */
    private final AtomicLong live = new AtomicLong();
    /** Threads waiting in awaitProgress for a put or a finalisation. */
    private final AtomicInteger waiters = new AtomicInteger();
    // Statistics below: LongAdders, off the fast path; they order nothing.
    private final LongAdder created = new LongAdder();
    private final LongAdder finalised = new LongAdder();
    /** Finalisations that live could not count (dropped): undetected double puts. */
    private final LongAdder foreign = new LongAdder();
    private final LongAdder waits = new LongAdder();
    private final LongAdder trims = new LongAdder();

    SmrPoolDepot(final String name, final Smr smr, final SmrPoolHooks<T> hooks, final @Nullable SmrPoolCheckTable table,
                 final @Nullable PoolHeldSet held, final long lowat, final long hiwat, final long trimNanos,
                 final long hardLimit,
                 final long pendingLimit, final boolean sweepOwners, final Runnable sweeper) {
        this.name = name;
        this.smr = smr;
        this.hooks = hooks;
        this.table = table;
        this.checked = table != null;
        this.held = held;
        this.lowat = lowat;
        this.hiwat = hiwat;
        this.trimNanos = trimNanos;
        this.lastTrimNanos = System.nanoTime();
        this.hardLimit = hardLimit;
        this.pendingLimit = pendingLimit;
        this.sweepOwners = sweepOwners;
        this.sweeper = sweeper;
        this.headTag = SmrSeq.INVALID;
        this.lastTag = SmrSeq.INVALID;
        // Published with the pool: SmrPool's constructor ends with a release fence.
    }

    // ------------------------------------------------------------------ queueing

    /**
     * Tags a magazine of put objects with a fresh goal and appends it to PENDING. If the pool
     * closed meanwhile, waits for the goal and finalises the objects instead.
     */
    void enqueue(final SmrPoolMagazine m) {
        while (true) {
            // One clock read per batch, for its age and for the trim interval (a vDSO call of
            // about 20 ns on this project's KVM guest: measurable at one per 32 puts).
            final long now = System.nanoTime();
            final long keep;
            final boolean sweep;
            lock();
            try {
                keep = queueLocked(m, now);
                sweep = keep != NO_ROOM && takeSweepDue();
            } finally {
                lock.unlock();
            }
            if (keep == NO_ROOM) {
                makeRoom(); // at the pending limit: the oldest batch expires first
                continue;
            }
            afterQueue(m, keep, sweep);
            return;
        }
    }

    /**
     * Under the depot lock: tags {@code m} with a fresh goal and appends it to PENDING.
     * Returns how many objects the depot should keep (trimTarget), {@link #LATE} if the
     * pool closed (then {@code m} is tagged but not queued), or {@link #NO_ROOM} if it would
     * exceed the pending limit (then nothing was done).
     */
    private long queueLocked(final SmrPoolMagazine m, final long now) {
        if (pendingObjects + m.count > pendingLimit && !pending.isEmpty() && !closedOpaque()) {
            return NO_ROOM; // invariant 7: the caller makes room and comes back
        }
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
        changed.signalAll();
        return trimTarget(now);
    }

    /** Under the depot lock: whether a trim interval passed since the last sweep of dead owners. */
    private boolean takeSweepDue() {
        final boolean due = sweepDue;
        sweepDue = false;
        return due;
    }

    /** After queueLocked, outside the lock: finalise a late magazine, or trim and sweep. */
    private void afterQueue(final SmrPoolMagazine m, final long keep, final boolean sweep) {
        if (keep == LATE) {
            smr.waitFor(m.tag);
            finaliseAll(m, true);
            return;
        }
        if (keep != Long.MAX_VALUE) {
            release(keep, false);
        }
        if (sweep) {
            sweeper.run(); // once per trim interval: caches of threads that died
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
                sweepDue = sweepOwners;
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
     * Tags several magazines with one advance and queues them (cache_drain does the same).
     * If together they would exceed the pending limit, queues them one by one as
     * {@link #enqueue} does, making room first (a wait on readers: never inside a section).
     */
    void enqueueAll(final List<SmrPoolMagazine> ms) {
        boolean late = false;
        boolean fits = true;
        long tag = SmrSeq.INVALID;
        lock();
        try {
            long total = 0;
            for (final SmrPoolMagazine m : ms) {
                total += m.count;
            }
            if (pendingObjects + total > pendingLimit && !closedOpaque()) {
                fits = false; // invariant 7
            } else {
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
                    for (final SmrPoolMagazine m : ms) {
                        m.tag = tag;
                        m.enqueuedNanos = now;
                        pending.addLast(m);
                        pendingObjects += m.count;
                        batchesQueued++;
                    }
                    changed.signalAll();
                }
            }
        } finally {
            lock.unlock();
        }
        if (!fits) {
            for (final SmrPoolMagazine m : ms) {
                enqueue(m);
            }
        } else if (late) {
            smr.waitFor(tag);
            for (final SmrPoolMagazine m : ms) {
                finaliseAll(m, true);
            }
        }
    }

    /**
     * At the pending limit, outside the lock: waits, expedited ({@link Smr#waitForExpedited}),
     * for the head batch's goal, then moves every batch from the head whose goal is reached
     * to READY, running its destruct on the way. Never inside a read section (the callers
     * queue, which advances). Counted in Stats.waits, a JFR PoolWait event.
     */
    private void makeRoom() {
        // ORDER: acquire; pairs with the release in setHeadTag (a hint: re-checked under the lock).
        final long tag = headTagAcquire();
        if (tag == SmrSeq.INVALID) {
            return; // PENDING emptied meanwhile: there is room now
        }
        final SmrPoolEvents.Wait event = SmrPoolEvents.recording() ? new SmrPoolEvents.Wait() : null;
        if (event != null) {
            event.begin();
        }
        waits.increment();
        smr.waitForExpedited(tag);
        if (event != null) {
            event.pool = name;
            event.goal = tag;
            event.limit = pendingLimit;
            event.commit();
        }
        while (true) {
            final SmrPoolMagazine head;
            lock();
            try {
                head = pending.peekFirst();
                // Goals are reached in order: a head tagged at or before the goal we waited for
                // needs no poll; a later one may have been reached too.
                if (head == null || !(SmrSeq.leq(head.tag, tag) || smr.poll(head.tag))) {
                    return;
                }
                dequeueHead();
            } finally {
                lock.unlock();
            }
            expire(head);
            pushReady(head); // finalises it if the pool closed
        }
    }

    /**
     * Whether {@code n} more objects seem to fit under the pending limit: a racy read of
     * pendingObjects, a hint for getSlow only (queueLocked decides, under the lock).
     */
    boolean roomHint(final int n) {
        return (long) PENDING_OBJECTS.getOpaque(this) + n <= pendingLimit;
    }

    /** Pushes an expired magazine on READY, or finalises it if the pool closed. */
    void pushReady(final SmrPoolMagazine m) {
        lock();
        try {
            if (!closedOpaque()) {
                m.tag = SmrSeq.INVALID;
                ready.addFirst(m);
                readyObjects += m.count;
                setReadyHintRelease(1);
                changed.signalAll();
                return;
            }
        } finally {
            lock.unlock();
        }
        finaliseAll(m, false);
    }

    // ------------------------------------------------------------------ refill

    /**
     * Takes a magazine the caller may hand out: a READY one, else the head of PENDING if its
     * goal has been reached (its objects destructed here, outside the lock). Null if neither.
     * First, in the same lock hold, queues {@code full} (if not null) as {@link #enqueue}
     * does; never inside a read section then (it advances).
     */
    @SuppressWarnings("NullAway") // expire is set only with got, keep == NO_ROOM only with full
    @Nullable SmrPoolMagazine fetch(final @Nullable SmrPoolMagazine full) {
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
        SmrPoolMagazine got = null;
        boolean expire = false;
        long surplusKeep = -1;
        lock();
        try {
            if (full != null) {
                keep = queueLocked(full, now);
                sweep = keep != NO_ROOM && takeSweepDue();
            }
            final SmrPoolMagazine r = ready.pollFirst();
            if (r != null) {
                readyObjects -= r.count;
                if (ready.isEmpty()) {
                    setReadyHintRelease(0);
                }
                noteDepotLevel();
                refills++;
                got = r;
            } else if (fromPending) {
                final SmrPoolMagazine head = pending.peekFirst();
                // Re-check under the lock: the head may have changed since the hint was read.
                // A head tagged at or before the goal we saw reached needs no second poll:
                // goals are reached in order (the read hand only moves forward), and that
                // poll's acquire fence already orders the readers' exits before our reuse.
                if (head != null && ((reached != SmrSeq.INVALID && SmrSeq.leq(head.tag, reached))
                        || smr.poll(head.tag) || deferredNudge(smr, head.tag))) {
                    dequeueHead();
                    refills++;
                    got = head;
                    expire = true;
                }
            }
            // After a stall (or a burst of puts): more expired objects in READY than the pending
            // limit lets wait; keep that many, and what is pending.
            final long readyKeep = Math.max(lowat, pendingLimit);
            if (got != null && pendingLimit != Long.MAX_VALUE && readyObjects > readyKeep) {
                surplusKeep = pendingObjects + readyKeep;
            }
        } finally {
            lock.unlock();
        }
        if (expire) {
            expire(got);
        }
        if (keep == NO_ROOM) {
            enqueue(full); // makes room first (getSlow queues a full magazine only when it may wait)
        } else if (full != null) {
            afterQueue(full, keep, sweep);
        }
        if (surplusKeep >= 0) {
            release(surplusKeep, false); // expired only: READY first, then expired heads
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
     * one thread with limit 8.) Costs nothing in other modes. SmrRetireQueue uses it too.
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
    private void lock() {
        if (lock.tryLock()) {
            return;
        }
        for (int i = 0; i < LOCK_SPINS; i++) {
            Thread.onSpinWait();
            if (!lock.isLocked() && lock.tryLock()) {
                return;
            }
        }
        lock.lock();
    }

    /** Under the depot lock: removes the head of PENDING and updates the head tag. */
    private void dequeueHead() {
        final SmrPoolMagazine head = pending.pollFirst();
        pendingObjects -= head.count;
        noteDepotLevel();
        final SmrPoolMagazine next = pending.peekFirst();
        setHeadTagRelease(next == null ? SmrSeq.INVALID : next.tag);
    }

    /**
     * Runs the deferred destruct (and, checked, the poison hook) on every object of an
     * expired batch. An object whose hook throws anything is reported, finalised and dropped;
     * the loop goes on, and the magazine keeps the others.
     */
    @SuppressWarnings("NullAway") // a magazine's slots below its count hold objects
    private void expire(final SmrPoolMagazine m) {
        if (!hooks.hasDestruct() && !checked) {
            return;
        }
        int kept = 0;
        final @Nullable Object[] items = m.items;
        final int n = m.count;
        try {
            for (int i = 0; i < n; i++) {
                @SuppressWarnings("unchecked")
                final T obj = (T) items[i];
                items[i] = null;
                if (!hooks.destruct(obj)) {
                    finalise(obj, false);
                    continue;
                }
                if (table != null) { // checked pools
                    table.expired(obj);
                    if (!hooks.poison(obj)) {
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

    // ------------------------------------------------------------------ release

    /**
     * Finalises READY magazines, then expired batches from the head, while more than
     * {@code keep} objects are cached in the depot. With {@code wait}, waits for each batch.
     */
    long release(final long keep, final boolean wait) {
        long done = 0;
        while (true) {
            final SmrPoolMagazine m;
            final boolean destructFirst;
            lock.lock();
            try {
                if (pendingObjects + readyObjects <= keep) {
                    break;
                }
                final SmrPoolMagazine r = ready.pollFirst();
                if (r != null) {
                    readyObjects -= r.count;
                    if (ready.isEmpty()) {
                        setReadyHintRelease(0);
                    }
                    noteDepotLevel();
                    m = r;
                    destructFirst = false;
                } else {
                    final SmrPoolMagazine head = pending.peekFirst();
                    if (head == null || (!wait && !smr.poll(head.tag))) {
                        break; // the first unexpired batch stops the reclaim
                    }
                    dequeueHead();
                    m = head;
                    destructFirst = true;
                }
            } finally {
                lock.unlock();
            }
            if (destructFirst && wait) {
                waitForGoal(m.tag);
            }
            done += m.count;
            finaliseAll(m, destructFirst);
        }
        return done;
    }

    /** Waits for a goal on behalf of close: counted in Stats.waits, a JFR PoolWait event. */
    void waitForGoal(final long tag) {
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

    // ------------------------------------------------------------------ live objects and the hard limit

    /** Creates a new object if below the hard limit; null at the limit. Not constructed. */
    @Nullable T tryCreate() {
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
            final T obj = hooks.create();
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
    @SuppressWarnings("WaitNotInLoop") // the loop is the caller's: getSlow retries after every wake-up
    boolean awaitProgress() {
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
            lock.lock();
            try {
                if (pending.isEmpty() && ready.isEmpty() && !closedOpaque() && live.get() >= hardLimit) {
                    changed.awaitNanos(PUT_WAIT_NANOS);
                }
            } catch (final InterruptedException e) {
                // Kept for the caller (get() is not interruptible), but not re-set here: with
                // the flag set, every later await of the retry loop would return at once and
                // the loop would spin. getSlow restores it on the way out.
                interrupted = true;
            } finally {
                lock.unlock();
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

    /** Runs destruct (if {@code destructFirst}) and fini on each object, then drops them. */
    @SuppressWarnings("NullAway") // a magazine's slots below its count hold objects
    void finaliseAll(final SmrPoolMagazine m, final boolean destructFirst) {
        final @Nullable Object[] items = m.items;
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
    void finalise(final T obj, final boolean destructFirst) {
        try {
            if (destructFirst) {
                hooks.destruct(obj);
            }
            hooks.fini(obj);
            hooks.poison(obj);
        } finally {
            dropped(obj);
        }
    }

    /**
     * Forgets an object: it leaves the pool for good. Unchecked pools cannot always tell an
     * object they created from one put to them after they finalised it, or from another
     * pool's (no record of handed-out objects; "Double puts in unchecked pools"): such an
     * object would be finalised twice and live would go below 0. So live never goes below 0
     * here, and a finalisation that would take it there is counted as foreign instead of
     * finalised, which keeps live == created - finalised (invariant 4).
     */
    private void dropped(final Object obj) {
        if (table != null) { // checked pools
            table.finalised(obj);
        } else {
            if (held != null) {
                held.remove(obj);
            }
            // ORDER: volatile CAS, as the decrement below (the same Dekker pair).
            long l = live.get();
            while (l > 0 && !live.compareAndSet(l, l - 1)) {
                l = live.get();
            }
            if (l <= 0) {
                foreign.increment();
            } else {
                finalised.increment();
            }
            signalIfWaiters();
            return;
        }
        finalised.increment();
        // ORDER: volatile RMW, then the volatile read of waiters in signalIfWaiters; pairs with
        // awaitProgress (Dekker: one of the two sees the other).
        live.decrementAndGet();
        signalIfWaiters();
    }

    /** Objects finalised that live could not count (see dropped): 0 unless a double put went undetected. */
    long foreign() {
        return foreign.sum();
    }

    private void signalIfWaiters() {
        if (waiters.get() > 0) {
            lock.lock();
            try {
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    // ------------------------------------------------------------------ closing

    /**
     * Closes the depot (and so the pool): sets {@code closed} under the lock and wakes every
     * waiter. Returns false if it was closed already.
     */
    boolean close() {
        lock.lock();
        try {
            if (closedOpaque()) {
                return false;
            }
            // ORDER: release; pairs with the stripe-lock CAS and acquire loads in get/put:
            // a stripe locked after our flush sees it; one locked before, we see its objects.
            setClosedRelease();
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    boolean closedAcquire() {
        return (boolean) CLOSED.getAcquire(this);
    }

    /** Only under a lock whose acquisition orders it after close()'s release store. */
    boolean closedOpaque() {
        return (boolean) CLOSED.getOpaque(this);
    }

    private void setClosedRelease() {
        CLOSED.setRelease(this, true);
    }

    // ------------------------------------------------------------------ statistics and checks

    long created() {
        return created.sum();
    }

    long finalised() {
        return finalised.sum();
    }

    long live() {
        return live.get();
    }

    long waits() {
        return waits.sum();
    }

    long trims() {
        return trims.sum();
    }

    /** destruct, fini and poison failures reported so far (Stats.hookFailures). */
    long hookFailures() {
        return hooks.failures();
    }

    /**
     * The depot's counters, read in one hold of its lock.
     *
     * @param batches        tagged batches pending
     * @param objectsPending objects in them
     * @param cached         objects in PENDING and READY
     * @param ageNanos       how long the head has waited, 0 when PENDING is empty
     * @param refills        magazines taken by get
     * @param queued         tagged batches queued so far
     */
    record Snapshot(int batches, long objectsPending, long cached, long ageNanos, long refills, long queued) {
    }

    Snapshot snapshot() {
        lock.lock();
        try {
            final SmrPoolMagazine head = pending.peekFirst();
            return new Snapshot(pending.size(), pendingObjects, pendingObjects + readyObjects,
                    head == null ? 0 : System.nanoTime() - head.enqueuedNanos, refills, batchesQueued);
        } finally {
            lock.unlock();
        }
    }

    /**
     * For checkInvariants, after the cache layer noted its places in {@code where}: notes the
     * depot's, checks invariants 3 and 4, and in checked mode the side table against every
     * place (invariant 5). Call only while no other thread uses the pool.
     */
    void check(final Map<Object, String> where) {
        lock.lock();
        try {
            long tagPrev = SmrSeq.INVALID;
            long pendingCount = 0;
            for (final SmrPoolMagazine m : pending) {
                if (tagPrev != SmrSeq.INVALID && SmrSeq.lt(m.tag, tagPrev)) {
                    throw new AssertionError("pool '" + name + "': pending tags decrease");
                }
                tagPrev = m.tag;
                pendingCount += m.count;
                m.note(name, where, "pending", "CACHED");
            }
            long readyCount = 0;
            for (final SmrPoolMagazine m : ready) {
                readyCount += m.count;
                m.note(name, where, "ready", "READY");
            }
            final SmrPoolMagazine head = pending.peekFirst();
            if (headTagAcquire() != (head == null ? SmrSeq.INVALID : head.tag)) {
                throw new AssertionError("pool '" + name + "': headTag is not the head's tag");
            }
            if (pendingCount != pendingObjects || readyCount != readyObjects) {
                throw new AssertionError("pool '" + name + "': depot counts drifted");
            }
            if (pendingObjects > pendingLimit) {
                throw new AssertionError("pool '" + name + "': " + pendingObjects + " objects pending > pending limit "
                        + pendingLimit);
            }
        } finally {
            lock.unlock();
        }
        final long liveNow = live.get();
        if (liveNow != created.sum() - finalised.sum() || liveNow > hardLimit) {
            throw new AssertionError("pool '" + name + "': live " + liveNow + " != created " + created.sum()
                    + " - finalised " + finalised.sum() + " or above the limit " + hardLimit);
        }
        if (table != null) { // checked pools
            table.check(where, liveNow);
        } else if (where.size() > liveNow) {
            throw new AssertionError("pool '" + name + "': " + where.size() + " cached > " + liveNow + " live");
        }
    }

    // ------------------------------------------------------------------ VarHandle accessors

    long headTagAcquire() {
        return (long) HEAD_TAG.getAcquire(this);
    }

    private void setHeadTagRelease(final long tag) {
        // ORDER: release; pairs with the acquire in fetch()/awaitProgress() (a hint only).
        HEAD_TAG.setRelease(this, tag);
    }

    private int readyHintAcquire() {
        return (int) READY_HINT.getAcquire(this);
    }

    private void setReadyHintRelease(final int v) {
        // ORDER: release; pairs with the acquire in fetch() (a hint only).
        READY_HINT.setRelease(this, v);
    }

    // ------------------------------------------------------------------ VarHandle mechanics

    private static final VarHandle CLOSED;
    private static final VarHandle HEAD_TAG;
    private static final VarHandle READY_HINT;
    /** Only for roomHint's racy read of pendingObjects; every write is plain, under the lock. */
    private static final VarHandle PENDING_OBJECTS;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            CLOSED = lookup.findVarHandle(SmrPoolDepot.class, "closed", boolean.class);
            HEAD_TAG = lookup.findVarHandle(SmrPoolDepot.class, "headTag", long.class);
            READY_HINT = lookup.findVarHandle(SmrPoolDepot.class, "readyHint", int.class);
            PENDING_OBJECTS = lookup.findVarHandle(SmrPoolDepot.class, "pendingObjects", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
