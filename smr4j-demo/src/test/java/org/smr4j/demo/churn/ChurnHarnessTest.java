package org.smr4j.demo.churn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * The harness runs every strategy and reports sane numbers: a short run (about 1 s per
 * strategy, so about 7 s in all), with both lookup kinds, churn lookups and the flood, so that
 * every path of the harness executes. It checks the report, not the performance; and that the
 * timeline adds up and the report survives JSON, which the forked harness relies on.
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
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void timelineAddsUpToTheTotalsAndTheReportRoundTripsThroughJson() {
        final ChurnConfig cfg = ChurnConfig.builder().strategies(Strategy.SMR_DEFAULT, Strategy.CONCURRENT_HASH_MAP)
                .connections(5000).lookupThreads(1).churnThreads(1).churnWindow(128)
                .warmup(Duration.ofMillis(100)).duration(Duration.ofMillis(700)).timelinePeriod(Duration.ofMillis(100))
                .progressEvery(Duration.ZERO).seed(7).build();
        final ChurnReport report = ChurnHarness.run(cfg, null);
        for (final ChurnResult r : report.results()) {
            final String s = r.strategy().name();
            final Timeline t = r.timeline();
            assertThat(t.periodSeconds()).as(s).isEqualTo(0.1);
            // A tick at the start, about one per period, one at the end (a short last
            // interval is folded into the one before).
            assertThat(t.ticks()).as(s).hasSizeBetween(3, 9);
            assertThat(t.ticks().getFirst().seconds()).as(s).isZero();
            assertThat(t.ticks().getFirst().lookups()).as(s).isZero();
            final Timeline.Tick last = t.ticks().getLast();
            assertThat(last.seconds()).as(s).isCloseTo(r.seconds(), org.assertj.core.data.Offset.offset(1e-3));
            assertThat(last.lookups()).as(s + ": the last tick is the totals").isEqualTo(r.lookups());
            assertThat(last.churn()).as(s).isEqualTo(r.closed());
            assertThat(last.gcPauseMillis()).as(s).isEqualTo(r.gcPauseMillis());
            for (int i = 1; i < t.ticks().size(); i++) {
                final Timeline.Tick a = t.ticks().get(i - 1);
                final Timeline.Tick b = t.ticks().get(i);
                assertThat(b.seconds()).as(s).isGreaterThan(a.seconds());
                assertThat(b.lookups()).as(s).isGreaterThanOrEqualTo(a.lookups());
                assertThat(b.allocatedBytes()).as(s).isGreaterThanOrEqualTo(a.allocatedBytes());
                assertThat(t.rate(Timeline.Series.LOOKUPS, i)).as(s).isNotNegative();
            }
            assertThat(t.pauses()).as(s).allSatisfy(p -> assertThat(p.seconds()).isBetween(0.0, r.seconds()));
            assertThat(r.lookupLatencies().getTotalCount()).as(s + ": the encoded histogram holds every sample")
                    .isEqualTo(r.lookupNanos().count());
            if (r.strategy() == Strategy.SMR_DEFAULT) {
                assertThat(t.ticks()).as(s).allSatisfy(k -> assertThat(k.pending()).isNotNegative());
            } else {
                assertThat(t.ticks()).as(s + ": the GC owns removed blocks")
                        .allSatisfy(k -> assertThat(k.pending()).isEqualTo(-1));
            }
        }
        assertThatThrownBy(() -> report.results().getFirst().timeline().rate(Timeline.Series.LOOKUPS, 0))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("tick index must be 1..");

        final String json = report.toJson();
        final ChurnReport back = ChurnReport.fromJson(json);
        assertThat(back).as("every figure survives JSON (records compare NaN equal)").isEqualTo(report);
        assertThat(back.environment().pid()).isEqualTo(ProcessHandle.current().pid());
        assertThatThrownBy(() -> ChurnReport.fromJson(json.replace("\"results\"", "\"resultz\"")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ChurnReport");
    }

    @Test
    void configRefusesWhatItCannotRun() {
        assertThatThrownBy(() -> ChurnConfig.builder().readPercent(101).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("readPercent");
        assertThatThrownBy(() -> ChurnConfig.builder().timelinePeriod(Duration.ofNanos(10)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timelinePeriod");
        assertThatThrownBy(() -> ChurnConfig.builder().strategies(Strategy.RW_LOCK, Strategy.RW_LOCK).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
    }
}
