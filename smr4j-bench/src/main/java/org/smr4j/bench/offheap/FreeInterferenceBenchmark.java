package org.smr4j.bench.offheap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.smr4j.offheap.SmrArena;

/**
 * Does one thread's free path slow down another thread that does unrelated work? A shared
 * arena's close runs a handshake with every thread (and deoptimises their top frames), so a
 * thread that frees that way slows everyone; the {@link SmrArena} free path touches only its
 * stripe and, once per magazine, the domain. Each group runs an unrelated loop ({@code loop*}:
 * sums a 1 KiB array held by its thread) beside a second thread that
 * <ul>
 *   <li>{@code idle}: burns the same CPU in {@link Blackhole#consumeCPU} (the baseline),</li>
 *   <li>{@code smr}: allocates and frees 64-byte blocks of an {@link SmrArena},</li>
 *   <li>{@code shared}: allocates 64 bytes from a new {@code Arena.ofShared()} and closes it.</li>
 * </ul>
 * The question is the {@code loop*} score of each group against {@code loopIdle}, its mean and
 * (sample mode) its tail percentiles, where a handshake's pause shows: issue 9's
 * requirement is that ours does not slow the loop (and that a shared-arena close does, which this
 * shows on this machine). On two cores the two threads of a group take both; neighbours' load
 * shows in every group alike.
 *
 * <p>Run (lock held; record {@code uptime}):
 * <pre>
 * flock /tmp/jmh.lock java -jar smr4j-bench/target/benchmarks.jar 'offheap.FreeInterferenceBenchmark' \
 *       -f 3 -wi 5 -w 1s -i 8 -r 1s -rf json -rff interference.json
 * </pre>
 */
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Group)
public class FreeInterferenceBenchmark {
    private SmrArena arena;

    /** The unrelated loop's data, one per thread. */
    @State(Scope.Thread)
    public static class Work {
        final long[] data = new long[128];

        /** Fills the array. */
        @Setup
        public void setup() {
            for (int i = 0; i < data.length; i++) {
                data[i] = i * 31L;
            }
        }
    }

    /** Builds the arena. */
    @Setup
    public void setup() {
        arena = SmrArena.builder("bench-interference").jmx(false).build();
    }

    /** Closes the arena. */
    @TearDown
    public void tearDown() {
        arena.close();
    }

    private static long loop(final Work w) {
        long x = 0;
        for (final long v : w.data) {
            x += v ^ (x >>> 3);
        }
        return x;
    }

    /**
     * The unrelated loop beside an idle thread.
     *
     * @param w the loop's data
     * @return the sum
     */
    @Benchmark
    @Group("idle")
    @GroupThreads(1)
    public long loopIdle(final Work w) {
        return loop(w);
    }

    /** The idle neighbour: burns CPU, touches nothing shared. */
    @Benchmark
    @Group("idle")
    @GroupThreads(1)
    public void neighbourIdle() {
        Blackhole.consumeCPU(64);
    }

    /**
     * The unrelated loop beside SmrArena frees.
     *
     * @param w the loop's data
     * @return the sum
     */
    @Benchmark
    @Group("smr")
    @GroupThreads(1)
    public long loopSmr(final Work w) {
        return loop(w);
    }

    /**
     * The neighbour: SmrArena allocate + free.
     *
     * @return the address
     */
    @Benchmark
    @Group("smr")
    @GroupThreads(1)
    public long neighbourSmr() {
        final MemorySegment s = arena.allocate(64);
        s.set(ValueLayout.JAVA_LONG, 0, 1);
        arena.free(s);
        return s.address();
    }

    /**
     * The unrelated loop beside shared-arena closes.
     *
     * @param w the loop's data
     * @return the sum
     */
    @Benchmark
    @Group("shared")
    @GroupThreads(1)
    public long loopShared(final Work w) {
        return loop(w);
    }

    /**
     * The neighbour: Arena.ofShared, allocate, close.
     *
     * @return the address
     */
    @Benchmark
    @Group("shared")
    @GroupThreads(1)
    public long neighbourShared() {
        final Arena a = Arena.ofShared();
        final MemorySegment s = a.allocate(64);
        a.close();
        return s.address();
    }
}
