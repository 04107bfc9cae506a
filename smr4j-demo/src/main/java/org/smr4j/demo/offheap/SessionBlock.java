package org.smr4j.demo.offheap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The native block of one session in the {@code offheap} scenario: the session's id, a version
 * that the writer bumps on every replacement, a payload and a checksum computed from both, and
 * the id again at the end, so that a reader can tell a block that is intact, one that changed
 * while it read it (torn), and one that belongs to another session (foreign).
 *
 * <pre>
 *  0        8        16       24       32       40       48       56       64
 *  +--------+--------+--------+--------+--------+--------+--------+--------+
 *  | id     | version| payload(id, version, 0..3)        | check  | id     |
 *  +--------+--------+--------+--------+--------+--------+--------+--------+
 * </pre>
 *
 * All fields are 8-byte longs at 8-byte aligned offsets; blocks are allocated 8-aligned. The
 * writer fills a block completely before it publishes it, and never writes a published block
 * again: so the only way a reader can see a torn or foreign block is that the block was freed and
 * reused (for another version of the same session, or for another session) while it read it.
 */
public final class SessionBlock {

    /** Bytes per block. */
    public static final long BYTES = 64;
    /** Alignment of every block. */
    public static final long ALIGN = 8;

    static final long ID = 0;
    static final long VERSION = 8;
    static final long PAYLOAD = 16;
    static final int PAYLOAD_LONGS = 4;
    static final long CHECK = 48;
    static final long TRAILER = 56;

    /** What {@link #check} found: the block is the session's, whole. */
    public static final int OK = 0;
    /** A field disagrees with the others: the block changed while it was read. */
    public static final int TORN = 1;
    /** The block holds another session's id. */
    public static final int FOREIGN = 2;
    /** Not a verdict of {@link #check}: the read was refused (the block's arena was closed). */
    public static final int REFUSED = 3;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

    private SessionBlock() {
    }

    /**
     * @param seed the run's seed
     * @param session the session's index, 0 or more
     * @return the session's id, never 0: distinct for distinct indexes (a bijective mix of the index),
     *         but for the one index that mixes to 0 and is moved to 1
     */
    public static long sessionId(final long seed, final int session) {
        final long id = mix(seed * 0x9E3779B97F4A7C15L + session + 1);
        return id == 0 ? 1 : id;
    }

    /** Writes a whole block: the id, the version, the payload, the checksum and the trailer. */
    static void write(final MemorySegment block, final long id, final long version) {
        block.set(LONG, ID, id);
        block.set(LONG, VERSION, version);
        for (int k = 0; k < PAYLOAD_LONGS; k++) {
            block.set(LONG, PAYLOAD + 8L * k, payload(id, version, k));
        }
        block.set(LONG, CHECK, checksum(id, version));
        block.set(LONG, TRAILER, id);
    }

    /**
     * Reads a whole block and judges it.
     *
     * @param block the block a reader found in the session's slot
     * @param expectedId the session's id
     * @return {@link #OK}, {@link #TORN} or {@link #FOREIGN}
     */
    static int check(final MemorySegment block, final long expectedId) {
        final long id = block.get(LONG, ID);
        if (id != expectedId) {
            return FOREIGN;
        }
        final long version = block.get(LONG, VERSION);
        for (int k = 0; k < PAYLOAD_LONGS; k++) {
            if (block.get(LONG, PAYLOAD + 8L * k) != payload(id, version, k)) {
                return TORN;
            }
        }
        if (block.get(LONG, CHECK) != checksum(id, version) || block.get(LONG, TRAILER) != id) {
            return TORN;
        }
        return OK;
    }

    static long payload(final long id, final long version, final int k) {
        return mix(id ^ (version * 0xC2B2AE3D27D4EB4FL) ^ k);
    }

    static long checksum(final long id, final long version) {
        return mix(id + 31 * version) ^ 0x5DEECE66DL;
    }

    /** SplitMix64's finaliser: a bijection of the 64-bit integers. */
    static long mix(final long v) {
        long z = v;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
