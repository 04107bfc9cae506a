package org.smr4j.offheap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.Smr;

/** The arena's promises, one test each: sizes, alignment, deferral, reclaim, close, checked mode. */
@Timeout(60)
class SmrArenaTest {
    @Test
    void everySizeClassServesItsRequestsAlignedAndDisjoint() {
        try (SmrArena a = SmrArena.builder("sizes").jmx(false).build()) {
            final List<MemorySegment> segs = new ArrayList<>();
            for (long size : new long[] {0, 1, 15, 16, 17, 100, 128, 129, 1000, 4096, 65536, 65537, 300_000}) {
                final MemorySegment s = a.allocate(size);
                assertThat(s.byteSize()).isEqualTo(size);
                assertThat(s.address() % 16).isZero();
                s.fill((byte) 7);
                segs.add(s);
            }
            for (long align : new long[] {1, 2, 8, 16, 32, 64, 256, 4096, 8192, 1 << 20}) {
                final MemorySegment s = a.allocate(24, align);
                assertThat(s.address() % align).as("alignment " + align).isZero();
                segs.add(s);
            }
            for (int i = 0; i < segs.size(); i++) {
                for (int j = i + 1; j < segs.size(); j++) {
                    final MemorySegment x = segs.get(i);
                    final MemorySegment y = segs.get(j);
                    final boolean disjoint = x.address() + Math.max(1, x.byteSize()) <= y.address()
                            || y.address() + Math.max(1, y.byteSize()) <= x.address();
                    assertThat(disjoint).as(x + " and " + y).isTrue();
                }
            }
            segs.forEach(a::free);
            a.checkInvariants();
        }
    }

    @Test
    void sizeClassesAreMonotoneAndCoverEveryRequest() {
        int prev = 0;
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            assertThat(SizeClasses.size(c)).isGreaterThan(prev);
            assertThat(SizeClasses.size(c) % 16).isZero();
            prev = SizeClasses.size(c);
        }
        for (long size = 0; size <= SizeClasses.MAX_SMALL; size += size < 2000 ? 1 : 97) {
            final int c = SizeClasses.classOf(size);
            assertThat(SizeClasses.size(c)).as("size " + size).isGreaterThanOrEqualTo((int) size);
            if (c > 0) {
                assertThat(SizeClasses.size(c - 1)).as("size " + size).isLessThan((int) Math.max(size, 1));
            }
        }
        assertThat(SizeClasses.classOf(SizeClasses.MAX_SMALL + 1L)).isEqualTo(-1);
    }

    @Test
    void theMultiplyHighDivisionIsExactForEveryClassAndOffset() {
        try (java.lang.foreign.Arena scratch = java.lang.foreign.Arena.ofConfined()) {
            final MemorySegment seg = scratch.allocate(16);
            final java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
            for (int c = 0; c < SizeClasses.COUNT; c++) {
                final int size = SizeClasses.size(c);
                final Slab slab = new Slab(1, c, size, 1, scratch, seg);
                for (int i = 0; i < 200_000; i++) {
                    final long off = i < 1000 ? (long) i * size + (i % 3 == 0 ? 0 : i % size)
                            : rnd.nextLong(SmrArena.SLAB_SIZE_MAX);
                    assertThat(slab.blockAt(off)).as("class %d offset %d", size, off).isEqualTo((int) (off / size));
                }
                final long last = SmrArena.SLAB_SIZE_MAX - 1;
                assertThat(slab.blockAt(last)).isEqualTo((int) (last / size));
            }
        }
    }

    @Test
    void aFreedBlockIsNotReusedWhileAReaderThatEnteredBeforeTheFreeIsInside() throws Exception {
        final Smr smr = Smr.create("deferral");
        try (SmrArena a = TestSupport.arena("deferral", smr)) {
            final MemorySegment s = a.allocate(64);
            s.set(ValueLayout.JAVA_LONG, 0, 42);
            final CountDownLatch inside = new CountDownLatch(1);
            final CountDownLatch leave = new CountDownLatch(1);
            final Thread reader = Thread.ofPlatform().name("reader").start(() -> {
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
            a.free(s);
            final Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 10_000; i++) {
                final MemorySegment t = a.allocate(64);
                seen.add(t.address());
                a.free(t);
            }
            assertThat(seen).as("the freed block came back while the reader was inside").doesNotContain(s.address());
            a.reclaim();
            assertThat(s.get(ValueLayout.JAVA_LONG, 0)).as("the reader still sees its value").isEqualTo(42);
            leave.countDown();
            reader.join(10_000);
            a.reclaim();
            a.checkInvariants();
        }
    }

    @Test
    void negativeControlWithoutTheReaderTheBlockIsReusedAtOnce() {
        final Smr smr = Smr.create("control");
        try (SmrArena a = TestSupport.arena("control", smr)) {
            final MemorySegment s = a.allocate(64);
            a.free(s);
            boolean reused = false;
            for (int i = 0; i < 10_000 && !reused; i++) {
                final MemorySegment t = a.allocate(64);
                reused = t.address() == s.address();
                a.free(t);
            }
            assertThat(reused).as("the detector above can fire: the block is reused without a reader").isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(TestSupport.Mode.class)
    void reclaimReturnsEmptySlabsToTheSystemAndCloseMakesSegmentsInaccessible(final TestSupport.Mode mode) {
        final SmrArena a = TestSupport.arena("reclaim-" + mode, mode.domain("reclaim-" + mode));
        final List<MemorySegment> segs = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            segs.add(a.allocate(48));
        }
        assertThat(a.stats().reservedBytes()).isGreaterThanOrEqualTo(100_000L * 48);
        assertThat(a.stats().inUseBytes()).isEqualTo(100_000L * 48);
        segs.forEach(a::free);
        assertThat(a.stats().inUseBytes()).isZero();
        final long released = a.reclaim();
        assertThat(released).isPositive();
        assertThat(a.stats().reservedBytes()).as(a.stats().toString()).isZero();
        assertThat(a.stats().slabs()).isZero();
        a.checkInvariants();
        final MemorySegment live = a.allocate(100);
        a.close();
        assertThatThrownBy(() -> live.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.allocate(1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("reclaim-" + mode);
    }

    @Test
    void aStaleSegmentAfterItsSlabWasReleasedThrowsInsteadOfTouchingMemory() {
        try (SmrArena a = SmrArena.builder("stale").jmx(false).build()) {
            final MemorySegment s = a.allocate(200);
            a.free(s);
            a.reclaim();
            assertThat(a.stats().slabs()).isZero();
            assertThatThrownBy(() -> s.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void largeAllocationsAreFreedTheDeferredWay() throws Exception {
        final Smr smr = Smr.create("large");
        try (SmrArena a = TestSupport.arena("large", smr)) {
            final MemorySegment big = a.allocate(1 << 20);
            big.set(ValueLayout.JAVA_LONG, 8, 7);
            final CountDownLatch inside = new CountDownLatch(1);
            final CountDownLatch leave = new CountDownLatch(1);
            final Thread reader = Thread.ofPlatform().name("reader").start(() -> {
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
            a.free(big);
            a.reclaim();
            assertThat(big.get(ValueLayout.JAVA_LONG, 8)).isEqualTo(7);
            assertThat(a.stats().pendingBytes()).isEqualTo(1 << 20);
            leave.countDown();
            reader.join(10_000);
            assertThat(a.reclaim()).isEqualTo(1 << 20);
            assertThat(a.stats().reservedBytes()).isZero();
            assertThatThrownBy(() -> big.get(ValueLayout.JAVA_LONG, 8)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void doubleFreeAndForeignSegmentsAreRefusedNamingTheArenaAndAddress() {
        try (SmrArena a = SmrArena.builder("refuse").jmx(false).build();
             java.lang.foreign.Arena other = java.lang.foreign.Arena.ofConfined()) {
            final MemorySegment s = a.allocate(32);
            a.free(s);
            assertThatThrownBy(() -> a.free(s)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("refuse").hasMessageContaining(Long.toHexString(s.address()))
                    .hasMessageContaining("double free");
            final MemorySegment foreign = other.allocate(32);
            assertThatThrownBy(() -> a.free(foreign)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("refuse").hasMessageContaining(Long.toHexString(foreign.address()));
            final MemorySegment t = a.allocate(64);
            assertThatThrownBy(() -> a.free(t.asSlice(16))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("does not start a block");
            assertThat(a.stats().refusedFrees()).isEqualTo(3);
            a.free(t);
            a.checkInvariants();
        }
    }

    @Test
    void checkedModeCatchesALateWriteThroughAStaleSegment() {
        try (SmrArena a = SmrArena.builder("poison").checked(true).magazineSize(1).jmx(false).build()) {
            final MemorySegment s = a.allocate(64);
            // Keep the slab alive with another live block of the same class, so that reclaim()
            // below cannot release it and the stale segment still maps arena memory. (Allocated
            // after the free and the reclaim, as this test first did, the slab was already empty
            // and released by reclaim(), and the late write met a closed scope instead.)
            final MemorySegment keep = a.allocate(64);
            a.free(s);
            a.reclaim(); // expires the batch: the block is poisoned, back in its slab
            assertThat(a.stats().slabs()).as("the slab stays: keep is live in it").isGreaterThan(0);
            s.set(ValueLayout.JAVA_BYTE, 5, (byte) 1); // the bug: a write after free
            IllegalStateException caught = null;
            final List<MemorySegment> got = new ArrayList<>();
            for (int i = 0; i < 100_000 && caught == null; i++) {
                try {
                    got.add(a.allocate(64));
                } catch (final IllegalStateException e) {
                    caught = e;
                }
            }
            assertThat(caught).isNotNull();
            assertThat(caught).hasMessageContaining("poison").hasMessageContaining(Long.toHexString(s.address()))
                    .hasMessageContaining("byte 5");
            assertThat(a.stats().poisonViolations()).isEqualTo(1);
            got.forEach(a::free);
            a.free(keep);
            a.checkInvariants();
        }
    }

    @Test
    void freeInsideASectionIsAllowedAndTaggedLater() {
        final Smr smr = Smr.create("in-section");
        try (SmrArena a = TestSupport.arena("in-section", smr)) {
            final List<MemorySegment> segs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                segs.add(a.allocate(16));
            }
            smr.enter();
            try {
                segs.forEach(a::free);
            } finally {
                smr.exit();
            }
            assertThat(a.stats().pendingBytes()).isEqualTo(1000L * 16);
            a.reclaim();
            assertThat(a.stats().reservedBytes()).isZero();
            a.checkInvariants();
        }
    }

    @Test
    void failPolicyRefusesAtTheHardLimitAndTheArenaStillWorks() {
        try (SmrArena a = SmrArena.builder("fail").slabSize(1 << 16).hardLimit(4 << 16)
                .limitPolicy(SmrArena.LimitPolicy.FAIL).jmx(false).build()) {
            final List<MemorySegment> segs = new ArrayList<>();
            assertThatThrownBy(() -> {
                while (true) {
                    segs.add(a.allocate(1024));
                }
            }).isInstanceOf(SmrArenaLimitException.class).hasMessageContaining("fail").hasMessageContaining("hard limit");
            assertThat(a.stats().reservedBytes()).isLessThanOrEqualTo(4 << 16);
            assertThat(segs).hasSize(4 * 64);
            a.free(segs.removeLast());
            assertThat(a.allocate(1024)).isNotNull(); // the freed block comes back: no reader
            a.checkInvariants();
        }
    }
}
