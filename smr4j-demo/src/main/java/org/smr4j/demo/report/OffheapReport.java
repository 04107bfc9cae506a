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
import java.util.Objects;
import org.smr4j.demo.churn.Json;
import org.smr4j.demo.offheap.OffheapConfig;
import org.smr4j.demo.offheap.OffheapResult;
import org.smr4j.demo.offheap.OffheapRun.Measurement;
import org.smr4j.demo.offheap.OffheapStrategy;
import org.smr4j.demo.offheap.SessionBlock;

/**
 * The {@code offheap} scenario's table, verdict and report folder: {@code index.html}, its
 * charts, {@code results.json} (everything, every sample), {@code results.csv} (the table,
 * unrounded) and {@code timeline.csv}.
 *
 * <p>Ratios are to {@code SHARED_ARENA} and {@code AUTO_ARENA} of the same run (a dash where
 * that strategy did not run); the verdict is computed from the rows.
 */
public final class OffheapReport {

    /** The table's column headers. */
    public static final List<String> HEADERS = List.of("strategy", "frees/s", "×SHARED", "×AUTO", "reads/s",
            "×SHARED", "×AUTO", "torn or foreign", "refused reads", "native peak", "native end", "pending peak",
            "GC ms", "bystander ns/iter", "alone ns/iter", "slowdown");

    /** What each column means, in the order of {@link #HEADERS}. */
    public static final List<String> HEADER_NOTES = List.of(
            "how the writer frees the block it replaced",
            "blocks the writer replaced and freed per second (for AUTO_ARENA: dropped, the collector frees them)",
            "frees/s over SHARED_ARENA's in this run",
            "frees/s over AUTO_ARENA's in this run",
            "reads per second, all reader threads together (refused reads included)",
            "reads/s over SHARED_ARENA's",
            "reads/s over AUTO_ARENA's",
            "reads that found a block changed under them or another session's block: must be 0; any is a "
                    + "failure (exit 1). Counted over every read, warm-up included",
            "reads the JDK refused with IllegalStateException because the block's arena was closed under the "
                    + "reader (SHARED_ARENA only): safe, but the read failed",
            "the most native bytes reserved at a sample (every 50 ms) of the measured time; how each strategy "
                    + "counts is in 'How it was measured'",
            "native bytes reserved at the end of the measured time",
            "the most bytes freed but not yet reusable or returned at a sample: waiting for a grace period "
                    + "(SMR) or for the garbage collector (AUTO_ARENA)",
            "garbage-collector pause time during the measured time, ms",
            "the unrelated bystander thread's nanoseconds per loop iteration beside the strategy's readers and "
                    + "writer: the wall time of its median batch of iterations, which counts a stall (a handshake) "
                    + "and leaves out the batches in which the scheduler ran another thread",
            "the same loop alone in the same JVM (mean of a window before and one after)",
            "bystander ns/iter over alone ns/iter: how much the strategy slowed a thread that does not touch "
                    + "its memory (1.00x: not at all)");

    private OffheapReport() {
    }

    /**
     * One row of the table, unrounded.
     *
     * @param strategy the strategy
     * @param freesPerSecond frees per second
     * @param freesVsShared over SHARED_ARENA's (NaN without it)
     * @param freesVsAuto over AUTO_ARENA's
     * @param readsPerSecond reads per second, all readers
     * @param readsVsShared over SHARED_ARENA's
     * @param readsVsAuto over AUTO_ARENA's
     * @param tornOrForeign torn plus foreign reads (must be 0)
     * @param torn torn reads
     * @param foreign foreign reads
     * @param refused refused reads
     * @param allReads every read, warm-up included (what the three counts are out of)
     * @param reservedPeakBytes native bytes reserved, sampled peak
     * @param reservedEndBytes native bytes reserved at the end
     * @param pendingPeakBytes bytes pending reclamation, sampled peak
     * @param liveBytes bytes of the sessions' current blocks
     * @param gcPauseMillis collector pause time, ms
     * @param bystanderBesideNanos the bystander's wall ns per iteration (median batch) beside the strategy
     * @param bystanderAloneNanos the same alone
     * @param bystanderSlowdown beside over alone
     * @param bystanderCpuSlowdown the same in the bystander's CPU time
     * @param seconds measured time, s
     * @param loadBefore load average when the measurement started
     * @param pid the measuring JVM
     */
    public record Row(OffheapStrategy strategy, double freesPerSecond, double freesVsShared, double freesVsAuto,
            double readsPerSecond, double readsVsShared, double readsVsAuto, long tornOrForeign, long torn,
            long foreign, long refused, long allReads, long reservedPeakBytes, long reservedEndBytes,
            long pendingPeakBytes, long liveBytes, long gcPauseMillis, double bystanderBesideNanos,
            double bystanderAloneNanos, double bystanderSlowdown, double bystanderCpuSlowdown, double seconds,
            double loadBefore, long pid) {

        /** @return the row as printed, one cell per {@link #HEADERS} entry */
        public List<String> cells() {
            return List.of(strategy.name(), Format.si(freesPerSecond), ratio(freesVsShared),
                    ratio(freesVsAuto), Format.si(readsPerSecond), ratio(readsVsShared), ratio(readsVsAuto),
                    Format.count(tornOrForeign), Format.count(refused),
                    size(reservedPeakBytes), size(reservedEndBytes), size(pendingPeakBytes),
                    Long.toString(gcPauseMillis), Format.fmt("%.1f", bystanderBesideNanos),
                    Format.fmt("%.1f", bystanderAloneNanos), ratio(bystanderSlowdown));
        }
    }

    /**
     * Everything {@code results.json} holds.
     *
     * @param kind {@code offheap}
     * @param run the command, machine and times
     * @param config the scenario's settings
     * @param forked whether each strategy had a JVM of its own
     * @param jvmOptions the forks' options (empty in process)
     * @param headers the table's headers
     * @param rows the table, unrounded
     * @param cells the table as printed
     * @param verdict the three lines under it
     * @param measurements every measurement, with its samples
     */
    public record Document(String kind, RunInfo run, OffheapConfig config, boolean forked, List<String> jvmOptions,
            List<String> headers, List<Row> rows, List<List<String>> cells, List<String> verdict,
            List<Measurement> measurements) {
    }

    /** One line of {@code timeline.csv}. */
    record TimelineLine(String strategy, double seconds, long frees, long reservedBytes, long pendingBytes) {
    }

    /**
     * @param r a ratio
     * @return it as the table writes it: {@code 0.57x}, {@code 12.30x}; from 100 on without
     *         decimals, {@code 1,028x}; a dash if it does not exist
     */
    public static String ratio(final double r) {
        return Double.isFinite(r) && r >= 99.995 ? Format.count(r) + "x" : Format.ratio(r, 1);
    }

    /**
     * @param bytes a number of bytes
     * @return it in binary units with one decimal: {@code 512 B}, {@code 62.5 KiB}, {@code 6.1 MiB},
     *         {@code 1.25 GiB}
     */
    public static String size(final double bytes) {
        if (!Double.isFinite(bytes) || bytes < 0) {
            return "-";
        }
        if (bytes < 1024) {
            return Format.fmt("%.0f B", bytes);
        }
        if (bytes < 1024 * 1024) {
            return Format.fmt("%.1f KiB", bytes / 1024);
        }
        if (bytes < 1024.0 * 1024 * 1024) {
            return Format.fmt("%.1f MiB", bytes / (1024.0 * 1024));
        }
        return Format.fmt("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    /**
     * @param measurements the run's measurements, in order
     * @return a row per strategy, ratios to the baselines of the same run
     */
    public static List<Row> rows(final List<Measurement> measurements) {
        final OffheapResult shared = find(measurements, OffheapStrategy.SHARED_ARENA);
        final OffheapResult auto = find(measurements, OffheapStrategy.AUTO_ARENA);
        final List<Row> rows = new ArrayList<>();
        for (final Measurement m : measurements) {
            final OffheapResult r = m.result();
            rows.add(new Row(r.strategy(), r.freesPerSecond(),
                    shared == null ? Double.NaN : Format.ratioValue(r.freesPerSecond(), shared.freesPerSecond()),
                    auto == null ? Double.NaN : Format.ratioValue(r.freesPerSecond(), auto.freesPerSecond()),
                    r.readsPerSecond(),
                    shared == null ? Double.NaN : Format.ratioValue(r.readsPerSecond(), shared.readsPerSecond()),
                    auto == null ? Double.NaN : Format.ratioValue(r.readsPerSecond(), auto.readsPerSecond()),
                    r.tornOrForeign(), r.torn(), r.foreign(), r.refused(), r.allReads(), r.reservedPeakBytes(),
                    r.reservedEndBytes(), r.pendingPeakBytes(), r.liveBytes(), r.gcPauseMillis(),
                    r.bystanderBesideWallNanos(), r.bystanderAloneWallNanos(), r.bystanderSlowdown(),
                    r.bystanderCpuSlowdown(), r.seconds(),
                    r.loadBefore(), r.pid()));
        }
        return rows;
    }

    private static OffheapResult find(final List<Measurement> ms, final OffheapStrategy s) {
        return ms.stream().map(Measurement::result).filter(r -> r.strategy() == s).findFirst().orElse(null);
    }

    private static Row row(final List<Row> rows, final OffheapStrategy s) {
        return rows.stream().filter(r -> r.strategy() == s).findFirst().orElse(null);
    }

    /**
     * @param rows the table
     * @return whether a strategy let a reader see a torn or foreign block
     */
    public static boolean failed(final List<Row> rows) {
        return rows.stream().anyMatch(r -> r.tornOrForeign() > 0);
    }

    /**
     * The three lines under the table, computed from it: what the frees cost and whether
     * readers stayed safe; what they did to an unrelated thread; what they held in memory.
     *
     * @param rows the table
     * @return three lines
     */
    public static List<String> verdict(final List<Row> rows) {
        Objects.requireNonNull(rows, "rows");
        final Row shared = row(rows, OffheapStrategy.SHARED_ARENA);
        final Row auto = row(rows, OffheapStrategy.AUTO_ARENA);
        final List<Row> smr = rows.stream().filter(r -> r.strategy().smr()).toList();
        final Row fastest = smr.stream().max(Comparator.comparingDouble(Row::freesPerSecond)).orElse(null);
        final List<String> out = new ArrayList<>();

        // 1. Safety and the cost of a free.
        final List<Row> bad = rows.stream().filter(r -> r.tornOrForeign() > 0).toList();
        final long reads = rows.stream().mapToLong(Row::allReads).sum();
        if (!bad.isEmpty()) {
            final StringBuilder sb = new StringBuilder("!!! ");
            for (int i = 0; i < bad.size(); i++) {
                final Row b = bad.get(i);
                sb.append(i == 0 ? "" : "; ").append(b.strategy()).append(": ").append(Format.count(b.tornOrForeign()))
                        .append(" of ").append(Format.count(b.allReads())).append(" reads saw a torn or foreign block");
            }
            final boolean onlyControl = bad.stream().allMatch(b -> b.strategy() == OffheapStrategy.IMMEDIATE_REUSE);
            sb.append(onlyControl ? ": a block was freed and reused under a reader. That is the negative control "
                    + "(reuse without waiting for readers) showing that the check catches it; a real strategy must "
                    + "never do this." : ": a block was freed and reused under a reader. That is a bug.");
            out.add(sb.toString());
        } else if (fastest != null) {
            final StringBuilder sb = new StringBuilder("Frees: ").append(fastest.strategy()).append(" freed ")
                    .append(Format.si(fastest.freesPerSecond())).append(" blocks/s");
            if (shared != null) {
                sb.append(", ").append(ratio(fastest.freesVsShared())).append(" SHARED_ARENA's ")
                        .append(Format.si(shared.freesPerSecond())).append(" closes/s (a handshake each)");
            }
            if (auto != null) {
                sb.append(shared != null ? " and " : ", ").append(ratio(fastest.freesVsAuto()))
                        .append(" AUTO_ARENA's ").append(Format.si(auto.freesPerSecond()))
                        .append(" blocks/s left to the garbage collector");
            }
            out.add(sb.append("; none of ").append(Format.count(reads)).append(" reads saw a torn or foreign block.")
                    .toString());
        } else {
            final StringBuilder sb = new StringBuilder("Frees (no SMR strategy in this run): ");
            for (int i = 0; i < rows.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(rows.get(i).strategy()).append(' ')
                        .append(Format.si(rows.get(i).freesPerSecond())).append("/s");
            }
            out.add(sb.append("; none of ").append(Format.count(reads)).append(" reads saw a torn or foreign block.")
                    .toString());
        }

        // 2. The bystander, against the worst SMR figure (the conservative comparison).
        final Row slowestSmr = smr.stream().filter(r -> Double.isFinite(r.bystanderSlowdown()))
                .max(Comparator.comparingDouble(Row::bystanderSlowdown)).orElse(null);
        final StringBuilder by = new StringBuilder("Bystander: an unrelated thread's loop took ");
        for (int i = 0; i < rows.size(); i++) {
            final Row r = rows.get(i);
            by.append(i == 0 ? "" : i == rows.size() - 1 ? " and " : ", ").append(Format.ratio(r.bystanderSlowdown(), 1))
                    .append(" beside ").append(r.strategy());
        }
        by.append(" (the wall time of its median batch against the same loop alone)");
        if (slowestSmr != null && shared != null && Double.isFinite(shared.bystanderSlowdown())) {
            final double k = shared.bystanderSlowdown() / slowestSmr.bystanderSlowdown();
            if (k >= 1.10) {
                by.append(": shared-arena closes cost it ").append(Format.fmt("%.2f", k)).append("x what ")
                        .append(smr.size() == 1 ? slowestSmr.strategy().name() : "the slower SMR strategy")
                        .append("'s frees did");
            } else if (k <= 1 / 1.10) {
                by.append(": in this run ").append(slowestSmr.strategy()).append(" slowed it more than the shared "
                        + "arena's closes, by ").append(Format.fmt("%.2f", 1 / k)).append("x");
            } else {
                by.append(": no difference of 10% or more between ").append(slowestSmr.strategy())
                        .append(" and SHARED_ARENA in this run");
            }
        }
        out.add(by.append('.').toString());

        // 3. Memory, and what the shared arena refused.
        final List<String> parts = new ArrayList<>();
        if (auto != null) {
            parts.add("AUTO_ARENA held up to " + size(auto.reservedPeakBytes()) + " native ("
                    + size(auto.pendingPeakBytes()) + " of it garbage waiting for the collector) for "
                    + size(auto.liveBytes()) + " of live sessions");
        }
        final Row smrMost = smr.stream().max(Comparator.comparingLong(Row::reservedPeakBytes)).orElse(null);
        if (smrMost != null) {
            parts.add(smr.size() > 1
                    ? "SMR at most " + size(smrMost.reservedPeakBytes()) + " (" + smrMost.strategy() + ", "
                            + size(smrMost.pendingPeakBytes()) + " of it pending)"
                    : smrMost.strategy() + " up to " + size(smrMost.reservedPeakBytes()) + " ("
                            + size(smrMost.pendingPeakBytes()) + " of it pending)");
        }
        if (shared != null) {
            parts.add("SHARED_ARENA frees at once (" + size(shared.reservedPeakBytes()) + " at most)"
                    + (shared.refused() > 0 ? " but refused " + Format.count(shared.refused())
                            + (shared.refused() == 1 ? " read" : " reads") + ": the "
                            + "reader's block was closed under it (IllegalStateException)"
                            : "; none of its reads lost the race to a close in this run"));
        }
        if (parts.isEmpty()) {
            parts.add(rows.getFirst().strategy() + " held up to " + size(rows.getFirst().reservedPeakBytes()));
        }
        out.add("Memory: " + String.join("; ", parts) + ".");
        return out;
    }

    /**
     * @param rows the table
     * @return it for a terminal
     */
    public static String text(final List<Row> rows) {
        final List<List<String>> lines = new ArrayList<>();
        lines.add(HEADERS);
        rows.forEach(r -> lines.add(r.cells()));
        return TextTable.render(lines, 1);
    }

    /**
     * Writes the report folder.
     *
     * @param dir the folder (created if absent)
     * @param cfg the settings
     * @param forked whether each strategy had a JVM of its own
     * @param jvmOptions the forks' options
     * @param measurements the measurements, in run order
     * @param run the run's description
     * @return the HTML file
     */
    public static Path write(final Path dir, final OffheapConfig cfg, final boolean forked,
            final List<String> jvmOptions, final List<Measurement> measurements, final RunInfo run) {
        try {
            Files.createDirectories(dir);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        final List<Row> rows = rows(measurements);
        final List<List<String>> cells = rows.stream().map(Row::cells).toList();
        final List<String> verdict = verdict(rows);
        Json.write(dir.resolve("results.json"), new Document("offheap", run, cfg, forked,
                forked ? jvmOptions : List.of(), HEADERS, rows, cells, verdict, measurements));
        ComparisonReport.csv(dir.resolve("results.csv"), Row.class, rows);
        final List<TimelineLine> tl = new ArrayList<>();
        for (final Measurement m : measurements) {
            for (final OffheapResult.Sample s : m.result().timeline()) {
                tl.add(new TimelineLine(m.result().strategy().name(), s.seconds(), s.frees(), s.reservedBytes(),
                        s.pendingBytes()));
            }
        }
        ComparisonReport.csv(dir.resolve("timeline.csv"), TimelineLine.class, tl);

        final Page page = new Page("smr4j offheap: how should a JVM server free native memory that many threads read?");
        page.heading("A session cache in native memory: " + Format.count(cfg.sessions()) + " sessions, one "
                + SessionBlock.BYTES + "-byte block each, read by " + cfg.readers() + " reader thread(s) and "
                + "replaced by one writer as fast as it can, which frees the old block in the way of each strategy "
                + "below. The "
                + "JDK's only immediate free that is safe while other threads read is closing a shared "
                + "<code>Arena</code>; its other safe choice leaves the free to the garbage collector. smr4j's "
                + "<code>SmrArena</code> frees at once and reuses the block once no reader can hold it. This page is "
                + "one run of <code>" + Format.html(run.command()) + "</code> on " + Format.html(run.machine().summary())
                + ", " + Format.html(Format.time(run.started())) + Format.fmt(", %.0f s in all.", run.wallSeconds()));
        page.section("Verdict");
        final StringBuilder v = new StringBuilder("<div class=\"verdict\">");
        verdict.forEach(l -> v.append("<p>").append(Format.html(l)).append("</p>"));
        page.html(v.append("</div>").toString());
        if (failed(rows)) {
            page.html("<p class=\"warn\"><b>Torn or foreign reads</b>: a reader used a block after it had been "
                    + "freed and reused. The command exits with status 1.</p>");
        }
        page.section("The comparison");
        page.paragraph("One row per strategy, each one measurement of " + Format.fmt("%.1f s", cfg.seconds())
                + (forked ? " in a JVM of its own" : " in this JVM (--in-process)") + ". Ratios (×) are to "
                + "<code>SHARED_ARENA</code> and <code>AUTO_ARENA</code> of this run. Hover over a header for its "
                + "definition; the notes below say more.");
        // Sixteen columns: a little smaller than the page's other tables, so that the row fits the
        // page's width, and scrolled on its own (not the page) on a narrower window.
        page.html("<div style=\"font-size: 0.9em; overflow-x: auto\">");
        page.table(HEADERS, HEADER_NOTES, cells, -1);
        page.html("</div>");
        charts(page, dir, cfg, forked, measurements);
        meaning(page, cfg, measurements);
        method(page, cfg, forked, jvmOptions, measurements, run);
        files(page, forked, run);
        final Path html = dir.resolve("index.html");
        page.write(html);
        return html;
    }

    private static void charts(final Page page, final Path dir, final OffheapConfig cfg, final boolean forked,
            final List<Measurement> ms) {
        page.section("Charts");
        final String subtitle = Format.count(cfg.sessions()) + " sessions, " + cfg.readers() + " reader(s) + 1 writer"
                + " + 1 bystander, " + Format.fmt("%.1f s", cfg.seconds()) + " per strategy"
                + (forked ? ", a JVM each" : ", in process");
        final Map<String, double[]> rates = new LinkedHashMap<>();
        final Map<String, double[]> bystander = new LinkedHashMap<>();
        for (final Measurement m : ms) {
            final OffheapResult r = m.result();
            rates.put(r.strategy().name(), new double[] {r.freesPerSecond(), r.readsPerSecond()});
            bystander.put(r.strategy().name(), new double[] {r.bystanderAloneWallNanos(), r.bystanderBesideWallNanos()});
        }
        Charts.barsLogCounts(dir.resolve("rates.png"), "Frees and reads per second", subtitle, "",
                "per second (log scale)", List.of("frees/s (writer)", "reads/s (all readers)"), rates, true);
        page.figure("rates.png", "frees and reads per second per strategy", "<b>Frees and reads per second</b>, on "
                + "a logarithmic axis (each line is ten times the one below). Left: blocks the writer replaced and "
                + "freed; the shared arena's close is a handshake with every thread of the JVM, so it frees orders "
                + "of magnitude fewer. Right: reads of all readers together.");
        Charts.bars(dir.resolve("bystander.png"), "An unrelated thread beside each strategy", subtitle
                + "; the bystander's median batch", "", "ns per iteration (wall time, median batch)",
                List.of("bystander alone (same JVM, before and after)", "bystander beside the strategy"), bystander,
                false, true);
        page.figure("bystander.png", "the bystander's cost per iteration, alone and beside each strategy",
                "<b>The bystander</b> sums a 1 KiB array of its own and touches nothing the strategy uses. Left: its "
                        + "time per iteration alone, in the same JVM; right: beside the strategy's readers and "
                        + "writer (the wall time of its median batch of " + OffheapConfig.BYSTANDER_BATCH
                        + " iterations). The difference is what the strategy costs a thread that has nothing to do with "
                        + "it: on this machine part of it is the other threads' share of the caches and the core, "
                        + "which every strategy has; the rest is the strategy's own (a shared arena's close stops "
                        + "every thread for a handshake).");
        final List<Charts.Line> freeLines = new ArrayList<>();
        final List<Charts.Line> reserved = new ArrayList<>();
        final List<Charts.Line> pending = new ArrayList<>();
        for (final Measurement m : ms) {
            final List<OffheapResult.Sample> t = m.result().timeline();
            final String name = m.result().strategy().name();
            final int n = Math.max(0, t.size() - 1);
            final double[] x = new double[n];
            final double[] y = new double[n];
            for (int i = 1; i <= n; i++) {
                final double dt = t.get(i).seconds() - t.get(i - 1).seconds();
                x[i - 1] = t.get(i).seconds();
                y[i - 1] = dt > 0 ? (t.get(i).frees() - t.get(i - 1).frees()) / dt : Double.NaN;
            }
            freeLines.add(new Charts.Line(name, 1, x, y));
            reserved.add(new Charts.Line(name, 1, t.stream().mapToDouble(OffheapResult.Sample::seconds).toArray(),
                    t.stream().mapToDouble(s -> s.reservedBytes() / (double) (1 << 20)).toArray()));
            pending.add(new Charts.Line(name, 1, t.stream().mapToDouble(OffheapResult.Sample::seconds).toArray(),
                    t.stream().mapToDouble(s -> s.pendingBytes() / (double) (1 << 20)).toArray()));
        }
        Charts.lines(dir.resolve("native.png"), "Frees and native memory over time", subtitle,
                "time since measuring began (s)", List.of(new Charts.Panel("frees/s", freeLines, Map.of(), false),
                        new Charts.Panel("native reserved (MiB)", reserved,
                                Map.of("live sessions " + size(ms.getFirst().result().liveBytes()),
                                        ms.getFirst().result().liveBytes() / (double) (1 << 20)), false),
                        new Charts.Panel("pending reclamation (MiB)", pending, Map.of(), false)));
        page.figure("native.png", "frees per second, native bytes reserved and pending over time", "<b>Over time</b>, "
                + "sampled every " + OffheapConfig.SAMPLE_MILLIS + " ms. Top: frees per second. Middle: native "
                + "memory reserved (MiB = 2<sup>20</sup> bytes), the dashed line the sessions' live blocks. Bottom: "
                + "memory freed but not yet reusable: SMR's blocks wait for their grace period (a tick, a "
                + "section), <code>AUTO_ARENA</code>'s for a collection to find them unreachable and a cleaner to "
                + "free them; a shared arena's close frees at once.");
    }

    private static void meaning(final Page page, final OffheapConfig cfg, final List<Measurement> ms) {
        page.section("What the numbers mean");
        // A two-column table rather than the comparison page's list: these headers are longer than its
        // floated terms are wide.
        final StringBuilder sb = new StringBuilder("<table class=\"info\">");
        for (int i = 0; i < HEADERS.size(); i++) {
            sb.append("<tr><th>").append(Format.html(HEADERS.get(i))).append("</th><td>")
                    .append(Format.html(HEADER_NOTES.get(i))).append("</td></tr>");
        }
        page.html(sb.append("</table>").toString());
        final StringBuilder s = new StringBuilder("<p><b>The strategies.</b></p><ul>");
        for (final Measurement m : ms) {
            final OffheapStrategy st = m.result().strategy();
            s.append("<li><code>").append(st.name()).append("</code>: ").append(Format.html(st.description()))
                    .append(".</li>");
        }
        page.html(s.append("</ul>").toString());
        page.paragraph("<b>Pending.</b> An SMR arena holds about the free rate times the longest time a reader "
                + "stays inside its section (default mode) or one clock tick more (lazy mode): a block freed while "
                + "a reader is inside waits for that reader to leave. With more threads than cores, a reader can "
                + "be descheduled inside its section and holds every later free back for its whole time slice, "
                + "so the pending peak measures the scheduler as much as the arena. An automatic arena holds what "
                + "the writer dropped since the last collection that found it, which grows with the heap, not "
                + "with the readers.");
        final double loadMin = ms.stream().mapToDouble(m -> m.result().loadBefore()).min().orElse(Double.NaN);
        final double loadMax = ms.stream().mapToDouble(m -> m.result().loadAfter()).max().orElse(Double.NaN);
        final int cpus = Runtime.getRuntime().availableProcessors();
        page.paragraph("<b>How far to trust the ratios.</b> One measurement per strategy; the one-minute load "
                + "average went from " + Format.fmt("%.2f", loadMin) + " to " + Format.fmt("%.2f", loadMax)
                + " on " + cpus + " CPU(s)" + (loadMax > cpus ? ", a machine busier than its CPUs: every figure "
                        + "includes other work" : "") + ". A ratio of ten or more survives that noise; a bystander "
                + "slowdown within 10% of another is not a difference."
                + (cfg.readers() + 2 <= cpus ? ""
                        : " The readers, the writer and the bystander (" + (cfg.readers() + 2) + " threads) outnumber "
                                + "the cores, as on a busy server, so a shared arena's close also waits for threads "
                                + "that are descheduled to reach a safepoint, and closes fewer arenas per second "
                                + (cfg.readers() > 1 ? "(--threads 1 lets it close more, and slow the bystander "
                                        + "more)." : "(each reader more lets it close fewer, and slow the "
                                        + "bystander less).")));
    }

    private static void method(final Page page, final OffheapConfig cfg, final boolean forked,
            final List<String> jvmOptions, final List<Measurement> ms, final RunInfo run) {
        page.section("How it was measured");
        page.paragraph("<b>The workload.</b> " + Format.count(cfg.sessions()) + " native blocks, one per session, "
                + "each carrying its session's id, a version, a payload computed from both, a checksum and the id "
                + "again. " + cfg.readers() + " reader thread(s) read random sessions' blocks and check every field; "
                + "one writer replaces random sessions' blocks as fast as it can: it allocates a new block, fills "
                + "it, publishes it in the session's slot with a release store, and frees the old one. A reader "
                + "that finds a block whose fields disagree (torn) or another session's block (foreign) has read "
                + "freed, reused memory. Per strategy: the cache is filled; the bystander runs alone "
                + Format.fmt("%.1f s", OffheapConfig.BYSTANDER_WARMUP_SECONDS) + " unmeasured and "
                + Format.fmt("%.1f s", cfg.aloneSeconds()) + " measured; the readers and the writer start and run "
                + Format.fmt("%.1f s", cfg.warmup()) + " unmeasured, then " + Format.fmt("%.1f s", cfg.seconds())
                + " measured; they stop, and the bystander runs alone another "
                + Format.fmt("%.1f s", cfg.aloneSeconds()) + ". Seed " + String.format("%#x", cfg.seed()) + ".");
        page.paragraph("<b>The bystander</b> times every batch of " + OffheapConfig.BYSTANDER_BATCH + " iterations "
                + "of its loop with the wall clock; its cost in a window is the median batch's time per iteration. "
                + "The run has more threads than cores, so the total wall time per iteration would mostly measure "
                + "how the scheduler shared the cores (which differs between strategies whose threads spin and "
                + "those whose threads block); a batch in which the bystander was descheduled takes milliseconds "
                + "longer and is left out by the median as long as fewer than half of the batches are, while a "
                + "handshake's stall, which every batch meets at a few thousand closes a second, is counted. Its "
                + "CPU time per iteration is kept beside it (below): it leaves out any time the thread waited off "
                + "the CPU, and so shows less of a shared arena's cost than the wall time does. CPU time measured "
                + "with: " + Format.html(ms.getFirst().result().bystanderClock()) + ".");
        final StringBuilder acc = new StringBuilder("<p><b>Native bytes</b>, as each strategy counts them:</p><ul>");
        for (final Measurement m : ms) {
            acc.append("<li><code>").append(m.result().strategy().name()).append("</code>: ")
                    .append(Format.html(m.result().accounting())).append(".</li>");
        }
        page.html(acc.append("</ul>").toString());
        page.paragraph("<b>Fairness.</b> " + (forked
                ? "Each strategy ran in a JVM of its own, one after another, with the options <code>"
                        + Format.html(String.join(" ", jvmOptions)) + "</code>. In one JVM the strategies would "
                        + "share the reader and writer loops' JIT profile (the first makes their call sites "
                        + "monomorphic, the later ones find them megamorphic), the automatic arenas' garbage and "
                        + "native memory would be collected during the next strategy's measurement, and the shared "
                        + "arena's handshakes deoptimise frames that the next strategy would recompile."
                : "All strategies ran in this JVM, one after another (--in-process): they share the JIT profile "
                        + "of the reader and writer loops and the collector's state, which is unfair to the later "
                        + "ones; use it for quick looks and tests, not for figures."));
        final List<List<String>> rows = new ArrayList<>();
        for (final Measurement m : ms) {
            final OffheapResult r = m.result();
            rows.add(List.of(Integer.toString(m.position()), r.strategy().name(), Long.toString(r.pid()),
                    Format.fmt("%.2f", r.loadBefore()), Format.fmt("%.2f", r.loadAfter()),
                    Format.fmt("%.1f", r.bystanderAloneBeforeCpuNanos()),
                    Format.fmt("%.1f", r.bystanderAloneAfterCpuNanos()),
                    Format.fmt("%.1f", r.bystanderBesideCpuNanos()), ratio(r.bystanderCpuSlowdown()),
                    Format.fmt("%.2f", r.bystanderCpuShare()),
                    Format.fmt("%.1f", r.readerCpuNanosPerRead()),
                    Format.fmt("%.0f", r.writerCpuNanosPerFree()), Format.count(r.allReads()), Format.count(r.torn()),
                    Format.count(r.foreign()), Long.toString(r.gcCollections()),
                    r.lazyFenceFree() == null ? "-" : r.lazyFenceFree() ? "fence-free" : "FENCED",
                    Format.fmt("%.1f", m.wallSeconds())));
        }
        page.paragraph("Every measurement in the order it ran: its JVM (process id), the load average before and "
                + "after; the bystander's CPU time per iteration alone (before and after) and beside the strategy, "
                + "the slowdown in CPU time, and the share of a core it got; the readers' and the writer's CPU time "
                + "per read and per free (which, unlike reads/s and frees/s, do not depend on how the scheduler "
                + "shared the cores: a writer that waits for handshakes leaves its core to the readers); every "
                + "read, with the torn and foreign counts apart; the collections; whether lazy readers ran "
                + "fence-free (membarrier(2)); and the wall time with JVM start and fill:");
        page.table(List.of("#", "strategy", "pid", "load before", "load after", "alone CPU before", "alone CPU after",
                "bystander CPU ns/iter", "slowdown in CPU time", "bystander CPU share", "reader CPU ns/read",
                "writer CPU ns/free", "all reads", "torn", "foreign", "GCs", "lazy readers", "wall s"), null, rows, -1);
        page.section("Machine, JVM and command");
        final Machine m = run.machine();
        page.html("<table class=\"info\"><tr><th>command</th><td><code>" + Format.html(run.command())
                + "</code></td></tr><tr><th>machine</th><td>" + Format.html(m.summary()) + "</td></tr>"
                + "<tr><th>JVM</th><td>" + Format.html(m.java()) + " at <code>" + Format.html(m.javaHome())
                + "</code></td></tr><tr><th>JVM flags (measurements)</th><td><code>"
                + Format.html(String.join(" ", ms.getFirst().result().jvmArguments())) + "</code></td></tr>"
                + "<tr><th>JVM flags (this command)</th><td><code>" + (m.jvmArguments().isEmpty() ? "(none)"
                        : Format.html(String.join(" ", m.jvmArguments())))
                + "</code></td></tr><tr><th>load at start</th><td>" + Format.fmt("%.2f", m.loadAtStart())
                + "</td></tr><tr><th>started</th><td>" + Format.html(Format.time(run.started()))
                + Format.fmt("</td></tr><tr><th>wall time</th><td>%.1f s", run.wallSeconds())
                + (forked ? ", forks included" : "") + "</td></tr></table>");
    }

    private static void files(final Page page, final boolean forked, final RunInfo run) {
        page.section("Files");
        final StringBuilder sb = new StringBuilder("<ul>"
                + "<li><a href=\"results.json\">results.json</a>: everything on this page and more (every "
                + "measurement with its samples)</li>"
                + "<li><a href=\"results.csv\">results.csv</a>: the table, unrounded</li>"
                + "<li><a href=\"timeline.csv\">timeline.csv</a>: every sample</li>");
        if (forked) {
            sb.append("<li><code>forks/</code>: each strategy's request, result and log</li>");
        }
        for (final String f : run.jfrFiles()) {
            sb.append("<li><a href=\"").append(Format.html(f)).append("\">").append(Format.html(f))
                    .append("</a> (flight recording; open with JDK Mission Control or <code>jfr summary</code>)</li>");
        }
        page.html(sb.append("</ul>").toString());
    }
}
