package org.smr4j;

import org.jspecify.annotations.Nullable;

/**
 * Padding chains for {@link Pserialize} and {@link PserializePool}, built the way
 * {@link SmrLayout} builds Smr's: one group of hot fields per level, 128 bytes of padding on
 * each side, so that the group owns its pair of 64-byte cache lines whatever the object
 * header size (see {@link SmrLayout} for why 128 and why not {@code @Contended}).
 *
 * <pre>
 *   Pserialize.Reader:         [header][pad 128][pserialize, fenceless, state, depth, owner][pad 128]
 *   PserializePool.Stripe:     [header][pad 128][locked, objects, count, counters][pad 128]
 * </pre>
 *
 * <p>The padding fields are never read. They are not private so that javac does not flag
 * them and the JIT cannot drop them.
 */
final class PserializeLayout {
    private PserializeLayout() {
    }

    /** Padding before a reader's record; the int fills the hole after a 12-byte header. */
    abstract static class ReaderPad0 {
        int q0;
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
    }

    /**
     * The fields of one reader's record. The owner writes {@code state} and {@code depth};
     * the registry writes {@code owner} (and normalises {@code state}) under its lock while
     * no live thread owns the record; performers read {@code state} and {@code owner}.
     */
    abstract static class ReaderFields extends ReaderPad0 {
        /** The instance this record belongs to. */
        final Pserialize pserialize;
        /** True when enter publishes without a store-load fence (membarrier available). */
        final boolean fenceless;
        /**
         * Outermost enters plus outermost exits since the record was created: odd while the
         * owner is inside a section. Bit table:
         * <pre>
         *   bit 0      inside: 1 between the outermost enter and its exit
         *   bits 1-63  sections begun (wraps after 2^63 sections: harmless, performers
         *              only compare for equality)
         * </pre>
         * Written by the owner (opaque or RMW on enter, release on exit) and by the registry
         * when it gives the record to a new owner; read by performers with opaque loads.
         * See {@code Pserialize.Reader.STATE}.
         */
        long state;
        /** Section nesting depth. Owner only, plain. */
        int depth;
        /** The owning thread; written under the registry lock, read by the owner plainly, by performers with acquire. */
        @Nullable Thread owner;

        ReaderFields(final Pserialize pserialize, final boolean fenceless) {
            this.pserialize = pserialize;
            this.fenceless = fenceless;
        }
    }

    /** Padding after a reader's record, so the next object in the heap cannot share its lines. */
    abstract static class ReaderPad1 extends ReaderFields {
        long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;

        ReaderPad1(final Pserialize pserialize, final boolean fenceless) {
            super(pserialize, fenceless);
        }
    }

    /** Padding before a pool stripe. */
    abstract static class StripePad0 {
        int q0;
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
    }

    /**
     * The fields of one pool stripe. {@code locked} is the stripe's tiny lock (CAS 0 to 1);
     * everything else is guarded by it.
     */
    @SuppressWarnings("NullAway.Init") // objects is allocated by the constructor of the subclass, PserializePool.Stripe
    abstract static class StripeFields extends StripePad0 {
        /** 0 free, 1 held. Accessed only through {@code PserializePool.Stripe.LOCKED}. */
        int locked;
        /** Cached objects, [0, count) valid; capacity two magazines (NetBSD's current and previous). */
        @Nullable Object[] objects;
        /** Objects in {@code objects}. Guarded by {@code locked}. */
        int count;
        /** get() calls served from this stripe, and those that found an object. Guarded by {@code locked}. */
        long gets;
        long hits;
        /** put() calls cached in this stripe. Guarded by {@code locked}. */
        long puts;
    }

    /** Padding after a pool stripe. */
    abstract static class StripePad1 extends StripeFields {
        long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
    }
}
