package org.smr4j.offheap;

/**
 * The size classes of {@link SmrArena}: block sizes from 16 bytes to 64 KiB, every one a
 * multiple of 16.
 *
 * <pre>
 *   class   0..7 : 16, 32, 48, 64, 80, 96, 112, 128          (steps of 16)
 *   class  8..43 : four classes per doubling above 128:
 *                  160, 192, 224, 256, 320, 384, 448, 512, ... 40960, 49152, 57344, 65536
 * </pre>
 *
 * <p>Four classes per doubling bound the internal waste of a block at 25% above 128 bytes
 * (jemalloc's spacing); steps of 16 keep small records tight. A block of class {@code c} is
 * aligned in its slab to the largest power of two that divides {@link #size(int) size(c)},
 * capped at the slab's page alignment of 4096 (slabs start on a page and blocks are laid end to
 * end), so a request for an alignment above 16 takes the first class at or above its size
 * whose size is a multiple of the alignment.
 *
 * <p>Anything larger than {@link #MAX_SMALL} bytes, or aligned beyond {@link #PAGE}, is a large
 * allocation with a system allocation of its own.
 */
final class SizeClasses {
    /** Largest block of a size class: 64 KiB, at most a sixteenth of the default slab. */
    static final int MAX_SMALL = 1 << 16;
    /** Alignment of every slab's start, and so the largest block alignment. */
    static final int PAGE = 4096;
    /** Smallest block and alignment of every block: 16 bytes. */
    static final int QUANTUM = 16;
    /** Number of classes. */
    static final int COUNT = 44;

    private static final int[] SIZES = new int[COUNT];

    static {
        for (int c = 0; c < 8; c++) {
            SIZES[c] = (c + 1) * QUANTUM;
        }
        for (int c = 8; c < COUNT; c++) {
            final int p = 7 + (c - 8) / 4;     // the doubling (2^p, 2^(p+1)]
            final int sub = (c - 8) % 4;       // quarter within it
            SIZES[c] = (1 << p) + (sub + 1) * (1 << (p - 2));
        }
        assert SIZES[COUNT - 1] == MAX_SMALL : SIZES[COUNT - 1];
    }

    private SizeClasses() {
    }

    /** Block size of class {@code c}. */
    static int size(final int c) {
        return SIZES[c];
    }

    /**
     * The class of a request of {@code size} bytes with natural alignment (16), or -1 if it is
     * large. Size 0 takes the smallest class.
     */
    static int classOf(final long size) {
        if (size <= 8 * QUANTUM) {
            return size <= QUANTUM ? 0 : (int) ((size + QUANTUM - 1) / QUANTUM) - 1;
        }
        if (size > MAX_SMALL) {
            return -1;
        }
        final int p = 63 - Long.numberOfLeadingZeros(size - 1); // size in (2^p, 2^(p+1)]
        final int sub = (int) ((size - 1) >>> (p - 2)) - 4;    // 0..3
        return 8 + (p - 7) * 4 + sub;
    }

    /**
     * The class of a request of {@code size} bytes aligned to {@code alignment} (a power of
     * two), or -1 if it must be a large allocation.
     */
    static int classOf(final long size, final long alignment) {
        int c = classOf(size);
        if (c < 0 || alignment <= QUANTUM) {
            return c;
        }
        if (alignment > PAGE) {
            return -1;
        }
        while (c < COUNT && (SIZES[c] & (alignment - 1)) != 0) {
            c++;
        }
        return c < COUNT ? c : -1;
    }

    /** Alignment of every block of class {@code c}: the lowest set bit of its size, at most a page. */
    static int alignment(final int c) {
        return Math.min(PAGE, Integer.lowestOneBit(SIZES[c]));
    }
}
