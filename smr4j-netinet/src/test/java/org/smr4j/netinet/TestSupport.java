package org.smr4j.netinet;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Helpers shared by the netinet tests: the switch of the {@code -Pslow} profile, bounded and
 * messaged waits (never a bare sleep), and thread-state probes for tests that need a thread
 * to be blocked at a known point.
 */
public final class TestSupport {
    /** System property set by {@code mvn -Pslow}: long soak, churn and Lincheck runs. */
    public static final String SLOW_PROP_NAME = "smr4j.test.slow";
    /** Default bound of {@link #await}: long enough for a loaded 2-CPU machine, short enough to fail fast. */
    public static final Duration AWAIT_DEFAULT = Duration.ofSeconds(20);

    private TestSupport() {
    }

    /**
     * Throws {@code t} whatever its type, checked exceptions included, without declaring it:
     * what a Kotlin lambda or a sneaky throw does to a {@code Consumer} or {@code Function}.
     *
     * @param <E> inferred as an unchecked type at the call site
     * @param t what to throw
     * @throws E always
     */
    @SuppressWarnings("unchecked")
    public static <E extends Throwable> RuntimeException sneakyThrow(final Throwable t) throws E {
        throw (E) t;
    }

    /** {@return true under {@code -Pslow}} */
    public static boolean slow() {
        return Boolean.getBoolean(SLOW_PROP_NAME);
    }

    /**
     * A run length: {@code normal}, or {@code slow} under {@code -Pslow}; a system property
     * {@code name} overrides both.
     */
    public static long knob(final String name, final long normal, final long slow) {
        final String v = System.getProperty(name);
        return v != null ? Long.parseLong(v) : slow() ? slow : normal;
    }

    /** Waits until {@code condition} holds, checking with short parks; fails with {@code what} after the default bound. */
    public static void await(final String what, final BooleanSupplier condition) {
        await(what, AWAIT_DEFAULT, condition);
    }

    /** Waits until {@code condition} holds, checking with short parks; fails with {@code what} after {@code timeout}. */
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

    /** Waits until {@code thread} is parked or waiting (not runnable): blocked on a lock, or in a park loop. */
    public static void awaitBlocked(final Thread thread, final String what) {
        await(what + " (thread " + thread.getName() + " blocked)", () -> {
            final Thread.State state = thread.getState();
            return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
        });
    }

    /**
     * Asserts that {@code thread} stays alive (blocked) for {@code millis}: the way to show that
     * an operation waits, since a wait has no end to observe.
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

    /** Joins {@code thread}, failing with {@code what} if it is still alive after the default bound. */
    public static void join(final Thread thread, final String what) throws InterruptedException {
        thread.join(AWAIT_DEFAULT);
        if (thread.isAlive()) {
            fail("timed out after " + AWAIT_DEFAULT + " joining " + thread.getName() + ": " + what);
        }
    }
}
