package org.smr4j.bench;

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
import org.smr4j.SmrPointer;

/**
 * What does a read section cost a reader? One {@code enter}, one protected load and one
 * {@code exit}, in each mode, through the explicit {@link Smr.Reader} handle and through the
 * domain ({@code smr.enter()}, which looks the handle up in a {@code ThreadLocal}).
 *
 * <p>The load inside is what a reader of a lock-free structure does: follow a shared
 * {@link SmrPointer} ({@code enteredLoad()}, an acquire load) and read a field of the object
 * found. {@link #baseline()} does the same load with no section, in the same fork and the same
 * run, so {@code reader - baseline} and {@code domain - baseline} are the section's cost: what
 * the targets are about (default at most 4 ns above the baseline, lazy at most 1.5 ns;
 * FreeBSD reports about 5 ns default and 1 ns lazy, liburcu's fence-free flavour measured
 * +1.1 ns on this machine kind). One thread, no contention: the floor, not a scaling test.
 *
 * <p>What to expect in the generated code (x86): default and deferred readers publish with
 * one locked {@code XCHG} per enter ({@code SEQ.getAndSet}), lazy readers with a plain
 * {@code MOV} and no fence when {@code membarrier(2)} works (the setup refuses a lazy domain
 * whose readers fell back to fences). Exit is a plain store in every mode. {@code asm-check.sh}
 * verifies this on this very benchmark's compiled loop.
 *
 * <p>Run (from the repository root, after {@code mvn -pl smr4j-bench -am package}):
 * <pre>
 * java -jar smr4j-bench/target/benchmarks.jar 'SectionBenchmark' -f 3 -wi 5 -w 1s -i 8 -r 1s \
 *      -rf json -rff section.json
 * </pre>
 * Profilers:
 * <pre>
 * # hot instructions; this VM has no hardware counters, so sample the cpu-clock event
 * java -jar smr4j-bench/target/benchmarks.jar 'SectionBenchmark.reader' -p mode=DEFAULT -f 1 \
 *      -prof 'perfasm:events=cpu-clock'
 * # allocation (expected: 0 B/op in every case)
 * java -jar smr4j-bench/target/benchmarks.jar 'SectionBenchmark' -f 1 -prof gc
 * # locked instructions per enter, verdict printed
 * smr4j-bench/asm-check.sh
 * </pre>
 * {@code --enable-native-access=ALL-UNNAMED} is in {@link Fork#jvmArgsAppend()}, so lazy mode
 * gets {@code membarrier(2)} without extra flags.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class SectionBenchmark {
    /** The domain's mode; {@link #baseline()} ignores it and runs once per mode, as a control. */
    @Param({"DEFAULT", "DEFERRED", "LAZY"})
    public Smr.Mode mode;

    private Smr smr;
    private Smr.Reader reader;
    private SmrPointer<Domains.Node> head;

    /** Builds the domain and registers this (the benchmark) thread as its reader. */
    @Setup
    public void setup() {
        smr = Domains.create(mode);
        reader = smr.reader();
        head = new SmrPointer<>(smr, () -> true, new Domains.Node(42));
    }

    /**
     * The same load as the other cases, with no section: the baseline.
     *
     * @return the field read
     */
    @Benchmark
    public int baseline() {
        return head.enteredLoad().value;
    }

    /**
     * The load inside a section entered through the thread's {@link Smr.Reader} handle.
     *
     * @return the field read
     */
    @Benchmark
    public int reader() {
        final Smr.Reader r = reader;
        r.enter();
        try {
            return head.enteredLoad().value;
        } finally {
            r.exit();
        }
    }

    /**
     * The load inside a section entered through the domain ({@code ThreadLocal} lookup on
     * enter and on exit).
     *
     * @return the field read
     */
    @Benchmark
    public int domain() {
        final Smr s = smr;
        s.enter();
        try {
            return head.enteredLoad().value;
        } finally {
            s.exit();
        }
    }
}
