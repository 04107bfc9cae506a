package org.smr4j.demo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.smr4j.demo.churn.ChurnConfig;
import org.smr4j.netinet.ConnectionTable.Strategy;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options the commands share, as picocli mixins, each with its valid range. A value out of
 * range is refused while parsing with a {@link CommandLine.ParameterException} whose message
 * names the option, the value and the range ({@link #RANGES}); {@link Main} prints it as one
 * line and exits with 2.
 */
final class Options {

    /** The valid range of every numeric option, as the error messages and {@code --help} say it. */
    static final Map<String, String> RANGES = Map.ofEntries(
            Map.entry("--threads", "1 to 64"),
            Map.entry("--seconds", "0.1 to 3600"),
            Map.entry("--warmup", "0 to 600"),
            Map.entry("--connections", "1 to 1,000,000"),
            Map.entry("--repetitions", "1 to 20"),
            Map.entry("--churn-threads", "1 to 16"),
            Map.entry("--churn-window", "1 to 65,536"),
            Map.entry("--pending-limit", "1 to 1,048,576"),
            Map.entry("--flood-ttl", "0.01 to 60"),
            Map.entry("--flood-max", "1 to 1,048,576"),
            Map.entry("--dwell", "0 to 100,000"),
            Map.entry("--strategies", "a comma-separated list of SMR_DEFAULT, SMR_LAZY, PSERIALIZE, RW_LOCK, "
                    + "CONCURRENT_HASH_MAP"),
            Map.entry("--minutes", "0.001 to 1440"),
            Map.entry("--progress", "0.1 to 3600"),
            Map.entry("--seed", "any 64-bit integer"));

    private Options() {
    }

    static CommandLine.ParameterException outOfRange(final CommandSpec spec, final String option, final Object value) {
        return new CommandLine.ParameterException(spec.commandLine(),
                option + " must be " + RANGES.get(option) + ", was " + value);
    }

    /** The strategies of a {@code --strategies} option (all if not given), each at most once. */
    static List<Strategy> strategies(final CommandSpec spec, final List<Strategy> given) {
        if (given == null) {
            return List.of(Strategy.values());
        }
        if (given.isEmpty() || given.stream().distinct().count() != given.size()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--strategies must be "
                    + RANGES.get("--strategies") + ", each at most once, was " + given);
        }
        return List.copyOf(given);
    }

    static int checkInt(final CommandSpec spec, final String option, final int v, final int min, final int max) {
        if (v < min || v > max) {
            throw outOfRange(spec, option, v);
        }
        return v;
    }

    static double checkDouble(final CommandSpec spec, final String option, final double v, final double min,
            final double max) {
        if (!(v >= min && v <= max)) {
            throw outOfRange(spec, option, v);
        }
        return v;
    }

    /** What every command takes: the size of the run, its strategies, where the report goes. */
    static final class Common {
        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        int threads = 2;
        double seconds = 2;
        int connections = 100_000;
        long seed = ChurnConfig.SEED_DEFAULT;

        @Option(names = "--out", order = 30, paramLabel = "DIR", description = "Folder for the report (default: "
                + "smr4j-reports/<time>-<command> under the current folder).")
        Path out;

        @Option(names = "--jfr", order = 31, description = "Record the run with Java Flight Recorder (one recording per JVM "
                + "that measures, in the report folder) and print where the recordings are.")
        boolean jfr;

        @Option(names = "--threads", order = 1, paramLabel = "N", description = "Lookup threads (1 to 64; default: 2). "
                + "With the writer thread that makes more threads than this machine's 2 cores, as on a busy "
                + "server: a reader can be descheduled inside its read section.")
        void threads(final int n) {
            threads = checkInt(spec, "--threads", n, 1, 64);
        }

        @Option(names = "--seconds", order = 2, paramLabel = "S", description = "Measured seconds per strategy and "
                + "repetition (0.1 to 3600; default: 2).")
        void seconds(final double s) {
            seconds = checkDouble(spec, "--seconds", s, 0.1, 3600);
        }

        @Option(names = "--connections", order = 3, paramLabel = "N", description = "Established connections in the table, "
                + "looked up by the lookup threads (1 to 1,000,000; default: 100,000).")
        void connections(final int n) {
            connections = checkInt(spec, "--connections", n, 1, 1_000_000);
        }

        // A field, not a setter: picocli fills a collection option after handing it to a setter.
        @Option(names = "--strategies", order = 4, paramLabel = "S", split = ",", description = "Strategies to compare, "
                + "in this order (default: all): SMR_DEFAULT (smr(9) + the SMR pool), SMR_LAZY (smr lazy + the "
                + "SMR pool), PSERIALIZE (pserialize + PR_PSERIALIZE), RW_LOCK (a reader-writer lock), "
                + "CONCURRENT_HASH_MAP (ConcurrentHashMap and the garbage collector). Ratios need the last two.")
        List<Strategy> strategyOption;

        /**
         * @return the strategies asked for, in order
         * @throws CommandLine.ParameterException if one is named twice
         */
        List<Strategy> strategies() {
            return Options.strategies(spec, strategyOption);
        }

        @Option(names = "--seed", order = 20, paramLabel = "N", description = "Seed of every random choice (key order, "
                + "flood tuples); the same in every JVM of a run (default: 0x5EED = 24301).")
        void seed(final long s) {
            seed = s;
        }
    }

    /** What the fair comparisons take: repetitions, warm-up, forks. */
    static final class Fair {
        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        int repetitions = 2;
        double warmup = 0.5;
        int pendingLimit = ChurnConfig.PENDING_LIMIT_DEFAULT;

        @Option(names = "--repetitions", order = 5, paramLabel = "N", description = "Measurements per strategy, interleaved "
                + "(the second runs the strategies in reverse order) (1 to 20; default: 2).")
        void repetitions(final int n) {
            repetitions = checkInt(spec, "--repetitions", n, 1, 20);
        }

        @Option(names = "--warmup", order = 6, paramLabel = "S", description = "Unmeasured seconds before each measurement, "
                + "after the table is filled: enough for C2 to compile the loops (0 to 600; default: 0.5).")
        void warmup(final double s) {
            warmup = checkDouble(spec, "--warmup", s, 0, 600);
        }

        @Option(names = "--pending-limit", order = 12, paramLabel = "N", description = "The tables' pending limit: removed "
                + "blocks that may wait for reuse at once (1 to 1,048,576; default: 4,096).")
        void pendingLimit(final int n) {
            pendingLimit = checkInt(spec, "--pending-limit", n, 1, 1 << 20);
        }

        @Option(names = "--in-process", order = 13, description = "Measure every strategy in this JVM, one after another, "
                + "instead of a JVM each: starts faster, but the strategies share one JIT profile, which is unfair "
                + "to the later ones.")
        boolean inProcess;

        @Option(names = "--jvm-option", order = 14, paramLabel = "OPT", description = "An option for every measuring JVM, "
                + "after the defaults (-Xms1g -Xmx1g -XX:+UseG1GC --enable-native-access=ALL-UNNAMED); repeat "
                + "for several, e.g. --jvm-option=-XX:+UseZGC.")
        List<String> jvmOptions = new ArrayList<>();
    }

    /** The churn workload's own settings. */
    static final class Churn {
        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        int churnThreads = 1;
        int churnWindow = ChurnConfig.CHURN_WINDOW_DEFAULT;

        @Option(names = "--churn-threads", order = 8, paramLabel = "N", description = "Threads that open and close "
                + "connections in the churn phase (1 to 16; default: 1).")
        void churnThreads(final int n) {
            churnThreads = checkInt(spec, "--churn-threads", n, 1, 16);
        }

        @Option(names = "--churn-window", order = 9, paramLabel = "N", description = "Connections each churn thread keeps "
                + "open; each open beyond it closes the oldest (1 to 65,536; default: 1,024).")
        void churnWindow(final int n) {
            churnWindow = checkInt(spec, "--churn-window", n, 1, 65_536);
        }
    }

    /** The SYN flood's own settings. */
    static final class Flood {
        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        double floodTtl = ChurnConfig.FLOOD_TTL_DEFAULT.toNanos() / 1e9;
        int floodMax = ChurnConfig.FLOOD_MAX_DEFAULT;

        @Option(names = "--flood-ttl", order = 10, paramLabel = "S", description = "Seconds a half-open connection of the "
                + "flood stays before it expires (0.01 to 60; default: 1).")
        void floodTtl(final double s) {
            floodTtl = checkDouble(spec, "--flood-ttl", s, 0.01, 60);
        }

        @Option(names = "--flood-max", order = 11, paramLabel = "N", description = "Most half-open connections at once, "
                + "like a SYN cache's limit: at the limit the oldest is evicted (1 to 1,048,576; default: 65,536).")
        void floodMax(final int n) {
            floodMax = checkInt(spec, "--flood-max", n, 1, 1 << 20);
        }
    }
}
