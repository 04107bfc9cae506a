package org.smr4j.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.smr4j.Smr;
import org.smr4j.SmrPointer;

/**
 * Does every read section keep its own store-load fence when C2 unrolls a loop of sections?
 * Each invocation runs {@value #BATCH} back-to-back sections through the {@link Smr.Reader}
 * handle in a counted loop, which C2 unrolls: the situation in which it was seen to merge
 * {@code VarHandle.fullFence()}s of neighbouring iterations (one {@code lock addl} per two to
 * four iterations). A merged fence would make the reported cost look cheaper than a real,
 * isolated section and would leave sections unfenced. {@code asm-check.sh} counts the locked
 * instructions of this benchmark's compiled code against its section exits; the times here
 * are a cross-check of {@link SectionBenchmark} with JMH's per-invocation overhead divided by
 * {@value #BATCH} (per-section, {@code @OperationsPerInvocation}).
 *
 * <p>{@link #baseline()} runs the same sixteen protected loads without sections, in the same
 * fork.
 *
 * <p>Run:
 * <pre>
 * java -jar smr4j-bench/target/benchmarks.jar 'SectionBatchBenchmark' -f 3 -wi 5 -w 1s -i 8 -r 1s
 * smr4j-bench/asm-check.sh
 * </pre>
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class SectionBatchBenchmark {
    /** Sections per invocation. */
    static final int BATCH = 16;

    /** The domain's mode; {@link #baseline()} ignores it and runs once per mode, as a control. */
    @Param({"DEFAULT", "DEFERRED", "LAZY"})
    public Smr.Mode mode;

    private Smr.Reader reader;
    private SmrPointer<Domains.Node> head;

    /** Builds the domain and registers this (the benchmark) thread as its reader. */
    @Setup
    public void setup() {
        final Smr smr = Domains.create(mode);
        reader = smr.reader();
        head = new SmrPointer<>(smr, () -> true, new Domains.Node(42));
    }

    /**
     * {@value #BATCH} protected loads, no sections: the baseline.
     *
     * @return the sum of the fields read
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int baseline() {
        final SmrPointer<Domains.Node> h = head;
        int sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += h.enteredLoad().value;
        }
        return sum;
    }

    /**
     * {@value #BATCH} sections, each with one protected load.
     *
     * @return the sum of the fields read
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int reader() {
        final Smr.Reader r = reader;
        final SmrPointer<Domains.Node> h = head;
        int sum = 0;
        for (int i = 0; i < BATCH; i++) {
            r.enter();
            try {
                sum += h.enteredLoad().value;
            } finally {
                r.exit();
            }
        }
        return sum;
    }
}
