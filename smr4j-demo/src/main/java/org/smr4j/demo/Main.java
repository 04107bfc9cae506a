package org.smr4j.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import jdk.jfr.Recording;
import org.smr4j.demo.churn.ChurnConfig;
import org.smr4j.demo.fork.FairHarness;
import org.smr4j.demo.report.Comparison;
import org.smr4j.demo.report.Machine;
import org.smr4j.demo.report.RunInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code smr4j}, the README's first command: with no arguments it answers the question NetBSD's
 * reviewers asked of this design (pserialize + {@code PR_PSERIALIZE} against smr / smr lazy +
 * the SMR pool, and both against a reader-writer lock and {@code ConcurrentHashMap} with the
 * garbage collector) on the connection table, under churn and then under a SYN flood, each
 * strategy in its own JVM, and prints one comparison table, a three-line verdict and the path
 * of an HTML report.
 *
 * <p>Subcommands: {@code churn}, {@code flood} (one phase each, with their own settings),
 * {@code hazard} (what SMR prevents: readers that met a recycled block), {@code bench} (a short
 * JMH run of smr4j-bench's benchmarks), {@code offheap} (how to free native memory that many
 * threads read: {@code smr4j-offheap}'s {@code SmrArena} against the JDK's shared and automatic
 * arenas, {@link OffheapCommand}), {@code sweep} (churn/s against pending memory over lookup
 * threads, churn threads and pending limits, {@link SweepCommand}), {@code soak} (the table under
 * churn and flood and an SMR pool under readers, together for a given time with every detector
 * on, {@link SoakCommand}).
 *
 * <p>Exit status: 0 when the run finished and every real strategy was correct; 1 when a
 * strategy showed a violation or the run failed (one line says why, and where the details
 * are); 2 for a bad option (one line naming the option and its valid range).
 *
 * <p>Run it with {@code ./smr4j} (which builds what is missing first) or
 * {@code java -jar smr4j-demo/target/smr4j-demo.jar}.
 */
@Command(name = "smr4j", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        versionProvider = Main.Version.class,
        subcommands = {PhaseCommand.Churn.class, PhaseCommand.Flood.class, HazardCommand.class, OffheapCommand.class,
            BenchCommand.class, SweepCommand.class, SoakCommand.class},
        description = {
            "Which reclamation wins for a connection table on the JVM: pserialize + PR_PSERIALIZE, smr(9) or smr "
                    + "lazy + the SMR pool, a reader-writer lock, or ConcurrentHashMap with the garbage collector?",
            "",
            "With no subcommand: the connection table under churn, then under a SYN flood, every strategy in its "
                    + "own JVM, repetitions interleaved; one comparison table with ratios to the baselines of the "
                    + "same run, a three-line verdict, and an HTML report (charts, JSON, CSV) whose path is printed "
                    + "last. About 90 s on a 2-core machine with the defaults.",
            ""},
        footer = {"", "Exit status: 0 done and correct, 1 a violation or a failure, 2 a bad option.",
            "Each subcommand has its own --help."})
public final class Main implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Options.Common common;

    @Mixin
    Options.Fair fair;

    @Mixin
    Options.Churn churn;

    @Mixin
    Options.Flood flood;

    /** Whether stderr is a terminal (the progress bars redraw in place); set by {@link #execute}. */
    boolean terminal;

    /** Prints the version of the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            final String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"smr4j demo " + (v == null ? "(development build)" : v) + ", Java "
                    + Runtime.version()};
        }
    }

    /**
     * Runs the command line and exits with its status.
     *
     * @param args see {@code --help}
     */
    public static void main(final String[] args) {
        System.setProperty("java.awt.headless", "true");
        final PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        final PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        final int code = execute(args, out, err, ProgressBar.terminal());
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * Runs the command line in this JVM (what {@link #main} does, and what the tests call).
     *
     * @param args the arguments
     * @param out where tables and the report's path go
     * @param err where progress and errors go
     * @param terminal whether {@code err} is a terminal (the progress bar redraws in place)
     * @return the exit status
     */
    public static int execute(final String[] args, final PrintWriter out, final PrintWriter err,
            final boolean terminal) {
        System.setProperty("java.awt.headless", "true");
        final Main main = new Main();
        main.terminal = terminal;
        final CommandLine cl = new CommandLine(main);
        cl.setOut(out).setErr(err).setCaseInsensitiveEnumValuesAllowed(true).setUsageHelpAutoWidth(true);
        cl.setParameterExceptionHandler((e, a) -> {
            err.println(oneLine(e));
            err.flush();
            return 2;
        });
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            err.println("smr4j: " + (e.getMessage() == null ? e.toString() : e.getMessage()) + failureDetails(e));
            err.flush();
            return 1;
        });
        return cl.execute(args);
    }

    /** The one line a bad option gets: the problem, the option's range, where help is. */
    static String oneLine(final CommandLine.ParameterException e) {
        String msg = e.getMessage().strip().replace('\n', ' ');
        final CommandLine.Model.ArgSpec arg = e.getArgSpec();
        if (arg instanceof CommandLine.Model.OptionSpec o) {
            final String range = Options.RANGES.get(o.longestName());
            if (range != null && !msg.contains(range) && !msg.contains("expected one of")) {
                msg = msg + " (" + o.longestName() + " must be " + range + ")";
            }
        }
        final String cmd = e.getCommandLine() == null ? "smr4j" : e.getCommandLine().getCommandSpec().qualifiedName();
        return "smr4j: " + msg + "; see " + cmd + " --help";
    }

    /** Where to read more about a failure: its log, or a file with the stack trace. */
    private static String failureDetails(final Exception e) {
        if (e instanceof FairHarness.ForkFailure f && f.log() != null) {
            return "";
        }
        try {
            final Path trace = Files.createTempFile("smr4j-error-", ".txt");
            final StringWriter sw = new StringWriter();
            e.printStackTrace(new PrintWriter(sw));
            Files.writeString(trace, sw.toString(), StandardCharsets.UTF_8);
            return " (stack trace: " + trace + ")";
        } catch (final IOException io) {
            return "";
        }
    }

    @Override
    public Integer call() {
        return PhaseCommand.compare(spec, terminal, "default", common, fair, churn, flood, List.of("churn", "flood"));
    }

    // ------------------------------------------------------------------ shared by the commands

    /** @return the command line as the user typed it, for the report */
    static String commandLine(final CommandSpec spec) {
        final String program = System.getProperty("smr4j.command", "java -jar smr4j-demo.jar");
        final List<String> args = new ArrayList<>(spec.root().commandLine().getParseResult().originalArgs());
        return program + (args.isEmpty() ? "" : " " + String.join(" ", args));
    }

    /**
     * The report folder: the given one, or {@code smr4j-reports/<time>-<name>} under the
     * current folder (a new one if that exists).
     */
    static Path reportDir(final Path given, final String name) {
        if (given != null) {
            return given.toAbsolutePath().normalize();
        }
        final String stamp = LocalDateTime.now(java.time.ZoneId.systemDefault())
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
        final Path base = Path.of("smr4j-reports").toAbsolutePath();
        Path dir = base.resolve(stamp + "-" + name);
        for (int i = 2; Files.exists(dir); i++) {
            dir = base.resolve(stamp + "-" + name + "-" + i);
        }
        return dir;
    }

    /** A flight recording of this JVM, for the commands that measure in process. */
    static Recording startRecording(final String name) {
        final Recording r = new Recording();
        r.setName(name);
        r.setToDisk(true);
        r.start();
        return r;
    }

    static void stopRecording(final Recording r, final Path file) {
        try {
            r.stop();
            // The report directory is created by the report writers, which run after this:
            // create it here too, so that --out may name a directory that does not exist yet.
            Files.createDirectories(file.toAbsolutePath().getParent());
            r.dump(file);
            r.close();
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException("cannot write the flight recording " + file, e);
        }
    }

    static RunInfo runInfo(final CommandSpec spec, final Instant started, final long t0, final Machine machine,
            final List<String> jfr) {
        return new RunInfo(commandLine(spec), started, (System.nanoTime() - t0) / 1e9, machine, jfr);
    }

    static Duration seconds(final double s) {
        return Duration.ofNanos(Math.round(s * 1e9));
    }

    /** The churn phase's configuration. */
    static ChurnConfig churnConfig(final Options.Common c, final Options.Fair f, final Options.Churn ch) {
        return base(c, f).churnThreads(ch.churnThreads).churnWindow(ch.churnWindow).flood(false).build();
    }

    /** The flood phase's configuration: lookups and the attacker, no churn thread. */
    static ChurnConfig floodConfig(final Options.Common c, final Options.Fair f, final Options.Flood fl) {
        return base(c, f).churnThreads(0).flood(true).floodTtl(seconds(fl.floodTtl)).floodMax(fl.floodMax).build();
    }

    private static ChurnConfig.Builder base(final Options.Common c, final Options.Fair f) {
        return ChurnConfig.builder().strategies(c.strategies()).connections(c.connections).lookupThreads(c.threads)
                .warmup(seconds(f.warmup)).duration(seconds(c.seconds)).pendingLimit(f.pendingLimit).seed(c.seed)
                .progressEvery(Duration.ZERO);
    }

    /** Prints the comparison, the verdict and the report's path. */
    static void printComparison(final PrintWriter out, final Comparison c, final Path html) {
        out.println();
        out.print(c.text());
        out.println();
        c.verdict().forEach(out::println);
        out.println();
        out.println("report: " + html);
        out.flush();
    }
}
