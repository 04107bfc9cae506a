package org.smr4j;

import org.jspecify.annotations.Nullable;

/**
 * Padding chain for the per-thread caches of {@link SmrPool}, in the idiom of
 * {@link SmrLayout} (128 bytes on each side, one hot group per level, padding in superclasses
 * and a subclass so that HotSpot's field layout cannot move the hot fields next to another
 * object's).
 *
 * <pre>
 *   SmrPool.Stripe: [header][pad 128][lock, alloc, free, spare, requests, puts][pad 128]
 *   SmrPool.Owned:  [header][pad 128][ownerId, owner, busy, request, alloc, allocItems,
 *                                     allocCount, free, freeItems, freeCount, spare,
 *                                     requests, puts][pad 128]
 * </pre>
 *
 * <p>All fields of a stripe are hot for the same thread at the same time (the lock word and
 * the magazines it guards), so they share lines with each other and with nothing else. The
 * same holds for an owned cache: its owner writes {@code busy}, the magazines and the counters
 * on every call, and other threads read them only when they collect the cache (rarely). The
 * padding fields are never read.
 */
final class SmrPoolLayout {
    private SmrPoolLayout() {
    }

    /** Padding before a stripe's fields; the int fills the hole after a 12-byte header. */
    abstract static class StripePad0 {
        int q0;
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
    }

    /**
     * The fields of one stripe. {@code lock} is accessed only through {@code SmrPool.Stripe.LOCK};
     * every other field is plain and read or written only while holding {@code lock}.
     */
    @SuppressWarnings("NullAway.Init") // the magazines are installed by the constructor of the subclass, SmrPool.Stripe
    abstract static class StripeFields extends StripePad0 {
        /** 0 = free, 1 = held. CAS to acquire, release store to free. */
        int lock;
        /** Objects ready to hand out: expired and destructed, or fresh. Never null. */
        SmrPoolMagazine alloc;
        /** Objects put by callers, untagged, still possibly visible to readers. Never null. */
        SmrPoolMagazine free;
        /** An empty magazine kept to replace a full free magazine without allocating; may be null. */
        @Nullable SmrPoolMagazine spare;
        /** get() calls served through this stripe. */
        long requests;
        /** put() calls accepted by this stripe. */
        long puts;
    }

    /** Padding after a stripe's fields. */
    abstract static class StripePad1 extends StripeFields {
        long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
    }

    /** Padding before an owned cache's fields; the int fills the hole after a 12-byte header. */
    abstract static class OwnedPad0 {
        int q0;
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
    }

    /**
     * The fields of one owned cache ({@code SmrPool.Owned}). {@code busy} and {@code request}
     * are accessed only through {@code SmrPool.Owned.BUSY} and {@code REQUEST}; the two
     * magazines (each as the SmrPoolMagazine, its items array and its count, kept here while it is
     * installed so that the fast path reads one object fewer; the magazine's own count is
     * stale until it leaves the cache) are plain, written by the owner inside its busy window
     * while {@code request} is {@code NONE} and by a collector while it holds the cache
     * ({@code request} not {@code NONE}, owner seen idle); {@code spare} and the counters are
     * written by the owner only. See "Owned caches" in {@code SmrPool}'s overview.
     */
    @SuppressWarnings("NullAway.Init") // the magazines are installed by the constructor of the subclass, SmrPool.Owned
    abstract static class OwnedFields extends OwnedPad0 {
        /** {@link Thread#threadId()} of the owner; never reused by another thread. */
        final long ownerId;
        /** The owner, weakly: a dead thread's cache must not keep its Thread reachable. */
        final java.lang.ref.WeakReference<Thread> owner;
        /** 1 while the owner is inside a busy window, else 0. */
        int busy;
        /** NONE (0), HELD (1) while a collector takes the contents, REVOKED (2) for good. */
        int request;
        /** Objects ready to hand out: expired and destructed, or fresh. Never null. */
        SmrPoolMagazine alloc;
        /** {@code alloc.items}. */
        @Nullable Object[] allocItems;
        /** The number of objects in {@code alloc} (its own count is stale while installed). */
        int allocCount;
        /** Objects put by the owner, untagged, still possibly visible to readers. Never null. */
        SmrPoolMagazine free;
        /** {@code free.items}. */
        @Nullable Object[] freeItems;
        /** The number of objects in {@code free} (its own count is stale while installed). */
        int freeCount;
        /** An empty magazine kept to replace a full free magazine; owner only; may be null. */
        @Nullable SmrPoolMagazine spare;
        /** get() calls served through this cache (owner only; read racily by stats). */
        long requests;
        /** put() calls accepted by this cache (owner only; read racily by stats). */
        long puts;

        OwnedFields(final Thread owner) {
            this.ownerId = owner.threadId();
            this.owner = new java.lang.ref.WeakReference<>(owner);
        }
    }

    /** Padding after an owned cache's fields. */
    abstract static class OwnedPad1 extends OwnedFields {
        long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;

        OwnedPad1(final Thread owner) {
            super(owner);
        }
    }
}
