package org.smr4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The shared state of one domain, FreeBSD's {@code struct smr_shared}: the write sequence
 * (the writers' hand of the two-handed clock), the read sequence (the readers' hand, as of the
 * last scan) and, for lazy domains, the barrier sequence. Each hot word sits on its own pair
 * of cache lines ({@link SmrLayout}).
 *
 * <p>Accessors name their access mode (Java 9 vocabulary: opaque, acquire, release,
 * volatile); each call site in {@link Smr} says why it needs that mode.
 *
 * <p>Invariants:
 * <ol>
 *   <li>{@code wrSeq} and {@code rdSeq} only move forward (every write is a CAS or an add
 *       that moves them forward in {@link SmrSeq} order).</li>
 *   <li>{@code rdSeq} never passes {@code wrSeq}: a scan starts its minimum at a value of
 *       {@code wrSeq} it read.</li>
 *   <li>{@code barrierSeq} never passes {@code wrSeq}, for the same reason.</li>
 *   <li>Lazy domains with fence-free readers: {@code rdSeq} never passes {@code barrierSeq}
 *       (a scan with write sequence {@code wr} first makes the barrier cover {@code wr}).</li>
 * </ol>
 * Non-invariant: {@code rdSeq} may lag far behind; it moves only when someone scans.
 */
final class SmrShared extends SmrLayout.SharedPad2 {
    /**
     * Lazy domains only: a value {@code s} of {@code wrSeq} such that a process-wide barrier
     * was begun after {@code wrSeq >= s} had been observed, and has completed. A goal at or
     * before it needs no new barrier. Written at most about once per tick, so it shares the
     * cold tail of the object.
     */
    @SuppressWarnings("UnusedVariable") // read and written only through BARRIER_SEQ, which Error Prone does not follow
    private long barrierSeq;

    SmrShared(final long init) {
        // Plain stores are enough: the domain is published to other threads safely (a final
        // field of Smr, and Smr itself through whatever the caller uses), and Smr's
        // constructor ends with a full fence as smr_create does.
        this.wrSeq = init;
        this.rdSeq = init;
        this.barrierSeq = init; // vacuous: no goal is <= init, so no reader needs a barrier for it
    }

    long wrSeqOpaque() {
        return (long) WR_SEQ.getOpaque(this);
    }

    long wrSeqAcquire() {
        return (long) WR_SEQ.getAcquire(this);
    }

    /** Volatile read-modify-write: a full fence on every platform. */
    long getAndAddWrSeq(final long incr) {
        return (long) WR_SEQ.getAndAdd(this, incr);
    }

    boolean casWrSeq(final long expected, final long value) {
        return WR_SEQ.compareAndSet(this, expected, value);
    }

    long rdSeqAcquire() {
        return (long) RD_SEQ.getAcquire(this);
    }

    boolean casRdSeq(final long expected, final long value) {
        return RD_SEQ.compareAndSet(this, expected, value);
    }

    long barrierSeqAcquire() {
        return (long) BARRIER_SEQ.getAcquire(this);
    }

    boolean casBarrierSeq(final long expected, final long value) {
        return BARRIER_SEQ.compareAndSet(this, expected, value);
    }

    // VarHandle mechanics
    private static final VarHandle WR_SEQ;
    private static final VarHandle RD_SEQ;
    private static final VarHandle BARRIER_SEQ;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            WR_SEQ = lookup.findVarHandle(SmrLayout.SharedWrSeq.class, "wrSeq", long.class);
            RD_SEQ = lookup.findVarHandle(SmrLayout.SharedRdSeq.class, "rdSeq", long.class);
            BARRIER_SEQ = lookup.findVarHandle(SmrShared.class, "barrierSeq", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
