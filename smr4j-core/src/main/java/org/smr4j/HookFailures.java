package org.smr4j;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/*
 * Overview
 * --------
 * How a structure of this package reports a failure of user code that no caller can take:
 * a pool's destruct, fini and poison hooks, and a retire queue's actions. They run for
 * objects the caller already gave up, often on another thread and inside a loop over a whole
 * batch, so throwing would hand the failure to a stranger and skip the rest of the batch.
 *
 * The rule, the same in SmrPool, PserializePool and SmrRetireQueue:
 *  - Every Throwable is caught: RuntimeException, Error, and checked exceptions that reach
 *    us through a sneaky throw (a Kotlin lambda, a rethrowing helper). The loop goes on with
 *    the next object, and the structure's accounting is right whatever was thrown.
 *  - Each failure is reported once: counted once (the structure's Stats: hookFailures, or
 *    failed for a retire queue) and logged once through System.Logger. The first failure of
 *    each hook of each structure is logged at WARNING with its stack trace and says that the
 *    later ones go to DEBUG, so a hook that fails for every object of a busy pool cannot
 *    flood a production log; DEBUG keeps each of them for whoever wants them.
 *  - Hooks that run on the caller's own call for the caller's own object (factory, init and
 *    construct of a get; PserializePool's destruct in put) are not reported here: the
 *    failure propagates to that caller unchanged, after the structure put its accounting
 *    right in a finally, and propagating it is its one report.
 *  - report() itself never throws: a logger that fails is ignored, so a failing log cannot
 *    turn into the lost batch this class exists to prevent.
 */
final class HookFailures {
    /** The hooks whose failures are reported; one WARNING each per structure. */
    enum Hook {
        DESTRUCT("destruct", 1), FINI("fini", 2), POISON("poison", 4), ACTION("action", 8);

        final String label;
        /** This hook's bit in {@code warned}. */
        final int bit;

        Hook(final String label, final int bit) {
            this.label = label;
            this.bit = bit;
        }
    }

    /**
     * The name of the System.Logger the reports go to. The logger itself is looked up when a
     * failure is reported (System.getLogger caches it): a structure that never sees a failing
     * hook never creates one, and its object graph does not reach the logging backend (a
     * model checker such as Lincheck walks the graph of the structure under test).
     */
    private final String logger;
    /** The structure, as its messages name it: {@code pool 'x'}, {@code retire queue 'y'}. */
    private final String owner;
    private final LongAdder count = new LongAdder();
    /** One bit per {@link Hook} whose first failure has been logged at WARNING. */
    private final AtomicInteger warned = new AtomicInteger();

    HookFailures(final String logger, final String owner) {
        this.logger = logger;
        this.owner = owner;
    }

    /**
     * Counts and logs one failure of {@code hook} for an object of the structure. Never
     * throws. {@code outcome} says what became of the object ("the object was finalised").
     */
    void report(final Hook hook, final Object obj, final Throwable failure, final String outcome) {
        count.increment();
        try {
            final int bit = hook.bit;
            // ORDER: volatile RMW on a flag word; orders nothing else. Exactly one thread
            // wins the WARNING for each hook.
            final boolean first = (warned.getAndUpdate(w -> w | bit) & bit) == 0;
            final String what = owner + ": " + hook.label + " threw " + failure.getClass().getName()
                    + " for an object of " + obj.getClass().getName() + "; " + outcome;
            final System.Logger log = System.getLogger(logger);
            if (first) {
                log.log(System.Logger.Level.WARNING, what + ". Later " + hook.label + " failures of " + owner
                        + " are logged at DEBUG only; its statistics count every one", failure);
            } else if (log.isLoggable(System.Logger.Level.DEBUG)) {
                log.log(System.Logger.Level.DEBUG, what, failure);
            }
        } catch (final Throwable ignored) {
            // A failing logger (or no memory for the message): the failure is counted, the
            // caller's loop must go on.
        }
    }

    /** Failures reported so far. */
    long count() {
        return count.sum();
    }
}
