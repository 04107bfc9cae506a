package org.smr4j.offheap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The off-heap formats of {@link OffHeapMap}, in the Agrona descriptor idiom: offsets in one
 * place, accessors named after their access mode.
 *
 * <pre>
 *  Entry (one arena block, 16-byte aligned):
 *    0                   8                  16         20          24
 *    +-------------------+------------------+----------+-----------+---------------+-----------------+
 *    | next (handle)     | hash (SipHash)   | keyLen   | valueLen  | key bytes ... | value bytes ... |
 *    +-------------------+------------------+----------+-----------+---------------+-----------------+
 *    next: the next entry of the chain, 0 at the end; written with release stores (publication,
 *          unlink), read by lock-free readers with acquire loads. Every other field is written
 *          once, before the entry is published, and never again: an update replaces the entry.
 *
 *  Bucket array (one arena block): table size x 8-byte handles of chain heads, 0 = empty;
 *    release stores under the segment lock, acquire loads by readers.
 * </pre>
 */
final class EntryLayout {
    static final long NEXT = 0;
    static final long HASH = 8;
    static final long KEY_LEN = 16;
    static final long VALUE_LEN = 20;
    static final long KEY = 24;
    /** Header bytes before the key. */
    static final long HEADER = KEY;
    /** Largest key plus value: entries stay below 2^31 bytes. */
    static final long MAX_PAYLOAD = Integer.MAX_VALUE - 64 - HEADER;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private EntryLayout() {
    }

    static long nextAcquire(final MemorySegment s, final long entry) {
        // ORDER: acquire; pairs with setNextRelease/setBucketRelease: the entry's fields are
        // visible before the link that reaches it.
        return (long) LONG.getAcquire(s, entry + NEXT);
    }

    static void setNextRelease(final MemorySegment s, final long entry, final long next) {
        // ORDER: release; publishes the entry written before it (or, for an unlink, orders the
        // unlink after everything the writer did to the chain).
        LONG.setRelease(s, entry + NEXT, next);
    }

    static long hash(final MemorySegment s, final long entry) {
        return s.get(ValueLayout.JAVA_LONG, entry + HASH);
    }

    static int keyLen(final MemorySegment s, final long entry) {
        return s.get(ValueLayout.JAVA_INT, entry + KEY_LEN);
    }

    static int valueLen(final MemorySegment s, final long entry) {
        return s.get(ValueLayout.JAVA_INT, entry + VALUE_LEN);
    }

    static long bucketAcquire(final MemorySegment s, final long buckets, final int i) {
        // ORDER: acquire; pairs with setBucketRelease.
        return (long) LONG.getAcquire(s, buckets + ((long) i << 3));
    }

    static void setBucketRelease(final MemorySegment s, final long buckets, final int i, final long head) {
        // ORDER: release; publishes the head entry's fields before the link.
        LONG.setRelease(s, buckets + ((long) i << 3), head);
    }

    /** Checks a block is large enough for an entry's header (tests, assertions). */
    static void checkEntry(final long blockSize, final long keyLen, final long valueLen) {
        if (blockSize < HEADER + keyLen + valueLen) {
            throw new AssertionError("entry block " + blockSize + " < header " + HEADER + " + key " + keyLen
                    + " + value " + valueLen);
        }
    }
}
