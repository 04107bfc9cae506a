package org.smr4j.demo.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.smr4j.demo.offheap.OffheapStrategy;
import org.smr4j.demo.report.OffheapReport.Row;

/**
 * The offheap verdict follows the numbers: other figures give other words, and a run without a
 * baseline says less instead of inventing it.
 */
class OffheapVerdictTest {

    record Fig(OffheapStrategy s, double frees, double slowdown, long peak, long pending, long refused, long torn) {
    }

    static List<Row> rows(final Fig... figs) {
        double shared = Double.NaN;
        double auto = Double.NaN;
        for (final Fig f : figs) {
            if (f.s() == OffheapStrategy.SHARED_ARENA) {
                shared = f.frees();
            }
            if (f.s() == OffheapStrategy.AUTO_ARENA) {
                auto = f.frees();
            }
        }
        final List<Row> rows = new ArrayList<>();
        for (final Fig f : figs) {
            rows.add(new Row(f.s(), f.frees(), Format.ratioValue(f.frees(), shared), Format.ratioValue(f.frees(), auto),
                    1e7, 1, 1, f.torn(), f.torn(), 0, f.refused(), 1_000_000, f.peak(), f.peak(), f.pending(), 6_400_000,
                    0, 100 * f.slowdown(), 100, f.slowdown(), f.slowdown(), 3, 1, 1));
        }
        return rows;
    }

    @Test
    void wordsFollowTheFigures() {
        final List<String> v = OffheapReport.verdict(rows(
                new Fig(OffheapStrategy.SMR_DEFAULT, 2e6, 1.02, 8 << 20, 1 << 20, 0, 0),
                new Fig(OffheapStrategy.SMR_LAZY, 3e6, 1.01, 9 << 20, 2 << 20, 0, 0),
                new Fig(OffheapStrategy.SHARED_ARENA, 3000, 1.5, 6_400_064, 0, 12, 0),
                new Fig(OffheapStrategy.AUTO_ARENA, 1e6, 1.03, 300 << 20, 290 << 20, 0, 0)));
        assertThat(v).hasSize(3);
        assertThat(v.get(0)).isEqualTo("Frees: SMR_LAZY freed 3.00M blocks/s, 1,000x SHARED_ARENA's 3.00k closes/s "
                + "(a handshake each) and 3.00x AUTO_ARENA's 1.00M blocks/s left to the garbage collector; none of "
                + "4,000,000 reads saw a torn or foreign block.");
        assertThat(v.get(1)).startsWith("Bystander: an unrelated thread's loop took 1.02x beside SMR_DEFAULT, 1.01x "
                + "beside SMR_LAZY, 1.50x beside SHARED_ARENA and 1.03x beside AUTO_ARENA")
                .endsWith(": shared-arena closes cost it 1.47x what the slower SMR strategy's frees did.");
        assertThat(v.get(2)).isEqualTo("Memory: AUTO_ARENA held up to 300.0 MiB native (290.0 MiB of it garbage "
                + "waiting for the collector) for 6.1 MiB of live sessions; SMR at most 9.0 MiB (SMR_LAZY, 2.0 MiB of "
                + "it pending); SHARED_ARENA frees at once (6.1 MiB at most) but refused 12 reads: the reader's "
                + "block was closed under it (IllegalStateException).");

        // The bystander the other way round, and level.
        assertThat(OffheapReport.verdict(rows(new Fig(OffheapStrategy.SMR_DEFAULT, 2e6, 1.4, 1, 0, 0, 0),
                new Fig(OffheapStrategy.SHARED_ARENA, 3000, 1.1, 1, 0, 0, 0))).get(1))
                .endsWith(": in this run SMR_DEFAULT slowed it more than the shared arena's closes, by 1.27x.");
        assertThat(OffheapReport.verdict(rows(new Fig(OffheapStrategy.SMR_DEFAULT, 2e6, 1.05, 1, 0, 0, 0),
                new Fig(OffheapStrategy.SHARED_ARENA, 3000, 1.1, 1, 0, 0, 0))).get(1))
                .endsWith(": no difference of 10% or more between SMR_DEFAULT and SHARED_ARENA in this run.");
    }

    @Test
    void missingBaselinesAreNotInvented() {
        final List<String> v = OffheapReport.verdict(rows(new Fig(OffheapStrategy.SMR_LAZY, 3e6, 1.0, 1 << 20, 0, 0, 0)));
        assertThat(v.get(0)).isEqualTo("Frees: SMR_LAZY freed 3.00M blocks/s; none of 1,000,000 reads saw a torn or "
                + "foreign block.");
        assertThat(v.get(1)).isEqualTo("Bystander: an unrelated thread's loop took 1.00x beside SMR_LAZY (the wall time "
                + "of its median batch against the same loop alone).");
        assertThat(v.get(2)).doesNotContain("AUTO_ARENA").doesNotContain("SHARED_ARENA");
        assertThat(rows(new Fig(OffheapStrategy.SMR_LAZY, 3e6, 1.0, 1, 0, 0, 0)).getFirst().cells().get(2))
                .as("no ratio without its baseline").isEqualTo("-");
    }

    @Test
    void aTornReadIsAFailureAndNamedFirst() {
        final List<Row> rows = rows(new Fig(OffheapStrategy.SMR_DEFAULT, 2e6, 1.0, 1, 0, 0, 3),
                new Fig(OffheapStrategy.SHARED_ARENA, 3000, 1.1, 1, 0, 0, 0));
        assertThat(OffheapReport.failed(rows)).isTrue();
        assertThat(OffheapReport.verdict(rows).getFirst()).isEqualTo("!!! SMR_DEFAULT: 3 of 1,000,000 reads saw a "
                + "torn or foreign block: a block was freed and reused under a reader. That is a bug.");
        assertThat(OffheapReport.failed(rows(new Fig(OffheapStrategy.SMR_DEFAULT, 2e6, 1.0, 1, 0, 0, 0)))).isFalse();
    }
}
