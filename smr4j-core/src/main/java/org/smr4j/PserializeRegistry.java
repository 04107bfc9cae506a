package org.smr4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/*
 * Overview
 * --------
 * The reader records of one Pserialize instance, one per reading thread (platform or
 * virtual). The same design as ReaderRegistry (which is typed to Smr.Reader, hence this
 * copy; see the report on sharing it):
 *  - performers scan `records` without a lock;
 *  - register appends a record (element store with release, or a doubled copy published by
 *    a volatile store), under `lock`, and then issues a full fence;
 *  - sweep (under `lock`) publishes a compacted copy holding the records of live owners and
 *    keeps up to max(FREE_MIN, live) dropped records for reuse. A sweep runs when the
 *    registrations since the last sweep reach max(SWEEP_MIN, live at the last sweep), so it
 *    costs amortised O(1) per registration and the registry tracks the threads alive even
 *    after 100,000 short virtual threads; a perform() that met a dead owner inside a section
 *    asks for one too.
 *
 * Why a perform may miss a record registered concurrently: registration publishes the
 * record, then issues a full fence, and only then can the owner enter. A perform that did
 * not see the record read the array before it was published, after its own full fence that
 * followed the writer's unlink. Dekker's pattern on (records, unlink): the new reader's loads
 * see the unlink. This holds without membarrier.
 *
 * Why a dead thread's record may be dropped even inside a section: a thread that has
 * terminated can no longer touch memory, and Thread.isAlive() turns false only after run()
 * returned (and synchronises with it, JLS 17.4.4).
 */
final class PserializeRegistry {
    /** Registrations before the first sweep is considered; also the floor of the sweep period. */
    static final int SWEEP_MIN = 64;
    /** Dropped records kept for reuse, at least; more while more threads are alive. */
    static final int FREE_MIN = 16;
    private static final int INITIAL_CAPACITY = 16;

    private final Pserialize pserialize;
    private final boolean fenceless;
    private final ReentrantLock lock = new ReentrantLock();

    /** Scanned by performers; elements [0, count) are records, the rest null. Replaced, never compacted in place. */
    private volatile Pserialize.Reader[] records = new Pserialize.Reader[INITIAL_CAPACITY];
    /** Records in {@code records}. Guarded by lock; read racily by {@link #size()}. */
    private volatile int count;
    /** Dropped records ready for reuse. Guarded by lock. */
    private final ArrayDeque<Pserialize.Reader> free = new ArrayDeque<>();
    /** Guarded by lock. */
    private int registrationsSinceSweep;
    /** Guarded by lock. */
    private int liveAtLastSweep;
    /** Set by performers that found a dead owner; cleared by a sweep. */
    private volatile boolean sweepRequested;
    /** Sweeps done; guarded by lock, read racily for statistics. */
    private volatile long sweeps;

    PserializeRegistry(final Pserialize pserialize, final boolean fenceless) {
        this.pserialize = pserialize;
        this.fenceless = fenceless;
    }

    /**
     * Returns a record owned by {@code thread}, recycled or new, and makes it visible to scans.
     *
     * @param thread the calling thread, which becomes the owner
     * @return the record
     */
    Pserialize.Reader register(final Thread thread) {
        final Pserialize.Reader reader;
        lock.lock();
        try {
            if (sweepRequested || registrationsSinceSweep >= Math.max(SWEEP_MIN, liveAtLastSweep)) {
                sweepLocked();
            }
            final Pserialize.Reader recycled = free.pollFirst();
            reader = recycled != null ? recycled : new Pserialize.Reader(pserialize, fenceless);
            reader.assign(thread);
            appendLocked(reader);
            registrationsSinceSweep++;
        } finally {
            lock.unlock();
        }
        // ORDER: full fence after publishing the record, before the new owner can enter; see
        // "Why a perform may miss a record" in the overview.
        VarHandle.fullFence();
        return reader;
    }

    private void appendLocked(final Pserialize.Reader reader) {
        final Pserialize.Reader[] array = records;
        final int n = count;
        if (n == array.length) {
            final Pserialize.Reader[] bigger = Arrays.copyOf(array, n * 2);
            bigger[n] = reader;
            records = bigger; // ORDER: volatile store publishes the copy and its elements
        } else {
            // ORDER: release; pairs with the acquire in recordAcquire, so a performer that sees
            // the record sees it assigned.
            RECORDS.setRelease(array, n, reader);
        }
        count = n + 1;
    }

    /** Asks the next registration or {@link #sweepIfRequested()} to drop dead records. */
    void requestSweep() {
        sweepRequested = true;
    }

    /** Sweeps now if a performer asked for it and nobody else holds the lock. */
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

    private void sweepLocked() {
        sweepRequested = false;
        final Pserialize.Reader[] old = records;
        final int n = count;
        final Pserialize.Reader[] kept = new Pserialize.Reader[n];
        int live = 0;
        for (int i = 0; i < n; i++) {
            final Pserialize.Reader r = old[i];
            if (r.ownerAlive()) {
                kept[live++] = r;
            } else {
                r.release();
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

    /** Returns the array performers scan; read elements through {@link #recordAcquire}. */
    Pserialize.Reader[] snapshot() {
        return records;
    }

    static Pserialize.Reader recordAcquire(final Pserialize.Reader[] array, final int index) {
        return (Pserialize.Reader) RECORDS.getAcquire(array, index);
    }

    /** Records currently registered (owned by a live thread, or dead and not yet swept). */
    int size() {
        return count;
    }

    long sweeps() {
        return sweeps;
    }

    // VarHandle mechanics
    private static final VarHandle RECORDS = MethodHandles.arrayElementVarHandle(Pserialize.Reader[].class);
}
