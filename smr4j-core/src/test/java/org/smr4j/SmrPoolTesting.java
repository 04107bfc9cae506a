package org.smr4j;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Shared helpers of the SmrPool*Test classes: domain modes, bounded waits, the slow switch. */
final class SmrPoolTesting {
    /** System property that enables long soak runs. */
    static final String SLOW_PROP = "smr4j.test.slow";

    private SmrPoolTesting() {
    }

    /** The three domain modes every pool suite runs under. */
    enum Mode {
        DEFAULT, DEFERRED, LAZY;

        Smr domain(final String name) {
            return switch (this) {
                case DEFAULT -> Smr.create(name);
                case DEFERRED -> Smr.builder(name).deferred(4).build();
                case LAZY -> Smr.builder(name).lazy().build();
            };
        }
    }

    static boolean slow() {
        return Boolean.getBoolean(SLOW_PROP);
    }

    /** Waits until {@code condition} holds, polling every 100 us, or fails with {@code message}. */
    static void await(final BooleanSupplier condition, final Duration timeout, final String message) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + ": " + message);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
    }

    /** A reader thread that enters a section, signals, and stays until released. */
    static final class StalledReader implements AutoCloseable {
        private final Thread thread;
        private final java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
        private final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);

        StalledReader(final Smr smr, final String name) {
            thread = Thread.ofPlatform().name(name).daemon().start(() -> {
                smr.enter();
                try {
                    inside.countDown();
                    release.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    smr.exit();
                }
            });
            try {
                if (!inside.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new AssertionError("reader " + name + " did not enter");
                }
            } catch (final InterruptedException e) {
                throw new AssertionError(e);
            }
        }

        /** Lets the reader exit and waits for it. */
        @Override
        public void close() {
            release.countDown();
            try {
                thread.join(10_000);
            } catch (final InterruptedException e) {
                throw new AssertionError(e);
            }
            if (thread.isAlive()) {
                throw new AssertionError("reader did not exit");
            }
        }
    }
}
