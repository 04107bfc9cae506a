package org.smr4j.demo;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import org.smr4j.demo.churn.ChurnConfig;
import org.smr4j.demo.fork.FairHarness;
import org.smr4j.demo.offheap.OffheapConfig;
import org.smr4j.demo.offheap.OffheapResult;
import org.smr4j.demo.offheap.OffheapRun;
import org.smr4j.demo.offheap.OffheapStrategy;
import org.smr4j.demo.report.Format;
import org.smr4j.demo.report.Machine;
import org.smr4j.demo.report.OffheapReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code smr4j offheap}: how should a JVM server free native memory that many threads read?
 * A session cache in native memory ({@link OffheapRun}) under an {@code SmrArena} (default and
 * lazy SMR), one {@code Arena.ofShared()} per block, and one {@code Arena.ofAuto()} per block,
 * each strategy in its own JVM; one table, a three-line verdict and an HTML report. Exit status
 * 1 if a reader saw a torn or foreign block in any strategy.
 *
 * <p>The options follow the other commands' contract (same names, same ranges, one line and
 * exit 2 for a bad one), but {@code --strategies} takes this command's own list, and
 * {@code --connections} is the number of sessions (native blocks).
 */
@Command(name = "offheap", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"How should a JVM server free native memory that many threads read? A session cache in "
                + "native memory: --connections blocks (one per session, with its id and a checksum), --threads "
                + "readers that read random blocks and check them, and one writer that replaces random blocks as "
                + "fast as it can (allocate, publish, free the old one) through an SmrArena (SMR_DEFAULT, SMR_LAZY), "
                + "one Arena.ofShared() per block closed to free it (SHARED_ARENA), or one Arena.ofAuto() per block "
                + "left to the garbage collector (AUTO_ARENA). Beside them an unrelated bystander thread runs a loop "
                + "of its own; its time per iteration (the wall time of its median batch, which counts a "
                + "handshake's stall and leaves out being descheduled), against the same loop alone, shows what "
                + "each way of freeing costs other threads.",
            "",
            "Each strategy runs in a JVM of its own (as the churn and flood commands and JMH do): in one JVM the "
                    + "strategies would share the reader and writer loops' JIT profile, the automatic arenas' "
                    + "garbage and native memory would be collected during the next strategy's measurement, and "
                    + "the shared arena's handshakes deoptimise frames the next one would recompile. "
                    + "--in-process runs them all in this JVM, for quick looks and tests.",
            "",
            "Prints the table (frees/s, reads/s, torn or foreign reads, refused reads, native bytes, the "
                    + "bystander's slowdown; ratios to SHARED_ARENA and AUTO_ARENA) and the verdict, and writes "
                    + "the HTML report (charts, JSON, CSV). About 25 s on a 2-core machine with the defaults.",
            ""})
final class OffheapCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ParentCommand
    Main main;

    private int threads = 1;
    private double seconds = 3;
    private int connections = 100_000;
    private double warmup = 0.5;
    private long seed = ChurnConfig.SEED_DEFAULT;

    @Option(names = "--threads", order = 1, paramLabel = "N", description = "Reader threads (1 to 64; default: 1). "
            + "With the writer and the bystander that makes more threads than this machine's 2 cores, as on a "
            + "busy server. Each reader more leaves a shared arena's close waiting longer for descheduled threads "
            + "to reach a safepoint: it then closes fewer arenas per second and so disturbs the bystander less. "
            + "The default is the shared arena's best case for its frees and the bystander's worst.")
    void threads(final int n) {
        threads = Options.checkInt(spec, "--threads", n, 1, 64);
    }

    @Option(names = "--seconds", order = 2, paramLabel = "S", description = "Measured seconds per strategy "
            + "(0.1 to 3600; default: 3).")
    void seconds(final double s) {
        seconds = Options.checkDouble(spec, "--seconds", s, 0.1, 3600);
    }

    @Option(names = "--connections", order = 3, paramLabel = "N", description = "Sessions: native blocks of "
            + "64 bytes in the cache, one per session (1 to 1,000,000; default: 100,000).")
    void connections(final int n) {
        connections = Options.checkInt(spec, "--connections", n, 1, 1_000_000);
    }

    // A list of strings checked in call(), not an enum list: the negative control is accepted but
    // not listed, and a bad name must get this command's range, not picocli's list of constants.
    @Option(names = "--strategies", order = 4, paramLabel = "S", split = ",", description = "Strategies to compare, "
            + "in this order (default: all): SMR_DEFAULT (an SmrArena over smr(9)), SMR_LAZY (over smr lazy), "
            + "SHARED_ARENA (one Arena.ofShared() per block, freed by close()), AUTO_ARENA (one Arena.ofAuto() "
            + "per block, freed by the garbage collector). Ratios need the last two.")
    List<String> strategyNames;

    @Option(names = "--warmup", order = 5, paramLabel = "S", description = "Unmeasured seconds per strategy with "
            + "the readers and the writer running, before the measured time (0 to 600; default: 0.5).")
    void warmup(final double s) {
        warmup = Options.checkDouble(spec, "--warmup", s, 0, 600);
    }

    @Option(names = "--in-process", order = 6, description = "Measure every strategy in this JVM, one after "
            + "another, instead of a JVM each: starts faster, but unfair to the later strategies (see above).")
    boolean inProcess;

    @Option(names = "--jvm-option", order = 7, paramLabel = "OPT", description = "An option for every measuring JVM, "
            + "after the defaults (-Xms1g -Xmx1g -XX:+UseG1GC --enable-native-access=ALL-UNNAMED); repeat for "
            + "several, e.g. --jvm-option=-XX:+UseZGC.")
    List<String> jvmOptions = new ArrayList<>();

    @Option(names = "--seed", order = 20, paramLabel = "N", description = "Seed of the session ids and of the "
            + "readers' and writer's random choices; the same in every JVM (default: 0x5EED = 24301).")
    void seed(final long s) {
        seed = s;
    }

    @Option(names = "--out", order = 30, paramLabel = "DIR", description = "Folder for the report (default: "
            + "smr4j-reports/<time>-offheap under the current folder).")
    Path out;

    @Option(names = "--jfr", order = 31, description = "Record the run with Java Flight Recorder (one recording per "
            + "JVM that measures, in the report folder) and print where the recordings are.")
    boolean jfr;

    /** The range of {@code --strategies}, as its error message says it. */
    static String strategiesRange() {
        return "a comma-separated list of " + OffheapStrategy.listedNames() + ", each at most once";
    }

    /** The strategies asked for, in order; all listed ones if none. */
    List<OffheapStrategy> strategies() {
        if (strategyNames == null) {
            return OffheapStrategy.listedValues();
        }
        final List<OffheapStrategy> out = new ArrayList<>();
        for (final String n : strategyNames) {
            final OffheapStrategy s = n.isBlank() ? null : OffheapStrategy.parse(n);
            if (s == null || out.contains(s)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--strategies must be "
                        + strategiesRange() + ", was " + String.join(",", strategyNames));
            }
            out.add(s);
        }
        if (out.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--strategies must be " + strategiesRange()
                    + ", was empty");
        }
        return out;
    }

    @Override
    public Integer call() {
        final List<OffheapStrategy> strategies = strategies(); // a bad list: exit 2 before anything runs
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Instant started = Instant.now();
        final long t0 = System.nanoTime();
        final Machine machine = Machine.probe();
        final Path dir = Main.reportDir(this.out, "offheap");
        final Path jfrDir = jfr && !inProcess ? dir.resolve("jfr") : null;
        final OffheapConfig cfg = new OffheapConfig(strategies, connections, threads, seconds, warmup, seed);
        final List<String> jvm = new ArrayList<>(FairHarness.DEFAULT_JVM_OPTIONS);
        jvm.addAll(jvmOptions);
        err.printf(Locale.ROOT, "smr4j: offheap on %s; %d strategies, %.1f s each, %s%n", machine.summary(),
                strategies.size(), seconds, inProcess ? "all in this JVM (--in-process)" : "each in its own JVM");
        final Recording recording = jfr && inProcess ? Main.startRecording("smr4j-offheap") : null;
        final ProgressBar bar = new ProgressBar(err, "offheap", main.terminal);
        final List<OffheapRun.Measurement> ms = OffheapRun.runAll(
                new OffheapRun.Plan(cfg, !inProcess, jvm, dir.resolve("forks"), jfrDir), new OffheapRun.Progress() {
                    @Override
                    public void update(final double fraction, final String what) {
                        bar.update(fraction, what);
                    }

                    @Override
                    public void finished(final OffheapRun.Measurement m, final int done, final int total) {
                        bar.message(line(m, done, total));
                    }
                });
        bar.done();
        final List<String> recordings = new ArrayList<>();
        if (recording != null) {
            Main.stopRecording(recording, dir.resolve("offheap.jfr"));
            recordings.add("offheap.jfr");
        } else if (jfrDir != null) {
            try (Stream<Path> files = Files.list(jfrDir)) {
                files.filter(p -> p.toString().endsWith(".jfr")).sorted()
                        .forEach(p -> recordings.add(dir.relativize(p).toString()));
            } catch (final java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot list " + jfrDir, e);
            }
        }
        final Path html = OffheapReport.write(dir, cfg, !inProcess, jvm, ms,
                Main.runInfo(spec, started, t0, machine, recordings));
        final List<OffheapReport.Row> rows = OffheapReport.rows(ms);
        out.println();
        out.print(OffheapReport.text(rows));
        out.println();
        OffheapReport.verdict(rows).forEach(out::println);
        out.println();
        out.println("report: " + html);
        if (!recordings.isEmpty()) {
            out.println("flight recordings: " + recordings.size() + " in " + (jfrDir != null ? jfrDir : dir)
                    + " (open with JDK Mission Control, or: jfr summary " + dir.resolve(recordings.getFirst()) + ")");
            out.println("smr4j's events (statistics, waits, stalled readers): jfr print --categories smr4j "
                    + dir.resolve(recordings.getFirst()));
        }
        out.flush();
        if (OffheapReport.failed(rows)) {
            err.println("smr4j: TORN OR FOREIGN READS: a reader used a block after it was freed and reused; see the "
                    + "'torn or foreign' column and " + html);
            return 1;
        }
        return 0;
    }

    /** The line printed as a strategy finishes. */
    private static String line(final OffheapRun.Measurement m, final int done, final int total) {
        final OffheapResult r = m.result();
        return String.format(Locale.ROOT, "  offheap %d/%d  %-15s %9s frees/s  %9s reads/s  torn or foreign %s  "
                        + "refused %s  bystander %s  pid %d, load %.2f%s", done, total, r.strategy(),
                Format.si(r.freesPerSecond()), Format.si(r.readsPerSecond()), Format.count(r.tornOrForeign()),
                Format.count(r.refused()), Format.ratio(r.bystanderSlowdown(), 1), r.pid(), r.loadBefore(),
                r.tornOrForeign() == 0 ? "" : "  <-- TORN OR FOREIGN READS");
    }
}
