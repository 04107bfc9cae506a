package org.smr4j.offheap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One per-thread cache of {@link SmrArena}: for every size class an ALLOC and a FREE magazine,
 * guarded by a tiny spin lock that is held for a few dozen instructions and never while the
 * domain, another lock or user code runs. Threads pick a stripe by a hash of their id, so
 * virtual threads need no thread-local state and millions of them share a handful of stripes;
 * a thread that finds its stripe busy tries the next one before it spins.
 */
final class Stripe extends StripeLayout.Pad1 {
    /** Spins on a busy stripe before parking for a microsecond. */
    private static final int LOCK_SPINS = 128;

    boolean tryLock() {
        // ORDER: acquire CAS; pairs with the release store in unlock(): everything the last
        // holder did to the magazines is visible to us.
        return (int) LOCK.getOpaque(this) == 0 && LOCK.compareAndSet(this, 0, 1);
    }

    void lock() {
        int spins = 0;
        while (!tryLock()) {
            if (++spins < LOCK_SPINS) {
                Thread.onSpinWait();
            } else {
                // The holder was descheduled: park briefly rather than yield (which would
                // starve the carriers of virtual threads).
                LockSupport.parkNanos(1_000);
                spins = 0;
            }
        }
    }

    void unlock() {
        // ORDER: release; publishes the magazine updates to the next holder.
        LOCK.setRelease(this, 0);
    }

    // VarHandle mechanics
    private static final VarHandle LOCK;

    static {
        try {
            LOCK = MethodHandles.lookup().findVarHandle(StripeLayout.Fields.class, "lock", int.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
