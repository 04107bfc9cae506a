package org.smr4j.offheap;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.smr4j.Smr;

/** Bounded, messaged waits, the slow-profile switch and domain factories for this module's tests. */
final class TestSupport {
    /** System property set by {@code mvn -Pslow}. */
    static final String SLOW_PROP_NAME = "smr4j.test.slow";
    static final Duration AWAIT_DEFAULT = Duration.ofSeconds(20);

    private TestSupport() {
    }

    static boolean slow() {
        return Boolean.getBoolean(SLOW_PROP_NAME);
    }

    static void await(final String what, final BooleanSupplier condition) {
        final long deadline = System.nanoTime() + AWAIT_DEFAULT.toNanos();
        long park = 10_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + AWAIT_DEFAULT + " waiting until " + what);
            }
            LockSupport.parkNanos(park);
            park = Math.min(park * 2, 1_000_000);
        }
    }

    /** A domain of each mode, for parameterised tests. */
    enum Mode {
        DEFAULT, DEFERRED, LAZY;

        Smr domain(final String name) {
            return switch (this) {
                case DEFAULT -> Smr.create(name);
                case DEFERRED -> Smr.builder(name).deferred(8).build();
                case LAZY -> Smr.builder(name).lazy().build();
            };
        }
    }

    static SmrArena arena(final String name, final Smr smr) {
        return SmrArena.builder(name).smr(smr).jmx(false).build();
    }
}
