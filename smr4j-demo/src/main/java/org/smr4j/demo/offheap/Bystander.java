package org.smr4j.demo.offheap;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A thread that does unrelated work (it sums a 1 KiB array of its own, over and over) and
 * publishes how much it did and what it cost it, so that the scenario can ask: does this way of
 * freeing slow down other threads? A shared arena's {@code close()} does: it runs a handshake
 * with every thread of the JVM, which stops each at its next safepoint poll.
 *
 * <h2>What is measured</h2>
 * The wall time of every batch of {@value #BATCH} iterations goes into a {@link Recorder}; the
 * cost of a window is its median batch's time per iteration
 * ({@link #windowMedianNanosPerIteration()}). Not the window's total wall time per iteration,
 * because the scenario runs more threads than this machine has cores: that would mostly measure
 * the scheduler's share of a core, which differs between strategies for reasons unrelated to
 * freeing (threads of one strategy block, those of another spin). A batch in which the thread was
 * descheduled takes milliseconds longer and the median leaves it out, as long as fewer than half
 * of the batches are; a handshake's stall, which at thousands of closes a second every batch
 * meets, is counted, whether the thread spends it on its CPU or waiting off it.
 *
 * <p>After each batch the thread also publishes a {@link Mark}: the iterations so far, its own
 * CPU time ({@link ThreadMXBean#getCurrentThreadCpuTime()}) and the wall clock, for a second
 * view: CPU time per iteration, which leaves out time spent waiting off the CPU. (Measured by
 * {@code ./smr4j offheap} on this project's 2-core machine, load 0.0 to 0.8: beside
 * shared-arena closes the median batch was 1.37x its time alone and the CPU time 1.08x; beside
 * SMR frees both within 3%.) Where the JVM cannot measure thread CPU time, the wall clock is used
 * and {@link #clock()} says so.
 *
 * <p>Each iteration starts from the previous one's result, so the compiler can neither hoist the
 * loop out nor skip an iteration.
 *
 * <h2>Threads</h2>
 * One thread runs {@link #run()}; any thread may call {@link #mark()} and {@link #stop()}.
 * Memory consistency: a {@link Mark} is immutable and published by a volatile store, read by a
 * volatile load.
 */
final class Bystander implements Runnable {

    /** Iterations between two marks: about half a millisecond at 100 ns each. */
    static final int BATCH = OffheapConfig.BYSTANDER_BATCH;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /**
     * How much the bystander had done when it published this.
     *
     * @param iterations iterations so far
     * @param cpuNanos its CPU time so far (the wall clock where CPU time is not available)
     * @param wallNanos {@link System#nanoTime()} then
     */
    record Mark(long iterations, long cpuNanos, long wallNanos) {

        /**
         * @param earlier an earlier mark
         * @return nanoseconds of CPU per iteration between the two, NaN if no iteration finished
         */
        double nanosPerIterationSince(final Mark earlier) {
            final long n = iterations - earlier.iterations;
            return n <= 0 ? Double.NaN : (double) (cpuNanos - earlier.cpuNanos) / n;
        }

        /**
         * @param earlier an earlier mark
         * @return the share of a core the bystander got between the two (CPU over wall time)
         */
        double cpuShareSince(final Mark earlier) {
            final long wall = wallNanos - earlier.wallNanos;
            return wall <= 0 ? Double.NaN : (double) (cpuNanos - earlier.cpuNanos) / wall;
        }
    }

    private final long[] data = new long[128];
    /** Batch wall times, ns; recorded by the bystander, read in windows by the measuring thread. */
    private final Recorder batches = new Recorder(3);
    private final boolean cpuClock;
    private volatile Mark last;
    private volatile boolean stop;
    /** The loop's result, kept so that the loop is not dead code. */
    private volatile long sink;

    Bystander() {
        for (int i = 0; i < data.length; i++) {
            data[i] = i * 31L + 7;
        }
        boolean cpu = THREADS.isCurrentThreadCpuTimeSupported();
        if (cpu && !THREADS.isThreadCpuTimeEnabled()) {
            try {
                THREADS.setThreadCpuTimeEnabled(true);
            } catch (final UnsupportedOperationException | SecurityException e) {
                cpu = false;
            }
        }
        cpuClock = cpu;
        last = new Mark(0, 0, System.nanoTime());
    }

    /** @return how the cost is measured, for the report */
    String clock() {
        return cpuClock ? "thread CPU time" : "wall clock (this JVM cannot measure thread CPU time)";
    }

    @Override
    public void run() {
        long x = 1;
        long iterations = 0;
        final long cpu0 = now();
        last = new Mark(0, 0, System.nanoTime());
        long w0 = System.nanoTime();
        while (!stop) {
            for (int k = 0; k < BATCH; k++) {
                x = loop(data, x);
            }
            iterations += BATCH;
            final long w1 = System.nanoTime();
            batches.recordValue(w1 - w0);
            last = new Mark(iterations, now() - cpu0, w1);
            w0 = w1;
        }
        sink = x;
    }

    private long now() {
        return cpuClock ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }

    /** The unrelated work: about 100 ns on this machine. */
    static long loop(final long[] data, final long seed) {
        long x = seed;
        for (final long v : data) {
            x += v ^ (x >>> 3);
        }
        return x;
    }

    /** Starts a window of batch times (drops the batches recorded so far). */
    void startWindow() {
        batches.getIntervalHistogram();
    }

    /**
     * Ends a window of batch times.
     *
     * @return the median batch's wall time per iteration since {@link #startWindow()}, ns; NaN if
     *         no batch finished
     */
    double windowMedianNanosPerIteration() {
        final Histogram h = batches.getIntervalHistogram();
        return h.getTotalCount() == 0 ? Double.NaN : (double) h.getValueAtPercentile(50) / BATCH;
    }

    /** @return the latest mark */
    Mark mark() {
        return last;
    }

    /** Asks the thread to stop after its current batch. */
    void stop() {
        stop = true;
    }

    /** @return the loop's result (after the thread stopped) */
    long sink() {
        return sink;
    }
}
