package org.smr4j.bench.offheap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import org.smr4j.SmrRetireQueue;
import org.smr4j.offheap.SmrMappedFile;

/**
 * Mapping a 64 KiB file read-only, reading one long, and dropping the mapping, as an index reader
 * does for every segment file it opens and later closes: {@link SmrMappedFile} (munmap deferred
 * through an {@link SmrRetireQueue}, batches of 64, no handshake) against the JDK's way, one
 * {@code Arena.ofShared()} per file, {@code FileChannel.map} into it, and {@code close()} (one
 * handshake per file). Both include the {@code mmap} and the {@code munmap}; the queue runs its
 * unmaps on the caller's thread at every 64th close (after their grace period: no readers here).
 *
 * <p>Run (lock held; record {@code uptime}):
 * <pre>
 * flock /tmp/jmh.lock java -jar smr4j-bench/target/benchmarks.jar 'offheap.MappedUnmapBenchmark' \
 *       -f 3 -wi 5 -w 1s -i 8 -r 1s -rf json -rff mapped.json
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class MappedUnmapBenchmark {
    private Path file;
    private SmrRetireQueue unmapper;

    /** Writes the file; builds the queue. */
    @Setup
    public void setup() throws IOException {
        file = Files.createTempFile("smr4j-mapped", ".bin");
        Files.write(file, new byte[64 * 1024]);
        unmapper = SmrRetireQueue.builder("bench-unmap", Smr.create("bench-unmap")).batchSize(64).build();
    }

    /** Runs what is pending, deletes the file. */
    @TearDown
    public void tearDown() throws IOException {
        unmapper.close();
        Files.deleteIfExists(file);
    }

    /**
     * SmrMappedFile open, read, close (unmap deferred and batched).
     *
     * @return the long read
     */
    @Benchmark
    public long smrMappedFile() {
        try {
            final SmrMappedFile f = SmrMappedFile.open(file, unmapper);
            final long v = f.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 4096);
            f.close();
            return v;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One shared arena per file: map, read, close (one handshake).
     *
     * @return the long read
     */
    @Benchmark
    public long sharedArenaPerFile() {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            final Arena a = Arena.ofShared();
            final MemorySegment s = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), a);
            final long v = s.get(ValueLayout.JAVA_LONG_UNALIGNED, 4096);
            a.close();
            return v;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
