package org.smr4j.offheap;

import org.smr4j.SmrSeq;

/**
 * A magazine of block handles (UMA's bucket): an array stack of {@code long}s, so that caching a
 * block costs no heap object. As an ALLOC magazine it holds CACHED blocks; as a FREE magazine
 * FREED ones; once full (or flushed) it becomes a batch, tagged with one {@code advance()}.
 * Plain fields: a magazine is reached only through a stripe lock, a depot lock, or the one
 * thread that took it out of either.
 */
final class Magazine {
    final long[] items;
    int count;
    /** The goal of its batch; {@link SmrSeq#INVALID} while untagged. */
    long tag = SmrSeq.INVALID;
    /** System.nanoTime() when it was queued as a batch (for the oldest-age statistic). */
    long enqueuedNanos;

    Magazine(final int capacity) {
        this.items = new long[capacity];
    }

    boolean full() {
        return count == items.length;
    }
}
