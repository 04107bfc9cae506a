package org.smr4j;

import org.jspecify.annotations.Nullable;

/**
 * Padding chains that keep the contended words of a domain on cache lines of their own.
 *
 * <p>HotSpot lays a class's fields out after its superclass's, so a chain of classes, one
 * hot field per level with 128 bytes of padding on each side, places each hot field on its
 * own pair of 64-byte lines whatever the object header size (compact headers or not). 128
 * and not 64 bytes, because the adjacent-line prefetcher of current x86 and arm64 cores pulls
 * lines in pairs (the same reason crossbeam's {@code CachePadded} uses 128). {@code @Contended}
 * would do the same but is internal to the JDK. {@code SmrLayoutTest} checks the offsets
 * with JOL under the running JVM's header layout.
 *
 * <pre>
 *   SmrShared:    [header][pad 128][wrSeq][pad 128][rdSeq][pad 128][barrierSeq, cold finals]
 *   Smr.Reader:   [header][pad 128][shared, smr, fenceless, seq, nested, owner][pad 128]
 * </pre>
 *
 * <p>The padding fields are never read. They are not private so that javac does not flag
 * them and the JIT cannot drop them.
 */
final class SmrLayout {
    /** Bytes of padding on each side of a hot field; see the class comment for why 128. */
    static final int PAD_BYTES = 128;

    private SmrLayout() {
    }

    /** Padding before {@code wrSeq}; the int fills the 4-byte hole after a 12-byte header. */
    abstract static class SharedPad0 {
        int q0;
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
    }

    /** The write sequence: advanced by writers, read by every reader on enter. */
    abstract static class SharedWrSeq extends SharedPad0 {
        /** Accessed only through {@code SmrShared.WR_SEQ}. */
        long wrSeq;
    }

    /** Padding between the write and the read sequence. */
    abstract static class SharedPad1 extends SharedWrSeq {
        long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
    }

    /** The read sequence: moved forward by scans, read by every poll. */
    abstract static class SharedRdSeq extends SharedPad1 {
        /** Accessed only through {@code SmrShared.RD_SEQ}. */
        long rdSeq;
    }

    /** Padding after the read sequence. */
    abstract static class SharedPad2 extends SharedRdSeq {
        long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;
    }

    /** Padding before a reader's record; the int fills the hole after a 12-byte header. */
    abstract static class ReaderPad0 {
        int q0;
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
    }

    /**
     * The fields of one reader's record. All of them are written by the owning thread only
     * (or by the registry while no thread owns the record); {@code seq} is read by pollers.
     */
    abstract static class ReaderFields extends ReaderPad0 {
        /** The domain's shared sequences, read on every enter. */
        final SmrShared shared;
        /** The domain this record belongs to. */
        final Smr smr;
        /** True when enter publishes without a store-load fence (lazy mode with membarrier). */
        final boolean fenceless;
        /** The published sequence, {@link SmrSeq#INVALID} outside sections; see {@code Smr.Reader.SEQ}. */
        long seq;
        /**
         * Sections entered inside the outermost one and not yet left (the outermost one is
         * marked by {@code seq != 0}). Owner only, plain.
         */
        int nested;
        /** The owning thread; written under the registry lock, read by the owner plainly, by pollers with acquire. */
        @Nullable Thread owner;

        ReaderFields(final Smr smr, final SmrShared shared, final boolean fenceless) {
            this.smr = smr;
            this.shared = shared;
            this.fenceless = fenceless;
        }
    }

    /** Padding after a reader's record, so the next object in the heap cannot share its lines. */
    abstract static class ReaderPad1 extends ReaderFields {
        long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;

        ReaderPad1(final Smr smr, final SmrShared shared, final boolean fenceless) {
            super(smr, shared, fenceless);
        }
    }
}
