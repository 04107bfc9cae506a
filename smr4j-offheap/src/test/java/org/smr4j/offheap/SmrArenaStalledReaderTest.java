package org.smr4j.offheap;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.Smr;

/**
 * Issue 9: the deferred free under a stalled reader, in every domain mode. A reader enters and
 * stalls; a writer allocates and frees at full speed. Allocation continues up to the hard limit
 * (never beyond), then waits; once the reader leaves the writer moves on, and after the writer
 * has freed everything one {@link SmrArena#reclaim()} returns every byte to the system, by the
 * arena's own accounting. {@link #nativeMemoryTrackingSeesTheSlabsGoBack} checks the same once
 * against the JVM's Native Memory Tracking (the surefire fork runs with
 * {@code -XX:NativeMemoryTracking=summary}); NMT and not RSS, because glibc may keep freed
 * chunks mapped (its dynamic mmap threshold), so RSS says more about malloc than about us.
 */
@Timeout(120)
class SmrArenaStalledReaderTest {
    private static final long SLAB = 1 << 16;
    private static final long LIMIT = 16 * SLAB;

    @ParameterizedTest
    @EnumSource(TestSupport.Mode.class)
    void allocationContinuesUpToTheHardLimitThenMemoryComesBackInOneReclaim(final TestSupport.Mode mode) throws Exception {
        final Smr smr = mode.domain("stalled-" + mode);
        final SmrArena arena = SmrArena.builder("stalled-" + mode).smr(smr).slabSize(SLAB).hardLimit(LIMIT)
                .jmx(false).build();
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch leave = new CountDownLatch(1);
        final Thread reader = Thread.ofPlatform().name("stalled-reader").start(() -> {
            smr.enter();
            try {
                inside.countDown();
                leave.await(60, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                smr.exit();
            }
        });
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong ops = new AtomicLong();
        final AtomicLong peakReserved = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread writer = Thread.ofPlatform().name("stalled-writer").start(() -> {
            final ArrayDeque<MemorySegment> live = new ArrayDeque<>();
            try {
                while (!stop.get()) {
                    live.addLast(arena.allocate(64));
                    if (live.size() > 256) {
                        arena.free(live.removeFirst());
                    }
                    ops.incrementAndGet();
                    peakReserved.accumulateAndGet(arena.stats().reservedBytes(), Math::max);
                }
                live.forEach(arena::free);
            } catch (final Throwable t) {
                failure.set(t);
            }
        });
        // The writer fills the arena up to the limit, then waits for the stalled reader.
        TestSupport.await("the writer waits at the hard limit", () -> arena.stats().waits() > 0);
        final long before = ops.get();
        Thread.sleep(100);
        assertThat(ops.get() - before).as("no allocation completes while the reader holds every batch")
                .isLessThanOrEqualTo(SmrArena.MAGAZINE_SIZE_DEFAULT * 4L);
        assertThat(arena.stats().reservedBytes()).isLessThanOrEqualTo(LIMIT);
        leave.countDown();
        reader.join(10_000);
        final long resumed = ops.get();
        TestSupport.await("the writer moves on after the reader left", () -> ops.get() > resumed + 100_000);
        stop.set(true);
        writer.join(20_000);
        assertThat(failure.get()).isNull();
        assertThat(peakReserved.get()).as("never above the hard limit").isLessThanOrEqualTo(LIMIT);
        assertThat(arena.stats().inUseBytes()).isZero();
        arena.reclaim();
        assertThat(arena.stats().reservedBytes()).as("one reclaim returns everything: " + arena.stats()).isZero();
        arena.checkInvariants();
        arena.close();
    }

    @Test
    void nativeMemoryTrackingSeesTheSlabsGoBack() throws Exception {
        final long other0 = nmtOtherCommittedKb();
        if (other0 < 0) {
            System.out.println("NMT is off in this JVM (no -XX:NativeMemoryTracking): check skipped");
            return;
        }
        try (SmrArena arena = SmrArena.builder("nmt").jmx(false).build()) {
            final java.util.List<MemorySegment> segs = new java.util.ArrayList<>();
            for (int i = 0; i < 64 * 1024; i++) {
                segs.add(arena.allocate(512)); // 32 MiB of blocks in about 36 slabs (64 KiB doubling to 1 MiB)
            }
            final long other1 = nmtOtherCommittedKb();
            segs.forEach(arena::free);
            final long released = arena.reclaim();
            final long other2 = nmtOtherCommittedKb();
            System.out.println("NMT 'Other' committed: before " + other0 + " KB, 32 MiB allocated " + other1
                    + " KB, after reclaim " + other2 + " KB; arena released " + released + " bytes");
            assertThat(released).isGreaterThanOrEqualTo(32L << 20).isLessThanOrEqualTo(34L << 20); // + the first, smaller slabs' tail
            assertThat(other1 - other0).as("NMT sees the slabs taken").isGreaterThanOrEqualTo(31L * 1024);
            assertThat(other1 - other2).as("NMT sees the slabs given back").isGreaterThanOrEqualTo(31L * 1024);
        }
    }

    /** NMT's committed KB of category Other (Unsafe.allocateMemory, which shared arenas use), or -1. */
    static long nmtOtherCommittedKb() throws Exception {
        final Object out = ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
        final Matcher m = Pattern.compile("-\\s+Other \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)").matcher(out.toString());
        return m.find() ? Long.parseLong(m.group(2)) : -1;
    }
}
