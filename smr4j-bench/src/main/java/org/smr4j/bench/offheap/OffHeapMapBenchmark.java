package org.smr4j.bench.offheap;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
import org.smr4j.offheap.Codec;
import org.smr4j.offheap.OffHeapMap;
import org.smr4j.offheap.SmrArena;

/**
 * {@link OffHeapMap}{@code <String, byte[]>} against {@code ConcurrentHashMap<String, byte[]>},
 * the same {@code entries} keys ({@code "key-<i>"}) and 64-byte values, one thread, keys taken in
 * a fixed pseudo-random order. Issue 9's targets: the zero-copy read ({@code read}) at least 0.8x
 * the throughput of {@code ConcurrentHashMap.get} (so at most 1.25x its time); steady-state
 * put/replace/remove allocating no heap per operation beyond the key lookup ({@code -prof gc}'s
 * {@code gc.alloc.rate.norm}: {@code set} and {@code delete} allocate only the key's UTF-8 bytes
 * and its SipHash input); no GC time attributable to the stored values ({@code -prof gc}'s
 * {@code gc.time} and the heap after setup, printed by the setup: the map's values are off heap).
 *
 * <ul>
 *   <li>{@code chmGetCopy}: {@code chmGet} with equal copies of the keys (as keys arriving from
 *       outside are: {@code equals} compares characters instead of succeeding on identity).</li>
 *   <li>{@code chmGetLong} / {@code ohReadLong}: the same lookup keyed by {@code Long}
 *       ({@link Codec#LONG}: no key bytes on the heap).</li>
 *   <li>{@code chmGet} / {@code ohGet} / {@code ohRead}: a lookup reading the value's first byte;
 *       {@code ohGet} decodes a copy (64 bytes allocated), {@code ohRead} reads in place inside the
 *       section.</li>
 *   <li>{@code chmPut} / {@code ohSet}: replace an existing key's value ({@code chmPut} stores a
 *       preallocated array, {@code ohSet} copies it into a new arena block and frees the old).</li>
 *   <li>{@code chmRemovePut} / {@code ohDeleteSet}: remove a key and put it back.</li>
 * </ul>
 *
 * <p>Run (lock held; record {@code uptime}):
 * <pre>
 * flock /tmp/jmh.lock java -jar smr4j-bench/target/benchmarks.jar 'offheap.OffHeapMapBenchmark' \
 *       -f 3 -wi 5 -w 1s -i 8 -r 1s -prof gc -rf json -rff offheap-map.json
 * # profile the read: -prof 'perfasm:events=cpu-clock' -p entries=100000 '.*ohRead'
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class OffHeapMapBenchmark {
    /** Number of mappings. */
    @Param({"10000", "1000000"})
    public int entries;

    private String[] keys;
    /** Equal copies of the keys, distinct instances: a lookup with a key that came from outside. */
    private String[] copies;
    private Long[] longKeys;
    private byte[] value;
    private ConcurrentHashMap<Long, byte[]> chmLong;
    private OffHeapMap<Long, byte[]> mapLong;
    private ConcurrentHashMap<String, byte[]> chm;
    private OffHeapMap<String, byte[]> map;
    private int next;

    /** Fills both maps. */
    @Setup(Level.Trial)
    public void setup() {
        keys = new String[entries];
        copies = new String[entries];
        longKeys = new Long[entries];
        chmLong = new ConcurrentHashMap<>();
        value = new byte[64];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) i;
        }
        chm = new ConcurrentHashMap<>();
        final SmrArena arena = SmrArena.builder("bench-map").smr(Smr.builder("bench-map").lazy().build()).jmx(false).build();
        map = OffHeapMap.builder("bench-map", Codec.STRING, Codec.BYTES).arena(arena).jmx(false).build();
        mapLong = OffHeapMap.builder("bench-map-long", Codec.LONG, Codec.BYTES).arena(arena).jmx(false).build();
        for (int i = 0; i < entries; i++) {
            keys[i] = "key-" + i;
            copies[i] = new String(keys[i].toCharArray());
            longKeys[i] = (long) i * 7919;
        }
        final long base = usedHeap();
        for (int i = 0; i < entries; i++) {
            map.set(keys[i], value);
            mapLong.set(longKeys[i], value);
        }
        final long withOffHeap = usedHeap();
        for (int i = 0; i < entries; i++) {
            chm.put(keys[i], value.clone());
            chmLong.put(longKeys[i], value.clone());
        }
        final long withChm = usedHeap();
        System.out.println("heap: keys " + base / 1024 + " KB; +two OffHeapMaps " + (withOffHeap - base) / 1024
                + " KB (arena " + arena.stats().inUseBytes() / 1024 + " KB off heap); +two ConcurrentHashMaps "
                + (withChm - withOffHeap) / 1024 + " KB");
    }

    private static long usedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        final Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    /** Closes the map and its arena. */
    @TearDown(Level.Trial)
    public void tearDown() {
        final SmrArena arena = map.arena();
        map.close();
        mapLong.close();
        arena.close();
    }

    private int index() {
        // A fixed pseudo-random walk over the keys (a stride prime to the sizes: every key, cache-unfriendly).
        next = (next + 40503) % entries;
        return next;
    }

    private String key() {
        return keys[index()];
    }

    /**
     * ConcurrentHashMap.get, first byte of the value.
     *
     * @return the byte
     */
    @Benchmark
    public byte chmGet() {
        return chm.get(key())[0];
    }

    /**
     * ConcurrentHashMap.get with an equal copy of the stored key (equals runs, not identity).
     *
     * @return the byte
     */
    @Benchmark
    public byte chmGetCopy() {
        return chm.get(copies[index()])[0];
    }

    /**
     * ConcurrentHashMap&lt;Long, byte[]&gt;.get, first byte.
     *
     * @return the byte
     */
    @Benchmark
    public byte chmGetLong() {
        return chmLong.get(longKeys[index()])[0];
    }

    /**
     * OffHeapMap&lt;Long, byte[]&gt;.read, zero-copy, first byte (no key encoding on the heap).
     *
     * @return the byte
     */
    @Benchmark
    public byte ohReadLong() {
        return mapLong.read(longKeys[index()], s -> s.get(ValueLayout.JAVA_BYTE, 0));
    }

    /**
     * OffHeapMap.get (decoded copy), first byte.
     *
     * @return the byte
     */
    @Benchmark
    public byte ohGet() {
        return map.get(key())[0];
    }

    /**
     * OffHeapMap.read, zero-copy, first byte.
     *
     * @return the byte
     */
    @Benchmark
    public byte ohRead() {
        return map.read(key(), s -> s.get(ValueLayout.JAVA_BYTE, 0));
    }

    /**
     * ConcurrentHashMap.put of an existing key.
     *
     * @return the previous value
     */
    @Benchmark
    public byte[] chmPut() {
        return chm.put(key(), value);
    }

    /**
     * OffHeapMap.set of an existing key (copy in, free the old entry).
     *
     * @return whether it replaced
     */
    @Benchmark
    public boolean ohSet() {
        return map.set(key(), value);
    }

    /**
     * ConcurrentHashMap remove + put.
     *
     * @return the previous value
     */
    @Benchmark
    public byte[] chmRemovePut() {
        final String k = key();
        chm.remove(k);
        return chm.put(k, value);
    }

    /**
     * OffHeapMap delete + set.
     *
     * @return whether it replaced
     */
    @Benchmark
    public boolean ohDeleteSet() {
        final String k = key();
        map.delete(k);
        return map.set(k, value);
    }
}
