package org.smr4j.demo;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jdk.jfr.Recording;
import org.smr4j.demo.hazard.HazardRun;
import org.smr4j.demo.report.HazardReport;
import org.smr4j.demo.report.Machine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code smr4j hazard}: what SMR prevents. Counts the readers that used a block after it had
 * been recycled for another connection, in every strategy and in a control table whose reuse
 * is not deferred ({@link HazardRun}). Exit status 1 if a real strategy let a reader act on a
 * recycled block.
 */
@Command(name = "hazard", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"What SMR prevents: readers that found a block and used it after it had been recycled for "
                + "another connection. Every strategy, then two controls: NO_DEFER, an SMR table of the same shape "
                + "whose removed blocks are reused at once (the bug: it must count such readers), and DEFERRED, "
                + "the same table with reuse deferred until the grace period ends (zero again). Runs in this JVM: "
                + "it counts correctness, not speed.", ""})
final class HazardCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ParentCommand
    Main main;

    @Mixin
    Options.Common common;

    @Mixin
    Options.Churn churn;

    private int dwell = 200;

    @Option(names = "--dwell", order = 8, paramLabel = "N", description = "Spin-waits a reader spends on the block it found "
            + "between its two looks (0 to 100,000; default: 200): longer stays meet more recycled blocks.")
    void dwell(final int n) {
        dwell = Options.checkInt(spec, "--dwell", n, 0, 100_000);
    }

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Instant started = Instant.now();
        final long t0 = System.nanoTime();
        final Machine machine = Machine.probe();
        final Path dir = Main.reportDir(common.out, "hazard");
        final HazardRun.Config cfg = new HazardRun.Config(common.strategies(), common.connections, common.threads,
                churn.churnThreads, common.seconds, dwell, common.seed);
        err.printf("smr4j: hazard on %s; %d strategies and 2 controls, %.1f s each, in this JVM%n", machine.summary(),
                cfg.strategies().size(), common.seconds);
        final Recording recording = common.jfr ? Main.startRecording("smr4j-hazard") : null;
        final ProgressBar bar = new ProgressBar(err, "hazard", main.terminal);
        final List<HazardRun.Result> results = HazardRun.run(cfg, bar);
        bar.done();
        final List<String> jfr = new ArrayList<>();
        if (recording != null) {
            Main.stopRecording(recording, dir.resolve("hazard.jfr"));
            jfr.add("hazard.jfr");
        }
        final Path html = HazardReport.write(dir, cfg, results, Main.runInfo(spec, started, t0, machine, jfr));
        out.println();
        out.print(HazardReport.text(results));
        out.println();
        HazardReport.verdict(results).forEach(out::println);
        out.println();
        out.println("report: " + html);
        if (!jfr.isEmpty()) {
            out.println("flight recording: " + dir.resolve(jfr.getFirst()));
            out.println("smr4j's events (statistics, waits, stalled readers): jfr print --categories smr4j "
                    + dir.resolve(jfr.getFirst()));
        }
        out.flush();
        return results.stream().anyMatch(r -> r.mustBeZero() && r.actedOnRecycled() > 0) ? 1 : 0;
    }
}
