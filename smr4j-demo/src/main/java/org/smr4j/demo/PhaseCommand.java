package org.smr4j.demo;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import org.smr4j.demo.churn.ChurnConfig;
import org.smr4j.demo.fork.FairHarness;
import org.smr4j.demo.report.Comparison;
import org.smr4j.demo.report.ComparisonReport;
import org.smr4j.demo.report.Machine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The comparison runs: the default (churn, then flood) and the {@code churn} and {@code flood}
 * subcommands, which run one phase each. Every phase is a {@link FairHarness} plan; the report
 * is a {@link Comparison} of the phases.
 */
final class PhaseCommand {

    private PhaseCommand() {
    }

    /**
     * Runs phases, prints the comparison and writes the report.
     *
     * @return the exit status: 0, or 1 if a strategy had a violation
     */
    static int compare(final CommandSpec spec, final boolean terminal, final String name, final Options.Common c,
            final Options.Fair f, final Options.Churn ch, final Options.Flood fl, final List<String> phases) {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Instant started = Instant.now();
        final long t0 = System.nanoTime();
        final Machine machine = Machine.probe();
        final Path dir = Main.reportDir(c.out, name);
        final Path jfrDir = c.jfr ? dir.resolve("jfr") : null;
        final List<String> jvm = new ArrayList<>(FairHarness.DEFAULT_JVM_OPTIONS);
        jvm.addAll(f.jvmOptions);
        err.printf("smr4j: %s on %s; %d strategies x %d repetitions per phase, %s%n", String.join(" then ", phases),
                machine.summary(), c.strategies().size(), f.repetitions,
                f.inProcess ? "all in this JVM (--in-process)" : "each in its own JVM");
        final Recording recording = c.jfr && f.inProcess ? Main.startRecording("smr4j-" + name) : null;
        final List<Comparison.Phase> done = new ArrayList<>();
        for (final String phase : phases) {
            final boolean isFlood = phase.equals("flood");
            final ChurnConfig cfg = isFlood ? Main.floodConfig(c, f, fl) : Main.churnConfig(c, f, ch);
            final String title = isFlood
                    ? "SYN flood: " + cfg.lookupThreads() + " lookup thread(s) and an attacker inserting half-open "
                            + "connections"
                    : "Churn: " + cfg.lookupThreads() + " lookup thread(s) and " + cfg.churnThreads()
                            + " thread(s) opening and closing connections";
            final ProgressBar bar = new ProgressBar(err, phase, terminal);
            final FairHarness.FairRun run = FairHarness.run(new FairHarness.Plan(phase, cfg, f.repetitions,
                    !f.inProcess, jvm, dir.resolve("forks"), jfrDir), bar);
            bar.done();
            done.add(new Comparison.Phase(phase, title, run));
        }
        final List<String> jfr = new ArrayList<>();
        if (recording != null) {
            Main.stopRecording(recording, dir.resolve(name + ".jfr"));
            jfr.add(name + ".jfr");
        } else if (jfrDir != null) {
            try (Stream<Path> files = Files.list(jfrDir)) {
                files.filter(p -> p.toString().endsWith(".jfr")).sorted()
                        .forEach(p -> jfr.add(dir.relativize(p).toString()));
            } catch (final java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot list " + jfrDir, e);
            }
        }
        final Comparison comparison = Comparison.of(done);
        final Path html = ComparisonReport.write(dir, comparison, Main.runInfo(spec, started, t0, machine, jfr));
        Main.printComparison(out, comparison, html);
        if (!jfr.isEmpty()) {
            out.println("flight recordings: " + jfr.size() + " in " + (jfrDir != null ? jfrDir : dir)
                    + " (open with JDK Mission Control, or: jfr summary " + dir.resolve(jfr.getFirst()) + ")");
            out.println("smr4j's events (statistics, waits, stalled readers): jfr print --categories smr4j "
                    + dir.resolve(jfr.getFirst()));
        }
        if (comparison.violations() > 0) {
            err.println("smr4j: " + comparison.violations() + " VIOLATIONS: a table returned a wrong or freed block "
                    + "or lost a connection; see the violations column and " + html);
            return 1;
        }
        return 0;
    }

    /** {@code smr4j churn}. */
    @Command(name = "churn", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
            description = {"The connection table under churn: lookup threads find established connections while "
                    + "churn threads open connections and close the oldest, at full speed, for every strategy, each "
                    + "in its own JVM. Prints the comparison table and the verdict, writes the HTML report.", ""})
    static final class Churn implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @ParentCommand
        Main main;

        @Mixin
        Options.Common common;

        @Mixin
        Options.Fair fair;

        @Mixin
        Options.Churn churn;

        @Override
        public Integer call() {
            return compare(spec, main.terminal, "churn", common, fair, churn, new Options.Flood(), List.of("churn"));
        }
    }

    /** {@code smr4j flood}. */
    @Command(name = "flood", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
            description = {"The connection table under a SYN flood: lookup threads find established connections "
                    + "while an attacker inserts half-open connections from random tuples at full speed, each "
                    + "removed when it expires (--flood-ttl) or evicted at the limit (--flood-max), for every "
                    + "strategy, each in its own JVM.", ""})
    static final class Flood implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @ParentCommand
        Main main;

        @Mixin
        Options.Common common;

        @Mixin
        Options.Fair fair;

        @Mixin
        Options.Flood flood;

        @Override
        public Integer call() {
            return compare(spec, main.terminal, "flood", common, fair, new Options.Churn(), flood, List.of("flood"));
        }
    }
}
