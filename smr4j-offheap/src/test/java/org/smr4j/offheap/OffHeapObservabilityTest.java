package org.smr4j.offheap;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 10.3 for the off-heap structures: a map, its arena and the arena's own domain each
 * have an MBean, all gone after the map's close; the arena's and the map's periodic JFR
 * statistics, emitted while they are open.
 */
@Timeout(60)
class OffHeapObservabilityTest {
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    @Test
    void aMapItsArenaAndTheArenasDomainAreUnregisteredTogether() throws Exception {
        final String name = "obs-map-" + System.nanoTime();
        final OffHeapMap<String, String> m = OffHeapMap.builder(name, Codec.STRING, Codec.STRING).build();
        final ObjectName map = new ObjectName(m.mbeanName());
        final ObjectName arena = new ObjectName(m.arena().mbeanName());
        final org.smr4j.Smr smr = m.arena().smr();
        final ObjectName domain = new ObjectName(smr.mbeanName());
        assertThat(domain).isEqualTo(new ObjectName("org.smr4j:type=Smr,name=" + name));
        m.put("k", "v");
        m.remove("k");
        assertThat(SERVER.getAttribute(domain, "Advances")).isEqualTo(smr.stats().advances());
        m.close();
        for (final ObjectName gone : List.of(map, arena, domain)) {
            assertThat(SERVER.isRegistered(gone)).as(gone + " after close").isFalse();
        }
        assertThat(smr.isClosed()).as("the arena created its domain and closed it").isTrue();
    }

    @Test
    void arenasAndMapsEmitPeriodicStatistics() throws Exception {
        final String name = "obs-jfr-" + System.nanoTime();
        // Built before the recording starts: the hooks are in place when it starts (see
        // TableObservabilityTest for why that matters in a short test).
        OffHeapMap.builder(name + "-first", Codec.STRING, Codec.STRING).jmx(false).build().close();
        final Path file = Files.createTempFile("smr4j-offheap", ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable("org.smr4j.SmrArenaStatistics").withPeriod(Duration.ofMillis(100));
            recording.enable("org.smr4j.OffHeapMapStatistics").withPeriod(Duration.ofMillis(100));
            recording.start();
            try (OffHeapMap<String, String> m = OffHeapMap.builder(name, Codec.STRING, Codec.STRING).jmx(false).build()) {
                m.put("a", "1");
                m.put("b", "2");
                Thread.sleep(500);
            }
            recording.stop();
            recording.dump(file);
        }
        final List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Files.deleteIfExists(file);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("org.smr4j.OffHeapMapStatistics");
            assertThat(e.getString("map")).isEqualTo(name);
            assertThat(e.getLong("size")).isEqualTo(2);
            assertThat(e.getString("arena")).isEqualTo(name);
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("org.smr4j.SmrArenaStatistics");
            assertThat(e.getString("arena")).isEqualTo(name);
            assertThat(e.getLong("inUseBytes")).isPositive();
        });
    }
}
