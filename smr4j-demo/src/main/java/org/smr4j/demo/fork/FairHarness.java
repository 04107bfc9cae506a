package org.smr4j.demo.fork;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.smr4j.demo.churn.ChurnConfig;
import org.smr4j.demo.churn.ChurnHarness;
import org.smr4j.demo.churn.ChurnReport;
import org.smr4j.demo.churn.ChurnResult;
import org.smr4j.demo.churn.Json;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * The fair harness: every strategy of a {@link ChurnConfig} measured in its own JVM, as JMH
 * forks its benchmarks, with the repetitions interleaved across strategies, the load of the
 * machine recorded beside each measurement, and the same seed (so the same keys, in the same
 * order) everywhere.
 *
 * <h2>Why forks</h2>
 * Strategies measured one after another in one JVM share its JIT profile: the
 * {@link org.smr4j.netinet.ConnectionTable} call sites that the first strategy made
 * monomorphic turn megamorphic by the third, and the collector's heap sizing carries over.
 * Issue 12 measured SMR_LAZY at 0.56x ConcurrentHashMap's lookups in one JVM and at 1.0x and
 * 1.6x with a JVM each. A fork costs about half a second of start-up, which is not measured.
 *
 * <h2>Order</h2>
 * Repetition {@code r} (from 0) runs the strategies in the configured order when {@code r} is
 * even and in reverse when it is odd ({@link #order}), so that over two repetitions every
 * strategy has the same mean position and a drift of the machine (a neighbour's build
 * starting) does not favour whichever strategy runs first.
 *
 * <h2>What a fork is</h2>
 * {@code java <jvmOptions> -cp <this class path> ForkMain request.json result.json}: the
 * request is the configuration with one strategy; the result is that fork's
 * {@link ChurnReport}. Its stdout and stderr go to a log file in {@code workDir}. With
 * {@code jfrDir}, each fork records a flight recording there. A fork that fails, or that
 * overruns its time by {@value #OVERRUN_SECONDS} s, ends the run with a {@link ForkFailure}
 * naming it and its log.
 *
 * <h2>Threads</h2>
 * {@link #run} is called from one thread and tells its {@link Progress} from that thread; every
 * record it returns is immutable. A fork's result reaches this JVM as a file written before the
 * fork exited, read after {@link Process#waitFor}; in process, the measuring thread's result is
 * read after {@link Thread#join}, which orders it.
 *
 * <h2>In process</h2>
 * {@link Plan#fork()} false runs the same plan in this JVM, one strategy after another (the
 * same order, the same records), for tests and quick looks; the report says which it was.
 */
public final class FairHarness {

    /**
     * The options every fork gets unless the caller gives its own: a fixed 1 GiB heap (so that
     * every strategy's collector works in the same space, and a young collection costs the same
     * everywhere), G1 (the default on this machine; named so that a machine with one CPU, where
     * the JVM would pick Serial, measures the same thing), and native access for lazy SMR's
     * {@code membarrier(2)}.
     */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of("-Xms1g", "-Xmx1g", "-XX:+UseG1GC",
            "--enable-native-access=ALL-UNNAMED");

    /** Seconds a fork may run beyond its warmup and measured time before it is ended. */
    static final long OVERRUN_SECONDS = 120;

    /** What a fork is expected to spend outside its warmup and measured time (start, fill, exit), s. */
    static final double OVERHEAD_SECONDS = 0.8;

    private FairHarness() {
    }

    /**
     * What to run.
     *
     * @param label names the run in file names and progress ({@code churn}, {@code flood})
     * @param config the work; its strategies are the ones measured, in this order
     * @param repetitions how many times each strategy is measured, 1 or more
     * @param fork true for a JVM per measurement, false for this JVM
     * @param jvmOptions the forks' JVM options (ignored in process)
     * @param workDir where requests, results and logs go
     * @param jfrDir where the forks' flight recordings go, or null for none
     */
    public record Plan(String label, ChurnConfig config, int repetitions, boolean fork, List<String> jvmOptions,
            Path workDir, Path jfrDir) {

        /** Checks the arguments. */
        public Plan {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(config, "config");
            Objects.requireNonNull(workDir, "workDir");
            jvmOptions = List.copyOf(jvmOptions);
            if (repetitions < 1) {
                throw new IllegalArgumentException("repetitions must be at least 1: " + repetitions);
            }
        }

        /** @return the number of measurements: strategies times repetitions */
        public int measurements() {
            return config.strategies().size() * repetitions;
        }
    }

    /**
     * One measurement: one strategy, one repetition, one JVM.
     *
     * @param strategy the strategy
     * @param repetition which repetition, from 1
     * @param position its place in the run, from 1 (the interleaved order)
     * @param result what the harness measured
     * @param environment the JVM and machine it ran in (pid, load before and after, flags)
     * @param wallSeconds the fork's whole life, start-up and fill included
     * @param log its log file (relative to the work directory), or null in process
     * @param jfr its flight recording (relative to the work directory), or null
     */
    public record Measurement(Strategy strategy, int repetition, int position, ChurnResult result,
            ChurnReport.Environment environment, double wallSeconds, String log, String jfr) {
    }

    /**
     * A whole fair run.
     *
     * @param label the plan's label
     * @param config the plan's configuration
     * @param repetitions the plan's repetitions
     * @param forked whether each measurement had its own JVM
     * @param jvmOptions the forks' options (empty in process)
     * @param measurements every measurement, in the order they ran
     */
    public record FairRun(String label, ChurnConfig config, int repetitions, boolean forked, List<String> jvmOptions,
            List<Measurement> measurements) {

        /** Copies the lists. */
        public FairRun {
            jvmOptions = List.copyOf(jvmOptions);
            measurements = List.copyOf(measurements);
        }

        /**
         * @param s a strategy
         * @return its measurements, by repetition
         */
        public List<Measurement> of(final Strategy s) {
            return measurements.stream().filter(m -> m.strategy() == s).toList();
        }
    }

    /** Told what the run is doing; called from the thread that called {@link #run}. */
    public interface Progress {
        /**
         * @param fraction of the whole run done, 0 to 1
         * @param what the measurement under way, e.g. {@code SMR_LAZY 1/2}
         */
        void update(double fraction, String what);

        /**
         * A measurement finished.
         *
         * @param m the measurement
         * @param done measurements finished so far
         * @param total measurements in the run
         */
        void finished(Measurement m, int done, int total);

        /** Tells nothing. */
        Progress NONE = new Progress() {
            @Override
            public void update(final double fraction, final String what) {
            }

            @Override
            public void finished(final Measurement m, final int done, final int total) {
            }
        };
    }

    /** A measurement that did not produce a result; the run stops there. */
    public static final class ForkFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** The log of the failed measurement, or null in process. */
        private final transient Path log;

        ForkFailure(final String message, final Path log, final Throwable cause) {
            super(message, cause);
            this.log = log;
        }

        /** @return the failed measurement's log, or null */
        public Path log() {
            return log;
        }
    }

    /**
     * The order of the strategies in a repetition: as given for even {@code repetition}s (from
     * 0), reversed for odd ones.
     *
     * @param strategies the configured order
     * @param repetition 0 or more
     * @return the order to run them in
     */
    public static List<Strategy> order(final List<Strategy> strategies, final int repetition) {
        return repetition % 2 == 0 ? List.copyOf(strategies) : List.copyOf(strategies).reversed();
    }

    /**
     * Runs a plan.
     *
     * @param plan what to run
     * @param progress told as it goes
     * @return every measurement
     * @throws ForkFailure if a measurement failed or overran
     */
    public static FairRun run(final Plan plan, final Progress progress) {
        try {
            Files.createDirectories(plan.workDir());
            if (plan.jfrDir() != null) {
                Files.createDirectories(plan.jfrDir());
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create " + plan.workDir(), e);
        }
        final int total = plan.measurements();
        final List<Measurement> done = new ArrayList<>();
        int position = 0;
        for (int r = 0; r < plan.repetitions(); r++) {
            for (final Strategy s : order(plan.config().strategies(), r)) {
                final String what = s + " " + (r + 1) + "/" + plan.repetitions();
                final double base = (double) position / total;
                final Measurement m = plan.fork()
                        ? forked(plan, s, r + 1, position + 1, f -> progress.update(base + f / total, what))
                        : inProcess(plan, s, r + 1, position + 1, f -> progress.update(base + f / total, what));
                done.add(m);
                position++;
                progress.finished(m, position, total);
            }
        }
        progress.update(1.0, "done");
        return new FairRun(plan.label(), plan.config(), plan.repetitions(), plan.fork(),
                plan.fork() ? plan.jvmOptions() : List.of(), done);
    }

    /** Fraction of one measurement done, for the progress bar. */
    private interface Within {
        void at(double fraction);
    }

    private static double expectedSeconds(final ChurnConfig cfg) {
        return cfg.warmup().toNanos() / 1e9 + cfg.duration().toNanos() / 1e9 + OVERHEAD_SECONDS;
    }

    private static String stem(final Plan plan, final Strategy s, final int repetition) {
        return plan.label() + "-" + s.name().toLowerCase(Locale.ROOT) + "-r" + repetition;
    }

    private static Measurement forked(final Plan plan, final Strategy s, final int repetition, final int position,
            final Within within) {
        final ChurnConfig one = plan.config().toBuilder().strategies(s).progressEvery(java.time.Duration.ZERO)
                .build();
        final String stem = stem(plan, s, repetition);
        final Path request = plan.workDir().resolve(stem + ".request.json");
        final Path result = plan.workDir().resolve(stem + ".result.json");
        final Path log = plan.workDir().resolve(stem + ".log");
        final Path jfr = plan.jfrDir() == null ? null : plan.jfrDir().resolve(stem + ".jfr");
        Json.write(request, one);
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(plan.jvmOptions());
        cmd.addAll(classDataSharing());
        if (jfr != null) {
            cmd.add("-XX:StartFlightRecording=filename=" + jfr + ",name=" + stem);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ForkMain.class.getName());
        cmd.add(request.toString());
        cmd.add(result.toString());
        final long t0 = System.nanoTime();
        final Process p;
        try {
            Files.deleteIfExists(result);
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (final IOException e) {
            throw new ForkFailure("cannot start the JVM for " + stem + ": " + e.getMessage(), log, e);
        }
        final double expected = expectedSeconds(one);
        final long deadline = t0 + TimeUnit.SECONDS.toNanos((long) Math.ceil(expected) + OVERRUN_SECONDS);
        try {
            while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
                final long now = System.nanoTime();
                within.at(Math.min(0.97, (now - t0) / 1e9 / expected));
                if (now - deadline > 0) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    throw new ForkFailure(stem + " did not finish within " + Math.round(expected + OVERRUN_SECONDS)
                            + " s and was ended; its log: " + log, log, null);
                }
            }
        } catch (final InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ForkFailure(stem + " interrupted", log, e);
        }
        final double wall = (System.nanoTime() - t0) / 1e9;
        if (p.exitValue() != 0 || !Files.isRegularFile(result)) {
            throw new ForkFailure(stem + " failed (exit " + p.exitValue() + "): " + telling(log) + "; its log: " + log,
                    log, null);
        }
        final ChurnReport report = Json.read(result, ChurnReport.class);
        within.at(1.0);
        return new Measurement(s, repetition, position, report.results().getFirst(), report.environment(), wall,
                plan.workDir().relativize(log).toString(),
                jfr == null ? null : plan.workDir().relativize(jfr).toString());
    }

    /**
     * Options that make a fork start faster: when this JVM runs from one jar, a dynamic
     * class-data-sharing archive of the jar's classes beside it, written by the first fork that
     * finds none (at its exit) and mapped by the others. Only class metadata is shared: no
     * method profile and no compiled code (unlike JDK 25's AOT cache, which can carry training
     * profiles from one strategy into another's measurement), so what is measured is unchanged;
     * a fork starts about 0.3 s sooner. On a class path of directories (the tests) CDS cannot
     * archive the application's classes, and nothing is added.
     */
    static List<String> classDataSharing() {
        final String cp = System.getProperty("java.class.path");
        if (cp == null || cp.contains(java.io.File.pathSeparator) || !cp.endsWith(".jar")) {
            return List.of();
        }
        final Path jar = Path.of(cp).toAbsolutePath();
        final Path self;
        try {
            self = Path.of(ForkMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
        } catch (final java.net.URISyntaxException | RuntimeException e) {
            return List.of();
        }
        if (!jar.equals(self) || !Files.isRegularFile(jar) || !Files.isWritable(jar.getParent())) {
            return List.of(); // not the demo's own jar (a test's class path, a launcher jar)
        }
        final String name = jar.getFileName().toString();
        return List.of("-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile="
                + jar.resolveSibling(name.substring(0, name.length() - 4) + "-fork.jsa"), "-Xlog:cds=off",
                "-Xlog:cds+dynamic=off");
    }

    private static Measurement inProcess(final Plan plan, final Strategy s, final int repetition, final int position,
            final Within within) {
        final ChurnConfig one = plan.config().toBuilder().strategies(s).progressEvery(java.time.Duration.ZERO)
                .build();
        final AtomicReference<Object> outcome = new AtomicReference<>();
        final long t0 = System.nanoTime();
        final Thread t = Thread.ofPlatform().name("fair-harness-" + stem(plan, s, repetition)).daemon(true).start(() -> {
            try {
                outcome.set(ChurnHarness.run(one, null));
            } catch (final RuntimeException | Error e) {
                outcome.set(e);
            }
        });
        final double expected = expectedSeconds(one);
        try {
            while (!t.join(java.time.Duration.ofMillis(100))) {
                within.at(Math.min(0.97, (System.nanoTime() - t0) / 1e9 / expected));
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ForkFailure(stem(plan, s, repetition) + " interrupted", null, e);
        }
        if (outcome.get() instanceof Throwable e) {
            throw new ForkFailure(stem(plan, s, repetition) + " failed: " + e, null, e);
        }
        final ChurnReport report = (ChurnReport) outcome.get();
        within.at(1.0);
        return new Measurement(s, repetition, position, report.results().getFirst(), report.environment(),
                (System.nanoTime() - t0) / 1e9, null, null);
    }

    /**
     * The line of a failed fork's log that says most: the first that names an exception or a
     * JVM error (not a stack frame), else the last line.
     */
    static String telling(final Path log) {
        try {
            final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (final String l : lines) {
                if (!l.isEmpty() && !Character.isWhitespace(l.charAt(0))
                        && (l.contains("Exception") || l.contains("Error") || l.startsWith("Unrecognized"))) {
                    return l.strip();
                }
            }
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (!lines.get(i).isBlank()) {
                    return lines.get(i).strip();
                }
            }
            return "(empty log)";
        } catch (final IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
