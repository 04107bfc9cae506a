package org.smr4j.demo;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.smr4j.demo.bench.BenchRun;
import org.smr4j.demo.report.BenchReport;
import org.smr4j.demo.report.Machine;
import org.smr4j.netinet.ConnectionTable.Strategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code smr4j bench}: a short run of chosen JMH benchmarks from smr4j-bench's
 * {@code target/benchmarks.jar}, printing each score with its ratios to the baselines of the
 * same run ({@link BenchRun}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"A short JMH run of smr4j-bench's benchmarks (by default the connection table's lookup, "
                + "every strategy, and a bare ConcurrentHashMap.get of the same keys), one fork each, with ratios "
                + "to the baselines of the same run. A first look: real measurements are in smr4j-bench/README.md. "
                + "Needs smr4j-bench/target/benchmarks.jar (./smr4j bench builds it).", ""})
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ParentCommand
    Main main;

    private int threads = 1;
    private double seconds = 3;
    private int connections = 100_000;

    @Option(names = "--threads", order = 1, paramLabel = "N", description = "Benchmark threads, JMH's -t (1 to 64; "
            + "default: 1).")
    void threads(final int n) {
        threads = Options.checkInt(spec, "--threads", n, 1, 64);
    }

    @Option(names = "--seconds", order = 2, paramLabel = "S", description = "Measured seconds per benchmark, in three "
            + "iterations of whole seconds, after 2 x 1 s of warm-up (0.1 to 3600; default: 3).")
    void seconds(final double s) {
        seconds = Options.checkDouble(spec, "--seconds", s, 0.1, 3600);
    }

    @Option(names = "--connections", order = 3, paramLabel = "N", description = "Established connections, the benchmarks' "
            + "connections parameter (1 to 1,000,000; default: 100,000).")
    void connections(final int n) {
        connections = Options.checkInt(spec, "--connections", n, 1, 1_000_000);
    }

    @Option(names = "--strategies", order = 4, paramLabel = "S", split = ",", description = "The strategy parameter's "
            + "values (default: all five).")
    List<Strategy> strategyOption;

    @Option(names = "--benchmarks", order = 21, paramLabel = "REGEX", description = "JMH's include pattern (default: "
            + BenchRun.DEFAULT_BENCHMARKS + "); e.g. SectionBenchmark for the cost of a read section per mode.")
    String benchmarks = BenchRun.DEFAULT_BENCHMARKS;

    @Option(names = "--param", order = 22, paramLabel = "NAME=V1,V2", description = "Another JMH parameter, e.g. "
            + "--param operation=lookup,read (default for LookupBenchmark: operation=lookup); repeatable.")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--jar", order = 23, paramLabel = "FILE", description = "The benchmark jar (default: "
            + "smr4j-bench/target/benchmarks.jar of this checkout).")
    Path jar;

    @Option(names = "--out", order = 30, paramLabel = "DIR", description = "Folder for the report (default: "
            + "smr4j-reports/<time>-bench under the current folder).")
    Path out;

    @Option(names = "--jfr", order = 31, description = "Record each JMH fork with Java Flight Recorder, into the report "
            + "folder, and print where the recordings are.")
    boolean jfr;

    /** @return the benchmark jar: --jar, else relative to smr4j.home or to this jar */
    Path jar() {
        if (jar != null) {
            return jar.toAbsolutePath();
        }
        final String home = System.getProperty("smr4j.home");
        if (home != null) {
            return Path.of(home, "smr4j-bench", "target", "benchmarks.jar");
        }
        try {
            final Path self = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // <root>/smr4j-demo/target/smr4j-demo.jar, or <root>/smr4j-demo/target/classes
            return self.getParent().getParent().getParent().resolve("smr4j-bench/target/benchmarks.jar");
        } catch (final java.net.URISyntaxException | RuntimeException e) {
            return Path.of("smr4j-bench", "target", "benchmarks.jar").toAbsolutePath();
        }
    }

    @Override
    public Integer call() {
        final PrintWriter o = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Instant started = Instant.now();
        final long t0 = System.nanoTime();
        final Machine machine = Machine.probe();
        final Path dir = Main.reportDir(out, "bench");
        final Map<String, String> p = new LinkedHashMap<>();
        p.put("strategy", Options.strategies(spec, strategyOption).stream().map(Strategy::name).collect(Collectors.joining(",")));
        p.put("connections", Integer.toString(connections));
        if (benchmarks.equals(BenchRun.DEFAULT_BENCHMARKS)) {
            p.put("operation", "lookup");
        }
        p.putAll(params);
        final List<String> jvm = new ArrayList<>();
        if (jfr) {
            jvm.add("-XX:StartFlightRecording=filename=" + dir.resolve("jfr").resolve("bench-%p.jfr"));
        }
        final BenchRun.Config cfg = new BenchRun.Config(jar(), benchmarks, threads, seconds, p, jvm, dir);
        err.printf("smr4j: bench %s on %s, from %s%n", benchmarks, machine.summary(), cfg.jar());
        if (jfr) {
            try {
                Files.createDirectories(dir.resolve("jfr"));
            } catch (final java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot create " + dir.resolve("jfr"), e);
            }
        }
        final ProgressBar bar = new ProgressBar(err, "bench", main.terminal);
        final List<BenchRun.Score> scores = BenchRun.run(cfg, bar, bar::message);
        bar.done();
        final List<String> jfrFiles = new ArrayList<>();
        if (jfr) {
            try (var files = Files.list(dir.resolve("jfr"))) {
                files.sorted().forEach(f -> jfrFiles.add(dir.relativize(f).toString()));
            } catch (final java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot list " + dir.resolve("jfr"), e);
            }
        }
        final Path html = BenchReport.write(dir, cfg, BenchRun.command(cfg, dir.resolve("jmh.json")), scores,
                Main.runInfo(spec, started, t0, machine, jfrFiles));
        o.println();
        o.print(BenchReport.text(scores));
        o.println();
        o.println("report: " + html);
        if (!jfrFiles.isEmpty()) {
            o.println("flight recordings: " + jfrFiles.size() + " in " + dir.resolve("jfr"));
        }
        o.flush();
        return 0;
    }
}
