package org.smr4j.demo.report;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;
import org.smr4j.demo.churn.ChurnResult;
import org.smr4j.demo.fork.FairHarness.FairRun;
import org.smr4j.demo.fork.FairHarness.Measurement;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * The one comparison table of a run: a row per phase and strategy, each the repetitions of
 * that strategy taken together, with ratios to the baselines measured in the same phase of
 * the same run ({@code CONCURRENT_HASH_MAP}, the garbage-collected idiom, and {@code RW_LOCK}),
 * and a three-line verdict computed from those rows.
 *
 * <p>How repetitions combine: throughput is the mean of the repetitions' rates (each is a
 * measured time of the same length); latency percentiles come from the repetitions' histograms
 * merged, so they are exact over every sample; blocks created and GC pause time are means per
 * repetition; the pending peak is the largest of any repetition; bytes per operation are total
 * bytes over total operations. The spread (slowest and fastest repetition) is kept beside the
 * mean so that a reader can see how far to trust a ratio.
 *
 * @param phases the phases, in run order
 * @param rows a row per phase and strategy, phase by phase, strategies in configured order
 * @param verdict three lines in words
 */
public record Comparison(List<Phase> phases, List<Row> rows, List<String> verdict) {

    /** Copies the lists. */
    public Comparison {
        phases = List.copyOf(phases);
        rows = List.copyOf(rows);
        verdict = List.copyOf(verdict);
    }

    /**
     * One phase of a run: a workload and its fair run.
     *
     * @param name short name ({@code churn}, {@code flood}), used in file names and the table
     * @param title what it is, in words
     * @param run its measurements
     */
    public record Phase(String name, String title, FairRun run) {
    }

    /**
     * One row: one strategy in one phase, its repetitions combined.
     *
     * @param phase the phase's name
     * @param strategy the strategy
     * @param repetitions repetitions combined
     * @param lookupsPerSecond mean lookups per second
     * @param lookupsMin slowest repetition's lookups per second
     * @param lookupsMax fastest repetition's
     * @param lookupsVsChm {@code lookupsPerSecond} over CONCURRENT_HASH_MAP's in the same phase
     *        (NaN without that baseline)
     * @param lookupsVsRw the same over RW_LOCK's
     * @param churnPerSecond mean connections opened and closed per second by the writer (the
     *        churn threads; in a flood, the attacker's half-open inserts)
     * @param churnMin slowest repetition's
     * @param churnMax fastest repetition's
     * @param churnVsChm over CONCURRENT_HASH_MAP's
     * @param churnVsRw over RW_LOCK's
     * @param p50Nanos median sampled lookup latency, ns, over every repetition's samples
     * @param p99Nanos 99th percentile, ns
     * @param p999Nanos 99.9th percentile, ns
     * @param maxNanos largest, ns
     * @param p99VsChm {@code p99Nanos} over CONCURRENT_HASH_MAP's (lower is better)
     * @param blocksCreated mean blocks created per repetition during the measured time
     * @param pendingPeak largest {@code blocksPending} of any repetition; -1 where the garbage
     *        collector owns removed blocks
     * @param bytesPerLookup heap allocated by the lookup threads per lookup
     * @param bytesPerChurn heap allocated by the writers per connection opened and closed
     * @param gcPauseMillis mean collector pause time per repetition, ms
     * @param gcPauses mean collector pauses per repetition
     * @param measuredSeconds mean measured time per repetition, s
     * @param violations violations summed over the repetitions (must be 0)
     * @param loadMean the mean one-minute load average at the starts of the repetitions
     */
    public record Row(String phase, Strategy strategy, int repetitions, double lookupsPerSecond, double lookupsMin,
            double lookupsMax, double lookupsVsChm, double lookupsVsRw, double churnPerSecond, double churnMin,
            double churnMax, double churnVsChm, double churnVsRw, long p50Nanos, long p99Nanos, long p999Nanos,
            long maxNanos, double p99VsChm, double blocksCreated, long pendingPeak, double bytesPerLookup,
            double bytesPerChurn, double gcPauseMillis, double gcPauses, double measuredSeconds, long violations,
            double loadMean) {

        /** @return whether the garbage collector owns this strategy's removed blocks */
        public boolean garbageCollected() {
            return pendingPeak < 0;
        }

        /**
         * The row as the tables print it, one string per {@link #HEADERS} entry.
         *
         * @return the cells
         */
        public List<String> cells() {
            return List.of(phase, strategy.name(), Format.si(lookupsPerSecond), Format.ratio(lookupsVsChm, 1),
                    Format.ratio(lookupsVsRw, 1), Format.si(churnPerSecond), Format.ratio(churnVsChm, 1),
                    Format.ratio(churnVsRw, 1), Format.nanos(p99Nanos), Format.ratio(p99VsChm, 1),
                    Format.count(blocksCreated), garbageCollected() ? "GC" : Format.count(pendingPeak),
                    Format.bytes(bytesPerLookup), Format.bytes(bytesPerChurn), Format.fmt("%.0f", gcPauseMillis),
                    Long.toString(violations));
        }
    }

    /** The column headers of {@link Row#cells()}. */
    public static final List<String> HEADERS = List.of("phase", "strategy", "lookups/s", "×CHM", "×RW", "churn/s",
            "×CHM", "×RW", "p99 lookup", "×CHM", "blocks created", "pending peak", "B/lookup", "B/churn",
            "GC pause ms", "violations");

    /** What each column means, in the order of {@link #HEADERS}, for the page and {@code --help}. */
    public static final List<String> HEADER_NOTES = List.of(
            "the workload",
            "the table's reclamation strategy",
            "lookups per second, all lookup threads, mean of the repetitions",
            "lookups/s over CONCURRENT_HASH_MAP's in the same phase",
            "lookups/s over RW_LOCK's in the same phase",
            "connections opened and closed per second by the writer (in the flood: half-open connections "
                    + "inserted by the attacker, each removed again when it expires or is evicted)",
            "churn/s over CONCURRENT_HASH_MAP's",
            "churn/s over RW_LOCK's",
            "99th percentile of the sampled lookup latency (one lookup in 64 timed, timer included), "
                    + "every repetition's samples together",
            "p99 over CONCURRENT_HASH_MAP's (lower is better)",
            "control blocks created during the measured time (mean per repetition): the pools reuse blocks, "
                    + "the garbage-collected tables create one per connection",
            "most removed blocks waiting for reuse at once (GC: the collector owns them, uncounted)",
            "heap bytes allocated per lookup by the lookup threads",
            "heap bytes allocated per connection opened and closed, by the writer",
            "collector pause time per repetition (mean)",
            "wrong, freed or missing blocks seen by a lookup, lost removes, duplicate inserts: must be 0");

    /** Ratios within this band of 1 are called level in the verdict. */
    static final double LEVEL = 0.10;

    /**
     * Builds the comparison of a run's phases.
     *
     * @param phases the phases, in run order
     * @return the table and the verdict
     */
    public static Comparison of(final List<Phase> phases) {
        final List<Row> rows = new ArrayList<>();
        for (final Phase p : phases) {
            final List<Strategy> strategies = p.run().config().strategies();
            final List<Row> raw = new ArrayList<>();
            for (final Strategy s : strategies) {
                raw.add(row(p.name(), s, p.run().of(s), null));
            }
            final Row chm = find(raw, Strategy.CONCURRENT_HASH_MAP);
            final Row rw = find(raw, Strategy.RW_LOCK);
            for (final Strategy s : strategies) {
                rows.add(row(p.name(), s, p.run().of(s), new Row[] {chm, rw}));
            }
        }
        return new Comparison(phases, rows, Verdict.of(phases, rows));
    }

    /**
     * @param phase a phase's name
     * @param s a strategy
     * @return its row, or null
     */
    public Row row(final String phase, final Strategy s) {
        for (final Row r : rows) {
            if (r.phase().equals(phase) && r.strategy() == s) {
                return r;
            }
        }
        return null;
    }

    /** @return the violations of every row */
    public long violations() {
        return rows.stream().mapToLong(Row::violations).sum();
    }

    private static Row find(final List<Row> rows, final Strategy s) {
        return rows.stream().filter(r -> r.strategy() == s).findFirst().orElse(null);
    }

    private static Row row(final String phase, final Strategy s, final List<Measurement> ms, final Row[] bases) {
        final List<ChurnResult> rs = ms.stream().map(Measurement::result).toList();
        final double lookups = mean(rs, ChurnResult::lookupsPerSecond);
        final double churn = mean(rs, Comparison::writerPerSecond);
        final Histogram h = new Histogram(3);
        for (final ChurnResult r : rs) {
            h.add(r.lookupLatencies());
        }
        final long p50 = h.getTotalCount() == 0 ? -1 : h.getValueAtPercentile(50);
        final long p99 = h.getTotalCount() == 0 ? -1 : h.getValueAtPercentile(99);
        final long p999 = h.getTotalCount() == 0 ? -1 : h.getValueAtPercentile(99.9);
        final long max = h.getTotalCount() == 0 ? -1 : h.getMaxValue();
        final Row chm = bases == null ? null : bases[0];
        final Row rw = bases == null ? null : bases[1];
        long pendingPeak = -1;
        for (final ChurnResult r : rs) {
            pendingPeak = Math.max(pendingPeak, r.pendingPeak());
        }
        final long lookupsDone = rs.stream().mapToLong(ChurnResult::lookups).sum();
        final long writerOps = rs.stream().mapToLong(r -> r.closed() + r.floodInserts()).sum();
        final long lookupBytes = rs.stream().mapToLong(ChurnResult::lookupBytes).sum();
        final long writerBytes = rs.stream().mapToLong(r -> r.churnBytes() + r.floodBytes()).sum();
        return new Row(phase, s, rs.size(), lookups, min(rs, ChurnResult::lookupsPerSecond),
                max(rs, ChurnResult::lookupsPerSecond),
                chm == null ? Double.NaN : Format.ratioValue(lookups, chm.lookupsPerSecond()),
                rw == null ? Double.NaN : Format.ratioValue(lookups, rw.lookupsPerSecond()),
                churn, min(rs, Comparison::writerPerSecond), max(rs, Comparison::writerPerSecond),
                chm == null ? Double.NaN : Format.ratioValue(churn, chm.churnPerSecond()),
                rw == null ? Double.NaN : Format.ratioValue(churn, rw.churnPerSecond()),
                p50, p99, p999, max, chm == null || p99 < 0 ? Double.NaN : Format.ratioValue(p99, chm.p99Nanos()),
                mean(rs, r -> r.blocksCreated()), pendingPeak,
                lookupsDone == 0 ? Double.NaN : (double) lookupBytes / lookupsDone,
                writerOps == 0 ? Double.NaN : (double) writerBytes / writerOps,
                mean(rs, r -> r.gcPauseMillis()), mean(rs, r -> r.timeline().pauses().size()),
                mean(rs, ChurnResult::seconds),
                rs.stream().mapToLong(r -> r.violations().total() + (r.error() == null ? 0 : 1)).sum(),
                ms.stream().mapToDouble(m -> m.environment().loadBefore()).average().orElse(Double.NaN));
    }

    /** Writer operations per second: churn closes, or the flood's inserts. */
    static double writerPerSecond(final ChurnResult r) {
        return (r.closed() + r.floodInserts()) / r.seconds();
    }

    private static double mean(final List<ChurnResult> rs, final ToDoubleFunction<ChurnResult> f) {
        return rs.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    private static double min(final List<ChurnResult> rs, final ToDoubleFunction<ChurnResult> f) {
        return rs.stream().mapToDouble(f).min().orElse(Double.NaN);
    }

    private static double max(final List<ChurnResult> rs, final ToDoubleFunction<ChurnResult> f) {
        return rs.stream().mapToDouble(f).max().orElse(Double.NaN);
    }

    // ------------------------------------------------------------------ text

    /** @return the table in fixed-width columns, for a terminal, a blank line between phases */
    public String text() {
        final List<List<String>> lines = new ArrayList<>();
        lines.add(HEADERS);
        for (final Row r : rows) {
            lines.add(r.cells());
        }
        return TextTable.render(lines, 2);
    }

    @Override
    public String toString() {
        return text() + "\n" + String.join("\n", verdict) + "\n";
    }
}
