package org.smr4j.stress;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A one-shot message from a test's writer actor to its reader actor: the writer publishes
 * what its poll decided, and the reader, still inside its read section, waits for it (bounded)
 * before it leaves. This is what lets a jcstress test tell "the poll succeeded while the reader
 * was inside" from "the poll succeeded after the reader had left", which a plain litmus test
 * cannot: an SMR reader must exit before its actor returns.
 *
 * <p>Memory consistency effects: actions of the writer before {@link #publish(int)}
 * <i>happen-before</i> the reader's actions after an {@link #await(long)} that returns the
 * published value (release/acquire). The handshake adds no ordering between the accesses the
 * test examines, which all precede it on both sides (see each test).
 */
final class Verdict {
    /** Nothing published yet (also what {@link #await(long)} returns when it gives up). */
    static final int NONE = 0;
    /** The writer's poll did not reach its goal; nothing was reused. */
    static final int NOT_REACHED = 1;
    /** The writer's poll reached its goal and the writer reused the old object. */
    static final int REACHED = 2;
    /** A start signal, for tests whose writer tells the reader when to enter. */
    static final int GO = 3;

    /** How often the waiting loop reads the clock: every this many spins (a power of two). */
    private static final int CLOCK_EVERY = 64;

    /** Accessed through {@link #VALUE}. */
    @SuppressWarnings("unused")
    private int value;

    /**
     * Writer side: publishes the verdict.
     *
     * @param verdict {@link #NOT_REACHED}, {@link #REACHED} or {@link #GO}
     */
    void publish(final int verdict) {
        // ORDER: release; the writer's reuse (before this call) is visible to a reader whose
        // acquire load in await returns the verdict.
        VALUE.setRelease(this, verdict);
    }

    /**
     * Reader side: spins until a verdict is published or {@code timeoutNanos} pass.
     *
     * @param timeoutNanos how long to wait; jcstress does not promise that both actors run at
     *        the same time, so the wait must be bounded
     * @return the verdict, or {@link #NONE} if the writer did not publish in time
     */
    int await(final long timeoutNanos) {
        // ORDER: acquire; pairs with the release in publish.
        int v = (int) VALUE.getAcquire(this);
        if (v != NONE) {
            return v;
        }
        final long start = System.nanoTime();
        for (int spins = 1; ; spins++) {
            Thread.onSpinWait();
            v = (int) VALUE.getAcquire(this);
            if (v != NONE) {
                return v;
            }
            if ((spins & (CLOCK_EVERY - 1)) == 0 && System.nanoTime() - start > timeoutNanos) {
                return NONE;
            }
        }
    }

    // VarHandle mechanics
    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(Verdict.class, "value", int.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
