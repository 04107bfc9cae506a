package org.smr4j.demo.fork;

import java.nio.file.Path;
import org.smr4j.demo.churn.ChurnConfig;
import org.smr4j.demo.churn.ChurnHarness;
import org.smr4j.demo.churn.ChurnReport;
import org.smr4j.demo.churn.Json;

/**
 * The entry point of a forked JVM: runs the strategy of one {@link ChurnConfig} (read from the
 * JSON file {@code args[0]}) with {@link ChurnHarness} and writes its {@link ChurnReport} as
 * JSON to {@code args[1]}. Progress lines go to stderr, which the parent sends to the fork's
 * log file. Exit status: 0 when the report was written (violations included: the parent
 * judges them), 2 for wrong arguments, 3 when the run threw (the stack trace is in the log).
 */
public final class ForkMain {

    private ForkMain() {
    }

    /**
     * Runs one fork.
     *
     * @param args the request file and the result file
     */
    public static void main(final String[] args) {
        if (args.length != 2) {
            System.err.println("usage: ForkMain REQUEST.json RESULT.json");
            System.exit(2);
        }
        try {
            final ChurnConfig cfg = Json.read(Path.of(args[0]), ChurnConfig.class);
            final ChurnReport report = ChurnHarness.run(cfg, System.err);
            Json.write(Path.of(args[1]), report);
        } catch (final RuntimeException | Error e) {
            e.printStackTrace();
            System.exit(3);
        }
        // The harness's worker threads are daemons and have stopped; nothing keeps the JVM.
        System.exit(0);
    }
}
