package org.smr4j.bench.offheap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.smr4j.Smr;
import org.smr4j.offheap.SmrArena;

/**
 * What does protecting a read of arena memory cost? A read of {@code bytes} bytes of one
 * segment (summed as longs), through a shared reference, inside a lazy section, against the same
 * read with no protection, a default (fenced) section, and a reference count (Netty's
 * {@code retain}/{@code release}: two atomic read-modify-writes per read). Issue 9's target: the
 * lazy section within 1.2x of the unprotected read.
 *
 * <p>Run (lock held; record {@code uptime}):
 * <pre>
 * flock /tmp/jmh.lock java -jar smr4j-bench/target/benchmarks.jar 'offheap.ArenaReadBenchmark' \
 *       -f 3 -wi 5 -w 1s -i 8 -r 1s -rf json -rff arena-read.json
 * # profile: -prof 'perfasm:events=cpu-clock' -p bytes=8 -f 1
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class ArenaReadBenchmark {
    /** Bytes read per operation. */
    @Param({"8", "64", "256"})
    public int bytes;

    private SmrArena lazyArena;
    private SmrArena defaultArena;
    private Smr.Reader lazy;
    private Smr.Reader fenced;
    /** The published segment readers find (a plain field here: one thread). */
    private MemorySegment seg;
    private MemorySegment segDefault;
    private final AtomicInteger refs = new AtomicInteger(1);

    /** Builds the arenas and the segments. */
    @Setup
    public void setup() {
        final Smr lazyDomain = Smr.builder("bench-read-lazy").lazy().build();
        if (!lazyDomain.fenceFreeReaders()) {
            throw new IllegalStateException("lazy domain has fenced readers: run with --enable-native-access");
        }
        lazyArena = SmrArena.builder("bench-read-lazy").smr(lazyDomain).jmx(false).build();
        defaultArena = SmrArena.builder("bench-read-default").jmx(false).build();
        lazy = lazyDomain.reader();
        fenced = defaultArena.smr().reader();
        seg = lazyArena.allocate(256);
        segDefault = defaultArena.allocate(256);
        for (int i = 0; i < 32; i++) {
            seg.set(ValueLayout.JAVA_LONG, i * 8L, i);
            segDefault.set(ValueLayout.JAVA_LONG, i * 8L, i);
        }
    }

    /** Frees and closes. */
    @TearDown
    public void tearDown() {
        lazyArena.close();
        defaultArena.close();
    }

    private static long sum(final MemorySegment s, final int bytes) {
        long x = 0;
        for (int i = 0; i < bytes; i += 8) {
            x += s.get(ValueLayout.JAVA_LONG, i);
        }
        return x;
    }

    /**
     * The baseline: the read, no protection.
     *
     * @return the sum
     */
    @Benchmark
    public long unprotected() {
        return sum(seg, bytes);
    }

    /**
     * The read inside a lazy section (fence-free reader).
     *
     * @return the sum
     */
    @Benchmark
    public long lazySection() {
        final Smr.Reader r = lazy;
        r.enter();
        try {
            return sum(seg, bytes);
        } finally {
            r.exit();
        }
    }

    /**
     * The read inside a default (fenced) section.
     *
     * @return the sum
     */
    @Benchmark
    public long defaultSection() {
        final Smr.Reader r = fenced;
        r.enter();
        try {
            return sum(segDefault, bytes);
        } finally {
            r.exit();
        }
    }

    /**
     * The read under a reference count (retain, read, release).
     *
     * @return the sum
     */
    @Benchmark
    public long refCounted() {
        if (refs.incrementAndGet() <= 1) {
            throw new IllegalStateException("released");
        }
        try {
            return sum(seg, bytes);
        } finally {
            refs.decrementAndGet();
        }
    }
}
