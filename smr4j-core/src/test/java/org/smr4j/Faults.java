package org.smr4j;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Test support for the failure paths (issue 13): the three kinds of throwable a hook can
 * throw, a sneaky throw of a checked exception (as a Kotlin lambda or a rethrowing helper
 * does), a capture of what the library logs through {@link System.Logger}, and a thread's
 * CPU time over a stretch of wall time (a wait that spins burns its whole wall time).
 */
final class Faults {
    private Faults() {
    }

    /** What a hook throws. */
    enum Kind {
        RUNTIME, ERROR, CHECKED;

        /** A fresh throwable of this kind, named after the hook. */
        Throwable make(final String hook) {
            return switch (this) {
                case RUNTIME -> new InjectedRuntime(hook);
                case ERROR -> new InjectedError(hook);
                case CHECKED -> new InjectedChecked(hook);
            };
        }

        /** Throws a fresh throwable of this kind, a checked one sneakily. */
        @SuppressWarnings("DoNotCallSuggester") // throwing is its whole job; it is called on purpose
        void fire(final String hook) {
            throw Faults.<RuntimeException>sneaky(make(hook));
        }

        /** Whether {@code t} is what {@link #fire} throws. */
        boolean matches(final Throwable t) {
            return switch (this) {
                case RUNTIME -> t instanceof InjectedRuntime;
                case ERROR -> t instanceof InjectedError;
                case CHECKED -> t instanceof InjectedChecked;
            };
        }
    }

    /** The runtime exception a hook throws. */
    static final class InjectedRuntime extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InjectedRuntime(final String hook) {
            super("injected runtime exception from " + hook);
        }
    }

    /** The error a hook throws. */
    static final class InjectedError extends Error {
        private static final long serialVersionUID = 1L;

        InjectedError(final String hook) {
            super("injected error from " + hook);
        }
    }

    /** The checked exception a hook throws sneakily. */
    static final class InjectedChecked extends Exception {
        private static final long serialVersionUID = 1L;

        InjectedChecked(final String hook) {
            super("injected checked exception from " + hook);
        }
    }

    /** Throws {@code t} whatever its type, without declaring it: how a checked exception reaches a {@code Consumer}. */
    @SuppressWarnings({"unchecked", "TypeParameterUnusedInFormals"}) // the sneaky-throw idiom: E is inferred unchecked
    static <E extends Throwable> E sneaky(final Throwable t) throws E {
        throw (E) t;
    }

    /** Whether {@code t} is any of the injected throwables. */
    static boolean injected(final Throwable t) {
        return t instanceof InjectedRuntime || t instanceof InjectedError || t instanceof InjectedChecked;
    }

    /**
     * Captures the records of one logger (and its children) at every level, DEBUG included,
     * for as long as it is open. System.Logger goes to java.util.logging on this JDK.
     */
    static final class LogCapture extends Handler implements AutoCloseable {
        private final Logger logger;
        private final Level oldLevel;
        private final List<LogRecord> records = new ArrayList<>();

        LogCapture(final String name) {
            this.logger = Logger.getLogger(name); // held: java.util.logging keeps loggers weakly
            this.oldLevel = logger.getLevel();
            logger.setLevel(Level.ALL);
            setLevel(Level.ALL);
            logger.addHandler(this);
        }

        @Override
        public synchronized void publish(final LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
            logger.setLevel(oldLevel);
        }

        /** Records whose message contains {@code text}. */
        synchronized List<LogRecord> containing(final String text) {
            final List<LogRecord> out = new ArrayList<>();
            for (final LogRecord r : records) {
                if (r.getMessage() != null && r.getMessage().contains(text)) {
                    out.add(r);
                }
            }
            return out;
        }

        /** Records whose message contains {@code text}, at {@code level}. */
        synchronized long count(final String text, final Level level) {
            return containing(text).stream().filter(r -> r.getLevel().equals(level)).count();
        }
    }

    /**
     * A blocked thread's CPU share (ThreadMXBean CPU time over wall time) before and after it
     * was interrupted, and the share a spinning control thread got in the same stretch as the
     * second measurement. On a loaded machine a spinning thread gets only what the scheduler
     * gives it (a third of a CPU at load 7.5 on 2 CPUs, seen here), and some waits poll every
     * 100 us at about a tenth of a CPU, so no fixed threshold tells a spin from a wait; the
     * waiter's own share before the interrupt and the control's share together do. The
     * control is the negative control: it shows what a spin measures now.
     *
     * @param before  the waiter's share before the interrupt (0 to 1)
     * @param after   its share after the interrupt
     * @param spinner the control's share, measured with {@code after}
     */
    record CpuShares(double before, double after, double spinner) {
        /** The most CPU a waiter may use after the interrupt: about what it used before (twice, plus 5 points of noise). */
        double bound() {
            return Math.min(0.5, 2 * before + 0.05);
        }

        /**
         * Whether the interrupted waiter still waits: its share stays within {@link #bound()}.
         * Every wait that turned into a spin broke it on this machine at every load tried,
         * even where it got only half of what the control got (its loop also locks, signals
         * and enters the kernel: 22.6% against 51.9%, 4.0% before the interrupt).
         */
        boolean waits() {
            return after <= bound();
        }

        /** Whether a spin would break the bound now: the control did. Else a pass proves nothing. */
        boolean conclusive() {
            return spinner > bound();
        }

        @Override
        public String toString() {
            return String.format("waiter %.1f%% of a CPU before the interrupt, %.1f%% after; spinning control %.1f%%",
                    before * 100, after * 100, spinner * 100);
        }
    }

    /** Milliseconds between the interrupt and the measurement after it (see interruptAndMeasure). */
    static final long SETTLE_MILLIS = 50;

    /**
     * Measures the blocked thread {@code t} for {@code millis}, interrupts it, lets
     * {@value #SETTLE_MILLIS} ms pass, and measures it again for {@code millis} beside a
     * spinning control thread.
     */
    static CpuShares interruptAndMeasure(final Thread t, final long millis) {
        final double before = cpuShare(t, millis);
        t.interrupt();
        // The waiter's one-time reaction to the interrupt (it wakes, runs a path that may not
        // be compiled yet, clears the flag and parks again) is not a spin, and on a loaded
        // machine it can cost a few milliseconds of CPU: let it pass before measuring. A spin
        // goes on for as long as the wait does, so it is still measured in full.
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SETTLE_MILLIS));
        final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        final Thread spinner = Thread.ofPlatform().name("cpu-control-spinner").daemon().start(() -> {
            while (!stop.get()) {
                Thread.onSpinWait();
            }
        });
        try {
            final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            final long c0 = mx.getThreadCpuTime(spinner.threadId());
            final long w0 = System.nanoTime();
            final double after = cpuShare(t, millis);
            final long c1 = mx.getThreadCpuTime(spinner.threadId());
            final long w1 = System.nanoTime();
            return new CpuShares(before, after, (double) (c1 - c0) / (w1 - w0));
        } finally {
            stop.set(true);
            try {
                spinner.join(10_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Asserts that {@code cpu} shows a wait and not a spin. A waiter above its bound fails; one
     * within it passes only if the control broke the bound in the same stretch (else the
     * machine was too loaded for the bound to mean anything, and the test is aborted: an
     * assumption, reported as skipped, never as passed).
     */
    static void assertWaits(final String what, final CpuShares cpu) {
        System.out.println("interrupted " + what + ": " + cpu + ", load " + TestSupport.load());
        org.assertj.core.api.Assertions.assertThat(cpu.waits())
                .as(what + " waits after the interrupt, it does not spin: " + cpu).isTrue();
        org.assertj.core.api.Assumptions.assumeThat(cpu.conclusive())
                .as("a spin would not break the bound at this load either: " + cpu).isTrue();
    }

    /** CPU time of a thread, in nanoseconds, from ThreadMXBean. */
    static long cpuNanos(final Thread t) {
        final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        return mx.getThreadCpuTime(t.threadId());
    }

    /**
     * Lets {@code t} run for {@code millis} of wall time and returns the fraction of it that
     * the thread spent on a CPU. A thread that waits properly spends almost none; one that
     * spins spends as much as the scheduler gives it.
     */
    static double cpuShare(final Thread t, final long millis) {
        final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isThreadCpuTimeSupported() || !mx.isThreadCpuTimeEnabled()) {
            throw new AssertionError("thread CPU time is not measurable on this JVM");
        }
        final long cpu0 = mx.getThreadCpuTime(t.threadId());
        final long wall0 = System.nanoTime();
        final long until = wall0 + TimeUnit.MILLISECONDS.toNanos(millis);
        for (long left = until - wall0; left > 0; left = until - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
        final long cpu1 = mx.getThreadCpuTime(t.threadId());
        final long wall1 = System.nanoTime();
        if (cpu0 < 0 || cpu1 < 0) {
            throw new AssertionError("thread " + t.getName() + " ended while measured");
        }
        return (double) (cpu1 - cpu0) / (wall1 - wall0);
    }
}
