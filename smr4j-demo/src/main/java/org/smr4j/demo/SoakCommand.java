package org.smr4j.demo;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.smr4j.demo.churn.ChurnConfig;
import org.smr4j.demo.report.Machine;
import org.smr4j.demo.soak.SoakRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code smr4j soak}: the connection table under churn and a SYN flood, and an SMR pool under
 * readers, together in this JVM for {@code --minutes}, with every detector on ({@link SoakRun});
 * a progress line per {@code --progress} seconds on stderr, the summary (operations,
 * violations, peak pending, peak heap) on stdout. Exit status 0 when clean, 1 on any violation
 * or worker failure, 2 for a bad option.
 */
@Command(name = "soak", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"A soak of the reliability suite: the connection table's lockless strategies (SMR_DEFAULT, "
                + "SMR_LAZY, PSERIALIZE) in turn, a fresh table every 20 s, each under churn and a SYN flood with "
                + "every lookup, insert and remove checked, and beside them a checked SmrPool on a checked domain "
                + "whose readers check that no cell is reused or expires under them; all in this JVM, for the "
                + "given time.",
            "",
            "Prints a progress line every --progress seconds and a summary: operations, violations (table, pool "
                    + "reuse, pool hook failures), peak pending (table blocks, pool objects), peak heap. Exit "
                    + "status 1 on any violation or worker failure.",
            ""})
final class SoakCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ParentCommand
    Main main;

    private double minutes = 60;
    private double progressSeconds = 10;
    private int connections = 20_000;
    private int threads = 2;
    private int pendingLimit = ChurnConfig.PENDING_LIMIT_DEFAULT;
    private long seed = ChurnConfig.SEED_DEFAULT;

    @Option(names = "--minutes", order = 1, paramLabel = "M", description = "How long (0.001 to 1440; default: 60).")
    void minutes(final double m) {
        minutes = Options.checkDouble(spec, "--minutes", m, 0.001, 1440);
    }

    @Option(names = "--progress", order = 2, paramLabel = "S", description = "Seconds between progress lines "
            + "(0.1 to 3600; default: 10).")
    void progress(final double s) {
        progressSeconds = Options.checkDouble(spec, "--progress", s, 0.1, 3600);
    }

    @Option(names = "--connections", order = 3, paramLabel = "N", description = "Established connections in each "
            + "table (1 to 1,000,000; default: 20,000).")
    void connections(final int n) {
        connections = Options.checkInt(spec, "--connections", n, 1, 1_000_000);
    }

    @Option(names = "--threads", order = 4, paramLabel = "N", description = "Platform reader threads on the pool, "
            + "beside a stream of short virtual readers (1 to 64; default: 2).")
    void threads(final int n) {
        threads = Options.checkInt(spec, "--threads", n, 1, 64);
    }

    @Option(names = "--pending-limit", order = 5, paramLabel = "N", description = "Each table's pending limit "
            + "(1 to 1,048,576; default: 4,096).")
    void pendingLimit(final int n) {
        pendingLimit = Options.checkInt(spec, "--pending-limit", n, 1, 1 << 20);
    }

    @Option(names = "--seed", order = 20, paramLabel = "N", description = "Seed of every random choice "
            + "(default: 0x5EED = 24301).")
    void seed(final long s) {
        seed = s;
    }

    /** The negative control, for tests: the pool's writer reuses cells without a grace period. */
    @Option(names = "--negative-control", hidden = true)
    boolean control;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Duration d = Duration.ofNanos((long) (minutes * 60e9));
        err.printf(Locale.ROOT, "smr4j: soak on %s for %s%s%n", Machine.probe().summary(), SoakRun.clock(d.toNanos()),
                control ? " (NEGATIVE CONTROL: the pool reuses without a grace period)" : "");
        err.flush();
        final SoakRun.Summary s = SoakRun.run(new SoakRun.Config(d, Duration.ofNanos((long) (progressSeconds * 1e9)),
                connections, threads, pendingLimit, seed, control), line -> {
                    err.println(line);
                    err.flush();
                });
        s.lines().forEach(out::println);
        out.flush();
        if (!s.clean()) {
            err.println("smr4j: the soak " + (s.violations() > 0 ? "saw " + s.violations() + " violation(s)"
                    : "had failures") + "; see the summary above");
            return 1;
        }
        return 0;
    }
}
