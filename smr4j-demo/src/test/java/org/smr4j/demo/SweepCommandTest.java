package org.smr4j.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.smr4j.demo.churn.Json;
import org.smr4j.demo.report.SweepReport;

/**
 * {@code smr4j sweep --short}, in this JVM with a tiny configuration: a row per strategy and
 * cell (the collected strategies once per thread combination), the report folder (a chart per
 * strategy and per thread combination, each a PNG; JSON and CSV with the rows), zero
 * violations, and a bad grid refused with exit status 2.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SweepCommandTest {

    @Test
    void aShortSweepWritesTheTableAndTheReport(@TempDir final Path dir) throws IOException {
        final Path out = dir.resolve("sweep");
        final StringWriter o = new StringWriter();
        final StringWriter e = new StringWriter();
        final int code = Main.execute(new String[] {"sweep", "--short", "--in-process", "--seconds", "0.2", "--warmup",
            "0", "--repetitions", "1", "--connections", "1000", "--lookup-threads", "1", "--pending-limits",
            "1024,4096", "--out", out.toString()}, new PrintWriter(o, true), new PrintWriter(e, true), false);
        assertThat(code).as(e.toString()).isZero();
        final List<String> lines = o.toString().lines().toList();
        assertThat(lines.stream().filter(l -> l.startsWith("lookup thr")).findFirst().orElseThrow().split("\\s{2,}"))
                .containsExactlyElementsOf(SweepReport.HEADERS);
        // 1 lookup x 1 churn x 2 limits: 3 pooled strategies each, the 2 collected ones once.
        for (final String s : List.of("SMR_DEFAULT", "SMR_LAZY", "PSERIALIZE")) {
            assertThat(lines).as(s).filteredOn(l -> l.contains(" " + s + " ")).hasSize(2);
        }
        for (final String s : List.of("RW_LOCK", "CONCURRENT_HASH_MAP")) {
            assertThat(lines).as(s).filteredOn(l -> l.contains(" " + s + " ")).hasSize(1);
        }
        assertThat(lines.getLast()).isEqualTo("report: " + out.resolve("index.html"));
        assertThat(e.toString()).contains("sweep   1/2").contains("sweep   2/2");

        final String html = Files.readString(out.resolve("index.html"));
        for (final String png : List.of("sweep-smr_default.png", "sweep-smr_lazy.png", "sweep-pserialize.png",
                "sweep-rw_lock.png", "sweep-concurrent_hash_map.png", "sweep-threads-1.png")) {
            assertThat(html).contains("<img src=\"" + png + "\"");
            final byte[] magic = Files.readAllBytes(out.resolve(png));
            assertThat(magic.length).as(png).isGreaterThan(1000);
            assertThat(magic[1]).as(png).isEqualTo((byte) 'P');
        }
        final JsonNode json = Json.MAPPER.readTree(out.resolve("results.json").toFile());
        assertThat(json.get("kind").asText()).isEqualTo("sweep");
        assertThat(json.get("rows")).hasSize(8);
        for (final JsonNode row : json.get("rows")) {
            assertThat(row.get("violations").asLong()).isZero();
            assertThat(row.get("churnPerSecond").asDouble()).isPositive();
            if (row.get("strategy").asText().startsWith("SMR")) {
                assertThat(row.get("pendingPeak").asLong()).as("pending never above the limit")
                        .isLessThanOrEqualTo(row.get("pendingLimit").asLong());
                assertThat(row.get("pendingBytes").asDouble()).isNotNegative();
            }
        }
        assertThat(Files.readAllLines(out.resolve("results.csv"))).hasSize(9);
        assertThat(Files.readAllLines(out.resolve("measurements.csv"))).hasSize(9);
    }

    @Test
    void aBadGridIsRefusedWithStatus2() {
        final StringWriter e = new StringWriter();
        final int code = Main.execute(new String[] {"sweep", "--pending-limits", "0,4096"},
                new PrintWriter(new StringWriter(), true), new PrintWriter(e, true), false);
        assertThat(code).isEqualTo(2);
        assertThat(e.toString()).contains("--pending-limits must be").contains("was [0, 4096]");
        final StringWriter e2 = new StringWriter();
        assertThat(Main.execute(new String[] {"sweep", "--threads", "2"}, new PrintWriter(new StringWriter(), true),
                new PrintWriter(e2, true), false)).isEqualTo(2);
        assertThat(e2.toString()).contains("--threads does not apply to sweep: use --lookup-threads");
    }
}
