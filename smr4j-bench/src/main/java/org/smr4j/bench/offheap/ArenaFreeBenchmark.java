package org.smr4j.bench.offheap;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.smr4j.Smr;
import org.smr4j.offheap.SmrArena;

/**
 * What does it cost to allocate a 64-byte native block and free it again so that its memory can
 * be reused, with each way the JDK offers and with {@link SmrArena}? Issue 9's target: at least
 * 1,000 times more frees per second than {@code Arena.ofShared()} allocate + close per block.
 *
 * <ul>
 *   <li>{@code smrArena}: {@link SmrArena#allocate(long)} + {@link SmrArena#free} on a
 *       default-mode domain with no readers registered (one stripe lock each; one advance,
 *       one poll and one depot visit per magazine of 32).</li>
 *   <li>{@code smrArenaLazy}: the same on a lazy domain (the batch is reused about a tick later:
 *       the arena grows by a tick's worth of blocks, then recycles).</li>
 *   <li>{@code sharedArenaClose}: the baseline of the target, {@code Arena.ofShared()}, allocate,
 *       {@code close()}: the only safe way the JDK has to free memory that many threads read, one
 *       handshake with every thread per free.</li>
 *   <li>{@code confinedArenaClose}: a confined arena, allocate, close: no handshake, but usable by
 *       one thread only, so no reader on another thread can ever see the block.</li>
 *   <li>{@code autoArena}: {@code Arena.ofAuto().allocate(64)}, freed by the garbage collector
 *       (a Cleaner) whenever it finds the segment unreachable; its cost is spread over GCs.</li>
 *   <li>{@code malloc}: {@code malloc(64)} and {@code free} through the FFM linker: the floor of
 *       an unsafe allocator (a freed block may be reused under a reader).</li>
 * </ul>
 *
 * <p>Run (lock held; record {@code uptime} beside the numbers):
 * <pre>
 * flock /tmp/jmh.lock java -jar smr4j-bench/target/benchmarks.jar 'offheap.ArenaFreeBenchmark' \
 *       -f 3 -wi 5 -w 1s -i 8 -r 1s -prof gc -rf json -rff arena-free.json
 * # short run: -f 1 -wi 3 -i 5 -r 1s
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class ArenaFreeBenchmark {
    private SmrArena arena;
    private SmrArena lazyArena;
    private MethodHandle malloc;
    private MethodHandle free;

    /** Builds the arenas and binds malloc/free. */
    @Setup
    @SuppressWarnings("restricted") // downcalls to malloc(3) and free(3)
    public void setup() {
        arena = SmrArena.builder("bench-free").jmx(false).build();
        lazyArena = SmrArena.builder("bench-free-lazy").smr(Smr.builder("bench-free-lazy").lazy().build()).jmx(false).build();
        final Linker linker = Linker.nativeLinker();
        malloc = linker.downcallHandle(linker.defaultLookup().findOrThrow("malloc"),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        free = linker.downcallHandle(linker.defaultLookup().findOrThrow("free"),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    }

    /** Closes the arenas. */
    @TearDown
    public void tearDown() {
        arena.close();
        lazyArena.close();
    }

    /**
     * SmrArena allocate + free, default domain.
     *
     * @return the block's address
     */
    @Benchmark
    public long smrArena() {
        final MemorySegment s = arena.allocate(64);
        s.set(ValueLayout.JAVA_LONG, 0, 1);
        arena.free(s);
        return s.address();
    }

    /**
     * SmrArena allocate + free, lazy domain.
     *
     * @return the block's address
     */
    @Benchmark
    public long smrArenaLazy() {
        final MemorySegment s = lazyArena.allocate(64);
        s.set(ValueLayout.JAVA_LONG, 0, 1);
        lazyArena.free(s);
        return s.address();
    }

    /**
     * Arena.ofShared, allocate, close (the target's baseline).
     *
     * @return the block's address
     */
    @Benchmark
    public long sharedArenaClose() {
        final Arena a = Arena.ofShared();
        final MemorySegment s = a.allocate(64);
        s.set(ValueLayout.JAVA_LONG, 0, 1);
        a.close();
        return s.address();
    }

    /**
     * Arena.ofConfined, allocate, close.
     *
     * @return the block's address
     */
    @Benchmark
    public long confinedArenaClose() {
        final Arena a = Arena.ofConfined();
        final MemorySegment s = a.allocate(64);
        s.set(ValueLayout.JAVA_LONG, 0, 1);
        a.close();
        return s.address();
    }

    /**
     * Arena.ofAuto, allocate; the GC frees it.
     *
     * @return the segment (escapes)
     */
    @Benchmark
    public MemorySegment autoArena() {
        final MemorySegment s = Arena.ofAuto().allocate(64);
        s.set(ValueLayout.JAVA_LONG, 0, 1);
        return s;
    }

    /**
     * malloc + free through the linker.
     *
     * @return the block's address
     * @throws Throwable never (the downcalls)
     */
    @Benchmark
    @SuppressWarnings("restricted")
    public long malloc() throws Throwable {
        final MemorySegment p = (MemorySegment) malloc.invokeExact(64L);
        p.reinterpret(64).set(ValueLayout.JAVA_LONG, 0, 1);
        free.invokeExact(p);
        return p.address();
    }
}
