package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** stats(), the MBean and the flight recorder events. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // StalledReader is held for its scope, not referenced
class SmrPoolStatsTest {
    /** A pooled object. */
    static final class Obj {
    }

    @Test
    void statsCountLikeVmstat() {
        try (SmrPool<Obj> pool = SmrPool.builder("stats", Obj::new).jmx(false).magazineSize(2).hardLimit(6)
                .limitPolicy(SmrPool.LimitPolicy.FAIL).build()) {
            final Obj[] o = new Obj[6];
            for (int i = 0; i < 6; i++) {
                o[i] = pool.get();
            }
            assertThat(pool.tryGet()).isNull();
            try (SmrPoolTesting.StalledReader r = new SmrPoolTesting.StalledReader(pool.smr(), "stats-reader")) {
                for (int i = 0; i < 5; i++) {
                    pool.put(o[i]);
                }
                SmrPool.Stats s = pool.stats();
                assertThat(s.name()).isEqualTo("stats");
                assertThat(s.requests()).isEqualTo(7);
                assertThat(s.puts()).isEqualTo(5);
                assertThat(s.failures()).isEqualTo(1);
                assertThat(s.created()).isEqualTo(6);
                assertThat(s.live()).isEqualTo(6);
                assertThat(s.cached()).isEqualTo(5);
                assertThat(s.batchesPending()).isEqualTo(2);
                assertThat(s.objectsPending()).isEqualTo(4);
                assertThat(s.oldestPendingAge()).isPositive();
                assertThat(s.stripes()).isPositive();
            }
        }
    }

    @Test
    void mbeanIsRegisteredOnBuildAndUnregisteredOnClose() throws Exception {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        final SmrPool<Obj> pool = SmrPool.builder("jmx, \"odd\" = name", Obj::new).build();
        final ObjectName name = new ObjectName(pool.mbeanName());
        assertThat(name.getKeyProperty("type")).isEqualTo("SmrPool");
        assertThat(ObjectName.unquote(name.getKeyProperty("name"))).isEqualTo("jmx, \"odd\" = name");
        assertThat(server.isRegistered(name)).isTrue();
        pool.put(pool.get());
        assertThat(server.getAttribute(name, "Created")).isEqualTo(1L);
        assertThat(server.getAttribute(name, "Requests")).isEqualTo(1L);
        assertThat(server.getAttribute(name, "Name")).isEqualTo("jmx, \"odd\" = name");
        try (SmrPool<Obj> twin = SmrPool.builder("jmx, \"odd\" = name", Obj::new).build()) {
            assertThat(twin.mbeanName()).isNotEqualTo(pool.mbeanName()).contains("instance=1");
        }
        // Instance numbers count up per name and are not reused: registration stays O(1) with
        // many pools of one name (the old probe from 1 gave instance=1 again here).
        try (SmrPool<Obj> twin = SmrPool.builder("jmx, \"odd\" = name", Obj::new).build()) {
            assertThat(twin.mbeanName()).contains("instance=2");
        }
        pool.close();
        assertThat(server.isRegistered(name)).isFalse();
    }

    @Test
    void flightRecorderSeesWaitsOnAGoal() throws Exception {
        final Path file = Files.createTempFile("smr-pool", ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable("org.smr4j.PoolWait");
            recording.enable("org.smr4j.PoolRefill").withThreshold(java.time.Duration.ZERO);
            recording.start();
            try (SmrPool<Obj> pool = SmrPool.builder("jfr", Obj::new).jmx(false).hardLimit(1).build()) {
                final Obj a = pool.get();
                final java.util.concurrent.CompletableFuture<Obj> waiter;
                try (SmrPoolTesting.StalledReader r = new SmrPoolTesting.StalledReader(pool.smr(), "jfr-reader")) {
                    pool.put(a); // partial magazine: the get at the limit tags it and waits
                    waiter = java.util.concurrent.CompletableFuture.supplyAsync(pool::get,
                            task -> Thread.ofPlatform().name("jfr-waiter").start(task));
                    SmrPoolTesting.await(() -> pool.stats().waits() > 0, java.time.Duration.ofSeconds(5),
                            "the getter waits");
                }
                assertThat(waiter.get(5, TimeUnit.SECONDS)).isSameAs(a);
            }
            recording.stop();
            recording.dump(file);
        }
        final List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Files.deleteIfExists(file);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("org.smr4j.PoolWait");
            assertThat(e.getString("pool")).isEqualTo("jfr");
            assertThat(e.getLong("limit")).isEqualTo(1);
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("org.smr4j.PoolRefill");
            assertThat(e.getString("pool")).isEqualTo("jfr");
        });
    }
}
