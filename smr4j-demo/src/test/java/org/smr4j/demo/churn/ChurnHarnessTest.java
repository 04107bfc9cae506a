package org.smr4j.demo.churn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smr4j.netinet.ConnectionTable.Strategy;
import picocli.CommandLine;

/**
 * The harness runs every strategy and reports sane numbers: a short run (about 1 s per
 * strategy, so about 7 s in all), with both lookup kinds, churn lookups and the flood, so that
 * every path of the harness executes. It checks the report, not the performance.
 */
class ChurnHarnessTest {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyStrategyRunsCleanAndReportsSaneNumbers() {
        final ChurnConfig cfg = ChurnConfig.builder()
                .connections(10_000).lookupThreads(1).churnThreads(1).churnWindow(256)
                .readPercent(50).churnLookupPercent(10)
                .flood(true).floodTtl(Duration.ofMillis(100)).floodMax(2048)
                .warmup(Duration.ofMillis(200)).duration(Duration.ofMillis(800))
                .progressEvery(Duration.ZERO).seed(42)
                .build();
        final ChurnReport report = ChurnHarness.run(cfg, null);
        System.out.println(report); // the table, for the test log

        assertThat(report.results()).extracting(ChurnResult::strategy).containsExactly(Strategy.values());
        assertThat(report.violations()).as(report.verdict()).isZero();
        assertThat(report.clean()).as(report.verdict()).isTrue();
        for (final ChurnResult r : report.results()) {
            final String s = r.strategy().name();
            assertThat(r.error()).as(s).isNull();
            assertThat(r.seconds()).as(s).isBetween(0.7, 30.0);
            assertThat(r.lookups()).as(s).isPositive();
            assertThat(r.reads()).as(s).isPositive().isLessThan(r.lookups());
            assertThat(r.churnLookupHits() + r.churnLookupMisses()).as(s).isPositive();
            assertThat(r.closed()).as(s).isPositive();
            // Each snapshot holds a churn thread's inserts I and removes R with no insert
            // between their reads (ChurnHarness.Snapshot), so I - R is the open count, or one
            // less if the remove of the last iteration followed the read of I; the open count
            // itself is the window or one more (an iteration inserts, then removes). So
            // I - R lies in [window - 1, window + 1] at both ends of the interval, and
            // opened - closed = (I1 - R1) - (I0 - R0) in [-2, 2], per churn thread.
            assertThat(r.opened()).as(s).isBetween(r.closed() - 2L * cfg.churnThreads(),
                    r.closed() + 2L * cfg.churnThreads());
            assertThat(r.floodInserts()).as(s).isPositive();
            assertThat(r.floodExpired() + r.floodEvicted()).as(s).isPositive();
            assertThat(r.lookupNanos().count()).as(s).isPositive();
            assertThat(r.lookupNanos().p50()).as(s).isPositive().isLessThanOrEqualTo(r.lookupNanos().max());
            assertThat(r.removeNanos().count()).as(s).isPositive();
            assertThat(r.insertNanos().count()).as(s).isPositive();
            assertThat(r.sizeAtEnd()).as(s).isEqualTo(r.sizeExpected());
            assertThat(r.lookupBytes() + r.churnBytes() + r.floodBytes()).as(s).isNotNegative();
            assertThat(r.gcCount()).as(s).isNotNegative();
            switch (r.strategy()) {
                case SMR_DEFAULT, SMR_LAZY, PSERIALIZE -> {
                    assertThat(r.pendingSamples()).as(s).isPositive();
                    assertThat(r.pendingPeak()).as(s).isNotNegative();
                    assertThat(r.pendingMean()).as(s).isBetween(0.0, (double) r.pendingPeak());
                    assertThat(r.reusedInserts()).as(s + ": pooled blocks are reused").isPositive();
                    assertThat(r.reuseDelayNanos().count()).as(s).isPositive();
                    assertThat(r.longestChain()).as(s).isPositive();
                }
                case RW_LOCK, CONCURRENT_HASH_MAP -> {
                    assertThat(r.pendingUnknown()).as(s).isTrue();
                    assertThat(r.reusedInserts()).as(s + ": new blocks only").isZero();
                    assertThat(r.blocksCreated()).as(s + ": a block per insert").isPositive();
                    assertThat(r.bytesPerChurn()).as(s + ": a block per insert is garbage").isPositive();
                }
            }
        }
        final String text = report.toString();
        for (final Strategy s : Strategy.values()) {
            assertThat(text).contains("| " + s.name() + " |");
        }
        assertThat(text).contains("violations: 0 in every strategy");
        final String json = report.toJson();
        assertThat(json).startsWith("{\"config\":{").endsWith("}").contains("\"results\":[{\"strategy\":\"SMR_DEFAULT\"");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void stopsAfterTheGivenNumberOfLookups() {
        final ChurnConfig cfg = ChurnConfig.builder().strategies(Strategy.SMR_LAZY).connections(1000)
                .churnThreads(0).warmup(Duration.ZERO).operations(200_000).progressEvery(Duration.ZERO).build();
        final ChurnResult r = ChurnHarness.run(cfg, null).results().getFirst();
        assertThat(r.clean()).as(String.valueOf(r.violations())).isTrue();
        assertThat(r.lookups()).isGreaterThanOrEqualTo(200_000);
        assertThat(r.closed()).isZero();
    }

    @Test
    void commandParsesItsOptions() {
        final ChurnCommand cmd = new ChurnCommand();
        new CommandLine(cmd).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--strategies", "smr_lazy,RW_LOCK",
                "--lookup-threads", "2", "--churn-threads", "0", "--connections", "5000", "--churn-rate", "1000",
                "--flood", "--flood-ttl", "250ms", "--duration", "3s", "--read-percent", "100");
        final ChurnConfig c = cmd.config();
        assertThat(c.strategies()).containsExactly(Strategy.SMR_LAZY, Strategy.RW_LOCK);
        assertThat(c.lookupThreads()).isEqualTo(2);
        assertThat(c.churnThreads()).isZero();
        assertThat(c.connections()).isEqualTo(5000);
        assertThat(c.churnRate()).isEqualTo(1000);
        assertThat(c.flood()).isTrue();
        assertThat(c.floodTtl()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.duration()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.readPercent()).isEqualTo(100);

        final ChurnCommand.DurationConverter d = new ChurnCommand.DurationConverter();
        assertThat(d.convert("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(d.convert("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(d.convert("100us")).isEqualTo(Duration.ofNanos(100_000));
        assertThat(d.convert("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(d.convert("PT0.5S")).isEqualTo(Duration.ofMillis(500));
        assertThatThrownBy(() -> new CommandLine(new ChurnCommand()).parseArgs("--duration", "1s", "--operations", "5"))
                .isInstanceOf(CommandLine.ParameterException.class);
        assertThatThrownBy(() -> ChurnConfig.builder().readPercent(101).build())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
