package org.smr4j.demo.offheap;

import java.util.List;

/**
 * What one strategy did in the {@code offheap} scenario, in one JVM.
 *
 * @param strategy the strategy
 * @param seconds the measured time, s
 * @param frees blocks the writer replaced (and freed in the strategy's way) in the measured time
 * @param reads reads in the measured time, all readers
 * @param allReads reads over the whole time the readers ran, warm-up included: the count that
 *        {@code torn}, {@code foreign} and {@code refused} are out of
 * @param torn reads that found a block whose fields disagree (it changed while being read)
 * @param foreign reads that found another session's block in the slot
 * @param refused reads the JDK refused with an {@link IllegalStateException} because the block's
 *        arena was closed under the reader (SHARED_ARENA only)
 * @param liveBytes bytes of the blocks the sessions hold at any time (sessions x 64 B)
 * @param reservedPeakBytes the most native bytes reserved at a sample of the measured time
 * @param reservedEndBytes native bytes reserved at its end
 * @param pendingPeakBytes the most bytes freed but not yet reusable at a sample
 * @param pendingEndBytes the same at the end
 * @param accounting how the native bytes were counted, in words
 * @param gcPauseMillis garbage-collector pause time in the measured time, ms
 * @param gcCollections collections (pause collectors) in the measured time
 * @param bystanderAloneBeforeCpuNanos the bystander's CPU time per iteration alone, before the
 *        strategy's threads started, ns
 * @param bystanderAloneAfterCpuNanos the same after they stopped
 * @param bystanderBesideCpuNanos its CPU time per iteration during the measured time, beside the
 *        strategy's readers and writer, ns
 * @param bystanderCpuShare the share of a core the bystander got in the measured time
 * @param bystanderClock how the bystander's cost was measured
 * @param bystanderAloneWallNanos the wall time per iteration of the bystander's median batch alone
 *        (mean of the two windows), ns: the measure of its cost, see {@code Bystander}
 * @param bystanderBesideWallNanos the same beside the strategy
 * @param readerCpuNanosPerRead the readers' CPU time per read in the measured time, ns (reads/s
 *        also depends on how much of the cores the readers got; this does not)
 * @param writerCpuNanosPerFree the writer's CPU time per replacement (allocate, fill, publish,
 *        free), ns; a shared arena's close also waits, off the CPU, for the handshake
 * @param lazyFenceFree for SMR_LAZY, whether its readers ran without a fence (membarrier(2)
 *        available); null for the others
 * @param pid the process that measured
 * @param loadBefore the one-minute load average when it started
 * @param loadAfter the same at the end
 * @param jvmArguments that JVM's arguments
 * @param timeline the samples of the measured time
 */
public record OffheapResult(OffheapStrategy strategy, double seconds, long frees, long reads, long allReads,
        long torn, long foreign, long refused, long liveBytes, long reservedPeakBytes, long reservedEndBytes,
        long pendingPeakBytes, long pendingEndBytes, String accounting, long gcPauseMillis, long gcCollections,
        double bystanderAloneBeforeCpuNanos, double bystanderAloneAfterCpuNanos, double bystanderBesideCpuNanos,
        double bystanderCpuShare, String bystanderClock, double bystanderAloneWallNanos,
        double bystanderBesideWallNanos, double readerCpuNanosPerRead,
        double writerCpuNanosPerFree, Boolean lazyFenceFree, long pid, double loadBefore,
        double loadAfter, List<String> jvmArguments, List<Sample> timeline) {

    /** Copies the lists. */
    public OffheapResult {
        jvmArguments = List.copyOf(jvmArguments);
        timeline = List.copyOf(timeline);
    }

    /**
     * One sample of the measured time.
     *
     * @param seconds since the measured time began
     * @param frees blocks replaced since it began
     * @param reservedBytes native bytes reserved then
     * @param pendingBytes bytes waiting for reclamation then
     */
    public record Sample(double seconds, long frees, long reservedBytes, long pendingBytes) {
    }

    /** @return frees per second in the measured time */
    public double freesPerSecond() {
        return frees / seconds;
    }

    /** @return reads per second in the measured time, all readers */
    public double readsPerSecond() {
        return reads / seconds;
    }

    /** @return reads that saw a torn or foreign block: must be 0 */
    public long tornOrForeign() {
        return torn + foreign;
    }

    /** @return the bystander's CPU time per iteration alone: the mean of its windows before and after, ns */
    public double bystanderAloneCpuNanos() {
        return (bystanderAloneBeforeCpuNanos + bystanderAloneAfterCpuNanos) / 2;
    }

    /**
     * @return how much slower the bystander's loop ran beside the strategy than alone, in the
     *         wall time of its median batch (1.0: not at all)
     */
    public double bystanderSlowdown() {
        return bystanderBesideWallNanos / bystanderAloneWallNanos;
    }

    /** @return the same in its CPU time per iteration (leaves out any time it waited off the CPU) */
    public double bystanderCpuSlowdown() {
        return bystanderBesideCpuNanos / bystanderAloneCpuNanos();
    }
}
