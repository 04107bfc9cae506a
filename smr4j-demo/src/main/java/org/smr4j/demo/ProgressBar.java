package org.smr4j.demo;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.DoubleConsumer;
import org.smr4j.demo.fork.FairHarness;
import org.smr4j.demo.fork.FairHarness.Measurement;
import org.smr4j.demo.report.Format;

/**
 * A progress bar per phase on stderr. On a terminal it redraws one line in place
 * ({@code churn  [##########----------]  50%  SMR_LAZY 1/2  0:21}) and prints a line above it
 * as each measurement finishes; elsewhere (a pipe, a file, a test) it prints only those lines,
 * and the bar at 0 and 100%, so that a log stays readable.
 *
 * <p>Not thread-safe: the harness calls it from the thread that runs the phase.
 */
final class ProgressBar implements FairHarness.Progress, DoubleConsumer {

    private static final int WIDTH = 30;
    /** Redraw at most this often, ns. */
    private static final long REDRAW = 200_000_000L;

    private final PrintWriter err;
    private final String label;
    private final boolean terminal;
    private final long t0 = System.nanoTime();
    private long lastDraw;
    private String what = "";
    private double fraction;
    private boolean open;

    ProgressBar(final PrintWriter err, final String label, final boolean terminal) {
        this.err = err;
        this.label = label;
        this.terminal = terminal;
        draw(true);
    }

    /** @return whether stderr is a terminal (then the bar redraws in place) */
    @SuppressWarnings("SystemConsoleNull") // JDK 22+ returns a console for redirected streams too; isTerminal decides
    static boolean terminal() {
        final java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    @Override
    public void update(final double f, final String w) {
        fraction = Math.max(fraction, Math.min(1, f));
        what = w;
        final long now = System.nanoTime();
        if (terminal && now - lastDraw > REDRAW) {
            draw(false);
        }
    }

    @Override
    public void accept(final double f) {
        update(f, what);
    }

    /** Sets what the bar says it is doing. */
    void doing(final String w) {
        what = w;
    }

    @Override
    public void finished(final Measurement m, final int done, final int total) {
        final String line = String.format(Locale.ROOT, "  %-6s %2d/%d  %-20s rep %d: %9s lookups/s  %9s churn/s  "
                        + "p99 %s  pid %d, load %.2f%s", label, done, total, m.strategy(), m.repetition(),
                Format.si(m.result().lookupsPerSecond()),
                Format.si((m.result().closed() + m.result().floodInserts()) / m.result().seconds()),
                Format.nanos(m.result().lookupLatencies().getTotalCount() == 0 ? -1
                        : m.result().lookupLatencies().getValueAtPercentile(99)),
                m.environment().pid(), m.environment().loadBefore(),
                m.result().clean() ? "" : "  <-- " + m.result().violations().total() + " VIOLATIONS"
                        + (m.result().error() == null ? "" : ", " + m.result().error()));
        message(line);
    }

    /** Prints a line above the bar. */
    void message(final String line) {
        if (terminal && open) {
            err.print("\r\033[2K");
        }
        err.println(line);
        open = false;
        if (terminal) {
            draw(false);
        } else {
            err.flush();
        }
    }

    /** Draws the bar at 100% and ends its line. */
    void done() {
        fraction = 1;
        what = "done";
        draw(true);
        if (terminal) {
            err.println();
            open = false;
        }
        err.flush();
    }

    private void draw(final boolean always) {
        if (!terminal && !always) {
            return;
        }
        lastDraw = System.nanoTime();
        final int filled = (int) Math.round(fraction * WIDTH);
        final long s = (lastDraw - t0) / 1_000_000_000L;
        final String bar = String.format(Locale.ROOT, "%-6s [%s%s] %3.0f%%  %-24s %d:%02d", label, "#".repeat(filled),
                "-".repeat(WIDTH - filled), fraction * 100, what, s / 60, s % 60);
        if (terminal) {
            err.print("\r\033[2K" + bar);
            open = true;
        } else {
            err.println(bar);
        }
        err.flush();
    }
}
