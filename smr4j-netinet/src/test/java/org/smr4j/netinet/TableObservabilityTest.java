package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.Smr;
import org.smr4j.SmrPool;

/**
 * Issue 10.3: a domain, a pool and a table registered together, their MBeans read through the
 * platform MBean server and equal to their stats(), then closed and gone; every strategy's
 * table MBean and its limits; the table's periodic JFR statistics.
 */
@Timeout(60)
class TableObservabilityTest {
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    private static ConnectionKey key(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 8080, 0xC0000200 + i, 10_000 + i);
    }

    private static ObjectName named(final String type, final String name) throws Exception {
        return new ObjectName("org.smr4j:type=" + type + ",name=" + name);
    }

    @Test
    void aDomainAPoolAndATableHaveMBeansThatMatchTheirStatsAndGoAwayOnClose() throws Exception {
        final String tag = "trio-" + System.nanoTime();
        final Smr smr = Smr.create(tag + "-domain");
        final SmrPool<Object> pool = SmrPool.builder(tag + "-pool", Object::new).smr(smr).hardLimit(1000).build();
        final ConnectionTable table = ConnectionTable.builder(ConnectionTable.Strategy.SMR_DEFAULT).name(tag + "-table")
                .limits(100, 50).build();

        pool.put(pool.get());
        for (int i = 0; i < 10; i++) {
            table.insert(key(i)).unlock();
        }
        assertThat(table.remove(key(3))).isTrue();
        smr.synchronize();

        final ObjectName d = new ObjectName(smr.mbeanName());
        final ObjectName p = new ObjectName(pool.mbeanName());
        final ObjectName t = new ObjectName(table.mbeanName());
        assertThat(d).isEqualTo(named("Smr", tag + "-domain"));
        assertThat(p).isEqualTo(named("SmrPool", tag + "-pool"));
        assertThat(t).isEqualTo(named("ConnectionTable", tag + "-table"));

        final Smr.Stats ds = smr.stats();
        assertThat(SERVER.getAttribute(d, "Advances")).isEqualTo(ds.advances());
        assertThat(SERVER.getAttribute(d, "Polls")).isEqualTo(ds.polls());
        assertThat(SERVER.getAttribute(d, "WriteSequence")).isEqualTo(ds.writeSequence());
        assertThat(SERVER.getAttribute(d, "ReadSequence")).isEqualTo(ds.readSequence());
        assertThat(SERVER.getAttribute(d, "Readers")).isEqualTo(ds.readers());

        final SmrPool.Stats ps = pool.stats();
        assertThat(SERVER.getAttribute(p, "Requests")).isEqualTo(ps.requests());
        assertThat(SERVER.getAttribute(p, "Created")).isEqualTo(ps.created());
        assertThat(SERVER.getAttribute(p, "Cached")).isEqualTo(ps.cached());
        assertThat(SERVER.getAttribute(p, "HardLimit")).isEqualTo("1000");

        final ConnectionTable.Stats ts = table.stats();
        assertThat(SERVER.getAttribute(t, "Name")).isEqualTo(tag + "-table");
        assertThat(SERVER.getAttribute(t, "Strategy")).isEqualTo("SMR_DEFAULT");
        assertThat(SERVER.getAttribute(t, "Size")).isEqualTo(ts.size()).isEqualTo(9L);
        assertThat(SERVER.getAttribute(t, "Inserts")).isEqualTo(ts.inserts()).isEqualTo(10L);
        assertThat(SERVER.getAttribute(t, "Removes")).isEqualTo(ts.removes()).isEqualTo(1L);
        assertThat(SERVER.getAttribute(t, "Buckets")).isEqualTo(ts.buckets());
        assertThat(SERVER.getAttribute(t, "BlocksCreated")).isEqualTo(ts.blocksCreated());
        assertThat(SERVER.getAttribute(t, "BlocksLive")).isEqualTo(ts.blocksLive());
        assertThat(SERVER.getAttribute(t, "BlocksPending")).isEqualTo(ts.blocksPending());
        assertThat(SERVER.getAttribute(t, "MaxConnections")).isEqualTo("100");
        assertThat(SERVER.getAttribute(t, "PendingLimit")).isEqualTo("50");
        assertThat(SERVER.getAttribute(t, "Closed")).isEqualTo(false);
        final var info = SERVER.getMBeanInfo(t);
        assertThat(info.getDescription()).contains(tag + "-table").contains("SMR_DEFAULT");
        for (final MBeanAttributeInfo a : info.getAttributes()) {
            assertThat(a.getDescription()).as(a.getName()).isNotBlank().isNotEqualTo(a.getName());
        }
        // The table's own pool and domain, under the table's name.
        final ObjectName tablePool = named("SmrPool", tag + "-table");
        final ObjectName tableDomain = named("Smr", tag + "-table");
        assertThat(SERVER.isRegistered(tablePool)).isTrue();
        assertThat(SERVER.isRegistered(tableDomain)).isTrue();

        table.close();
        pool.close();
        smr.close();
        for (final ObjectName gone : List.of(d, p, t, tablePool, tableDomain)) {
            assertThat(SERVER.isRegistered(gone)).as(gone + " after close").isFalse();
        }
        assertThat(table.mbeanName()).as("kept after close").isEqualTo(t.getCanonicalName());
    }

    @ParameterizedTest
    @EnumSource(ConnectionTable.Strategy.class)
    void everyStrategyHasATableMBeanAndItsLimitsSayUnlimited(final ConnectionTable.Strategy strategy) throws Exception {
        final String name = "each-" + strategy + "-" + System.nanoTime();
        final ObjectName on;
        try (ConnectionTable table = ConnectionTable.builder(strategy).name(name).build()) {
            table.insert(key(1)).unlock();
            on = new ObjectName(table.mbeanName());
            assertThat(on).isEqualTo(named("ConnectionTable", name));
            assertThat(SERVER.getAttribute(on, "Strategy")).isEqualTo(strategy.name());
            assertThat(SERVER.getAttribute(on, "Size")).isEqualTo(table.stats().size()).isEqualTo(1L);
            assertThat(SERVER.getAttribute(on, "BlocksPending")).isEqualTo(table.stats().blocksPending());
            assertThat(SERVER.getAttribute(on, "MaxConnections")).isEqualTo("unlimited");
            assertThat(SERVER.getAttribute(on, "PendingLimit")).isEqualTo("unlimited");
            try (ConnectionTable twin = ConnectionTable.builder(strategy).name(name).build()) {
                assertThat(new ObjectName(twin.mbeanName()).getKeyProperty("instance")).isEqualTo("1");
            }
        }
        assertThat(SERVER.isRegistered(on)).isFalse();
        assertThat(SERVER.queryNames(new ObjectName("org.smr4j:*,name=" + name), null))
                .as("the table's pool and domain are gone with it").isEmpty();
    }

    @Test
    void tablesEmitPeriodicStatistics() throws Exception {
        final String name = "jfr-table-" + System.nanoTime();
        final Path file = Files.createTempFile("smr4j-table", ".jfr");
        // A table built before the recording starts adds the periodic hook first (at once if
        // a recorder exists, else when the Recording below initialises it). A hook added to a
        // running recording is picked up only at JFR's next periodic reschedule, about a
        // second later (measured on JDK 25), which this short test would miss.
        ConnectionTable.builder(ConnectionTable.Strategy.RW_LOCK).name(name + "-first").build().close();
        try (Recording recording = new Recording()) {
            recording.enable("org.smr4j.ConnectionTableStatistics").withPeriod(Duration.ofMillis(100));
            recording.start();
            try (ConnectionTable table = ConnectionTable.builder(ConnectionTable.Strategy.PSERIALIZE).name(name).build()) {
                for (int i = 0; i < 5; i++) {
                    table.insert(key(i)).unlock();
                }
                Thread.sleep(500);
            }
            recording.stop();
            recording.dump(file);
        }
        final List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Files.deleteIfExists(file);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("org.smr4j.ConnectionTableStatistics");
            assertThat(e.getString("table")).isEqualTo(name);
            assertThat(e.getString("strategy")).isEqualTo("PSERIALIZE");
            assertThat(e.getLong("size")).isEqualTo(5);
            assertThat(e.getLong("inserts")).isEqualTo(5);
        });
    }
}
