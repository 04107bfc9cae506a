package org.smr4j.demo.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;
import org.smr4j.demo.churn.ChurnResult;
import org.smr4j.demo.churn.Json;
import org.smr4j.demo.fork.FairHarness.FairRun;
import org.smr4j.demo.fork.FairHarness.Measurement;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * The report of {@code smr4j sweep} (issue 12, point 2), in the comparison report's format: a
 * folder with {@code index.html} (the table and the charts, PNG files beside it),
 * {@code results.json} (the run, the rows, every measurement), {@code results.csv} (the rows,
 * unrounded) and {@code measurements.csv} (one line per measurement: its JVM and the load).
 *
 * <h2>Pending memory</h2>
 * What the chart's x axis shows: the heap held by removed connections that readers may still
 * see, the price of the strategy's write throughput.
 * <ul>
 * <li>Pooled strategies ({@code SMR_DEFAULT}, {@code SMR_LAZY}, {@code PSERIALIZE}): the peak of
 *     {@code blocksPending} times the heap one connection costs, estimated as the bytes
 *     {@code CONCURRENT_HASH_MAP} allocated per churn operation (open one, close one) with the
 *     same threads (the block, its key and the map's node; the pooled tables hold the block and
 *     its key). PSERIALIZE holds nothing back (immediate reuse): 0.</li>
 * <li>Collected strategies ({@code RW_LOCK}, {@code CONCURRENT_HASH_MAP}): their removed blocks
 *     are garbage until a collection finds them; the memory they hold is what the churn threads
 *     allocate between two collections: churn bytes divided by the number of collections.</li>
 * </ul>
 */
public final class SweepReport {

    /** The printed table's columns. */
    public static final List<String> HEADERS = List.of("lookup thr", "churn thr", "pending limit", "strategy",
            "lookups/s", "churn/s", "p99", "pending peak", "blocks created", "pending memory", "B/lookup", "B/churn",
            "GC ms/s", "violations");

    private SweepReport() {
    }

    /**
     * @param s a strategy
     * @return whether it pools its blocks (its pending count is known, the limit applies)
     */
    public static boolean pooled(final Strategy s) {
        return s == Strategy.SMR_DEFAULT || s == Strategy.SMR_LAZY || s == Strategy.PSERIALIZE;
    }

    /**
     * One point of the grid: every strategy measured with these threads and this limit.
     *
     * @param lookupThreads lookup threads
     * @param churnThreads churn threads
     * @param pendingLimit the tables' pending limit
     * @param run the fair run
     */
    public record Cell(int lookupThreads, int churnThreads, int pendingLimit, FairRun run) {
        /** @return one line for the progress output */
        public String summary() {
            final StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT,
                    "lookups %d, churn %d, limit %,d:", lookupThreads, churnThreads, pendingLimit));
            for (final Strategy s : run.config().strategies()) {
                sb.append(' ').append(s).append(' ')
                        .append(Format.si(mean(run.of(s), ChurnResult::churnPerSecond))).append(" churn/s");
            }
            return sb.toString();
        }
    }

    /**
     * One row: a strategy in a cell, means over its repetitions (peaks: the largest).
     *
     * @param lookupThreads lookup threads
     * @param churnThreads churn threads
     * @param pendingLimit the pending limit (ignored by the collected strategies)
     * @param strategy the strategy
     * @param lookupsPerSecond lookups per second
     * @param churnPerSecond churn operations (open one, close one) per second
     * @param p99Nanos lookup latency, 99th percentile of the merged histograms, ns (-1 if none)
     * @param pendingPeak largest blocksPending sample, -1 where the collector owns the blocks
     * @param blocksCreated blocks created during the measurement
     * @param pendingBytes pending memory (see the class comment), NaN if unknown
     * @param bytesPerLookup heap allocated per lookup
     * @param bytesPerChurn heap allocated per churn operation
     * @param gcMillisPerSecond collection time per measured second (all collectors), ms/s
     * @param gcPauseMillis pause time per repetition, ms
     * @param loadMean mean load average before the measurements
     * @param violations wrong, freed or lost blocks (must be 0)
     */
    public record Row(int lookupThreads, int churnThreads, int pendingLimit, String strategy, double lookupsPerSecond,
            double churnPerSecond, long p99Nanos, long pendingPeak, double blocksCreated, double pendingBytes,
            double bytesPerLookup, double bytesPerChurn, double gcMillisPerSecond, double gcPauseMillis,
            double loadMean, long violations) {

        /** @return the printed cells */
        List<String> cells() {
            return List.of(Integer.toString(lookupThreads), Integer.toString(churnThreads),
                    pooled(Strategy.valueOf(strategy)) ? Format.count(pendingLimit) : "-", strategy,
                    Format.si(lookupsPerSecond), Format.si(churnPerSecond),
                    p99Nanos < 0 ? "-" : Format.nanosShort(p99Nanos), pendingPeak < 0 ? "GC" : Format.count(pendingPeak),
                    Format.count(blocksCreated), memory(pendingBytes),
                    Format.bytes(bytesPerLookup), Format.bytes(bytesPerChurn), Format.fmt("%.1f", gcMillisPerSecond),
                    Long.toString(violations));
        }
    }

    /**
     * The whole sweep.
     *
     * @param cells every cell, in the order run
     * @param rows every row, in the same order
     */
    public record Sweep(List<Cell> cells, List<Row> rows) {
        /** Copies the lists. */
        public Sweep {
            cells = List.copyOf(cells);
            rows = List.copyOf(rows);
        }

        /**
         * @param cells the cells run
         * @return the sweep with its rows
         */
        public static Sweep of(final List<Cell> cells) {
            // The heap one connection costs, per thread combination: CHM's bytes per churn op.
            final Map<String, Double> perConnection = new LinkedHashMap<>();
            for (final Cell c : cells) {
                final List<ChurnResult> chm = c.run().of(Strategy.CONCURRENT_HASH_MAP).stream()
                        .map(Measurement::result).toList();
                if (!chm.isEmpty()) {
                    perConnection.put(c.lookupThreads() + "/" + c.churnThreads(),
                            mean(c.run().of(Strategy.CONCURRENT_HASH_MAP), ChurnResult::bytesPerChurn));
                }
            }
            final List<Row> rows = new ArrayList<>();
            for (final Cell c : cells) {
                for (final Strategy s : c.run().config().strategies()) {
                    final List<Measurement> ms = c.run().of(s);
                    final List<ChurnResult> rs = ms.stream().map(Measurement::result).toList();
                    final Histogram h = new Histogram(3);
                    rs.forEach(r -> h.add(r.lookupLatencies()));
                    final long peak = rs.stream().mapToLong(ChurnResult::pendingPeak).max().orElse(-1);
                    final double conn = perConnection.getOrDefault(c.lookupThreads() + "/" + c.churnThreads(),
                            Double.NaN);
                    final double pendingBytes;
                    if (s == Strategy.PSERIALIZE) {
                        pendingBytes = 0;
                    } else if (pooled(s)) {
                        pendingBytes = peak < 0 ? Double.NaN : peak * conn;
                    } else {
                        pendingBytes = rs.stream().mapToDouble(r -> (double) r.churnBytes() / Math.max(1, r.gcCount()))
                                .average().orElse(Double.NaN);
                    }
                    rows.add(new Row(c.lookupThreads(), c.churnThreads(), c.pendingLimit(), s.name(),
                            mean(ms, ChurnResult::lookupsPerSecond), mean(ms, ChurnResult::churnPerSecond),
                            h.getTotalCount() == 0 ? -1 : h.getValueAtPercentile(99), peak,
                            mean(ms, r -> r.blocksCreated()), pendingBytes, mean(ms, ChurnResult::bytesPerLookup),
                            mean(ms, ChurnResult::bytesPerChurn), mean(ms, r -> r.gcMillis() / r.seconds()),
                            mean(ms, r -> r.gcPauseMillis()),
                            ms.stream().mapToDouble(m -> m.environment().loadBefore()).average().orElse(Double.NaN),
                            rs.stream().mapToLong(r -> r.violations().total()).sum()));
                }
            }
            return new Sweep(cells, rows);
        }

        /** @return the violations of every measurement (0 when every table was correct) */
        public long violations() {
            return rows.stream().mapToLong(Row::violations).sum();
        }

        /** @return the table as text, one row per strategy and cell */
        public String text() {
            final List<List<String>> lines = new ArrayList<>();
            lines.add(HEADERS);
            rows.forEach(r -> lines.add(r.cells()));
            return TextTable.render(lines, 0);
        }
    }

    /**
     * Everything {@code results.json} holds.
     *
     * @param kind {@code sweep}
     * @param run the command, machine and times
     * @param headers the printed table's headers
     * @param rows the rows
     * @param cells every cell with every measurement
     */
    public record Document(String kind, RunInfo run, List<String> headers, List<Row> rows, List<Cell> cells) {
    }

    /** One line of {@code measurements.csv}. */
    record MeasurementLine(int lookupThreads, int churnThreads, int pendingLimit, int position, String strategy,
            int repetition, long pid, double loadBefore, double loadAfter, double seconds, double lookupsPerSecond,
            double churnPerSecond, long pendingPeak, long blocksCreated, long gcMillis, long violations,
            double wallSeconds, String log) {
    }

    /**
     * Writes the folder.
     *
     * @param dir the folder (created if absent)
     * @param sweep the sweep
     * @param run the run's description
     * @return the HTML file
     */
    public static Path write(final Path dir, final Sweep sweep, final RunInfo run) {
        try {
            Files.createDirectories(dir);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        Json.write(dir.resolve("results.json"), new Document("sweep", run, HEADERS, sweep.rows(), sweep.cells()));
        ComparisonReport.csv(dir.resolve("results.csv"), Row.class, sweep.rows());
        final List<MeasurementLine> ms = new ArrayList<>();
        for (final Cell c : sweep.cells()) {
            for (final Measurement m : c.run().measurements()) {
                final ChurnResult r = m.result();
                ms.add(new MeasurementLine(c.lookupThreads(), c.churnThreads(), c.pendingLimit(), m.position(),
                        m.strategy().name(), m.repetition(), m.environment().pid(), m.environment().loadBefore(),
                        m.environment().loadAfter(), r.seconds(), r.lookupsPerSecond(), r.churnPerSecond(),
                        r.pendingPeak(), r.blocksCreated(), r.gcMillis(), r.violations().total(), m.wallSeconds(),
                        m.log()));
            }
        }
        ComparisonReport.csv(dir.resolve("measurements.csv"), MeasurementLine.class, ms);

        final Page page = new Page("smr4j sweep: what each kilobyte of bounded memory buys");
        page.heading("The connection table under churn over lookup threads, churn threads and pending limits, "
                + "every strategy. One run of <code>" + Format.html(run.command()) + "</code> on "
                + Format.html(run.machine().summary()) + ", " + Format.html(Format.time(run.started()))
                + Format.fmt(", %.0f s in all.", run.wallSeconds()));
        page.section("Churn/s against pending memory");
        charts(page, dir, sweep);
        page.section("Every measurement cell");
        page.table(HEADERS, null, sweep.rows().stream().map(Row::cells).toList(), 0);
        page.section("How it was measured");
        final FairRun first = sweep.cells().isEmpty() ? null : sweep.cells().getFirst().run();
        page.paragraph("Each cell is one fair run of the churn workload (" + (first == null ? "" : Format.count(
                first.config().connections()) + " established connections, ") + "lookup threads finding them while "
                + "churn threads open connections and close the oldest at full speed), with the tables' "
                + "<code>limits(maxConnections, pendingLimit)</code> at the cell's pending limit. "
                + (first != null && first.forked() ? "Every measurement ran in a JVM of its own; the repetitions of "
                        + "a cell are interleaved across strategies (the second in reverse order)."
                        : "All measurements ran in this JVM (--in-process).")
                + " The collected strategies ignore the pending limit and are measured once per thread combination. "
                + "Pending memory: pooled strategies, the peak of blocks pending times the heap of one connection "
                + "(CONCURRENT_HASH_MAP's bytes per churn operation with the same threads); collected strategies, "
                + "the churn threads' allocation between two collections (churn bytes / collections). The load "
                + "average before each measurement is in measurements.csv.");
        page.section("Files");
        page.html("<ul><li><a href=\"results.json\">results.json</a>: the run, the rows and every measurement</li>"
                + "<li><a href=\"results.csv\">results.csv</a>: the rows, unrounded</li>"
                + "<li><a href=\"measurements.csv\">measurements.csv</a>: one line per measurement (JVM, load)</li>"
                + "</ul>");
        final Path html = dir.resolve("index.html");
        page.write(html);
        return html;
    }

    /** One chart per strategy (a line per thread combination), then one per combination (a line per strategy). */
    private static void charts(final Page page, final Path dir, final Sweep sweep) {
        final Map<String, List<Row>> byStrategy = new LinkedHashMap<>();
        final Map<String, List<Row>> byThreads = new LinkedHashMap<>();
        for (final Row r : sweep.rows()) {
            byStrategy.computeIfAbsent(r.strategy(), k -> new ArrayList<>()).add(r);
            byThreads.computeIfAbsent(r.lookupThreads() + " lookup + " + r.churnThreads() + " churn",
                    k -> new ArrayList<>()).add(r);
        }
        for (final Map.Entry<String, List<Row>> e : byStrategy.entrySet()) {
            final Map<String, List<Row>> lines = new LinkedHashMap<>();
            e.getValue().forEach(r -> lines.computeIfAbsent(r.lookupThreads() + " lookup + " + r.churnThreads()
                    + " churn", k -> new ArrayList<>()).add(r));
            final String file = "sweep-" + e.getKey().toLowerCase(java.util.Locale.ROOT) + ".png";
            chart(dir.resolve(file), e.getKey() + ": churn/s against pending memory", lines,
                    !pooled(Strategy.valueOf(e.getKey())), true);
            page.figure(file, e.getKey(), Format.html(e.getKey()) + ": one line per thread combination, one point "
                    + "per pending limit (smaller limits to the left).");
        }
        int i = 0;
        for (final Map.Entry<String, List<Row>> e : byThreads.entrySet()) {
            final Map<String, List<Row>> lines = new LinkedHashMap<>();
            e.getValue().forEach(r -> lines.computeIfAbsent(r.strategy(), k -> new ArrayList<>()).add(r));
            final String file = "sweep-threads-" + (++i) + ".png";
            chart(dir.resolve(file), e.getKey() + ": churn/s against pending memory", lines, true, false);
            page.figure(file, e.getKey(), Format.html(e.getKey()) + ": every strategy (the collected ones are one "
                    + "point each: no limit applies).");
        }
    }

    private static void chart(final Path file, final String title, final Map<String, List<Row>> lines,
            final boolean points, final boolean ordinal) {
        final List<Charts.Line> ls = new ArrayList<>();
        for (final Map.Entry<String, List<Row>> e : lines.entrySet()) {
            final List<Row> rs = e.getValue().stream().filter(r -> !Double.isNaN(r.pendingBytes()))
                    .sorted(Comparator.comparingDouble(Row::pendingBytes)).toList();
            // A logarithmic axis: nothing pending (PSERIALIZE) is drawn at 1 KiB, the axis floor.
            ls.add(new Charts.Line(e.getKey(), 1, rs.stream().mapToDouble(r -> Math.max(1, r.pendingBytes() / 1024))
                    .toArray(), rs.stream().mapToDouble(Row::churnPerSecond).toArray()));
        }
        Charts.linesLogX(file, title, "one point per measurement cell; nothing pending (PSERIALIZE) is drawn at 1 KiB",
                "pending memory (KiB, logarithmic)",
                List.of(new Charts.Panel("churn operations per second", ls, Map.of(), points)), ordinal);
    }

    /** Bytes as KiB or MiB with one decimal ({@code 768.0 KiB}, {@code 12.0 MiB}); a dash if unknown. */
    static String memory(final double bytes) {
        if (!Double.isFinite(bytes)) {
            return "-";
        }
        return bytes >= 1 << 20 ? Format.fmt("%.1f MiB", bytes / (1 << 20)) : Format.fmt("%.1f KiB", bytes / 1024);
    }

    private static double mean(final List<Measurement> ms, final ToDoubleFunction<ChurnResult> f) {
        return ms.stream().map(Measurement::result).mapToDouble(f).average().orElse(Double.NaN);
    }
}
