package org.smr4j.demo.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smr4j.demo.bench.BenchRun.Score;

/**
 * The bench subcommand's parsing and ratios, on the JSON result of a real short JMH run of
 * {@code LookupBenchmark} (src/test/resources/jmh-lookup-sample.json, made with
 * {@code ./smr4j bench --seconds 1 --strategies SMR_LAZY,RW_LOCK,CONCURRENT_HASH_MAP
 * --connections 10000}: its numbers are from a loaded machine and mean nothing here).
 */
class BenchRunTest {

    static String sample() throws IOException {
        try (InputStream in = BenchRunTest.class.getResourceAsStream("/jmh-lookup-sample.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void scoresGetThroughputRatiosToTheBaselinesOfTheSameRun() throws IOException {
        final List<Score> scores = BenchRun.parse(sample());
        assertThat(scores).extracting(Score::benchmark).containsExactly("LookupBenchmark.chmGet",
                "LookupBenchmark.lookup", "LookupBenchmark.lookup", "LookupBenchmark.lookup");
        final Score chmGet = scores.get(0);
        final Score lazy = scores.get(1);
        final Score rw = scores.get(2);
        final Score chm = scores.get(3);
        assertThat(chmGet.params()).containsExactly(Map.entry("connections", "10000"));
        assertThat(lazy.params()).containsEntry("strategy", "SMR_LAZY").containsEntry("operation", "lookup");
        assertThat(lazy.unit()).isEqualTo("ns/op");
        assertThat(lazy.mode()).isEqualTo("avgt");
        assertThat(lazy.score()).isCloseTo(98.79252182918718, within(1e-9));
        // Times per operation: the ratio is the baseline's time over this one's (throughput).
        assertThat(lazy.vsChmGet()).isCloseTo(chmGet.score() / lazy.score(), within(1e-12));
        assertThat(lazy.vsChm()).isCloseTo(chm.score() / lazy.score(), within(1e-12));
        assertThat(lazy.vsRw()).isCloseTo(rw.score() / lazy.score(), within(1e-12));
        assertThat(chm.vsChm()).as("a baseline against itself").isEqualTo(1.0);
        assertThat(chmGet.vsChmGet()).isEqualTo(1.0);
        assertThat(chmGet.vsChm()).as("chmGet has no strategy, so no sibling").isNaN();
        assertThat(lazy.error()).isPositive();
    }

    @Test
    void refusesWhatIsNotJmhOutput() {
        assertThatThrownBy(() -> BenchRun.parse("{}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an array");
        assertThatThrownBy(() -> BenchRun.parse("[{\"benchmark\":\"a.B.c\"}]"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no primaryMetric.score");
        assertThatThrownBy(() -> BenchRun.parse("[")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not JMH JSON");
    }

    @Test
    void theCommandLineCarriesTheChoices(@TempDir final Path dir) {
        final Map<String, String> p = new LinkedHashMap<>();
        p.put("strategy", "SMR_LAZY,RW_LOCK");
        p.put("connections", "5000");
        final BenchRun.Config cfg = new BenchRun.Config(dir.resolve("b.jar"), "LookupBenchmark", 2, 6, p,
                List.of("-XX:+UseZGC"), dir);
        final List<String> cmd = BenchRun.command(cfg, dir.resolve("r.json"));
        assertThat(cmd).containsSequence("-jar", dir.resolve("b.jar").toString(), "LookupBenchmark")
                .containsSequence("-i", "3", "-r", "2s").containsSequence("-t", "2")
                .containsSequence("-rf", "json", "-rff", dir.resolve("r.json").toString())
                .containsSequence("-p", "strategy=SMR_LAZY,RW_LOCK", "-p", "connections=5000")
                .containsSequence("-jvmArgsAppend", "--enable-native-access=ALL-UNNAMED -XX:+UseZGC");
        assertThat(new BenchRun.Config(dir, "x", 1, 0.2, Map.of(), List.of(), dir).iterationSeconds()).isEqualTo(1);
        assertThatThrownBy(() -> BenchRun.run(cfg, null, null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no benchmark jar at " + dir.resolve("b.jar"));
    }
}
