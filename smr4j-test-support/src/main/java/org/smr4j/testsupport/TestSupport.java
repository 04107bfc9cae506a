package org.smr4j.testsupport;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Helpers every module's tests share: bounded, messaged waits (never a bare sleep),
 * thread-state probes for a test that needs a thread blocked at a known point, and the
 * switches of the build profiles.
 *
 * <p>Each module's tests have a {@code TestSupport} of their own that extends this one with
 * what only that module needs (core: making a goal due; offheap: arenas), so that a test calls
 * {@code TestSupport.await(...)} whichever module it is in: static methods are reached through
 * the subclass's name.
 */
public class TestSupport {
    /** System property set by {@code mvn -Pslow}: long soak, churn, property and Lincheck runs. */
    public static final String SLOW_PROP_NAME = "smr4j.test.slow";
    /** Default bound of {@link #await} and {@link #join}: long enough for a loaded 2-CPU machine, short enough to fail fast. */
    public static final Duration AWAIT_DEFAULT = Duration.ofSeconds(20);

    /** For the modules' subclasses, which add static helpers only. */
    protected TestSupport() {
    }

    /**
     * Returns whether the {@code -Pslow} profile is on.
     *
     * @return true under {@code -Pslow}
     */
    public static boolean slow() {
        return Boolean.getBoolean(SLOW_PROP_NAME);
    }

    /**
     * A run length: {@code normal}, or {@code slow} under {@code -Pslow}; a system property
     * {@code name} overrides both.
     *
     * @param name the system property that overrides the length
     * @param normal the length of the normal run
     * @param slow the length under {@code -Pslow}
     * @return the length to run
     */
    public static long knob(final String name, final long normal, final long slow) {
        final String v = System.getProperty(name);
        return v != null ? Long.parseLong(v) : slow() ? slow : normal;
    }

    /**
     * The system load average over the last minute, for messages next to timing figures.
     *
     * @return the load, two decimals
     */
    public static String load() {
        return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    /**
     * Throws {@code t} whatever its type, checked exceptions included, without declaring it:
     * what a Kotlin lambda or a sneaky throw does to a {@code Consumer} or {@code Function}.
     *
     * @param <E> inferred as an unchecked type at the call site
     * @param t what to throw
     * @return never returns; declared so that a caller can write {@code throw sneakyThrow(t)}
     * @throws E always
     */
    @SuppressWarnings("unchecked")
    public static <E extends Throwable> RuntimeException sneakyThrow(final Throwable t) throws E {
        throw (E) t;
    }

    /**
     * Waits until {@code condition} holds, checking with short parks; fails with {@code what}
     * after {@link #AWAIT_DEFAULT}.
     *
     * @param what what is awaited, for the failure message
     * @param condition the condition
     */
    public static void await(final String what, final BooleanSupplier condition) {
        await(what, AWAIT_DEFAULT, condition);
    }

    /**
     * Waits until {@code condition} holds, checking with short parks (10 µs doubling to 1 ms);
     * fails with {@code what} after {@code timeout}.
     *
     * @param what what is awaited, for the failure message
     * @param timeout the bound
     * @param condition the condition
     */
    public static void await(final String what, final Duration timeout, final BooleanSupplier condition) {
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

    /**
     * Waits until {@code thread} is parked or waiting (not runnable): blocked on a lock, or in a
     * park loop such as a wait for a grace period.
     *
     * @param thread the thread
     * @param what what the thread should be blocked in, for the failure message
     */
    public static void awaitParked(final Thread thread, final String what) {
        await(what + " (thread " + thread.getName() + " parked)", () -> {
            final Thread.State state = thread.getState();
            return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
        });
    }

    /**
     * As {@link #awaitParked}: the name the netinet tests use.
     *
     * @param thread the thread
     * @param what what the thread should be blocked in, for the failure message
     */
    public static void awaitBlocked(final Thread thread, final String what) {
        awaitParked(thread, what);
    }

    /**
     * Asserts that {@code thread} stays alive (blocked) for {@code millis}: the way to show that
     * an operation waits, since a wait has no end to observe.
     *
     * @param thread the thread
     * @param millis how long it must stay alive
     * @param what what it waits for, for the failure message
     */
    public static void assertStillBlocked(final Thread thread, final long millis, final String what) {
        final long deadline = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() - deadline < 0) {
            if (!thread.isAlive()) {
                fail(what + ": thread " + thread.getName() + " finished, but it should still be waiting");
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /**
     * Joins {@code thread}, failing with {@code what} if it is still alive after
     * {@link #AWAIT_DEFAULT}.
     *
     * @param thread the thread
     * @param what what the thread does, for the failure message
     * @throws InterruptedException if interrupted while joining
     */
    public static void join(final Thread thread, final String what) throws InterruptedException {
        thread.join(AWAIT_DEFAULT);
        if (thread.isAlive()) {
            fail("timed out after " + AWAIT_DEFAULT + " joining " + thread.getName() + ": " + what);
        }
    }
}
