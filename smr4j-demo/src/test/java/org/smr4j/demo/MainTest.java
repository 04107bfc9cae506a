package org.smr4j.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.smr4j.demo.churn.Json;
import org.smr4j.demo.report.Comparison;
import org.smr4j.demo.report.Format;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * The program, run in this JVM through {@link Main#execute} with tiny configurations: the
 * comparison table's rows, the exit codes for good and bad options, the report folder (every
 * chart the page references exists and is a PNG of nonzero size, the JSON parses and holds the
 * figures the table printed, the CSV has the rows).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS) // every test and the shared run in @BeforeAll
class MainTest {

    /** What one run printed and returned. */
    record Run(int code, String out, String err) {
    }

    static Run run(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), false);
        return new Run(code, out.toString(), err.toString());
    }

    /** The default command (churn then flood), every strategy, once, in process; shared by the tests below. */
    static Run comparison;
    static Path comparisonDir;

    @BeforeAll
    static void runTheDefaultCommandOnce(@TempDir final Path dir) {
        comparisonDir = dir.resolve("report");
        comparison = run("--in-process", "--seconds", "0.3", "--warmup", "0.1", "--repetitions", "1",
                "--connections", "2000", "--out", comparisonDir.toString());
    }

    @Test
    void theDefaultCommandPrintsARowPerPhaseAndStrategyAndTheVerdict() {
        assertThat(comparison.code()).as(comparison.err()).isZero();
        final List<String> lines = comparison.out().lines().toList();
        final String header = lines.stream().filter(l -> l.startsWith("phase")).findFirst().orElseThrow();
        assertThat(header.split("\\s{2,}")).containsExactlyElementsOf(Comparison.HEADERS);
        for (final String phase : List.of("churn", "flood")) {
            for (final Strategy s : Strategy.values()) {
                assertThat(lines).as(phase + " " + s).filteredOn(l -> l.matches(phase + "\\s+" + s.name() + "\\s.*"))
                        .hasSize(1);
            }
        }
        assertThat(lines).filteredOn(l -> l.startsWith("pserialize vs SMR: PSERIALIZE did ")).hasSize(1);
        assertThat(lines).filteredOn(l -> l.startsWith("Against ConcurrentHashMap with the GC: ")).hasSize(1);
        assertThat(lines).filteredOn(l -> l.startsWith("Memory: the pooled tables created at most ")).hasSize(1);
        assertThat(lines.getLast()).isEqualTo("report: " + comparisonDir.resolve("index.html"));
        // Progress on stderr: a bar per phase, a line per measurement.
        assertThat(comparison.err()).contains("churn  [------------------------------]   0%")
                .contains("flood  [##############################] 100%").contains("churn   5/5");
    }

    @Test
    void theHtmlReferencesChartsThatAreValidPngs() throws IOException {
        final String html = Files.readString(comparisonDir.resolve("index.html"));
        assertThat(html).startsWith("<!DOCTYPE html>").doesNotContain("http://").doesNotContain("https://");
        final Matcher m = Pattern.compile("<img src=\"([^\"]+)\"").matcher(html);
        final List<String> charts = new ArrayList<>();
        while (m.find()) {
            charts.add(m.group(1));
        }
        assertThat(charts).contains("throughput-churn.png", "latency-churn.png", "pending-churn.png",
                "memory-churn.png", "throughput-flood.png", "latency-flood.png", "pending-flood.png",
                "memory-flood.png", "blocks-created.png");
        for (final String c : charts) {
            final Path png = comparisonDir.resolve(c);
            assertThat(png).as(c).isRegularFile();
            assertThat(Files.size(png)).as(c).isGreaterThan(1000);
            try (InputStream in = Files.newInputStream(png)) {
                final byte[] magic = in.readNBytes(8);
                assertThat(magic).as(c + ": the PNG signature").containsExactly(0x89, 'P', 'N', 'G', 0x0D, 0x0A,
                        0x1A, 0x0A);
            }
            final BufferedImage img = ImageIO.read(png.toFile());
            assertThat(img).as(c).isNotNull();
            assertThat(img.getWidth()).as(c).isEqualTo(1100);
            assertThat(img.getHeight()).as(c).isGreaterThanOrEqualTo(400);
        }
        assertThat(html).contains("results.json").contains("results.csv").contains("timeline.csv")
                .contains("measurements.csv");
        for (final String f : List.of("results.json", "results.csv", "timeline.csv", "measurements.csv")) {
            assertThat(comparisonDir.resolve(f)).as(f).isNotEmptyFile();
        }
    }

    @Test
    void theJsonHoldsTheFiguresTheTablePrinted() throws IOException {
        final JsonNode doc = Json.MAPPER.readTree(comparisonDir.resolve("results.json").toFile());
        assertThat(doc.path("kind").asText()).isEqualTo("comparison");
        assertThat(doc.path("verdict")).hasSize(3);
        final JsonNode table = doc.path("table");
        assertThat(table).hasSize(10);
        final List<String> out = comparison.out().lines().toList();
        for (final JsonNode row : table) {
            final String phase = row.path("phase").asText();
            final String strategy = row.path("strategy").asText();
            final String line = out.stream().filter(l -> l.matches(phase + "\\s+" + strategy + "\\s.*")).findFirst()
                    .orElseThrow();
            final List<String> printed = Arrays.asList(line.split("\\s{2,}"));
            // Recompute each printed cell from the JSON's raw numbers.
            assertThat(printed.get(2)).as(line).isEqualTo(Format.si(row.path("lookupsPerSecond").asDouble()));
            assertThat(printed.get(3)).as(line).isEqualTo(Format.ratio(number(row, "lookupsVsChm"), 1));
            assertThat(printed.get(5)).as(line).isEqualTo(Format.si(row.path("churnPerSecond").asDouble()));
            assertThat(printed.get(7)).as(line).isEqualTo(Format.ratio(number(row, "churnVsRw"), 1));
            assertThat(printed.get(8)).as(line).isEqualTo(Format.nanos(row.path("p99Nanos").asLong()));
            assertThat(printed.get(10)).as(line).isEqualTo(Format.count(row.path("blocksCreated").asDouble()));
            final long peak = row.path("pendingPeak").asLong();
            assertThat(printed.get(11)).as(line).isEqualTo(peak < 0 ? "GC" : Format.count(peak));
            assertThat(printed.get(13)).as(line).isEqualTo(Format.bytes(number(row, "bytesPerChurn")));
            assertThat(printed.get(15)).as(line).isEqualTo("0").isEqualTo(row.path("violations").asText());
            if (strategy.equals("CONCURRENT_HASH_MAP")) {
                assertThat(number(row, "lookupsVsChm")).as("the baseline against itself").isEqualTo(1.0);
            }
        }
        // Every measurement, with its timeline, is in the JSON too.
        final JsonNode phases = doc.path("phases");
        assertThat(phases).hasSize(2);
        assertThat(phases.get(0).path("run").path("measurements")).hasSize(5);
        assertThat(phases.get(0).path("run").path("measurements").get(0).path("result").path("timeline")
                .path("ticks").size()).isGreaterThan(1);
        final List<String> csv = Files.readAllLines(comparisonDir.resolve("results.csv"));
        assertThat(csv).hasSize(11);
        assertThat(csv.getFirst()).startsWith("phase,strategy,repetitions,lookupsPerSecond,");
    }

    private static double number(final JsonNode row, final String field) {
        final JsonNode n = row.path(field);
        return n.isNumber() ? n.asDouble() : Double.NaN; // "NaN" is written as a string
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--threads 0                      | --threads must be 1 to 64, was 0",
        "--threads many                   | '--threads': 'many' is not an int (--threads must be 1 to 64)",
        "--seconds 0.01                   | --seconds must be 0.1 to 3600, was 0.01",
        "--connections 2000000            | --connections must be 1 to 1,000,000, was 2000000",
        "--repetitions 21                 | --repetitions must be 1 to 20, was 21",
        "--strategies SMR,RW_LOCK         | expected one of [SMR_DEFAULT, SMR_LAZY, PSERIALIZE, RW_LOCK, CONCURRENT_HASH_MAP]",
        "--strategies RW_LOCK,RW_LOCK     | --strategies must be a comma-separated list of",
        "--no-such-option                 | Unknown option: '--no-such-option'",
        "churn --churn-window 0           | --churn-window must be 1 to 65,536, was 0",
        "flood --flood-ttl 100            | --flood-ttl must be 0.01 to 60, was 100.0",
        "hazard --dwell -5                | --dwell must be 0 to 100,000, was -5",
        "hazard --connections x           | '--connections': 'x' is not an int (--connections must be 1 to 1,000,000)",
        "bench --threads 65               | --threads must be 1 to 64, was 65",
        "bench --seconds 0                | --seconds must be 0.1 to 3600, was 0.0",
    })
    void aBadOptionGetsOneLineNamingItsRangeAndExitCode2(final String args, final String message) {
        final Run r = run(args.split(" "));
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines().toList()).as("one line").hasSize(1);
        assertThat(r.err()).startsWith("smr4j: ").contains(message).contains("--help")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "churn", "flood", "hazard", "bench"})
    void everyCommandsHelpExplainsTheCommonOptions(final String command) {
        final Run r = command.isEmpty() ? run("--help") : run(command, "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("--threads=N").contains("--seconds=S").contains("--connections=N")
                .contains("--strategies=S").contains("--out=DIR").contains("--jfr").contains("default:");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void theTopHelpListsTheSubcommands() {
        final Run r = run("--help");
        assertThat(r.out()).contains("churn ").contains("flood ").contains("hazard ").contains("bench ")
                .contains("Exit status: 0 done and correct, 1 a violation or a failure, 2 a bad option.");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void churnForksAJvmPerMeasurementAndReportsIt(@TempDir final Path dir) throws IOException {
        final Run r = run("churn", "--strategies", "SMR_LAZY,CONCURRENT_HASH_MAP", "--seconds", "0.3", "--warmup",
                "0.1", "--repetitions", "1", "--connections", "2000", "--jfr", "--out", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("each in its own JVM");
        assertThat(r.out()).containsPattern("churn\\s+SMR_LAZY\\s").containsPattern("churn\\s+CONCURRENT_HASH_MAP\\s")
                .doesNotContain("flood ").contains("flight recordings: 2 in " + dir.resolve("jfr"));
        assertThat(dir.resolve("jfr/churn-smr_lazy-r1.jfr")).isNotEmptyFile();
        final JsonNode doc = Json.MAPPER.readTree(dir.resolve("results.json").toFile());
        final JsonNode ms = doc.path("phases").get(0).path("run").path("measurements");
        assertThat(ms).hasSize(2);
        assertThat(ms.get(0).path("environment").path("pid").asLong())
                .isNotEqualTo(ms.get(1).path("environment").path("pid").asLong())
                .isNotEqualTo(ProcessHandle.current().pid());
        assertThat(doc.path("run").path("jfrFiles")).hasSize(2);
        assertThat(Files.readString(dir.resolve("index.html"))).contains("jfr/churn-smr_lazy-r1.jfr")
                .contains("one measurement in a JVM of its own").doesNotContain("throughput-flood.png");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void hazardCountsRecycledBlocksOnlyInTheControl(@TempDir final Path tmp) throws IOException {
        // --out names a directory that does not exist yet: the flight recording is written
        // before the report, so it must create it (it did not: "cannot write the flight recording").
        final Path dir = tmp.resolve("not-yet").resolve("hazard");
        final Run r = run("hazard", "--strategies", "SMR_DEFAULT,PSERIALIZE,CONCURRENT_HASH_MAP", "--seconds", "1",
                "--connections", "1000", "--dwell", "500", "--jfr", "--out", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        final JsonNode doc = Json.MAPPER.readTree(dir.resolve("results.json").toFile());
        final JsonNode results = doc.path("results");
        assertThat(results).extracting(n -> n.path("subject").asText()).containsExactly("SMR_DEFAULT", "PSERIALIZE",
                "CONCURRENT_HASH_MAP", "NO_DEFER", "DEFERRED");
        for (final JsonNode n : results) {
            final String s = n.path("subject").asText();
            assertThat(n.path("reads").asLong()).as(s).isPositive();
            assertThat(n.path("hits").asLong()).as(s).isPositive();
            if (s.equals("NO_DEFER")) {
                assertThat(n.path("actedOnRecycled").asLong()).as("the control must fire").isPositive();
            } else {
                assertThat(n.path("actedOnRecycled").asLong()).as(s).isZero();
            }
            if (!s.equals("PSERIALIZE")) {
                assertThat(n.path("sawRecycledRetried").asLong()).as(s + ": only pserialize retries").isZero();
            }
            if (s.equals("NO_DEFER") || s.equals("DEFERRED")) {
                // Both controls recycle blocks (so a zero for DEFERRED is not for want of reuse):
                // far fewer blocks than connections opened, established ones included.
                assertThat(n.path("blocksCreated").asLong()).as(s + " reuses blocks")
                        .isLessThan((1000 + n.path("churn").asLong()) / 2);
            }
        }
        assertThat(r.out()).containsPattern("NO_DEFER \\(control\\)\\s+.*the hazard, as expected")
                .contains("Every real strategy and the deferred control: 0 in")
                .contains("flight recording: " + dir.resolve("hazard.jfr"))
                .contains("jfr print --categories smr4j " + dir.resolve("hazard.jfr"));
        assertThat(dir.resolve("hazard.jfr")).isNotEmptyFile();
        // The recording holds smr4j's own events: the domains' periodic statistics (issue 10.3).
        assertThat(jdk.jfr.consumer.RecordingFile.readAllEvents(dir.resolve("hazard.jfr")))
                .anySatisfy(e -> assertThat(e.getEventType().getName()).isEqualTo("org.smr4j.SmrStatistics"));
        assertThat(ImageIO.read(dir.resolve("hazard.png").toFile())).isNotNull();
        assertThat(Files.readString(dir.resolve("index.html"))).contains("<img src=\"hazard.png\"");
    }

    @Test
    void benchWithoutItsJarSaysHowToBuildItAndExits1(@TempDir final Path dir) {
        final Run r = run("bench", "--jar", dir.resolve("missing.jar").toString(), "--out", dir.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().lines().filter(l -> l.startsWith("smr4j: no benchmark jar at ")).count()).isEqualTo(1);
        assertThat(r.err()).contains("./smr4j bench").doesNotContain("\tat ");
    }
}
