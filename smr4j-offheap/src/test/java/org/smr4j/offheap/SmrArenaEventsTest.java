package org.smr4j.offheap;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.smr4j.Smr;

/** The arena's JFR events (waits at the hard limit, slab releases) and its use from many virtual threads. */
@Timeout(90)
class SmrArenaEventsTest {
    @Test
    void slabReleasesAndWaitsAreRecorded(@TempDir final Path dir) throws Exception {
        try (Recording rec = new Recording()) {
            rec.enable("org.smr4j.SlabRelease");
            rec.enable("org.smr4j.ArenaWait").withThreshold(java.time.Duration.ZERO);
            rec.start();
            final Smr smr = Smr.create("events");
            try (SmrArena a = SmrArena.builder("events").smr(smr).slabSize(1 << 16).hardLimit(2 << 16).jmx(false).build()) {
                final List<MemorySegment> segs = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    segs.add(a.allocate(1024)); // one slab of 64 KiB
                }
                segs.forEach(a::free);
                a.reclaim();
                // A wait: a reader inside while the writer needs more than the limit.
                final CountDownLatch inside = new CountDownLatch(1);
                final CountDownLatch leave = new CountDownLatch(1);
                final Thread reader = Thread.ofPlatform().name("events-reader").start(() -> {
                    smr.enter();
                    try {
                        inside.countDown();
                        leave.await(20, TimeUnit.SECONDS);
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        smr.exit();
                    }
                });
                assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
                final Thread writer = Thread.ofPlatform().name("events-writer").start(() -> {
                    for (int i = 0; i < 1000; i++) {
                        a.free(a.allocate(1024)); // needs recycled blocks after 2 slabs
                    }
                });
                TestSupport.await("the writer waits", () -> a.stats().waits() > 0);
                leave.countDown();
                reader.join(10_000);
                writer.join(10_000);
                assertThat(writer.isAlive()).isFalse();
            }
            rec.stop();
            final Path file = dir.resolve("arena.jfr");
            rec.dump(file);
            final List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            assertThat(events).anySatisfy(e -> {
                assertThat(e.getEventType().getName()).isEqualTo("org.smr4j.SlabRelease");
                assertThat(e.getString("arena")).isEqualTo("events");
                assertThat(e.getLong("bytes")).isEqualTo(1 << 16);
            });
            assertThat(events).anySatisfy(e -> {
                assertThat(e.getEventType().getName()).isEqualTo("org.smr4j.ArenaWait");
                assertThat(e.getString("arena")).isEqualTo("events");
            });
            Files.deleteIfExists(file);
        }
    }

    @Test
    void tenThousandVirtualThreadsAllocateAndFreeWithoutLosingABlock() throws Exception {
        try (SmrArena a = SmrArena.builder("virtual").jmx(false).build()) {
            final AtomicLong ops = new AtomicLong();
            final List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < 10_000; t++) {
                ts.add(Thread.ofVirtual().name("virtual-", t).start(() -> {
                    final List<MemorySegment> mine = new ArrayList<>();
                    for (int i = 0; i < 50; i++) {
                        mine.add(a.allocate(16 + (i % 7) * 40));
                        if (i % 3 == 0) {
                            a.free(mine.removeFirst());
                        }
                        ops.incrementAndGet();
                    }
                    mine.forEach(a::free);
                }));
            }
            for (final Thread t : ts) {
                t.join(30_000);
            }
            assertThat(ops.get()).isEqualTo(500_000);
            assertThat(a.stats().inUseBytes()).isZero();
            a.checkInvariants();
            a.reclaim();
            assertThat(a.stats().reservedBytes()).isZero();
        }
    }
}
