package org.smr4j.demo.offheap;

import java.nio.file.Path;
import org.smr4j.demo.churn.Json;

/**
 * The entry point of a forked JVM of the {@code offheap} scenario: measures the one strategy of
 * the {@link OffheapConfig} in the JSON file {@code args[0]} ({@link OffheapRun#measure}) and
 * writes its {@link OffheapResult} as JSON to {@code args[1]}, then exits without freeing the
 * cache (the process's end does). Exit status: 0 when the result was written (torn reads
 * included: the parent judges them), 2 for wrong arguments, 3 when the measurement threw (the
 * stack trace is in the log).
 */
public final class OffheapForkMain {

    private OffheapForkMain() {
    }

    /**
     * Runs one fork.
     *
     * @param args the request file and the result file
     */
    public static void main(final String[] args) {
        if (args.length != 2) {
            System.err.println("usage: OffheapForkMain REQUEST.json RESULT.json");
            System.exit(2);
        }
        try {
            final OffheapConfig cfg = Json.read(Path.of(args[0]), OffheapConfig.class);
            if (cfg.strategies().size() != 1) {
                throw new IllegalArgumentException("a fork measures one strategy, was " + cfg.strategies());
            }
            Json.write(Path.of(args[1]), OffheapRun.measure(cfg, cfg.strategies().getFirst(), false, null));
        } catch (final RuntimeException | Error e) {
            e.printStackTrace();
            System.exit(3);
        }
        System.exit(0); // the workers are daemons and stopped; the cache goes with the process
    }
}
