package org.smr4j.demo.report;

import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.smr4j.demo.churn.ChurnConfig;
import org.smr4j.demo.churn.ChurnReport;
import org.smr4j.demo.churn.ChurnResult;
import org.smr4j.demo.churn.Json;
import org.smr4j.demo.churn.Timeline;
import org.smr4j.demo.fork.FairHarness.FairRun;
import org.smr4j.demo.fork.FairHarness.Measurement;
import org.smr4j.demo.report.Comparison.Phase;
import org.smr4j.demo.report.Comparison.Row;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * Writes a {@link Comparison} as a report folder: {@code index.html} (the page), the charts as
 * PNG files beside it, {@code results.json} (everything: the run, the table as printed, every
 * measurement with its timeline and latency histogram), {@code results.csv} (the table's rows
 * with unrounded numbers), {@code measurements.csv} (one line per measurement: order, JVM,
 * load) and {@code timeline.csv} (every timeline point).
 */
public final class ComparisonReport {

    /** The latency percentiles drawn, with their labels. */
    private static final double[] PERCENTILES = {50, 90, 99, 99.9, 99.99};
    private static final List<String> PERCENTILE_LABELS = List.of("p50", "p90", "p99", "p99.9", "p99.99");

    private ComparisonReport() {
    }

    /**
     * Everything {@code results.json} holds.
     *
     * @param kind {@code comparison}
     * @param run the command, machine and times
     * @param headers the table's column headers
     * @param table the rows as printed
     * @param cells the rows' printed text, cell by cell (what the terminal showed)
     * @param verdict the three lines
     * @param phases every phase with every measurement
     */
    public record Document(String kind, RunInfo run, List<String> headers, List<Row> table, List<List<String>> cells,
            List<String> verdict, List<Phase> phases) {
    }

    /** One line of {@code measurements.csv}. */
    record MeasurementLine(int position, String phase, String strategy, int repetition, long pid, double loadBefore,
            double loadAfter, double seconds, double lookupsPerSecond, double churnPerSecond, long p99Nanos,
            long blocksCreated, long pendingPeak, double gcPauseMillis, long violations, double wallSeconds,
            String log, String jfr) {
    }

    /** One line of {@code timeline.csv}. */
    record TimelineLine(String phase, String strategy, int repetition, double seconds, long lookups, long churn,
            long flood, long pending, long pendingPeak, long allocatedBytes, long gcPauseMillis) {
    }

    /**
     * Writes the folder.
     *
     * @param dir the folder (created if absent)
     * @param c the comparison
     * @param run the run's description
     * @return the HTML file
     */
    public static Path write(final Path dir, final Comparison c, final RunInfo run) {
        try {
            Files.createDirectories(dir);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        final List<List<String>> cells = c.rows().stream().map(Row::cells).toList();
        Json.write(dir.resolve("results.json"),
                new Document("comparison", run, Comparison.HEADERS, c.rows(), cells, c.verdict(), c.phases()));
        csv(dir.resolve("results.csv"), Row.class, c.rows());
        final List<MeasurementLine> ms = new ArrayList<>();
        final List<TimelineLine> ts = new ArrayList<>();
        for (final Phase p : c.phases()) {
            for (final Measurement m : p.run().measurements()) {
                final ChurnResult r = m.result();
                final Histogram h = r.lookupLatencies();
                ms.add(new MeasurementLine(m.position(), p.name(), m.strategy().name(), m.repetition(),
                        m.environment().pid(), m.environment().loadBefore(), m.environment().loadAfter(), r.seconds(),
                        r.lookupsPerSecond(), Comparison.writerPerSecond(r),
                        h.getTotalCount() == 0 ? -1 : h.getValueAtPercentile(99), r.blocksCreated(), r.pendingPeak(),
                        r.gcPauseMillis(), r.violations().total(), m.wallSeconds(), m.log(), m.jfr()));
                for (final Timeline.Tick t : r.timeline().ticks()) {
                    ts.add(new TimelineLine(p.name(), m.strategy().name(), m.repetition(), t.seconds(), t.lookups(),
                            t.churn(), t.flood(), t.pending(), t.pendingPeak(), t.allocatedBytes(), t.gcPauseMillis()));
                }
            }
        }
        csv(dir.resolve("measurements.csv"), MeasurementLine.class, ms);
        csv(dir.resolve("timeline.csv"), TimelineLine.class, ts);

        final Page page = new Page("smr4j: pserialize, SMR or a lock? The connection table under "
                + String.join(" and ", c.phases().stream().map(ComparisonReport::phaseNoun).toList()));
        page.heading("NetBSD's reviewers asked of this design: how does pserialize + <code>PR_PSERIALIZE</code> "
                + "compare with smr(9) and smr lazy + the SMR pool, and both with a reader-writer lock? On the JVM "
                + "the natural fourth contender is <code>ConcurrentHashMap</code> with the garbage collector as "
                + "its reclaimer. This page is one run of <code>" + Format.html(run.command()) + "</code> on "
                + Format.html(run.machine().summary()) + ", " + Format.html(Format.time(run.started()))
                + Format.fmt(", %.0f s in all.", run.wallSeconds()));
        verdict(page, c);
        table(page, c);
        charts(page, dir, c);
        meaning(page, c);
        method(page, c, run);
        files(page, c, run);
        final Path html = dir.resolve("index.html");
        page.write(html);
        return html;
    }

    private static String phaseNoun(final Phase p) {
        return p.name().equals("flood") ? "a SYN flood" : p.name();
    }

    // ------------------------------------------------------------------ sections

    private static void verdict(final Page page, final Comparison c) {
        page.section("Verdict");
        final StringBuilder sb = new StringBuilder("<div class=\"verdict\">");
        for (final String line : c.verdict()) {
            sb.append("<p>").append(Format.html(line)).append("</p>");
        }
        sb.append("</div>");
        page.html(sb.toString());
        if (c.violations() > 0) {
            page.html("<p class=\"warn\"><b>" + c.violations() + " violations</b>: a lookup saw a wrong, freed or "
                    + "missing block, or a writer lost a connection. That is a bug in the table; see the violations "
                    + "column and the measurement logs.</p>");
        }
    }

    private static void table(final Page page, final Comparison c) {
        page.section("The comparison");
        page.paragraph("One row per phase and strategy; each row is " + repetitionsWords(c)
                + ". Ratios (×) are to the baselines of the same phase of this run: "
                + "<code>CONCURRENT_HASH_MAP</code> (CHM) and <code>RW_LOCK</code> (RW). Hover over a header for "
                + "its definition; the notes below the charts say more.");
        page.table(Comparison.HEADERS, Comparison.HEADER_NOTES, c.rows().stream().map(Row::cells).toList(), 0);
        final List<List<String>> spread = new ArrayList<>();
        for (final Row r : c.rows()) {
            spread.add(List.of(r.phase(), r.strategy().name(), Format.si(r.lookupsMin()) + " – " + Format.si(r.lookupsMax()),
                    Format.si(r.churnMin()) + " – " + Format.si(r.churnMax()), Format.nanos(r.p50Nanos()),
                    Format.nanos(r.p999Nanos()), Format.nanos(r.maxNanos()), Format.fmt("%.1f", r.gcPauses()),
                    Format.fmt("%.2f", r.measuredSeconds()), Format.fmt("%.2f", r.loadMean())));
        }
        page.paragraph("The spread over the repetitions (slowest – fastest), the rest of the latency distribution, "
                + "and the load average of the machine when each strategy's repetitions started:");
        page.table(List.of("phase", "strategy", "lookups/s range", "churn/s range", "p50 lookup", "p99.9 lookup",
                "max lookup", "GC pauses", "measured s", "load"), null, spread, 0);
    }

    private static String repetitionsWords(final Comparison c) {
        final FairRun r = c.phases().getFirst().run();
        return r.repetitions() == 1 ? "one measurement" + (r.forked() ? " in a JVM of its own" : " in this JVM")
                : r.repetitions() + " repetitions" + (r.forked() ? ", each in a JVM of its own," : " in this JVM,")
                        + " taken together";
    }

    private static void charts(final Page page, final Path dir, final Comparison c) {
        page.section("Charts");
        for (final Phase p : c.phases()) {
            final String noun = p.name().equals("flood") ? "SYN flood" : "churn";
            final boolean flood = p.run().config().flood();
            final String writer = flood ? "half-open inserts/s" : "churn/s (connections opened and closed)";
            final String f1 = "throughput-" + p.name() + ".png";
            Charts.lines(dir.resolve(f1), "Throughput over time, " + noun, subtitle(p), "time since measuring began (s)",
                    List.of(new Charts.Panel("lookups/s", lines(p, Timeline.Series.LOOKUPS, 1), Map.of(), false),
                            new Charts.Panel(writer, lines(p, flood ? Timeline.Series.FLOOD : Timeline.Series.CHURN, 1),
                                    Map.of(), false)));
            page.figure(f1, "throughput over time, " + noun, "<b>Throughput, " + noun + ".</b> Top: lookups per "
                    + "second of all lookup threads; bottom: " + Format.html(writer) + ", per "
                    + Format.fmt("%.0f ms", p.run().config().timelinePeriod().toNanos() / 1e6) + " interval. "
                    + "Solid: the first repetition, dashed: the others. A line that dips to zero is a table whose "
                    + "threads all waited: for a grace period, for the lock, or for the collector.");

            final String f2 = "latency-" + p.name() + ".png";
            final Map<String, double[]> lat = new LinkedHashMap<>();
            for (final Strategy s : p.run().config().strategies()) {
                final Histogram h = new Histogram(3);
                for (final Measurement m : p.run().of(s)) {
                    h.add(m.result().lookupLatencies());
                }
                final double[] v = new double[PERCENTILES.length];
                for (int i = 0; i < v.length; i++) {
                    v[i] = h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(PERCENTILES[i]);
                }
                lat.put(s.name(), v);
            }
            Charts.bars(dir.resolve(f2), "Lookup latency percentiles, " + noun, subtitle(p), "percentile",
                    "lookup latency (ns, log scale)", PERCENTILE_LABELS, lat, true, false);
            page.figure(f2, "lookup latency percentiles, " + noun, "<b>Lookup latency, " + noun + ".</b> One lookup "
                    + "in " + p.run().config().lookupSampleEvery() + " is timed with a pair of "
                    + "<code>System.nanoTime()</code> calls (their own cost, about "
                    + p.run().measurements().getFirst().environment().timerNanos() + " ns here, is included); "
                    + "every repetition's samples together. The tail (p99.9, p99.99) is where a reader that was "
                    + "descheduled, or waited for a lock or a collector pause, shows.");

            final List<Strategy> pooled = p.run().config().strategies().stream()
                    .filter(s -> p.run().of(s).getFirst().result().pendingPeak() >= 0).toList();
            if (!pooled.isEmpty()) {
                final String f3 = "pending-" + p.name() + ".png";
                final List<Charts.Line> pend = new ArrayList<>();
                for (final Strategy s : pooled) {
                    for (final Measurement m : p.run().of(s)) {
                        final List<Timeline.Tick> t = m.result().timeline().ticks();
                        pend.add(new Charts.Line(s.name(), m.repetition(),
                                t.stream().mapToDouble(Timeline.Tick::seconds).toArray(),
                                t.stream().mapToDouble(Timeline.Tick::pendingPeak).toArray()));
                    }
                }
                final Map<String, Double> limit = p.run().config().limits()
                        ? Map.of("pending limit " + Format.count(p.run().config().pendingLimit()),
                                (double) p.run().config().pendingLimit()) : Map.of();
                Charts.lines(dir.resolve(f3), "Blocks pending over time, " + noun, subtitle(p),
                        "time since measuring began (s)", List.of(new Charts.Panel("blocks removed, not yet reusable",
                                pend, limit, false)));
                page.figure(f3, "blocks pending over time, " + noun, "<b>Blocks pending, " + noun + ".</b> The most "
                        + "removed blocks waiting at once in each interval (sampled every "
                        + Format.fmt("%.0f ms", p.run().config().samplePeriod().toNanos() / 1e6) + "), for the pooled "
                        + "strategies: SMR blocks wait for their grace period, pserialize blocks for the barrier "
                        + "before they are destroyed. The garbage-collected strategies have no such count: their "
                        + "removed blocks are garbage until the collector runs.");
            }

            final String f4 = "memory-" + p.name() + ".png";
            final List<Charts.Line> alloc = new ArrayList<>();
            final List<Charts.Line> gc = new ArrayList<>();
            for (final Strategy s : p.run().config().strategies()) {
                for (final Measurement m : p.run().of(s)) {
                    alloc.add(lines(s, m, Timeline.Series.ALLOCATED_BYTES, 1e-6));
                    final List<Timeline.GcPause> ps = m.result().timeline().pauses();
                    gc.add(new Charts.Line(s.name(), m.repetition(),
                            ps.stream().mapToDouble(Timeline.GcPause::seconds).toArray(),
                            ps.stream().mapToDouble(Timeline.GcPause::millis).toArray()));
                }
            }
            Charts.lines(dir.resolve(f4), "Heap allocation and GC pauses, " + noun, subtitle(p),
                    "time since measuring began (s)",
                    List.of(new Charts.Panel("heap allocated (MB/s)", alloc, Map.of(), false),
                            new Charts.Panel("GC pause (ms)", gc, Map.of(), true)));
            page.figure(f4, "heap allocation rate and GC pauses, " + noun, "<b>Allocation and collector pauses, "
                    + noun + ".</b> Top: heap allocated per second by the worker threads (MB = 10<sup>6</sup> "
                    + "bytes). Bottom: each collector pause, at the time it began, with its length (the JVM reports "
                    + "pauses in whole milliseconds, so a pause under 1 ms shows as 0).");
        }
        final String f5 = "blocks-created.png";
        final Map<String, double[]> created = new LinkedHashMap<>();
        final List<String> phaseNames = c.phases().stream().map(Phase::name).toList();
        for (final Strategy s : c.phases().getFirst().run().config().strategies()) {
            final double[] v = new double[phaseNames.size()];
            for (int i = 0; i < v.length; i++) {
                final Row r = c.row(phaseNames.get(i), s);
                v[i] = r == null ? Double.NaN : r.blocksCreated();
            }
            created.put(s.name(), v);
        }
        Charts.bars(dir.resolve(f5), "Control blocks created while measuring", "mean per repetition", "phase",
                "blocks created", phaseNames, created, false, true);
        page.figure(f5, "blocks created", "<b>Blocks created.</b> New control blocks during the measured time of "
                + "each repetition (mean). The pooled tables reuse removed blocks once it is safe (SMR) or at once "
                + "(pserialize), so after the table is filled they create few or none; the garbage-collected "
                + "tables create one per connection opened and leave the old one to the collector.");
    }

    private static String subtitle(final Phase p) {
        final ChurnConfig cfg = p.run().config();
        return Format.count(cfg.connections()) + " established connections, " + cfg.lookupThreads() + " lookup + "
                + (cfg.flood() ? "1 flood" : cfg.churnThreads() + " churn") + " thread(s), "
                + p.run().repetitions() + " × " + Format.fmt("%.1f s", cfg.duration().toNanos() / 1e9)
                + (p.run().forked() ? ", a JVM each" : ", in process");
    }

    private static List<Charts.Line> lines(final Phase p, final Timeline.Series series, final double scale) {
        final List<Charts.Line> out = new ArrayList<>();
        for (final Strategy s : p.run().config().strategies()) {
            for (final Measurement m : p.run().of(s)) {
                out.add(lines(s, m, series, scale));
            }
        }
        return out;
    }

    private static Charts.Line lines(final Strategy s, final Measurement m, final Timeline.Series series,
            final double scale) {
        final Timeline tl = m.result().timeline();
        final int n = Math.max(0, tl.ticks().size() - 1);
        final double[] x = new double[n];
        final double[] y = new double[n];
        for (int i = 1; i <= n; i++) {
            x[i - 1] = tl.ticks().get(i).seconds();
            y[i - 1] = tl.rate(series, i) * scale;
        }
        return new Charts.Line(s.name(), m.repetition(), x, y);
    }

    private static void meaning(final Page page, final Comparison c) {
        page.section("What the numbers mean");
        final StringBuilder sb = new StringBuilder("<dl class=\"notes\">");
        for (int i = 0; i < Comparison.HEADERS.size(); i++) {
            sb.append("<dt>").append(Format.html(Comparison.HEADERS.get(i))).append("</dt><dd>")
                    .append(Format.html(Comparison.HEADER_NOTES.get(i))).append("</dd>");
        }
        page.html(sb.append("</dl>").toString());
        page.paragraph("<b>The strategies.</b> <code>SMR_DEFAULT</code> and <code>SMR_LAZY</code>: FreeBSD's "
                + "<code>in_pcb</code> lockless lookup over an smr(9) domain (default: a fence per read section; "
                + "lazy: no reader fence, goals one clock tick ahead) and an SMR pool that reuses a removed block "
                + "only after every reader that could hold it has left. <code>PSERIALIZE</code>: NetBSD's "
                + "pserialize with a <code>PR_PSERIALIZE</code> pool that hands a removed block out again at once, "
                + "so readers revalidate what they found. <code>RW_LOCK</code>: a hash map under one "
                + "reader-writer lock. <code>CONCURRENT_HASH_MAP</code>: a new block per connection and the "
                + "garbage collector as the reclaimer.");
        for (final Phase p : c.phases()) {
            final ChurnConfig cfg = p.run().config();
            final List<Row> pooled = c.rows().stream().filter(r -> r.phase().equals(p.name()) && !r.garbageCollected())
                    .toList();
            if (pooled.isEmpty() || !cfg.limits()) {
                continue;
            }
            final StringBuilder w = new StringBuilder("<b>Pending, ").append(p.name()).append(".</b> Peak against the "
                    + "pending limit of ").append(Format.count(cfg.pendingLimit())).append(": ");
            for (int i = 0; i < pooled.size(); i++) {
                w.append(i == 0 ? "" : ", ").append(pooled.get(i).strategy()).append(' ')
                        .append(Format.count(pooled.get(i).pendingPeak()));
            }
            w.append(". A pooled table's pool holds at most maxConnections + the pending limit blocks (here ")
                    .append(Format.count(cfg.maxConnections())).append(" + ").append(Format.count(cfg.pendingLimit()))
                    .append("), so removed blocks can wait beyond the pending limit by as many connections as the "
                            + "table is sized for but does not hold at that moment");
            final List<String> atLimit = pooled.stream().filter(r -> r.pendingPeak() >= cfg.pendingLimit())
                    .map(r -> r.strategy().name()).toList();
            if (!atLimit.isEmpty()) {
                w.append("; ").append(String.join(" and ", atLimit)).append(" reached")
                        .append(" the pending limit: when a pool is also at its hard limit, an insert waits for the "
                                + "oldest batch's grace period instead of creating a block, and churn/s shows what "
                                + "the bounded memory costs");
            }
            page.paragraph(w.append('.').toString());
        }
        final double loadMin = c.phases().stream().flatMap(p -> p.run().measurements().stream())
                .mapToDouble(m -> m.environment().loadBefore()).min().orElse(Double.NaN);
        final double loadMax = c.phases().stream().flatMap(p -> p.run().measurements().stream())
                .mapToDouble(m -> m.environment().loadAfter()).max().orElse(Double.NaN);
        final int cpus = c.phases().getFirst().run().measurements().getFirst().environment().cpus();
        page.paragraph("<b>How far to trust the ratios.</b> The one-minute load average went from "
                + Format.fmt("%.2f", loadMin) + " to " + Format.fmt("%.2f", loadMax) + " during the run on " + cpus
                + " CPU(s)" + (loadMax > cpus ? ": the machine was busier than its CPUs, so every figure includes "
                        + "other work, and the spread table shows how much the repetitions disagree" : "")
                + ". The lookup and writer threads together outnumber the cores"
                + (c.phases().getFirst().run().config().lookupThreads() + 1 > cpus ? "" : " (not here)")
                + ", as on most servers: a reader can be descheduled inside a read section, and every grace "
                + "period after its enter waits for it.");
    }

    private static void method(final Page page, final Comparison c, final RunInfo run) {
        page.section("How it was measured");
        final StringBuilder sb = new StringBuilder();
        for (final Phase p : c.phases()) {
            final ChurnConfig cfg = p.run().config();
            sb.append("<p><b>").append(Format.html(p.title())).append(".</b> ")
                    .append(Format.count(cfg.connections())).append(" established connections, inserted before "
                            + "the threads start and looked up by ").append(cfg.lookupThreads())
                    .append(" lookup thread(s) over a random permutation of copies of their keys (every lookup is "
                            + "checked: the block's key, not freed, found); ");
            if (cfg.flood()) {
                sb.append("one attacker thread inserts half-open connections from random tuples at full speed, "
                        + "each removed after ").append(Format.fmt("%.1f s", cfg.floodTtl().toNanos() / 1e9))
                        .append(" or evicted when ").append(Format.count(cfg.floodMax())).append(" are present");
            } else {
                sb.append(cfg.churnThreads()).append(" churn thread(s) open connections and close the oldest "
                        + "beyond ").append(Format.count(cfg.churnWindow())).append(" open each, at full speed");
            }
            sb.append(". Tables have <code>limits(").append(Format.count(cfg.maxConnections())).append(", ")
                    .append(Format.count(cfg.pendingLimit())).append(")</code>. Each measurement: ")
                    .append(Format.fmt("%.1f s", cfg.warmup().toNanos() / 1e9)).append(" warm-up, then ")
                    .append(Format.fmt("%.1f s", cfg.duration().toNanos() / 1e9)).append(" measured; seed ")
                    .append(String.format("%#x", cfg.seed())).append(".</p>");
        }
        final FairRun first = c.phases().getFirst().run();
        sb.append("<p><b>Fairness.</b> ").append(first.forked()
                ? "Each measurement ran in a JVM of its own (as JMH forks), so no strategy inherits another's JIT "
                        + "profile or heap; the JVM options of every fork: <code>"
                        + Format.html(String.join(" ", first.jvmOptions())) + "</code>."
                : "All measurements ran in this JVM, one after another (--in-process): strategies share the JIT "
                        + "profile, so later ones may pay for earlier ones' call sites.")
                .append(" The repetitions are interleaved: the first runs the strategies in the order "
                        + "listed, the second in reverse, and so on, so that a drift of the machine does not favour "
                        + "one strategy.</p>");
        page.html(sb.toString());
        final List<List<String>> rows = new ArrayList<>();
        for (final Phase p : c.phases()) {
            for (final Measurement m : p.run().measurements()) {
                final ChurnReport.Environment e = m.environment();
                rows.add(List.of(p.name(), Integer.toString(m.position()), m.strategy().name(),
                        Integer.toString(m.repetition()), Long.toString(e.pid()), Format.fmt("%.2f", e.loadBefore()),
                        Format.fmt("%.2f", e.loadAfter()), Format.si(m.result().lookupsPerSecond()),
                        Format.si(Comparison.writerPerSecond(m.result())), Format.fmt("%.1f", m.wallSeconds())));
            }
        }
        page.paragraph("Every measurement in the order it ran, with its JVM (process id), the load average before "
                + "and after, and its wall time including the JVM's start and the table's fill:");
        page.table(List.of("phase", "#", "strategy", "rep", "pid", "load before", "load after", "lookups/s", "churn/s",
                "wall s"), null, rows, 0);
        page.section("Machine, JVM and command");
        final Machine m = run.machine();
        final ChurnReport.Environment e = first.measurements().getFirst().environment();
        page.html("<table class=\"info\"><tr><th>command</th><td><code>" + Format.html(run.command())
                + "</code></td></tr>"
                + "<tr><th>machine</th><td>" + Format.html(m.summary()) + "</td></tr>"
                + "<tr><th>JVM</th><td>" + Format.html(m.java()) + " at <code>" + Format.html(m.javaHome())
                + "</code></td></tr>"
                + "<tr><th>JVM flags (measurements)</th><td><code>" + Format.html(String.join(" ", e.jvmArguments()))
                + "</code>; max heap " + Format.fmt("%.0f MiB", e.maxHeapBytes() / (double) (1L << 20))
                + "; collectors " + Format.html(String.join(", ", e.collectors())) + "</td></tr>"
                + "<tr><th>JVM flags (this command)</th><td><code>" + Format.html(String.join(" ", m.jvmArguments()))
                + "</code></td></tr>"
                + "<tr><th>lazy SMR readers</th><td>" + lazyReaders(c) + "</td></tr>"
                + "<tr><th>started</th><td>" + Format.html(Format.time(run.started()))
                + Format.fmt("</td></tr><tr><th>wall time</th><td>%.1f s, forks included</td></tr></table>",
                        run.wallSeconds()));
    }

    /** What the SMR_LAZY measurements said about their readers. */
    private static String lazyReaders(final Comparison c) {
        final List<Boolean> seen = c.phases().stream().flatMap(p -> p.run().measurements().stream())
                .filter(m -> m.strategy() == Strategy.SMR_LAZY).map(m -> m.environment().lazyFenceFree()).toList();
        if (seen.isEmpty()) {
            return "not measured (no SMR_LAZY in this run)";
        }
        return seen.contains(Boolean.FALSE) ? "FENCED in at least one measurement: membarrier(2) unavailable, "
                + "SMR_LAZY ran in its fallback" : "fence-free (membarrier(2) available)";
    }

    private static void files(final Page page, final Comparison c, final RunInfo run) {
        page.section("Files");
        final StringBuilder sb = new StringBuilder("<ul>"
                + "<li><a href=\"results.json\">results.json</a>: everything on this page and more (every "
                + "measurement, its timeline and latency histogram)</li>"
                + "<li><a href=\"results.csv\">results.csv</a>: the comparison table, unrounded</li>"
                + "<li><a href=\"measurements.csv\">measurements.csv</a>: one line per measurement</li>"
                + "<li><a href=\"timeline.csv\">timeline.csv</a>: every timeline point</li>");
        final boolean logs = c.phases().stream().anyMatch(p -> p.run().forked());
        if (logs) {
            sb.append("<li><code>forks/</code>: each measurement's request, result and log</li>");
        }
        for (final String f : run.jfrFiles()) {
            sb.append("<li><a href=\"").append(Format.html(f)).append("\">").append(Format.html(f))
                    .append("</a> (flight recording; open with JDK Mission Control or <code>jfr summary</code>)</li>");
        }
        page.html(sb.append("</ul>").toString());
    }

    // ------------------------------------------------------------------ CSV

    /** Writes records as CSV, a header first, the columns in the record's component order. */
    static <T extends Record> void csv(final Path file, final Class<T> type, final List<T> rows) {
        final CsvMapper mapper = new CsvMapper();
        final CsvSchema schema = mapper.schemaFor(type).withHeader().sortedBy(java.util.Arrays
                .stream(type.getRecordComponents()).map(java.lang.reflect.RecordComponent::getName)
                .toArray(String[]::new));
        try (SequenceWriter w = mapper.writer(schema).writeValues(file.toFile())) {
            w.writeAll(rows);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
