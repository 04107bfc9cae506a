package org.smr4j.offheap;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smr4j.Smr;

/**
 * The torture test of issue 9: readers read values while a writer replaces and removes them at
 * full speed. Every value carries its key, a version and a payload derived from both, so a
 * reader can tell a torn value (bytes of two versions, or of a reused block) and a foreign one
 * (another key's). Runs once over a plain arena, once over a checked arena (freed blocks
 * poisoned and verified), together at least 10<sup>7</sup> reads (more with {@code -Pslow}),
 * and once over a deliberately broken arena whose frees are reused at once (the negative
 * control), which must show violations: the test can catch the hazard it guards against.
 *
 * <p>Reads are zero-copy ({@link OffHeapMap#read}: the reader checks the value's bytes in
 * place, inside the section, which is the widest window for a reuse to show) and, one in eight,
 * decoded copies ({@link OffHeapMap#get}). Readers also count exceptions from walking a chain
 * (a broken arena can hand them garbage lengths): any is a violation.
 */
@Timeout(180)
class OffHeapMapTortureTest {
    private static final int KEYS = 1024;
    private static final int PAYLOAD = 96;
    private static final int READERS = 2;
    private static final long SEED = Long.getLong("smr4j.test.seed", System.nanoTime());

    /** Counts of one run. */
    record Result(long reads, long hits, long torn, long foreign, long exceptions, long writes) {
        long violations() {
            return torn + foreign + exceptions;
        }
    }

    @Test
    void noTornOrForeignValueOverTenMillionReadsPlainAndChecked() throws Exception {
        final long total = TestSupport.slow() ? 100_000_000L : 10_000_000L;
        System.out.println("OffHeapMapTortureTest seed " + SEED + " (replay with -Dsmr4j.test.seed=" + SEED + ")");
        final Smr plainDomain = Smr.create("torture-plain");
        final Result plain;
        try (SmrArena arena = SmrArena.builder("torture-plain").smr(plainDomain).jmx(false).build()) {
            plain = run(arena, total * 6 / 10, Long.MAX_VALUE);
            arena.checkInvariants();
        }
        final Smr lazy = Smr.builder("torture-checked").lazy().build();
        final Result checked;
        try (SmrArena arena = SmrArena.builder("torture-checked").smr(lazy).checked(true).jmx(false).build()) {
            checked = run(arena, total * 4 / 10, Long.MAX_VALUE);
            assertThat(arena.stats().poisonViolations()).as("late writes caught by poison").isZero();
            arena.checkInvariants();
        }
        System.out.println("torture plain   " + plain);
        System.out.println("torture checked " + checked);
        assertThat(plain.violations()).as("plain arena: " + plain).isZero();
        assertThat(checked.violations()).as("checked arena: " + checked).isZero();
        assertThat(plain.reads() + checked.reads()).isGreaterThanOrEqualTo(total);
        assertThat(plain.hits()).as("readers found values").isGreaterThan(plain.reads() / 10);
        assertThat(plain.writes() + checked.writes()).as("the writer churned").isGreaterThan(100_000);
    }

    @Test
    void negativeControlFreesReusedAtOnceAreCaught() throws Exception {
        final Smr smr = Smr.create("torture-broken");
        final Result broken;
        try (SmrArena arena = SmrArena.builder("torture-broken").smr(smr).magazineSize(1)
                .immediateReuseForTests().jmx(false).build()) {
            broken = run(arena, 5_000_000, 1);
        }
        System.out.println("torture broken  " + broken);
        assertThat(broken.violations()).as("the broken arena must show torn or foreign values: " + broken)
                .isPositive();
    }

    /** Runs readers and a writer until {@code reads} reads or {@code stopAfterViolations} violations. */
    private static Result run(final SmrArena arena, final long reads, final long stopAfterViolations) throws Exception {
        final OffHeapMap<Long, byte[]> map = OffHeapMap.builder("torture", Codec.LONG, Codec.BYTES)
                .arena(arena).segments(4).jmx(false).build();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong readCount = new AtomicLong();
        final LongAdder hits = new LongAdder();
        final LongAdder torn = new LongAdder();
        final LongAdder foreign = new LongAdder();
        final LongAdder exceptions = new LongAdder();
        final LongAdder writes = new LongAdder();
        final AtomicLong violations = new AtomicLong();
        final Thread writer = Thread.ofPlatform().name("torture-writer").start(() -> {
            final SplittableRandom rnd = new SplittableRandom(SEED);
            final long[] versions = new long[KEYS];
            while (!stop.get()) {
                final int k = rnd.nextInt(KEYS);
                if (rnd.nextInt(10) < 7) {
                    map.set((long) k, value(k, ++versions[k]));
                } else {
                    map.delete((long) k);
                }
                writes.increment();
            }
        });
        final Thread[] readers = new Thread[READERS];
        for (int r = 0; r < READERS; r++) {
            final int id = r;
            readers[r] = Thread.ofPlatform().name("torture-reader-" + r).start(() -> {
                final SplittableRandom rnd = new SplittableRandom(SEED + 1 + id);
                final int[] verdict = new int[1];
                while (!stop.get()) {
                    final long k = rnd.nextInt(KEYS);
                    try {
                        if ((rnd.nextInt() & 7) == 0) {
                            final byte[] copy = map.get(k);
                            if (copy != null) {
                                hits.increment();
                                verdict[0] = check(MemorySegment.ofArray(copy), k);
                            } else {
                                verdict[0] = 0;
                            }
                        } else {
                            final Integer v = map.read(k, seg -> check(seg, k));
                            if (v != null) {
                                hits.increment();
                            }
                            verdict[0] = v == null ? 0 : v;
                        }
                        if (verdict[0] == 1) {
                            torn.increment();
                        } else if (verdict[0] == 2) {
                            foreign.increment();
                        }
                        if (verdict[0] != 0 && violations.incrementAndGet() >= stopAfterViolations) {
                            stop.set(true);
                        }
                    } catch (final RuntimeException e) {
                        exceptions.increment();
                        if (violations.incrementAndGet() >= stopAfterViolations) {
                            stop.set(true);
                        }
                    }
                    if (readCount.incrementAndGet() >= reads) {
                        stop.set(true);
                    }
                }
            });
        }
        final long deadline = System.nanoTime() + 150_000_000_000L;
        for (final Thread t : readers) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
        stop.set(true);
        writer.join(10_000);
        for (final Thread t : readers) {
            t.join(10_000);
        }
        assertThat(writer.isAlive()).as("writer stopped").isFalse();
        if (!arena.isClosed()) {
            map.checkInvariants();
        }
        map.close();
        return new Result(readCount.get(), hits.sum(), torn.sum(), foreign.sum(), exceptions.sum(), writes.sum());
    }

    /** The value of {@code key} at {@code version}: key, version, a payload of both, a checksum. */
    static byte[] value(final long key, final long version) {
        final byte[] b = new byte[8 + 8 + PAYLOAD + 8];
        final MemorySegment s = MemorySegment.ofArray(b);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, key);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, version);
        for (int i = 0; i < PAYLOAD; i++) {
            b[16 + i] = payload(key, version, i);
        }
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, 16 + PAYLOAD, checksum(key, version));
        return b;
    }

    private static byte payload(final long key, final long version, final int i) {
        return (byte) (key * 31 + version * 17 + i * 7L);
    }

    private static long checksum(final long key, final long version) {
        return (key * 0x9E3779B97F4A7C15L) ^ (version * 0xC2B2AE3D27D4EB4FL) ^ 0x5DEECE66DL;
    }

    /** 0: the value is intact; 1: torn (wrong size, payload or checksum); 2: another key's. */
    static int check(final MemorySegment v, final long key) {
        if (v.byteSize() != 8 + 8 + PAYLOAD + 8) {
            return 1;
        }
        if (v.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) != key) {
            return 2;
        }
        final long version = v.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        for (int i = 0; i < PAYLOAD; i++) {
            if (v.get(ValueLayout.JAVA_BYTE, 16 + i) != payload(key, version, i)) {
                return 1;
            }
        }
        if (v.get(ValueLayout.JAVA_LONG_UNALIGNED, 16 + PAYLOAD) != checksum(key, version)) {
            return 1;
        }
        // Re-read the key last: a block reused while we checked shows here too.
        return v.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) == key ? 0 : 2;
    }
}
