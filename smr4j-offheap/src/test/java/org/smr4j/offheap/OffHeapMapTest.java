package org.smr4j.offheap;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** OffHeapMap's own promises beyond the Guava suite: growth under readers, zero-copy reads, iteration, JMX, close. */
@Timeout(60)
class OffHeapMapTest {
    @Test
    void growsUnderConcurrentReadersWithoutLosingAMapping() throws Exception {
        try (OffHeapMap<Long, Long> m = OffHeapMap.builder("grow", Codec.LONG, Codec.LONG).jmx(false).build()) {
            for (long k = 0; k < 1000; k++) {
                m.put(k, k * 10);
            }
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicLong misses = new AtomicLong();
            final AtomicLong reads = new AtomicLong();
            final Thread reader = Thread.ofPlatform().name("grow-reader").start(() -> {
                long k = 0;
                while (!stop.get()) {
                    final Long v = m.get(k);
                    if (v == null || v != k * 10) {
                        misses.incrementAndGet();
                    }
                    reads.incrementAndGet();
                    k = (k + 1) % 1000;
                }
            });
            for (long k = 1000; k < 200_000; k++) {
                m.put(k, k * 10); // many doublings while the reader looks up the first thousand
            }
            stop.set(true);
            reader.join(10_000);
            assertThat(misses.get()).as("present mappings missed during growth, of " + reads.get()).isZero();
            assertThat(m.stats().resizes()).isPositive();
            assertThat(m.size()).isEqualTo(200_000);
            m.checkInvariants();
        }
    }

    @Test
    void iterationReturnsEveryMappingPresentThroughoutExactlyOnceAcrossGrowth() {
        try (OffHeapMap<String, String> m = OffHeapMap.builder("iter", Codec.STRING, Codec.STRING).segments(1).jmx(false).build()) {
            for (int i = 0; i < 100; i++) {
                m.put("old" + i, "v");
            }
            final var it = m.keySet().iterator();
            final Set<String> seen = new HashSet<>();
            int added = 0;
            while (it.hasNext()) {
                assertThat(seen.add(it.next())).isTrue();
                if (added < 5000) {
                    for (int j = 0; j < 100; j++) {
                        m.put("new" + added++, "v"); // forces growth mid-iteration
                    }
                }
            }
            for (int i = 0; i < 100; i++) {
                assertThat(seen).contains("old" + i);
            }
        }
    }

    @Test
    void zeroCopyReadSeesTheStoredBytesAndSetAndDeleteReportChanges() {
        try (OffHeapMap<String, byte[]> m = OffHeapMap.builder("zc", Codec.STRING, Codec.BYTES).jmx(false).build()) {
            assertThat(m.set("a", new byte[] {1, 2, 3})).isFalse();
            assertThat(m.set("a", new byte[] {4, 5, 6, 7})).isTrue();
            assertThat(m.read("a", MemorySegment::byteSize)).isEqualTo(4L);
            final Byte b3 = m.read("a", s -> s.get(ValueLayout.JAVA_BYTE, 3));
            assertThat(b3).isEqualTo((byte) 7);
            assertThat(m.read("a", MemorySegment::isReadOnly)).isTrue();
            final Integer none = m.read("missing", s -> 1);
            assertThat(none).isNull();
            assertThat(m.replace("a", new byte[] {4, 5, 6, 7}, new byte[] {9})).as("values compare by content").isTrue();
            assertThat(m.containsValue(new byte[] {9})).isTrue();
            assertThat(m.delete("a")).isTrue();
            assertThat(m.delete("a")).isFalse();
            m.checkInvariants();
        }
    }

    @Test
    void keysWithUnpairedSurrogatesStayDistinct() {
        try (OffHeapMap<String, String> m = OffHeapMap.builder("wtf8", Codec.STRING, Codec.STRING).jmx(false).build()) {
            m.put("a\uD800", "lone high");
            m.put("a?", "question mark");
            m.put("a\uFFFD", "replacement char");
            assertThat(m).hasSize(3);
            assertThat(m.get("a\uD800")).isEqualTo("lone high");
            assertThat(new HashSet<>(m.keySet())).containsExactlyInAnyOrder("a\uD800", "a?", "a\uFFFD");
        }
    }

    @Test
    void jmxRegistersDescribedAttributesShowsUnlimitedAndUnregistersOnClose() throws Exception {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        final OffHeapMap<String, String> m = OffHeapMap.builder("jmx-map", Codec.STRING, Codec.STRING).build();
        final ObjectName mapName = new ObjectName(m.mbeanName());
        final ObjectName arenaName = new ObjectName(m.arena().mbeanName());
        assertThat(mapName.getKeyProperty("type")).isEqualTo("OffHeapMap");
        assertThat(arenaName.getKeyProperty("type")).isEqualTo("SmrArena");
        m.put("k", "v");
        assertThat(server.getAttribute(mapName, "Size")).isEqualTo(1L);
        assertThat(server.getAttribute(arenaName, "HardLimit")).isEqualTo("unlimited");
        assertThat((Long) server.getAttribute(arenaName, "InUseBytes")).isPositive();
        for (final MBeanAttributeInfo a : server.getMBeanInfo(arenaName).getAttributes()) {
            assertThat(a.getDescription()).as(a.getName()).isNotBlank().isNotEqualTo(a.getName());
        }
        for (final MBeanAttributeInfo a : server.getMBeanInfo(mapName).getAttributes()) {
            assertThat(a.getDescription()).as(a.getName()).isNotBlank().isNotEqualTo(a.getName());
        }
        final OffHeapMap<String, String> twin = OffHeapMap.builder("jmx-map", Codec.STRING, Codec.STRING).build();
        assertThat(twin.mbeanName()).isNotEqualTo(m.mbeanName()).contains("instance=");
        twin.close();
        m.close();
        assertThat(server.isRegistered(mapName)).isFalse();
        assertThat(server.isRegistered(arenaName)).isFalse();
        try (SmrArena limited = SmrArena.builder("jmx-limited").hardLimit(1 << 24).build()) {
            assertThat(server.getAttribute(new ObjectName(limited.mbeanName()), "HardLimit")).isEqualTo("16777216");
        }
    }

    @Test
    void closingAMapOnASharedArenaFreesItsEntriesAndLeavesTheArenaOpen() {
        try (SmrArena arena = SmrArena.builder("shared").jmx(false).build()) {
            final OffHeapMap<String, String> m = OffHeapMap.builder("on-shared", Codec.STRING, Codec.STRING)
                    .arena(arena).jmx(false).build();
            for (int i = 0; i < 10_000; i++) {
                m.put("k" + i, "value-" + i);
            }
            assertThat(arena.stats().inUseBytes()).isPositive();
            m.close();
            assertThat(arena.stats().inUseBytes()).isZero();
            arena.reclaim();
            assertThat(arena.stats().reservedBytes()).isZero();
            assertThat(arena.isClosed()).isFalse();
        }
    }

    @Test
    void behavesLikeAHashMapUnderARandomWorkload() {
        final java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
        final Map<String, String> model = new HashMap<>();
        try (OffHeapMap<String, String> m = OffHeapMap.builder("model", Codec.STRING, Codec.STRING).jmx(false).build()) {
            for (int i = 0; i < 200_000; i++) {
                final String k = "k" + rnd.nextInt(5000);
                switch (rnd.nextInt(4)) {
                    case 0, 1 -> assertThat(m.put(k, "v" + i)).isEqualTo(model.put(k, "v" + i));
                    case 2 -> assertThat(m.remove(k)).isEqualTo(model.remove(k));
                    default -> assertThat(m.get(k)).isEqualTo(model.get(k));
                }
            }
            assertThat(m).isEqualTo(model);
            m.checkInvariants();
        }
    }
}
