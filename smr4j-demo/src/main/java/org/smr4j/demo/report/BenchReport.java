package org.smr4j.demo.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.smr4j.demo.bench.BenchRun;
import org.smr4j.demo.bench.BenchRun.Score;
import org.smr4j.demo.churn.Json;

/**
 * Writes the {@code bench} subcommand's report folder ({@code index.html}, a chart,
 * {@code results.json}, {@code results.csv}; JMH's own {@code jmh.json} and {@code jmh.log}
 * are already there) and its terminal table.
 */
public final class BenchReport {

    /** The table's headers. */
    public static final List<String> HEADERS = List.of("benchmark", "params", "score", "± error", "unit",
            "×chmGet", "×CHM", "×RW");

    private BenchReport() {
    }

    /**
     * Everything {@code results.json} holds.
     *
     * @param kind {@code bench}
     * @param run the command, machine and times
     * @param config what ran
     * @param command the JMH command line
     * @param scores the scores with their ratios
     * @param cells the table as printed
     */
    public record Document(String kind, RunInfo run, BenchRun.Config config, List<String> command, List<Score> scores,
            List<List<String>> cells) {
    }

    static String params(final Score s) {
        return s.params().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(" "));
    }

    /**
     * @param s a score
     * @return its row as printed
     */
    public static List<String> cells(final Score s) {
        return List.of(s.benchmark(), params(s), Format.fmt("%.2f", s.score()),
                Double.isFinite(s.error()) ? Format.fmt("%.2f", s.error()) : "-", s.unit(),
                Format.ratio(s.vsChmGet(), 1), Format.ratio(s.vsChm(), 1), Format.ratio(s.vsRw(), 1));
    }

    /**
     * @param scores the scores
     * @return the table for a terminal
     */
    public static String text(final List<Score> scores) {
        final List<List<String>> lines = new ArrayList<>();
        lines.add(HEADERS);
        scores.forEach(s -> lines.add(cells(s)));
        return TextTable.render(lines, 2);
    }

    /**
     * Writes the folder.
     *
     * @param dir the folder (JMH's files are in it)
     * @param cfg what ran
     * @param command the JMH command line
     * @param scores the scores
     * @param run the run's description
     * @return the HTML file
     */
    public static Path write(final Path dir, final BenchRun.Config cfg, final List<String> command,
            final List<Score> scores, final RunInfo run) {
        try {
            Files.createDirectories(dir);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        final List<List<String>> cells = scores.stream().map(BenchReport::cells).toList();
        Json.write(dir.resolve("results.json"), new Document("bench", run, cfg, command, scores, cells));
        record Line(String benchmark, String params, String mode, int threads, double score, double error,
                String unit, double vsChmGet, double vsChm, double vsRw) {
        }
        ComparisonReport.csv(dir.resolve("results.csv"), Line.class, scores.stream()
                .map(s -> new Line(s.benchmark(), params(s), s.mode(), s.threads(), s.score(), s.error(), s.unit(),
                        s.vsChmGet(), s.vsChm(), s.vsRw())).toList());
        // One bar per result, coloured by strategy where it has one.
        final Map<String, double[]> bars = new LinkedHashMap<>();
        final List<String> groups = new ArrayList<>();
        for (final Score s : scores) {
            final Map<String, String> rest = new LinkedHashMap<>(s.params());
            rest.remove("strategy");
            final String group = s.benchmark() + (rest.isEmpty() ? "" : " " + rest.entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")));
            if (!groups.contains(group)) {
                groups.add(group);
            }
        }
        for (final Score s : scores) {
            final String series = s.params().getOrDefault("strategy", s.benchmark());
            bars.computeIfAbsent(series, k -> {
                final double[] v = new double[groups.size()];
                java.util.Arrays.fill(v, Double.NaN);
                return v;
            });
            final Map<String, String> rest = new LinkedHashMap<>(s.params());
            rest.remove("strategy");
            final String group = s.benchmark() + (rest.isEmpty() ? "" : " " + rest.entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")));
            bars.get(series)[groups.indexOf(group)] = s.score();
        }
        final String unit = scores.isEmpty() ? "" : scores.getFirst().unit();
        Charts.bars(dir.resolve("bench.png"), "JMH scores", "lower is faster for a time per operation", "benchmark",
                unit, groups, bars, false, true);
        final Page page = new Page("smr4j bench: a short JMH run");
        page.heading("A short run of chosen benchmarks from smr4j-bench (<code>" + Format.html(cfg.benchmarks())
                + "</code>), one fork each, 2 × 1 s warm-up and 3 × " + cfg.iterationSeconds() + " s measured. "
                + "A first look, not a measurement: see <code>smr4j-bench/README.md</code> for real runs. <code>"
                + Format.html(run.command()) + "</code> on " + Format.html(run.machine().summary()) + ".");
        page.section("Scores");
        page.paragraph("×chmGet: throughput over a bare <code>ConcurrentHashMap.get</code> of the same keys; "
                + "×CHM and ×RW: over the <code>CONCURRENT_HASH_MAP</code> and <code>RW_LOCK</code> strategies "
                + "with the same other parameters, all from this run. Above 1 is faster.");
        page.table(HEADERS, null, cells, -1);
        page.figure("bench.png", "JMH scores", "<b>Scores</b> (" + Format.html(unit) + "), one bar per strategy "
                + "in each group of parameters.");
        page.section("Machine, JVM and command");
        page.html("<table class=\"info\"><tr><th>command</th><td><code>" + Format.html(run.command()) + "</code></td></tr>"
                + "<tr><th>JMH</th><td><code>" + Format.html(String.join(" ", command)) + "</code></td></tr>"
                + "<tr><th>machine</th><td>" + Format.html(run.machine().summary()) + "</td></tr>"
                + "<tr><th>JVM</th><td>" + Format.html(run.machine().java()) + "</td></tr>"
                + Format.fmt("<tr><th>load at start</th><td>%.2f</td></tr>", run.machine().loadAtStart())
                + Format.fmt("<tr><th>wall time</th><td>%.1f s</td></tr></table>", run.wallSeconds()));
        page.section("Files");
        page.html("<ul><li><a href=\"results.json\">results.json</a></li><li><a href=\"results.csv\">results.csv"
                + "</a></li><li><a href=\"jmh.json\">jmh.json</a> (JMH's own result)</li><li><a href=\"jmh.log\">"
                + "jmh.log</a></li></ul>");
        final Path html = dir.resolve("index.html");
        page.write(html);
        return html;
    }
}
