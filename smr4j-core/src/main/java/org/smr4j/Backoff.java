package org.smr4j;

import java.util.concurrent.locks.LockSupport;

/**
 * The wait of smr4j's blocking calls: spin briefly, then park with a timeout that doubles from
 * 1 µs to 1 ms, and never return early for an interrupt.
 *
 * <p>Used by {@code Smr.waitFor}, its expedited form, {@code Pserialize.perform}, and
 * {@code PserializePool}'s waits at the hard limit, for room among the awaiting objects and
 * for a stripe lock. Spinning first keeps a short wait (a reader a few instructions from its
 * exit, a lock held for a few stores) off the scheduler; parking after {@value #SPINS} tries
 * gives the CPU away, which matters on an oversubscribed machine where the thread waited for
 * may be the one that needs this CPU to finish (a Java reader can be descheduled inside its
 * section, unlike a kernel one). The timeout grows so that a long wait costs few wake-ups,
 * and stops at 1 ms so that the end of the wait is seen within about a millisecond.
 *
 * <p>Interrupts: none of these waits is interruptible, and a set interrupt flag makes
 * {@link LockSupport#parkNanos} return at once, which would turn the wait into a busy loop.
 * So each park clears the flag ({@link Thread#interrupted()}) and remembers that it was set,
 * and {@link #restoreInterrupt()} sets it again when the wait is over, for the caller.
 *
 * <p>Not thread-safe: one instance per wait, made and used by the waiting thread only (it does
 * not escape the waiting method, so the JIT may keep its fields in registers).
 */
final class Backoff {
    /** Tries that spin before the wait starts parking. */
    static final int SPINS = 64;
    /** First and largest park, in nanoseconds: 1 µs doubling up to 1 ms. */
    static final long PARK_MIN_NANOS = 1_000;
    static final long PARK_MAX_NANOS = 1_000_000;

    /** The object the parks name as their blocker (the domain or the pool, for thread dumps). */
    private final Object blocker;
    private int spins;
    private long parkNanos = PARK_MIN_NANOS;
    private boolean interrupted;

    Backoff(final Object blocker) {
        this.blocker = blocker;
    }

    /**
     * Returns whether the next {@link #pause()} parks: the spins are used up. For work worth
     * doing only once the wait is long (a stalled-reader watch).
     */
    boolean parking() {
        return spins >= SPINS;
    }

    /** Spins once, or, once the spins are used up, parks for the current timeout and doubles it. */
    void pause() {
        if (spins < SPINS) {
            spins++;
            Thread.onSpinWait();
        } else {
            park(parkNanos);
            parkNanos = Math.min(parkNanos * 2, PARK_MAX_NANOS);
        }
    }

    /** Parks for {@code nanos} (a sleep the caller computed), keeping a pending interrupt aside. */
    void park(final long nanos) {
        LockSupport.parkNanos(blocker, nanos);
        interrupted |= Thread.interrupted(); // cleared so that the next park waits; restored at the end
    }

    /** Sets the interrupt status again if an interrupt arrived during the wait. Call once, when it ends. */
    void restoreInterrupt() {
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
