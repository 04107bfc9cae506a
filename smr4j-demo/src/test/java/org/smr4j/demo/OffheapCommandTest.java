package org.smr4j.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
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
import org.smr4j.demo.MainTest.Run;
import org.smr4j.demo.churn.Json;
import org.smr4j.demo.report.Format;
import org.smr4j.demo.report.OffheapReport;

/**
 * {@code smr4j offheap} run through {@link Main#execute} with a tiny configuration: a row per
 * strategy and none with a torn or foreign read, each strategy in a JVM of its own, the three
 * verdict lines, the report folder (valid PNGs, the JSON holds the printed figures, the CSV the
 * rows), one line and exit 2 for every bad option; and the negative control: the hidden
 * IMMEDIATE_REUSE strategy must be caught by the readers' check and make the command exit 1.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS) // every test and the shared run in @BeforeAll
class OffheapCommandTest {

    static final List<String> STRATEGIES = List.of("SMR_DEFAULT", "SMR_LAZY", "SHARED_ARENA", "AUTO_ARENA");

    /** The default strategies, each forked, tiny; shared by the tests below. */
    static Run offheap;
    static Path dir;

    @BeforeAll
    static void runTheCommandOnce(@TempDir final Path tmp) {
        dir = tmp.resolve("report");
        offheap = MainTest.run("offheap", "--seconds", "0.3", "--warmup", "0.1", "--threads", "1", "--connections",
                "2000", "--out", dir.toString());
    }

    @Test
    void itPrintsARowPerStrategyNoneTornAndTheVerdict() {
        assertThat(offheap.code()).as(offheap.err()).isZero();
        final List<String> lines = offheap.out().lines().toList();
        final String header = lines.stream().filter(l -> l.startsWith("strategy")).findFirst().orElseThrow();
        assertThat(header.split("\\s{2,}")).containsExactlyElementsOf(OffheapReport.HEADERS);
        for (final String s : STRATEGIES) {
            final List<String> row = lines.stream().filter(l -> l.startsWith(s + " ")).toList();
            assertThat(row).as(s).hasSize(1);
            final List<String> cells = Arrays.asList(row.getFirst().split("\\s{2,}"));
            assertThat(cells).as(s).hasSize(OffheapReport.HEADERS.size());
            assertThat(cells.get(7)).as(s + ": torn or foreign").isEqualTo("0");
        }
        assertThat(lines).filteredOn(l -> l.startsWith("Frees: SMR_")).hasSize(1);
        assertThat(lines).filteredOn(l -> l.startsWith("Bystander: an unrelated thread's loop took ")).hasSize(1);
        assertThat(lines).filteredOn(l -> l.startsWith("Memory: AUTO_ARENA held up to ")).hasSize(1);
        assertThat(offheap.out()).doesNotContain("IMMEDIATE_REUSE");
        assertThat(lines.getLast()).isEqualTo("report: " + dir.resolve("index.html"));
        assertThat(offheap.err()).contains("each in its own JVM").contains("offheap [------------------------------]   0%")
                .contains("offheap [##############################] 100%").contains("offheap 4/4  AUTO_ARENA");
    }

    @Test
    void eachStrategyRanInAJvmOfItsOwn() throws IOException {
        final JsonNode ms = Json.MAPPER.readTree(dir.resolve("results.json").toFile()).path("measurements");
        assertThat(ms).hasSize(4);
        final List<Long> pids = new ArrayList<>();
        for (final JsonNode m : ms) {
            assertThat(m.path("forked").asBoolean()).isTrue();
            assertThat(dir.resolve("forks").resolve(m.path("log").asText())).isRegularFile();
            pids.add(m.path("result").path("pid").asLong());
        }
        assertThat(pids).doesNotHaveDuplicates().doesNotContain(ProcessHandle.current().pid());
    }

    @Test
    void theHtmlReferencesChartsThatAreValidPngs() throws IOException {
        final String html = Files.readString(dir.resolve("index.html"));
        assertThat(html).startsWith("<!DOCTYPE html>").doesNotContain("http://").doesNotContain("https://")
                .contains("in a JVM of its own");
        final Matcher m = Pattern.compile("<img src=\"([^\"]+)\"").matcher(html);
        final List<String> charts = new ArrayList<>();
        while (m.find()) {
            charts.add(m.group(1));
        }
        assertThat(charts).containsExactly("rates.png", "bystander.png", "native.png");
        for (final String c : charts) {
            final Path png = dir.resolve(c);
            assertThat(Files.size(png)).as(c).isGreaterThan(1000);
            try (InputStream in = Files.newInputStream(png)) {
                assertThat(in.readNBytes(8)).as(c + ": the PNG signature").containsExactly(0x89, 'P', 'N', 'G', 0x0D,
                        0x0A, 0x1A, 0x0A);
            }
            final BufferedImage img = ImageIO.read(png.toFile());
            assertThat(img).as(c).isNotNull();
            assertThat(img.getWidth()).as(c).isEqualTo(1100);
            assertThat(img.getHeight()).as(c).isGreaterThanOrEqualTo(400);
        }
        for (final String f : List.of("results.json", "results.csv", "timeline.csv")) {
            assertThat(html).contains("href=\"" + f + "\"");
            assertThat(dir.resolve(f)).as(f).isNotEmptyFile();
        }
    }

    @Test
    void theJsonHoldsTheFiguresTheTablePrinted() throws IOException {
        final JsonNode doc = Json.MAPPER.readTree(dir.resolve("results.json").toFile());
        assertThat(doc.path("kind").asText()).isEqualTo("offheap");
        assertThat(doc.path("verdict")).hasSize(3);
        assertThat(doc.path("rows")).extracting(r -> r.path("strategy").asText()).containsExactlyElementsOf(STRATEGIES);
        final List<String> out = offheap.out().lines().toList();
        for (final JsonNode row : doc.path("rows")) {
            final String s = row.path("strategy").asText();
            final String line = out.stream().filter(l -> l.startsWith(s + " ")).findFirst().orElseThrow();
            final List<String> printed = Arrays.asList(line.split("\\s{2,}"));
            // Each printed cell, recomputed from the JSON's raw numbers.
            assertThat(printed.get(1)).as(line).isEqualTo(Format.si(row.path("freesPerSecond").asDouble()));
            assertThat(printed.get(2)).as(line).isEqualTo(OffheapReport.ratio(number(row, "freesVsShared")));
            assertThat(printed.get(3)).as(line).isEqualTo(OffheapReport.ratio(number(row, "freesVsAuto")));
            assertThat(printed.get(4)).as(line).isEqualTo(Format.si(row.path("readsPerSecond").asDouble()));
            assertThat(printed.get(6)).as(line).isEqualTo(OffheapReport.ratio(number(row, "readsVsAuto")));
            assertThat(printed.get(7)).as(line).isEqualTo(Format.count(row.path("tornOrForeign").asLong()));
            assertThat(printed.get(8)).as(line).isEqualTo(Format.count(row.path("refused").asLong()));
            assertThat(printed.get(9)).as(line).isEqualTo(OffheapReport.size(row.path("reservedPeakBytes").asLong()));
            assertThat(printed.get(11)).as(line).isEqualTo(OffheapReport.size(row.path("pendingPeakBytes").asLong()));
            assertThat(printed.get(13)).as(line).isEqualTo(Format.fmt("%.1f", number(row, "bystanderBesideNanos")));
            assertThat(printed.get(15)).as(line).isEqualTo(OffheapReport.ratio(number(row, "bystanderSlowdown")));
            // And the figures are the measurement's.
            assertThat(row.path("tornOrForeign").asLong()).as(s).isZero();
            assertThat(row.path("freesPerSecond").asDouble()).as(s).isPositive();
            assertThat(row.path("readsPerSecond").asDouble()).as(s).isPositive();
            assertThat(number(row, "bystanderAloneNanos")).as(s).isPositive();
            final long live = row.path("liveBytes").asLong();
            assertThat(live).isEqualTo(2000 * 64);
            assertThat(row.path("reservedPeakBytes").asLong()).as(s + ": the live blocks are reserved").isGreaterThanOrEqualTo(live);
            if (s.equals("SHARED_ARENA")) {
                assertThat(number(row, "freesVsShared")).as("the baseline against itself").isEqualTo(1.0);
                assertThat(row.path("reservedEndBytes").asLong()).as("closes free at once")
                        .isBetween(live, live + 64);
                assertThat(row.path("pendingPeakBytes").asLong()).isZero();
            }
            if (s.equals("AUTO_ARENA")) {
                assertThat(number(row, "freesVsAuto")).as("the baseline against itself").isEqualTo(1.0);
            }
        }
        final JsonNode first = doc.path("measurements").get(0).path("result");
        assertThat(first.path("timeline").size()).as("samples every 50 ms of 0.3 s").isGreaterThan(2);
        assertThat(doc.path("config").path("sessions").asInt()).isEqualTo(2000);
        final List<String> csv = Files.readAllLines(dir.resolve("results.csv"));
        assertThat(csv).hasSize(5);
        assertThat(csv.getFirst()).startsWith("strategy,freesPerSecond,freesVsShared,freesVsAuto,");
        assertThat(Files.readAllLines(dir.resolve("timeline.csv")).getFirst())
                .isEqualTo("strategy,seconds,frees,reservedBytes,pendingBytes");
    }

    private static double number(final JsonNode row, final String field) {
        final JsonNode n = row.path(field);
        return n.isNumber() ? n.asDouble() : Double.NaN; // "NaN" is written as a string
    }

    @Test
    void theNegativeControlIsCaughtAndExits1(@TempDir final Path tmp) throws IOException {
        // Blocks reused by the next replacement without waiting for readers: the readers' check
        // must see torn or foreign blocks, and the command must fail. SMR_DEFAULT beside it, in
        // the same JVM and with the same check, must see none.
        final Run r = MainTest.run("offheap", "--strategies", "IMMEDIATE_REUSE,SMR_DEFAULT", "--in-process",
                "--seconds", "0.5", "--warmup", "0", "--threads", "2", "--connections", "64", "--jfr", "--out",
                tmp.toString());
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(1);
        final JsonNode rows = Json.MAPPER.readTree(tmp.resolve("results.json").toFile()).path("rows");
        assertThat(rows.get(0).path("strategy").asText()).isEqualTo("IMMEDIATE_REUSE");
        assertThat(rows.get(0).path("tornOrForeign").asLong()).as("the control must be caught").isPositive();
        assertThat(rows.get(1).path("tornOrForeign").asLong()).as("SMR_DEFAULT").isZero();
        assertThat(r.out()).containsPattern("(?m)^!!! IMMEDIATE_REUSE: [0-9,]+ of [0-9,]+ reads saw a torn or foreign "
                + "block: .*That is the negative control");
        assertThat(r.err()).contains("smr4j: TORN OR FOREIGN READS").contains("all in this JVM (--in-process)")
                .doesNotContain("\tat ");
        assertThat(r.out()).contains("flight recording");
        assertThat(tmp.resolve("offheap.jfr")).isNotEmptyFile();
        assertThat(Files.readString(tmp.resolve("index.html"))).contains("Torn or foreign reads")
                .contains("in this JVM (--in-process)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--threads 0                        | --threads must be 1 to 64, was 0",
        "--threads many                     | '--threads': 'many' is not an int (--threads must be 1 to 64)",
        "--seconds 0.01                     | --seconds must be 0.1 to 3600, was 0.01",
        "--connections 0                    | --connections must be 1 to 1,000,000, was 0",
        "--connections x                    | '--connections': 'x' is not an int (--connections must be 1 to 1,000,000)",
        "--warmup 700                       | --warmup must be 0 to 600, was 700.0",
        "--strategies SMR,SHARED_ARENA      | --strategies must be a comma-separated list of SMR_DEFAULT, SMR_LAZY, "
                + "SHARED_ARENA, AUTO_ARENA, each at most once, was SMR,SHARED_ARENA",
        "--strategies AUTO_ARENA,auto_arena | --strategies must be a comma-separated list of SMR_DEFAULT, SMR_LAZY, "
                + "SHARED_ARENA, AUTO_ARENA, each at most once, was AUTO_ARENA,auto_arena",
        "--strategies=                      | --strategies must be a comma-separated list of",
        "--no-such-option                   | Unknown option: '--no-such-option'",
    })
    void aBadOptionGetsOneLineNamingItsRangeAndExitCode2(final String args, final String message) {
        final List<String> argv = new ArrayList<>(List.of("offheap"));
        argv.addAll(List.of(args.split(" ")));
        final Run r = MainTest.run(argv.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines().toList()).as("one line").hasSize(1);
        assertThat(r.err()).startsWith("smr4j: ").contains(message).contains("smr4j offheap --help")
                .doesNotContain("IMMEDIATE_REUSE").doesNotContain("PSERIALIZE").doesNotContain("Exception")
                .doesNotContain("\tat ");
    }

    @Test
    void itsHelpExplainsTheOptionsAndWhyAJvmEach() {
        final Run r = MainTest.run("offheap", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("--threads=N").contains("--seconds=S").contains("--connections=N")
                .contains("--strategies=S").contains("--out=DIR").contains("--jfr").contains("--in-process")
                .contains("default:").contains("Each strategy runs in a JVM of its own")
                .contains("SHARED_ARENA").contains("AUTO_ARENA").doesNotContain("IMMEDIATE_REUSE");
        assertThat(r.err()).isEmpty();
        assertThat(MainTest.run("--help").out()).contains("offheap ");
    }
}
