package org.smr4j.offheap;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The slab layer of one size class of {@link SmrArena} (UMA's keg): the slabs of that class,
 * those with free blocks on a list. Blocks leave a slab a magazine at a time ({@link #carveLocked})
 * and come back only from {@link SmrArena#reclaim()}, the hard limit and close
 * ({@link #giveBack}), when no reader can hold them; a slab whose every block came back is
 * taken off the keg and handed to the caller to be released to the system. Everything here is
 * guarded by {@link #lock}; no other lock is taken while it is held.
 */
final class Keg {
    final int sizeClass;
    final int blockSize;
    final ReentrantLock lock = new ReentrantLock();
    /** Slabs with at least one block in their free set; each has {@code partial} set. */
    private final ArrayDeque<Slab> partial = new ArrayDeque<>();
    /** Slabs of this class that are not released. */
    int slabs;
    /** Slabs of this class ever created; sizes the next one (a racy hint when read without the lock). */
    int created;

    Keg(final int sizeClass) {
        this.sizeClass = sizeClass;
        this.blockSize = SizeClasses.size(sizeClass);
    }

    /** Lock held: a new slab, every block free. */
    void addLocked(final Slab slab) {
        slabs++;
        created++;
        slab.partial = true;
        partial.addFirst(slab);
    }

    /**
     * The size of this class's next slab: small first (16 blocks, at least 64 KiB), doubling
     * with every slab created up to {@code max}, so that an arena (or a map) that holds a few
     * blocks of a class reserves 64 KiB for it, not the full slab size.
     */
    long nextSlabBytes(final long max) {
        final long first = Math.max(SmrArena.SLAB_SIZE_MIN, Long.highestOneBit(16L * blockSize - 1) << 1);
        return Math.min(max, first << Math.min(created, 20));
    }

    /** Lock held: carves CACHED blocks into {@code m} until it is full or no slab has any left. */
    void carveLocked(final Magazine m) {
        while (!m.full()) {
            final Slab s = partial.peekFirst();
            if (s == null) {
                return;
            }
            final int b = s.carve();
            if (b < 0 || s.freeCount == 0) {
                partial.pollFirst();
                s.partial = false;
                if (b < 0) {
                    continue;
                }
            }
            s.setStateRelease(b, Slab.CACHED);
            m.items[m.count++] = s.handle(b);
        }
    }

    /**
     * Lock held: puts the CACHED blocks of {@code m} back into their slabs (emptying it); slabs
     * that became wholly free are removed from the keg and added to {@code emptied}.
     */
    void giveBackLocked(final Magazine m, final SlabTable table, final List<Slab> emptied) {
        for (int i = 0; i < m.count; i++) {
            final long h = m.items[i];
            final Slab s = table.get(Slab.slabIndex(h));
            final int b = s.blockOf(h);
            assert s.stateAcquire(b) == Slab.CACHED : s + " block " + b + " state " + s.stateAcquire(b);
            s.setStateRelease(b, Slab.FREE);
            s.uncarve(b);
            if (s.empty()) {
                if (s.partial) {
                    partial.remove(s);
                    s.partial = false;
                }
                slabs--;
                emptied.add(s);
            } else if (!s.partial) {
                s.partial = true;
                partial.addLast(s);
            }
        }
        m.count = 0;
    }

    /** Puts {@code m}'s blocks back, taking the lock. */
    void giveBack(final Magazine m, final SlabTable table, final List<Slab> emptied) {
        lock.lock();
        try {
            giveBackLocked(m, table, emptied);
        } finally {
            lock.unlock();
        }
    }
}
