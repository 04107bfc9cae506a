package org.smr4j.demo.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.smr4j.demo.churn.Json;
import org.smr4j.demo.hazard.HazardRun;
import org.smr4j.demo.hazard.HazardRun.Result;

/**
 * Writes the {@code hazard} scenario's report folder: {@code index.html}, the chart,
 * {@code results.json} and {@code results.csv}; and its terminal table.
 */
public final class HazardReport {

    /** The terminal and page table's headers. */
    public static final List<String> HEADERS = List.of("subject", "reads", "found", "acted on recycled",
            "per million reads", "seen, then retried", "churn/s", "blocks created", "verdict");

    private HazardReport() {
    }

    /**
     * Everything {@code results.json} holds.
     *
     * @param kind {@code hazard}
     * @param run the command, machine and times
     * @param config the scenario's settings
     * @param results one per subject
     * @param cells the table as printed
     * @param verdict the lines under it
     */
    public record Document(String kind, RunInfo run, HazardRun.Config config, List<Result> results,
            List<List<String>> cells, List<String> verdict) {
    }

    /**
     * @param r a result
     * @return its row as printed
     */
    public static List<String> cells(final Result r) {
        return List.of(r.subject() + (r.control() ? " (control)" : ""), Format.count(r.reads()),
                Format.count(r.hits()), Format.count(r.actedOnRecycled()), Format.fmt("%.1f", r.perMillion()),
                Format.count(r.sawRecycledRetried()), Format.si(r.churn() / r.seconds()), Format.count(r.blocksCreated()),
                verdictCell(r));
    }

    private static String verdictCell(final Result r) {
        if (!r.mustBeZero()) {
            return r.actedOnRecycled() > 0 ? "the hazard, as expected" : "DID NOT FIRE";
        }
        return r.actedOnRecycled() == 0 ? "safe" : "UNSAFE: a bug";
    }

    /**
     * @param results the results
     * @return the lines that say what they mean
     */
    public static List<String> verdict(final List<Result> results) {
        final List<String> out = new ArrayList<>();
        final Result noDefer = results.stream().filter(r -> r.subject().equals(HazardRun.NO_DEFER)).findFirst()
                .orElseThrow();
        final long bad = results.stream().filter(Result::mustBeZero).mapToLong(Result::actedOnRecycled).sum();
        final long reads = results.stream().filter(Result::mustBeZero).mapToLong(Result::reads).sum();
        if (noDefer.actedOnRecycled() > 0) {
            out.add("Without deferred reuse, " + Format.count(noDefer.actedOnRecycled()) + " of "
                    + Format.count(noDefer.reads()) + " reads (" + Format.fmt("%.1f", noDefer.perMillion())
                    + " per million) used a block that had meanwhile been recycled for another connection: "
                    + "the reader read another connection's state as its own.");
        } else {
            out.add("The control without deferred reuse saw no recycled block in "
                    + Format.fmt("%.1f s", noDefer.seconds()) + ": the detector did not fire this time, so this run "
                    + "shows nothing either way; run longer (--seconds) or with more readers (--threads).");
        }
        out.add(bad == 0 ? "Every real strategy and the deferred control: 0 in " + Format.count(reads)
                + " reads." : "!!! " + Format.count(bad) + " reads acted on a recycled block in a strategy that must "
                + "never allow it: a bug.");
        final Result pser = results.stream().filter(r -> r.subject().equals("PSERIALIZE")).findFirst().orElse(null);
        final List<Result> smr = results.stream().filter(r -> r.subject().startsWith("SMR_")).toList();
        final long smrSaw = smr.stream().mapToLong(r -> r.sawRecycledRetried() + r.actedOnRecycled()).sum();
        final String smrWords = smr.isEmpty() ? ""
                : smrSaw == 0 ? "; SMR never let a reader see one"
                : "; SMR's readers saw " + Format.count(smrSaw) + ", which SMR forbids";
        if (pser != null) {
            out.add("PSERIALIZE reuses blocks at once (PR_PSERIALIZE): its readers saw a recycled block "
                    + Format.count(pser.sawRecycledRetried()) + " times and read() retried each, so "
                    + (pser.actedOnRecycled() == 0 ? "none was acted on" : Format.count(pser.actedOnRecycled())
                            + " were acted on anyway") + smrWords + ".");
        } else if (!smr.isEmpty()) {
            out.add("No PSERIALIZE in this run" + smrWords + ".");
        }
        return out;
    }

    /**
     * @param results the results
     * @return the table for a terminal
     */
    public static String text(final List<Result> results) {
        final List<List<String>> lines = new ArrayList<>();
        lines.add(HEADERS);
        results.forEach(r -> lines.add(cells(r)));
        return TextTable.render(lines, 1);
    }

    /**
     * Writes the folder.
     *
     * @param dir the folder
     * @param cfg the settings
     * @param results the results
     * @param run the run's description
     * @return the HTML file
     */
    public static Path write(final Path dir, final HazardRun.Config cfg, final List<Result> results,
            final RunInfo run) {
        try {
            Files.createDirectories(dir);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        final List<List<String>> cells = results.stream().map(HazardReport::cells).toList();
        final List<String> verdict = verdict(results);
        Json.write(dir.resolve("results.json"), new Document("hazard", run, cfg, results, cells, verdict));
        ComparisonReport.csv(dir.resolve("results.csv"), Result.class, results);
        final Map<String, double[]> bars = new LinkedHashMap<>();
        for (final Result r : results) {
            bars.put(r.subject(), new double[] {r.perMillion(), r.reads() == 0 ? 0 : r.sawRecycledRetried() * 1e6 / r.reads()});
        }
        Charts.bars(dir.resolve("hazard.png"), "Readers that met a recycled block",
                "per million reads; NO_DEFER is the control whose reuse is not deferred", "",
                "per million reads", List.of("acted on a recycled block", "saw one, read() retried"), bars, false, true);
        final Page page = new Page("smr4j hazard: what SMR prevents");
        page.heading("A block that a reader found may be removed and handed out for another connection while "
                + "the reader still uses it. The garbage collector does not prevent that, because nothing was "
                + "freed. This run counts how often it happened, in every strategy and in a control whose reuse "
                + "is not deferred. <code>" + Format.html(run.command()) + "</code> on "
                + Format.html(run.machine().summary()) + ", " + Format.html(Format.time(run.started())) + ".");
        page.section("Verdict");
        final StringBuilder v = new StringBuilder("<div class=\"verdict\">");
        verdict.forEach(l -> v.append("<p>").append(Format.html(l)).append("</p>"));
        page.html(v.append("</div>").toString());
        page.section("Counts");
        page.table(HEADERS, null, cells, -1);
        page.figure("hazard.png", "readers that met a recycled block", "<b>Recycled blocks met by readers</b>, per "
                + "million reads. Left: the reader used what it read from a block recycled under it (must be zero "
                + "for every real strategy). Right: pserialize's reader saw one and <code>read()</code> threw the "
                + "result away and retried (allowed: that is how PR_PSERIALIZE stays correct).");
        page.section("How it was measured");
        page.paragraph("Each subject is a table holding " + Format.count(cfg.connections()) + " established "
                + "connections; " + cfg.churnThreads() + " churn thread(s) open and close connections from a ring of "
                + (2 * 64 + 2) + " keys, 64 open at a time, so removed blocks come back quickly; " + cfg.readers()
                + " reader thread(s) look up keys of that ring with the lock-free <code>read(key, fn)</code>. "
                + "<code>fn</code> reads the block's key and generation, spins " + cfg.dwell() + " times "
                + "(<code>Thread.onSpinWait</code>, as a reader that works on what it found), and reads them "
                + "again; a key that is not the one looked up, or a generation that moved, is a recycled block. "
                + Format.fmt("%.1f s", cfg.seconds()) + " per subject, one after another in this JVM (this counts "
                + "correctness, not speed). The control tables (<code>NO_DEFER</code>, <code>DEFERRED</code>) are "
                + "one SMR table of the same shape as the real ones with one switch: whether a removed block "
                + "waits for <code>poll(goal)</code> before reuse.");
        page.section("Machine, JVM and command");
        page.html("<table class=\"info\"><tr><th>command</th><td><code>" + Format.html(run.command()) + "</code></td></tr>"
                + "<tr><th>machine</th><td>" + Format.html(run.machine().summary()) + "</td></tr>"
                + "<tr><th>JVM</th><td>" + Format.html(run.machine().java()) + "</td></tr>"
                + "<tr><th>JVM flags</th><td><code>" + Format.html(String.join(" ", run.machine().jvmArguments()))
                + "</code></td></tr>" + Format.fmt("<tr><th>load at start</th><td>%.2f</td></tr>",
                        run.machine().loadAtStart())
                + Format.fmt("<tr><th>wall time</th><td>%.1f s</td></tr></table>", run.wallSeconds()));
        final StringBuilder files = new StringBuilder("<ul><li><a href=\"results.json\">results.json</a></li>"
                + "<li><a href=\"results.csv\">results.csv</a></li>");
        for (final String f : run.jfrFiles()) {
            files.append("<li><a href=\"").append(Format.html(f)).append("\">").append(Format.html(f))
                    .append("</a> (flight recording)</li>");
        }
        page.section("Files");
        page.html(files.append("</ul>").toString());
        final Path html = dir.resolve("index.html");
        page.write(html);
        return html;
    }
}
