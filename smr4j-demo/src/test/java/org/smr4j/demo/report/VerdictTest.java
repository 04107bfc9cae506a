package org.smr4j.demo.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.smr4j.demo.report.Comparison.Row;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * The verdict follows the numbers: the same rows with the ratios turned around give the
 * opposite words, and a run without a strategy says what it cannot compare.
 */
class VerdictTest {

    /** A row with the figures the verdict reads; ratios computed as Comparison does. */
    static Row row(final String phase, final Strategy s, final double lookups, final double churn, final double chmL,
            final double chmC, final double rwL, final double rwC, final double created, final long pending,
            final double bytes, final double gc) {
        return new Row(phase, s, 1, lookups, lookups, lookups, lookups / chmL, lookups / rwL, churn, churn, churn,
                churn / chmC, churn / rwC, 100, 900, 2000, 9000, 1.0, created, pending, 0, bytes, gc, 1, 2, 0, 1.0);
    }

    static List<Row> rows(final double pserLookups, final double pserChurn) {
        final List<Row> rows = new ArrayList<>();
        for (final String phase : List.of("churn", "flood")) {
            final double chmL = 10e6;
            final double chmC = 1e6;
            final double rwL = 2e6;
            final double rwC = 0.2e6;
            rows.add(row(phase, Strategy.SMR_DEFAULT, 8e6, 1.5e6, chmL, chmC, rwL, rwC, 0, 4096, 0, 0));
            rows.add(row(phase, Strategy.SMR_LAZY, 12e6, 0.8e6, chmL, chmC, rwL, rwC, 10, 4000, 0, 0));
            rows.add(row(phase, Strategy.PSERIALIZE, pserLookups, pserChurn, chmL, chmC, rwL, rwC, 5, 0, 0, 0));
            rows.add(row(phase, Strategy.RW_LOCK, rwL, rwC, chmL, chmC, rwL, rwC, 400_000, -1, 200, 30));
            rows.add(row(phase, Strategy.CONCURRENT_HASH_MAP, chmL, chmC, chmL, chmC, rwL, rwC, 2_000_000, -1, 210, 60));
        }
        return rows;
    }

    static List<Comparison.Phase> phases() {
        return List.of(new Comparison.Phase("churn", "churn", null), new Comparison.Phase("flood", "flood", null));
    }

    @Test
    void wordsFollowTheRatios() {
        final List<String> slow = Verdict.of(phases(), rows(3e6, 3e6));
        assertThat(slow).hasSize(3);
        // SMR_DEFAULT: 8e6 * 1.5e6 = 1.2e13 > SMR_LAZY's 12e6 * 0.8e6 = 9.6e12, per phase.
        assertThat(slow.get(0)).contains("0.38x the lookups and 2.00x the churn of SMR_DEFAULT under churn")
                .contains("(SMR_DEFAULT is the faster SMR mode in this run)")
                .endsWith("SMR_DEFAULT leads on lookups, PSERIALIZE leads on churn.");
        final List<String> fast = Verdict.of(phases(), rows(20e6, 0.5e6));
        assertThat(fast.get(0)).endsWith("PSERIALIZE leads on lookups, SMR_DEFAULT leads on churn.");
        final List<String> level = Verdict.of(phases(), rows(8.4e6, 1.45e6));
        assertThat(level.get(0)).endsWith("level on lookups, level on churn.");

        assertThat(slow.get(1)).startsWith("Against ConcurrentHashMap with the GC: SMR_DEFAULT looks up behind it "
                + "and churns ahead of it (0.80x/1.50x churn, 0.80x/1.50x flood), PSERIALIZE looks up behind it "
                + "and churns ahead of it").contains("; against the RW lock: SMR_DEFAULT looks up ahead of it");
        assertThat(slow.get(2)).startsWith("Memory: the pooled tables created at most 10 blocks in a measured run "
                + "(SMR_LAZY, churn), held at most 4,096 removed blocks pending")
                .contains("the garbage-collected tables created up to 2,000,000 (CONCURRENT_HASH_MAP, churn: one "
                        + "per connection), allocated up to 210.0 B per churn and paused up to 60 ms");
    }

    @Test
    void phasesThatDisagreeAreNamedNotAveraged() {
        // SMR_DEFAULT churns 1.50x ConcurrentHashMap under churn and 0.80x under the flood, and
        // PSERIALIZE leads SMR_DEFAULT on churn in one phase only: no single word says that.
        final List<Row> rows = new ArrayList<>();
        for (final String phase : List.of("churn", "flood")) {
            final boolean churn = phase.equals("churn");
            final double chmL = 10e6;
            final double chmC = 1e6;
            final double rwL = 2e6;
            final double rwC = 0.2e6;
            rows.add(row(phase, Strategy.SMR_DEFAULT, 8e6, churn ? 1.5e6 : 0.8e6, chmL, chmC, rwL, rwC, 0, 4096, 0, 0));
            rows.add(row(phase, Strategy.PSERIALIZE, 3e6, churn ? 3e6 : 0.4e6, chmL, chmC, rwL, rwC, 5, 0, 0, 0));
            rows.add(row(phase, Strategy.CONCURRENT_HASH_MAP, chmL, chmC, chmL, chmC, rwL, rwC, 2_000_000, -1, 210, 60));
        }
        final List<String> v = Verdict.of(phases(), rows);
        assertThat(v.get(0)).endsWith("SMR_DEFAULT leads on lookups, PSERIALIZE leads on churn under churn and "
                + "SMR_DEFAULT leads on churn under the SYN flood.");
        assertThat(v.get(1)).startsWith("Against ConcurrentHashMap with the GC: SMR_DEFAULT looks up behind it and "
                + "churns ahead of it under churn and behind it under the SYN flood (0.80x/1.50x churn, "
                + "0.80x/0.80x flood)");
    }

    @Test
    void aRunWithoutAStrategySaysWhatItCannotCompare() {
        final List<Row> noPser = rows(1, 1).stream().filter(r -> r.strategy() != Strategy.PSERIALIZE).toList();
        assertThat(Verdict.of(phases(), noPser).get(0))
                .isEqualTo("pserialize vs SMR: not compared, this run has no PSERIALIZE (--strategies).");
        final List<Row> noBase = rows(1, 1).stream().filter(r -> r.strategy() != Strategy.RW_LOCK
                && r.strategy() != Strategy.CONCURRENT_HASH_MAP).toList();
        assertThat(Verdict.of(phases(), noBase).get(1)).isEqualTo(
                "Against the baselines: not compared, this run has no CONCURRENT_HASH_MAP or RW_LOCK (--strategies).");
        assertThat(Verdict.of(phases(), noBase).get(2)).startsWith("Memory: the pooled tables")
                .doesNotContain("garbage-collected");
    }

    @Test
    void theLevelBandIsTenPercent() {
        assertThat(Verdict.word(1.11)).isEqualTo("ahead of");
        assertThat(Verdict.word(1.09)).isEqualTo("level with");
        assertThat(Verdict.word(0.91)).isEqualTo("level with");
        assertThat(Verdict.word(0.89)).isEqualTo("behind");
        assertThat(Verdict.word(Double.NaN)).isEqualTo("not compared with");
    }
}
