package org.smr4j.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.smr4j.Smr;

/**
 * What does {@code advance()} cost a writer, in each mode, with no other thread touching the
 * domain? Default mode increments the shared write sequence with one atomic {@code getAndAdd};
 * deferred mode does that on one call in {@link Domains#DEFERRED_LIMIT} and otherwise a full
 * fence and a load; lazy mode a full fence, {@code System.nanoTime()} and a load (plus one CAS
 * per 1 ms tick).
 *
 * <p>{@link #baseline()} is the bare atomic {@code getAndAdd} on a long, in the same fork: the
 * one instruction default mode cannot do without. {@code advance - baseline} is what the
 * domain adds (the in-section check through a {@code ThreadLocal}, the statistics counter,
 * the mode dispatch). Nobody polls, so the read sequence stays behind; that costs nothing
 * here (advance waits only 2<sup>62</sup> steps behind).
 *
 * <p>Run:
 * <pre>
 * java -jar smr4j-bench/target/benchmarks.jar 'AdvanceBenchmark' -f 3 -wi 5 -w 1s -i 8 -r 1s \
 *      -rf json -rff advance.json
 * java -jar smr4j-bench/target/benchmarks.jar 'AdvanceBenchmark' -f 1 -prof 'perfasm:events=cpu-clock'
 * java -jar smr4j-bench/target/benchmarks.jar 'AdvanceBenchmark' -f 1 -prof gc
 * </pre>
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class AdvanceBenchmark {
    /** The domain's mode; {@link #baseline()} ignores it and runs once per mode, as a control. */
    @Param({"DEFAULT", "DEFERRED", "LAZY"})
    public Smr.Mode mode;

    private Smr smr;
    /** The baseline's counter; accessed only through {@link #COUNTER}. */
    @SuppressWarnings("UnusedVariable") // accessed only through COUNTER, which Error Prone does not follow
    private long counter;

    /** Builds the domain. */
    @Setup
    public void setup() {
        smr = Domains.create(mode);
    }

    /**
     * A bare atomic increment by the sequence step: the baseline.
     *
     * @return the new value, as advance returns its goal
     */
    @Benchmark
    public long baseline() {
        return (long) COUNTER.getAndAdd(this, 2L) + 2L;
    }

    /**
     * One advance.
     *
     * @return the goal
     */
    @Benchmark
    public long advance() {
        return smr.advance();
    }

    private static final VarHandle COUNTER;

    static {
        try {
            COUNTER = MethodHandles.lookup().findVarHandle(AdvanceBenchmark.class, "counter", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
