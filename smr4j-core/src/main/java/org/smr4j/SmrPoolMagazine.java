package org.smr4j;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A fixed-capacity stack of objects: the unit every layer of {@link SmrPool} moves, UMA's
 * bucket. Per-thread caches hold an ALLOC and a FREE magazine; the depot holds tagged
 * magazines (batches) in its FIFO and expired ones on its READY stack.
 *
 * <p>Owned by whoever holds the lock it sits under (a stripe lock, the depot lock), by an
 * owned cache's owner inside its busy window, or by the one thread that took it out of all of
 * those: its fields are plain.
 */
final class SmrPoolMagazine {
    /** The magazine of revoked and retired owned caches: holds nothing, never written. */
    static final SmrPoolMagazine EMPTY = new SmrPoolMagazine(0);

    final @Nullable Object[] items;
    int count;
    /** The goal of a tagged batch, SmrSeq.INVALID otherwise. */
    long tag;
    /** System.nanoTime() when queued, for the age statistic. */
    long enqueuedNanos;

    SmrPoolMagazine(final int size) {
        this.items = new Object[size];
    }

    /** For checkInvariants: records where each of this magazine's objects is. */
    void note(final String pool, final Map<Object, String> where, final String place, final String state) {
        note(pool, where, items, count, place, state);
    }

    /**
     * For checkInvariants: records {@code place/state} for each of {@code items[0, count)},
     * and checks that the slots past {@code count} are null and that no object is in two
     * places (invariant 1 of the SmrPool overview). Throws AssertionError naming the pool.
     */
    static void note(final String pool, final Map<Object, String> where, final @Nullable Object[] items, final int count,
                     final String place, final String state) {
        for (int i = 0; i < items.length; i++) {
            final Object o = items[i];
            if (i >= count) {
                if (o != null) {
                    throw new AssertionError("pool '" + pool + "': " + place + " has a stale slot " + i);
                }
                continue;
            }
            final String prev = where.put(o, place + "/" + state);
            if (prev != null) {
                throw new AssertionError("pool '" + pool + "': object in two places: " + prev + " and " + place);
            }
        }
    }
}
