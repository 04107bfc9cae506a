package org.smr4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/*
 * Overview
 * --------
 * The set of reader records of one Smr domain or one Pserialize instance: FreeBSD keeps one
 * record per CPU and lets a critical section make it exclusive; we keep one record per
 * reading thread (platform or virtual), so no two live sections can ever share a publication
 * slot. The registry does not know what a record holds: the owner supplies functions to
 * create one, give it to a thread, forget its thread, and tell whether its thread is alive.
 *
 * Pollers scan `records` without a lock. Registration and sweeping take `lock`:
 *  - register appends a record at index `count` of the current array (element store with
 *    release, so a scanner that sees the element sees an assigned record) or, when the array
 *    is full, publishes a doubled copy. Elements are written once per array; arrays are
 *    replaced, never compacted in place, so a scan that holds an old array still sees every
 *    record that was in it.
 *  - sweep drops the records of dead threads: it builds a compacted copy holding the
 *    records whose owner is alive, publishes it, and keeps up to max(FREE_MIN, live) of the
 *    dropped records for reuse ("recycled"); the rest go to the garbage collector. A sweep
 *    runs when the registrations since the last sweep reach max(SWEEP_MIN, live records at
 *    the last sweep), so its O(n) cost is amortised O(1) per registration and the registry
 *    stays proportional to the threads alive, even after 100,000 short virtual threads.
 *    A poll that found a dead thread's record blocking a goal also asks for a sweep.
 *
 * Why a scan may miss a record registered concurrently: registration ends with a full fence
 * after publishing the record, and every reader publishes its sequence after registering. A
 * scan that did not see the record read the array before it was published; the poller's
 * own full fence (Smr.scan, Pserialize.perform) came before that read. So the reader's registration fence comes
 * after the poller's fence, and the reader's later loads see every store the poller made
 * before its fence (the unlink) - the same Dekker argument as for the sequence itself.
 *
 * Why a dead thread's record may be dropped even inside a section: a thread that has
 * terminated can no longer touch memory. Thread.isAlive() turns false only after run()
 * has returned.
 */
final class ReaderRegistry<R> {
    /** Creates a new record, owned by no thread. Called under the lock. */
    private final Supplier<R> create;
    /** Gives a record to a thread, resetting its state. Called under the lock. */
    private final BiConsumer<R, Thread> assign;
    /** Forgets a record's dead owner and resets its state. Called under the lock. */
    private final Consumer<R> release;
    /** Whether a record's owner is a live thread. */
    private final Predicate<R> ownerAlive;

    /** Registrations before the first sweep is considered; also the floor of the sweep period. */
    static final int SWEEP_MIN = 64;
    /** Dropped records kept for reuse, at least; more while more threads are alive. */
    static final int FREE_MIN = 16;
    private static final int INITIAL_CAPACITY = 16;

    private final ReentrantLock lock = new ReentrantLock();

    /** Scanned by pollers; elements [0, count) are records, the rest null. Replaced, never compacted in place. */
    private volatile Object[] records = new Object[INITIAL_CAPACITY];
    /** Records in {@code records}. Guarded by lock; read racily by {@link #size()}. */
    private volatile int count;
    /** Dropped records ready for reuse. Guarded by lock. */
    private final ArrayDeque<R> free = new ArrayDeque<>();
    /** Guarded by lock. */
    private int registrationsSinceSweep;
    /** Guarded by lock. */
    private int liveAtLastSweep;
    /** Set by pollers that found a dead owner; cleared by a sweep. */
    private volatile boolean sweepRequested;
    /** Sweeps done; guarded by lock, read racily for statistics. */
    private volatile long sweeps;

    ReaderRegistry(final Supplier<R> create, final BiConsumer<R, Thread> assign, final Consumer<R> release,
                   final Predicate<R> ownerAlive) {
        this.create = create;
        this.assign = assign;
        this.release = release;
        this.ownerAlive = ownerAlive;
    }

    /**
     * Returns a record owned by {@code thread}, recycled or new, and makes it visible to scans.
     *
     * @param thread the calling thread, which becomes the owner
     * @return the record
     */
    R register(final Thread thread) {
        final R reader;
        lock.lock();
        try {
            if (sweepRequested || registrationsSinceSweep >= Math.max(SWEEP_MIN, liveAtLastSweep)) {
                sweepLocked();
            }
            final R recycled = free.pollFirst();
            reader = recycled != null ? recycled : create.get();
            assign.accept(reader, thread);
            appendLocked(reader);
            registrationsSinceSweep++;
        } finally {
            lock.unlock();
        }
        // ORDER: full fence after publishing the record, before the new owner can publish a
        // sequence; see "Why a scan may miss a record" in the overview.
        VarHandle.fullFence();
        return reader;
    }

    private void appendLocked(final R reader) {
        final Object[] array = records;
        final int n = count;
        if (n == array.length) {
            final Object[] bigger = Arrays.copyOf(array, n * 2);
            bigger[n] = reader;
            records = bigger; // ORDER: volatile store publishes the copy and its elements
        } else {
            // ORDER: release; pairs with the acquire in recordAcquire, so a scanner that sees
            // the record sees it assigned.
            RECORDS.setRelease(array, n, reader);
        }
        count = n + 1;
    }

    /** Asks the next registration or {@link #sweepIfRequested()} to drop dead records. */
    void requestSweep() {
        sweepRequested = true;
    }

    /** Sweeps now if a poller asked for it and nobody else holds the lock. */
    void sweepIfRequested() {
        if (sweepRequested && lock.tryLock()) {
            try {
                sweepLocked();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Drops dead records now, waiting for the lock. For tests and diagnostics. */
    void sweep() {
        lock.lock();
        try {
            sweepLocked();
        } finally {
            lock.unlock();
        }
    }

    @SuppressWarnings("NonAtomicVolatileUpdate") // sweeps: written under lock only, read racily as a statistic
    private void sweepLocked() {
        sweepRequested = false;
        final Object[] old = records;
        final int n = count;
        final Object[] kept = new Object[n];
        int live = 0;
        for (int i = 0; i < n; i++) {
            @SuppressWarnings("unchecked") // only register() stores, and it stores R
            final R r = (R) old[i];
            if (ownerAlive.test(r)) {
                kept[live++] = r;
            } else {
                release.accept(r);
                free.addLast(r);
            }
        }
        while (free.size() > Math.max(FREE_MIN, live)) {
            free.pollLast();
        }
        records = Arrays.copyOf(kept, capacityFor(live)); // ORDER: volatile store; a scan that read the old array still sees all of it
        count = live;
        liveAtLastSweep = live;
        registrationsSinceSweep = 0;
        sweeps = sweeps + 1;
    }

    private static int capacityFor(final int live) {
        int capacity = INITIAL_CAPACITY;
        while (capacity < live * 2) {
            capacity <<= 1;
        }
        return capacity;
    }

    /**
     * Returns the array pollers scan. Elements past the record count are null; read elements
     * through {@link #recordAcquire}.
     */
    Object[] snapshot() {
        return records;
    }

    /** Reads element {@code index} of a {@link #snapshot()}: a record or null. */
    static Object recordAcquire(final Object[] array, final int index) {
        return RECORDS.getAcquire(array, index);
    }

    /** Records currently registered (owned by a live thread, or dead and not yet swept). */
    int size() {
        return count;
    }

    long sweeps() {
        return sweeps;
    }

    // VarHandle mechanics
    private static final VarHandle RECORDS = MethodHandles.arrayElementVarHandle(Object[].class);
}
