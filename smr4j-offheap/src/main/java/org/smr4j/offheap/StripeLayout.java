package org.smr4j.offheap;

/**
 * Padding chain of {@link Stripe}, in the idiom of core's {@code SmrPoolLayout}: 128 bytes on each
 * side of the hot fields, so that two stripes (used by threads on different cores) never share
 * a cache line.
 *
 * <pre>
 *   Stripe: [header][pad 128][lock, alloc[], free[], spare, counters][pad 128]
 * </pre>
 */
final class StripeLayout {
    private StripeLayout() {
    }

    /** Padding before the fields; the int fills the hole after a 12-byte header. */
    abstract static class Pad0 {
        int q0;
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
    }

    /**
     * The fields of one stripe. {@code lock} is accessed only through {@code Stripe.LOCK}; every
     * other field is plain and read or written only while holding {@code lock}.
     */
    abstract static class Fields extends Pad0 {
        /** 0 = free, 1 = held. CAS (acquire) to take, release store to give back. */
        int lock;
        /** Per size class: CACHED blocks to hand out; null until first used. */
        final Magazine[] alloc = new Magazine[SizeClasses.COUNT];
        /** Per size class: FREED blocks, untagged; null until first used. */
        final Magazine[] free = new Magazine[SizeClasses.COUNT];
        /** An empty magazine kept to replace a full FREE one without allocating; may be null. */
        Magazine spare;
        /**
         * The slab of the last segment freed through this stripe: a hint that saves free() the
         * scope lookup. Read and written without the lock (a racy hint: any value is a real
         * Slab, and free() uses it only if its scope is the segment's).
         */
        Slab freeHint;
        /** Allocations and frees served by this stripe, and their block bytes. */
        long allocations;
        long frees;
        long allocatedBytes;
        long freedBytes;
    }

    /** Padding after the fields. */
    abstract static class Pad1 extends Fields {
        long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
    }
}
