package org.smr4j.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What is the floor for a read section on this machine, whatever smr4j does around it? The
 * same protected load as {@link SectionBenchmark}, bracketed by a bare publication of a
 * thread-private slot and a release store of zero, with no domain, no handle and no checks:
 * <ul>
 *   <li>{@link #xchg()}: publication by {@code getAndSet}, the locked {@code XCHG} that default
 *       and deferred readers use on x86;</li>
 *   <li>{@link #fullFence()}: an opaque store and {@code VarHandle.fullFence()} ({@code lock
 *       addl $0,(%rsp)} on x86), the non-x86 form;</li>
 *   <li>{@link #opaque()}: an opaque store and no fence, lazy readers' publication;</li>
 *   <li>{@link #opaqueClock()}: the same, publishing a value loaded (acquire) from a separate
 *       shared object, as a lazy reader publishes the domain's write sequence: everything a
 *       lazy enter/exit must do, without smr4j's owner check, nesting depth and mode branch;</li>
 *   <li>{@link #longAdder()}: the load and an uncontended {@code LongAdder.increment()}, the
 *       statistics counter {@code Smr.advance()} and {@code poll()} bump: what one counter
 *       costs a writer.</li>
 * </ul>
 * {@link #baseline()} is the load alone. {@code xchg - baseline} is what any correct default-mode
 * reader must pay here (a store-load barrier on x86 is a locked instruction or {@code MFENCE});
 * {@code SectionBenchmark.reader - FenceCostBenchmark.xchg}, both measured in one run, is what
 * smr4j's bookkeeping (owner check, nesting depth, mode branch, the shared-sequence load) adds.
 *
 * <p>Run:
 * <pre>
 * java -jar smr4j-bench/target/benchmarks.jar 'FenceCostBenchmark|SectionBenchmark.reader' \
 *      -f 3 -wi 5 -w 1s -i 8 -r 1s -rf json -rff fence.json
 * java -jar smr4j-bench/target/benchmarks.jar 'FenceCostBenchmark.xchg' -f 1 -prof 'perfasm:events=cpu-clock'
 * </pre>
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class FenceCostBenchmark {
    /** The published slot; accessed only through {@link #SLOT}. Only this thread touches it. */
    private long slot;
    /** The shared reference; accessed only through {@link #HEAD}. */
    private Domains.Node head;

    /** The write sequence's stand-in for {@link #opaqueClock()}: another object, as SmrShared is. */
    private Clock clock;

    /** A separate object holding a sequence, like {@code SmrShared.wrSeq}. */
    static final class Clock {
        long wrSeq = 1;
    }

    /** Publishes the object read by every case. */
    @Setup
    public void setup() {
        HEAD.setRelease(this, new Domains.Node(42));
        clock = new Clock();
    }

    /**
     * The protected load alone: the baseline.
     *
     * @return the field read
     */
    @Benchmark
    public int baseline() {
        return ((Domains.Node) HEAD.getAcquire(this)).value;
    }

    /**
     * Locked {@code XCHG} publication, the load, release store of zero.
     *
     * @return the field read
     */
    @Benchmark
    public int xchg() {
        SLOT.getAndSet(this, 1L);
        final int v = ((Domains.Node) HEAD.getAcquire(this)).value;
        SLOT.setRelease(this, 0L);
        return v;
    }

    /**
     * Opaque store and full fence, the load, release store of zero.
     *
     * @return the field read
     */
    @Benchmark
    public int fullFence() {
        SLOT.setOpaque(this, 1L);
        VarHandle.fullFence();
        final int v = ((Domains.Node) HEAD.getAcquire(this)).value;
        SLOT.setRelease(this, 0L);
        return v;
    }

    /**
     * Opaque store and no fence, the load, release store of zero.
     *
     * @return the field read
     */
    @Benchmark
    public int opaque() {
        SLOT.setOpaque(this, 1L);
        final int v = ((Domains.Node) HEAD.getAcquire(this)).value;
        SLOT.setRelease(this, 0L);
        return v;
    }

    /**
     * Acquire load of a sequence from another object, opaque store of it, the load, release
     * store of zero.
     *
     * @return the field read
     */
    @Benchmark
    public int opaqueClock() {
        SLOT.setOpaque(this, (long) WR_SEQ.getAcquire(clock));
        final int v = ((Domains.Node) HEAD.getAcquire(this)).value;
        SLOT.setRelease(this, 0L);
        return v;
    }

    /** The statistics counter of {@link #longAdder()}. */
    private final LongAdder adder = new LongAdder();

    /**
     * The load and one uncontended {@code LongAdder.increment()}.
     *
     * @return the field read
     */
    @Benchmark
    public int longAdder() {
        adder.increment();
        return ((Domains.Node) HEAD.getAcquire(this)).value;
    }

    private static final VarHandle WR_SEQ;
    private static final VarHandle SLOT;
    private static final VarHandle HEAD;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            SLOT = lookup.findVarHandle(FenceCostBenchmark.class, "slot", long.class);
            HEAD = lookup.findVarHandle(FenceCostBenchmark.class, "head", Domains.Node.class);
            WR_SEQ = lookup.findVarHandle(Clock.class, "wrSeq", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
