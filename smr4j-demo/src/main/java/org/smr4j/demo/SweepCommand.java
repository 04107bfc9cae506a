package org.smr4j.demo;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.smr4j.demo.churn.ChurnConfig;
import org.smr4j.demo.fork.FairHarness;
import org.smr4j.demo.report.Machine;
import org.smr4j.demo.report.SweepReport;
import org.smr4j.netinet.ConnectionTable.Strategy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code smr4j sweep} (issue 12, point 2): maps the trade-off between write throughput and the
 * memory held for readers. For every combination of lookup threads ({@code --lookup-threads},
 * default 1, 2, 4, 8), churn threads ({@code --churn-thread-counts}, default 1, 2) and pending
 * limits ({@code --pending-limits}, default 1,024, 4,096, 16,384, 65,536) it runs the churn
 * workload for every strategy through {@link FairHarness} (a JVM per measurement, repetitions
 * interleaved, the load recorded, one seed), and writes one report ({@link SweepReport}:
 * {@code index.html} with a chart of churn/s against pending memory per strategy,
 * {@code results.json}, {@code results.csv}, {@code measurements.csv}). The collected
 * strategies ({@code RW_LOCK}, {@code CONCURRENT_HASH_MAP}) ignore the pending limit, so they
 * are measured once per thread combination, at the first limit.
 *
 * <p>The full sweep (about 112 measurements per repetition, some 7 minutes each repetition on
 * a 2-core machine with the defaults) is {@code ./smr4j sweep}; {@code --short} is a tiny
 * configuration for tests and quick looks (1 and 2 lookup threads, 1 churn thread, limits
 * 1,024 and 4,096).
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Maps what each kilobyte of bounded memory buys: the churn workload over lookup threads x churn "
                + "threads x pending limits, for every strategy, each measurement in its own JVM. Prints one row per "
                + "measurement cell; writes an HTML report with a chart of churn/s against pending memory per "
                + "strategy, and JSON and CSV.", ""})
final class SweepCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ParentCommand
    Main main;

    @Mixin
    Options.Common common;

    @Mixin
    Options.Fair fair;

    @Option(names = "--lookup-threads", order = 40, paramLabel = "N", split = ",", description = "Lookup thread counts "
            + "to sweep (each 1 to 64; default: 1,2,4,8).")
    List<Integer> lookupThreads;

    @Option(names = "--churn-thread-counts", order = 41, paramLabel = "N", split = ",", description = "Churn thread "
            + "counts to sweep (each 1 to 16; default: 1,2).")
    List<Integer> churnThreads;

    @Option(names = "--pending-limits", order = 42, paramLabel = "N", split = ",", description = "Pending limits to "
            + "sweep (each 1 to 1,048,576; default: 1024,4096,16384,65536).")
    List<Integer> pendingLimits;

    @Option(names = "--short", order = 43, description = "A tiny sweep for tests: lookup threads 1,2, churn threads 1, "
            + "limits 1024,4096 (unless given), 10,000 connections.")
    boolean small;

    /** The default grid of the issue. */
    static final List<Integer> LOOKUP_THREADS_DEFAULT = List.of(1, 2, 4, 8);
    static final List<Integer> CHURN_THREADS_DEFAULT = List.of(1, 2);
    static final List<Integer> PENDING_LIMITS_DEFAULT = List.of(1_024, 4_096, 16_384, 65_536);

    @Override
    public Integer call() {
        for (final String[] o : new String[][] {{"--threads", "--lookup-threads"}, {"--pending-limit", "--pending-limits"}}) {
            if (spec.commandLine().getParseResult().hasMatchedOption(o[0])) {
                throw new CommandLine.ParameterException(spec.commandLine(), o[0] + " does not apply to sweep: use "
                        + o[1] + " (a comma-separated list)");
            }
        }
        final List<Integer> lookups = check("--lookup-threads", lookupThreads,
                small ? List.of(1, 2) : LOOKUP_THREADS_DEFAULT, 1, 64);
        final List<Integer> churns = check("--churn-thread-counts", churnThreads,
                small ? List.of(1) : CHURN_THREADS_DEFAULT, 1, 16);
        final List<Integer> limits = check("--pending-limits", pendingLimits,
                small ? List.of(1_024, 4_096) : PENDING_LIMITS_DEFAULT, 1, 1 << 20);
        final List<Strategy> strategies = common.strategies();
        final List<Strategy> pooled = strategies.stream().filter(SweepReport::pooled).toList();
        final List<Strategy> collected = strategies.stream().filter(s -> !SweepReport.pooled(s)).toList();
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Instant started = Instant.now();
        final long t0 = System.nanoTime();
        final Machine machine = Machine.probe();
        final java.nio.file.Path dir = Main.reportDir(common.out, "sweep");
        final List<String> jvm = new ArrayList<>(FairHarness.DEFAULT_JVM_OPTIONS);
        jvm.addAll(fair.jvmOptions);
        final int connections = small && !connectionsGiven() ? 10_000 : common.connections;
        final int cellCount = lookups.size() * churns.size() * limits.size();
        err.printf("smr4j sweep on %s: %d lookup x %d churn thread counts x %d pending limits, %d strategies, %d "
                        + "repetition(s), %s%n", machine.summary(), lookups.size(), churns.size(), limits.size(),
                strategies.size(), fair.repetitions, fair.inProcess ? "all in this JVM (--in-process)"
                        : "each measurement in its own JVM");
        final List<SweepReport.Cell> cells = new ArrayList<>();
        int done = 0;
        for (final int l : lookups) {
            for (final int c : churns) {
                for (int li = 0; li < limits.size(); li++) {
                    final int limit = limits.get(li);
                    final List<Strategy> here = new ArrayList<>(pooled);
                    if (li == 0) {
                        here.addAll(collected); // the pending limit means nothing to them
                    }
                    done++;
                    if (here.isEmpty()) {
                        continue;
                    }
                    final ChurnConfig cfg = ChurnConfig.builder().strategies(here).connections(connections)
                            .lookupThreads(l).churnThreads(c).flood(false).pendingLimit(limit)
                            .warmup(Main.seconds(fair.warmup)).duration(Main.seconds(common.seconds)).seed(common.seed)
                            .progressEvery(java.time.Duration.ZERO).build();
                    final String label = "sweep-l" + l + "-c" + c + "-p" + limit;
                    final FairHarness.FairRun run = FairHarness.run(new FairHarness.Plan(label, cfg, fair.repetitions,
                            !fair.inProcess, jvm, dir.resolve("forks"), null), FairHarness.Progress.NONE);
                    final SweepReport.Cell cell = new SweepReport.Cell(l, c, limit, run);
                    cells.add(cell);
                    err.printf("sweep %3d/%d  %s%n", done, cellCount, cell.summary());
                    err.flush();
                }
            }
        }
        final SweepReport.Sweep sweep = SweepReport.Sweep.of(cells);
        final java.nio.file.Path html = SweepReport.write(dir, sweep, Main.runInfo(spec, started, t0, machine, List.of()));
        out.println();
        out.print(sweep.text());
        out.println();
        out.println("report: " + html);
        out.flush();
        if (sweep.violations() > 0) {
            err.println("smr4j: " + sweep.violations() + " VIOLATIONS in the sweep; see " + html);
            return 1;
        }
        return 0;
    }

    private boolean connectionsGiven() {
        return spec.commandLine().getParseResult().hasMatchedOption("--connections");
    }

    private List<Integer> check(final String option, final List<Integer> given, final List<Integer> dflt,
            final int min, final int max) {
        if (given == null) {
            return dflt;
        }
        if (given.isEmpty() || given.stream().distinct().count() != given.size()
                || given.stream().anyMatch(v -> v < min || v > max)) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " must be a comma-separated list of "
                    + "distinct values, each " + min + " to " + max + ", was " + given);
        }
        return List.copyOf(given);
    }
}
