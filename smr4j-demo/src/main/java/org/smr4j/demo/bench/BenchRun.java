package org.smr4j.demo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.smr4j.demo.churn.Json;

/**
 * The {@code bench} subcommand's engine: a short run of chosen JMH benchmarks from
 * smr4j-bench's {@code target/benchmarks.jar} in a child JVM (JMH forks its own JVMs from
 * there), its JSON result parsed, and every score set against the baselines measured in the
 * same run.
 *
 * <p>Baselines: a result's <em>reference</em> is the result of the same benchmark class and
 * the same parameters except {@code strategy}, for each baseline strategy
 * ({@code CONCURRENT_HASH_MAP}, {@code RW_LOCK}); and the class's {@code chmGet} (a bare
 * {@code ConcurrentHashMap.get} of the same keys) with the same {@code connections}. Scores
 * are times per operation, so a ratio is written as throughput: the baseline's score over
 * this one's (above 1: faster than the baseline).
 */
public final class BenchRun {

    /** The benchmarks run unless told otherwise: the connection table's lookup and its baseline. */
    public static final String DEFAULT_BENCHMARKS = "netinet\\.LookupBenchmark\\.(chmGet|lookup)$";

    private BenchRun() {
    }

    /**
     * What to run.
     *
     * @param jar smr4j-bench's {@code benchmarks.jar}
     * @param benchmarks a JMH include pattern
     * @param threads benchmark threads ({@code -t})
     * @param seconds measured seconds per benchmark (split into three iterations)
     * @param params JMH parameters ({@code -p name=v1,v2}), in order
     * @param jvmOptions added to every JMH fork ({@code -jvmArgsAppend}); empty for none
     * @param dir where JMH's result and log go
     */
    public record Config(Path jar, String benchmarks, int threads, double seconds, Map<String, String> params,
            List<String> jvmOptions, Path dir) {

        /** Copies the collections. */
        public Config {
            Objects.requireNonNull(jar, "jar");
            Objects.requireNonNull(benchmarks, "benchmarks");
            params = new LinkedHashMap<>(params);
            jvmOptions = List.copyOf(jvmOptions);
        }

        /** @return JMH's measurement time per iteration, whole seconds, at least 1 */
        public int iterationSeconds() {
            return Math.max(1, (int) Math.round(seconds / 3));
        }
    }

    /**
     * One JMH result with its ratios.
     *
     * @param benchmark the method, e.g. {@code LookupBenchmark.lookup}
     * @param params its parameters
     * @param mode JMH's mode ({@code avgt})
     * @param threads threads
     * @param score the score
     * @param error the 99.9% confidence half-width JMH reports (NaN with too few iterations)
     * @param unit the score's unit, e.g. {@code ns/op}
     * @param vsChmGet throughput over {@code chmGet}'s with the same connections (NaN: none)
     * @param vsChm throughput over the {@code CONCURRENT_HASH_MAP} strategy's (NaN: none)
     * @param vsRw throughput over the {@code RW_LOCK} strategy's (NaN: none)
     */
    public record Score(String benchmark, Map<String, String> params, String mode, int threads, double score,
            double error, String unit, double vsChmGet, double vsChm, double vsRw) {

        /** Copies the map, sorted by name. */
        public Score {
            params = new TreeMap<>(params);
        }
    }

    /**
     * The command line of the child JVM.
     *
     * @param cfg the configuration
     * @param result where JMH writes its JSON result
     * @return the command
     */
    public static List<String> command(final Config cfg, final Path result) {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-jar");
        cmd.add(cfg.jar().toString());
        cmd.add(cfg.benchmarks());
        cmd.addAll(List.of("-f", "1", "-wi", "2", "-w", "1s", "-i", "3", "-r", cfg.iterationSeconds() + "s"));
        cmd.addAll(List.of("-t", Integer.toString(cfg.threads()), "-foe", "true", "-rf", "json", "-rff",
                result.toString()));
        for (final Map.Entry<String, String> p : cfg.params().entrySet()) {
            cmd.add("-p");
            cmd.add(p.getKey() + "=" + p.getValue());
        }
        if (!cfg.jvmOptions().isEmpty()) {
            // -jvmArgsAppend replaces the classes' @Fork(jvmArgsAppend): repeat native access.
            final List<String> append = new ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED"));
            append.addAll(cfg.jvmOptions());
            cmd.add("-jvmArgsAppend");
            cmd.add(String.join(" ", append));
        }
        return cmd;
    }

    private static final Pattern FORK = Pattern.compile("^# Run progress: ([0-9.]+)% complete");

    /**
     * Runs the benchmarks.
     *
     * @param cfg what to run
     * @param progress told the fraction done, from JMH's "Run progress" lines, or null
     * @param echo told each benchmark's name and parameters as it starts, or null
     * @return the scores with their ratios
     * @throws IllegalStateException if JMH fails or writes no result
     */
    public static List<Score> run(final Config cfg, final DoubleConsumer progress, final Consumer<String> echo) {
        if (!Files.isRegularFile(cfg.jar())) {
            throw new IllegalStateException("no benchmark jar at " + cfg.jar()
                    + ": build it with ./smr4j bench (the wrapper builds smr4j-bench for this subcommand) or "
                    + "mvn -pl smr4j-bench -am package -DskipTests -Djmh.skip=true");
        }
        try {
            Files.createDirectories(cfg.dir());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create " + cfg.dir(), e);
        }
        final Path result = cfg.dir().resolve("jmh.json");
        final Path log = cfg.dir().resolve("jmh.log");
        final List<String> cmd = command(cfg, result);
        final int exit;
        try {
            Files.deleteIfExists(result);
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8)); PrintStream out = new PrintStream(Files.newOutputStream(log), true,
                            StandardCharsets.UTF_8)) {
                String line;
                while ((line = in.readLine()) != null) {
                    out.println(line);
                    final Matcher m = FORK.matcher(line);
                    if (m.find() && progress != null) {
                        progress.accept(Double.parseDouble(m.group(1)) / 100);
                    }
                    if (echo != null && line.startsWith("# Benchmark: ")) {
                        echo.accept("  " + line.substring(2));
                    }
                    if (echo != null && line.startsWith("# Parameters: ")) {
                        echo.accept("    " + line.substring(2));
                    }
                }
            }
            exit = p.waitFor();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot run JMH: " + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while JMH ran", e);
        }
        if (exit != 0 || !Files.isRegularFile(result)) {
            throw new IllegalStateException("JMH failed (exit " + exit + "); its log: " + log);
        }
        if (progress != null) {
            progress.accept(1.0);
        }
        try {
            return parse(Files.readString(result, StandardCharsets.UTF_8));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + result, e);
        }
    }

    /**
     * Parses JMH's JSON result format ({@code -rf json}) and computes the ratios.
     *
     * @param json the file's content
     * @return one score per result, in JMH's order
     * @throws IllegalArgumentException if it is not JMH's format
     */
    public static List<Score> parse(final String json) {
        final JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (final IOException e) {
            throw new IllegalArgumentException("not JMH JSON: " + e.getMessage(), e);
        }
        if (!root.isArray()) {
            throw new IllegalArgumentException("not JMH JSON: the top level is not an array");
        }
        final List<Score> raw = new ArrayList<>();
        for (final JsonNode n : root) {
            final String full = n.path("benchmark").asText();
            final String[] parts = full.split("\\.");
            final String name = parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : full;
            final Map<String, String> params = new LinkedHashMap<>();
            final JsonNode ps = n.path("params");
            for (final Map.Entry<String, JsonNode> e : ps.properties()) {
                params.put(e.getKey(), e.getValue().asText());
            }
            final JsonNode pm = n.path("primaryMetric");
            if (!pm.has("score")) {
                throw new IllegalArgumentException("not JMH JSON: " + full + " has no primaryMetric.score");
            }
            final double error = pm.path("scoreError").isNumber() ? pm.path("scoreError").asDouble() : Double.NaN;
            raw.add(new Score(name, params, n.path("mode").asText(), n.path("threads").asInt(),
                    pm.path("score").asDouble(), error, pm.path("scoreUnit").asText(), Double.NaN, Double.NaN,
                    Double.NaN));
        }
        final List<Score> out = new ArrayList<>();
        for (final Score s : raw) {
            out.add(new Score(s.benchmark(), s.params(), s.mode(), s.threads(), s.score(), s.error(), s.unit(),
                    ratio(s, chmGet(raw, s)), ratio(s, sibling(raw, s, "CONCURRENT_HASH_MAP")),
                    ratio(s, sibling(raw, s, "RW_LOCK"))));
        }
        return out;
    }

    /** Throughput ratio: for a time per operation, base / score; for a rate, score / base. */
    private static double ratio(final Score s, final Score base) {
        if (base == null || !(s.score() > 0) || !(base.score() > 0)) {
            return Double.NaN;
        }
        final boolean time = s.unit().endsWith("/op");
        return time ? base.score() / s.score() : s.score() / base.score();
    }

    private static Score chmGet(final List<Score> raw, final Score s) {
        final String cls = s.benchmark().substring(0, s.benchmark().indexOf('.') + 1);
        for (final Score r : raw) {
            if (r.benchmark().equals(cls + "chmGet") && r.threads() == s.threads()
                    && Objects.equals(r.params().get("connections"), s.params().get("connections"))) {
                return r;
            }
        }
        return null;
    }

    private static Score sibling(final List<Score> raw, final Score s, final String strategy) {
        if (!s.params().containsKey("strategy")) {
            return null;
        }
        final Map<String, String> want = new TreeMap<>(s.params());
        want.put("strategy", strategy);
        for (final Score r : raw) {
            if (r.benchmark().equals(s.benchmark()) && r.threads() == s.threads() && r.params().equals(want)) {
                return r;
            }
        }
        return null;
    }
}
