package org.smr4j.offheap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One slab of {@link SmrArena}: a region of native memory from a shared {@link Arena} of its
 * own, cut into blocks of one size class, or, for a large allocation, one block of any size.
 *
 * <p>Why one shared arena per slab: the segments handed to users are slices of the slab's
 * segment, so they carry the slab's scope. A slab goes back to the system only by closing its
 * arena, which makes every segment into it inaccessible: a stale segment used after its slab
 * was released throws {@link IllegalStateException} instead of touching unmapped or reused
 * memory. The price is one handshake per slab released (not per block), when a
 * {@link SmrArena#reclaim()} finds the slab empty.
 *
 * <p>Block states, one byte each ({@link #states}), moved by the owner of the block:
 * <pre>
 *   FREE (in this slab's free set) --carve--> CACHED (in an ALLOC magazine or a READY one)
 *   CACHED --allocate--> ALLOCATED --free (CAS)--> FREED (FREE magazine, untagged or tagged batch)
 *   FREED --batch expired--> CACHED --reclaim--> FREE
 * </pre>
 * {@code free} moves ALLOCATED to FREED with a compare-and-set, so of two frees of one block
 * (a double free, even racing on two threads) exactly one succeeds: a block is never in two
 * magazines and never handed out twice. Every other transition is made by the one thread that
 * holds the block in a magazine or under the keg lock, with plain stores published by the lock
 * or the magazine's hand-off; the allocating thread's release store of ALLOCATED pairs with the
 * acquire CAS of whoever frees it (they are ordered anyway by the user's publication of the
 * segment).
 *
 * <p>The free set ({@link #freeBits}, {@link #freeCount}, {@link #scan}) is guarded by the
 * lock of the slab's {@link Keg}.
 */
final class Slab {
    static final byte FREE = 0;
    static final byte CACHED = 1;
    static final byte ALLOCATED = 2;
    static final byte FREED = 3;

    /** Index in the arena's slab table: the high 32 bits of a handle. Never 0. */
    final int index;
    /** Size class, or -1 for a large allocation. */
    final int sizeClass;
    /** Bytes per block (the requested size, for a large allocation). */
    final long blockSize;
    /**
     * ceil(2^64 / blockSize) for size classes (0 for a large allocation), so that
     * {@link #blockOf} divides with one multiply-high instead of a division (about 5 ns on this
     * project's machine, twice per allocate + free). Exact: for an offset n below 2^31 and a
     * block size d below 2^17, the error n * (m * d - 2^64) / (d * 2^64) stays below 1/d.
     */
    private final long reciprocal;
    /** Blocks in this slab (1 for a large allocation). */
    final int blocks;
    /** Bytes taken from the system: the slab size, or the large allocation's size. */
    final long reservedBytes;
    final Arena arena;
    final MemorySegment segment;
    final long base;
    /** Per block: FREE, CACHED, ALLOCATED or FREED; see the class documentation. */
    final byte[] states;

    // Guarded by the keg's lock (large allocations: unused).
    /** One bit per block in the free set. */
    final long[] freeBits;
    /** Blocks in the free set. */
    int freeCount;
    /** Word of freeBits where the next carve starts looking. */
    int scan;
    /** Whether this slab is on its keg's partial list. */
    boolean partial;
    /** Large allocations: the goal of its free, under the arena's large lock. */
    long tag;

    Slab(final int index, final int sizeClass, final long blockSize, final int blocks, final Arena arena,
         final MemorySegment segment) {
        this.index = index;
        this.sizeClass = sizeClass;
        this.blockSize = blockSize;
        this.reciprocal = sizeClass >= 0 ? Long.divideUnsigned(-1L, blockSize) + 1 : 0;
        this.blocks = blocks;
        this.reservedBytes = segment.byteSize();
        this.arena = arena;
        this.segment = segment;
        this.base = segment.address();
        this.states = new byte[blocks];
        if (sizeClass >= 0) {
            this.freeBits = new long[(blocks + 63) >>> 6];
            for (int i = 0; i < blocks; i++) {
                freeBits[i >>> 6] |= 1L << i;
            }
            this.freeCount = blocks;
        } else {
            this.freeBits = new long[0];
            this.freeCount = 0;
        }
    }

    boolean large() {
        return sizeClass < 0;
    }

    /** The handle of block {@code i}: slab index in the high half, byte offset in the low half. */
    long handle(final int i) {
        return ((long) index << 32) | ((long) i * blockSize);
    }

    static int slabIndex(final long handle) {
        return (int) (handle >>> 32);
    }

    static long offset(final long handle) {
        return handle & 0xFFFF_FFFFL;
    }

    int blockOf(final long handle) {
        return blockAt(offset(handle));
    }

    /** The block that byte {@code offset} of this slab falls in (offset below the slab size). */
    int blockAt(final long offset) {
        return (int) Math.multiplyHigh(offset, reciprocal);
    }

    long address(final long handle) {
        return base + offset(handle);
    }

    // ------------------------------------------------------------------ states

    byte stateAcquire(final int block) {
        return (byte) STATES.getAcquire(states, block);
    }

    void setStateRelease(final int block, final byte state) {
        STATES.setRelease(states, block, state);
    }

    /** The free path's compare-and-set; see the class documentation. */
    boolean casState(final int block, final byte expect, final byte update) {
        return STATES.compareAndSet(states, block, expect, update);
    }

    // ------------------------------------------------------------------ free set (keg lock held)

    /** Takes a block out of the free set, or returns -1 if it is empty. */
    int carve() {
        if (freeCount == 0) {
            return -1;
        }
        final long[] bits = freeBits;
        for (int n = 0; n < bits.length; n++) {
            final int w = (scan + n) % bits.length;
            final long word = bits[w];
            if (word != 0) {
                final int bit = Long.numberOfTrailingZeros(word);
                bits[w] = word & ~(1L << bit);
                freeCount--;
                scan = w;
                return (w << 6) + bit;
            }
        }
        throw new AssertionError("slab " + index + ": freeCount " + freeCount + " but no free bit");
    }

    /** Puts block {@code i} back into the free set. */
    void uncarve(final int i) {
        final long mask = 1L << i;
        assert (freeBits[i >>> 6] & mask) == 0 : "slab " + index + " block " + i + " already free";
        freeBits[i >>> 6] |= mask;
        freeCount++;
    }

    boolean empty() {
        return freeCount == blocks;
    }

    @Override
    public String toString() {
        return "Slab[" + index + ", " + (large() ? "large" : "class " + blockSize) + ", 0x"
                + Long.toHexString(base) + ", free " + freeCount + "/" + blocks + "]";
    }

    // VarHandle mechanics
    private static final VarHandle STATES = MethodHandles.arrayElementVarHandle(byte[].class);
}
