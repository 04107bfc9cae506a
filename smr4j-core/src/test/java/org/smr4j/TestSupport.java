package org.smr4j;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Helpers shared by the core tests: bounded, messaged waits (never a bare sleep), the
 * "make a goal due" step every mode needs, and the switches of the build profiles.
 */
final class TestSupport {
    /** System property set by {@code mvn -Pslow}: long soak and property runs. */
    static final String SLOW_PROP_NAME = "smr4j.test.slow";
    /** Default bound of {@link #await}: long enough for a loaded 2-CPU machine, short enough to fail fast. */
    static final Duration AWAIT_DEFAULT = Duration.ofSeconds(10);

    private TestSupport() {
    }

    static boolean slow() {
        return Boolean.getBoolean(SLOW_PROP_NAME);
    }

    /** The system load average over the last minute, for messages next to timing figures. */
    static String load() {
        return String.format("%.2f", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    /** True in the forked JVM of the {@code membarrier-fallback} surefire execution. */
    static boolean membarrierDisabledByProperty() {
        return "false".equalsIgnoreCase(System.getProperty(AsymmetricFence.ENABLED_PROP_NAME));
    }

    /** Waits until {@code condition} holds, checking with short parks; fails with {@code what} after the default bound. */
    static void await(final String what, final BooleanSupplier condition) {
        await(what, AWAIT_DEFAULT, condition);
    }

    /** Waits until {@code condition} holds, checking with short parks; fails with {@code what} after {@code timeout}. */
    static void await(final String what, final Duration timeout, final BooleanSupplier condition) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        long parkNanos = 10_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeout + " waiting until " + what);
            }
            LockSupport.parkNanos(parkNanos);
            parkNanos = Math.min(parkNanos * 2, 1_000_000);
        }
    }

    /** Waits until {@code thread} is parked or waiting (not runnable), e.g. inside waitFor's park loop. */
    static void awaitParked(final Thread thread, final String what) {
        await(what + " (thread " + thread.getName() + " parked)", () -> {
            final Thread.State state = thread.getState();
            return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
        });
    }

    /**
     * Moves the write sequence up to {@code goal} by advancing from the calling thread (which
     * must not be in a section): a no-op in default mode, at most {@code limit} advances in
     * deferred mode, up to one tick of clock in lazy mode. Does not poll, so the read
     * sequence is left where it was and the next poll has to scan.
     */
    static void makeDue(final Smr smr, final long goal) {
        await("write sequence of " + smr + " reaches goal " + goal, () -> {
            if (SmrSeq.lt(smr.current(), goal)) {
                smr.advance();
            }
            return SmrSeq.geq(smr.current(), goal);
        });
    }
}
