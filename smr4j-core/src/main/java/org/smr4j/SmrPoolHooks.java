package org.smr4j;

import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The user code an {@link SmrPool} runs for its objects, and what a failure of each does: the
 * factory and init (when an object is created), destruct and poison (when its batch expires),
 * fini (when the pool lets it go). Construct, the one hook on the fast path, is called by
 * SmrPool.handOut itself.
 */
final class SmrPoolHooks<T> {
    /*
     * The failure policy (the class javadoc of SmrPool, "Hook failures", is the contract):
     *  - create() runs the factory and init for the caller of get, prime or build: whatever
     *    they throw propagates unchanged (the depot gives the live slot back in a finally).
     *  - destruct(), poison() and fini() run for objects their callers gave up, in loops over
     *    whole batches, often on another thread: each catches every Throwable (checked
     *    exceptions thrown sneakily too), reports it once through HookFailures (counted in
     *    Stats.hookFailures, one WARNING per hook and pool, then DEBUG) and returns false, so
     *    the caller's loop goes on and its accounting stays right.
     * An object's hooks never run concurrently with each other: the pool hands each object to
     * one thread at a time (the places of the SmrPool overview).
     */

    private static final String LOGGER = "org.smr4j.pool";

    private final String name;
    private final Supplier<? extends T> factory;
    private final @Nullable Consumer<? super T> init;
    private final @Nullable Consumer<? super T> fini;
    private final @Nullable Consumer<? super T> destruct;
    /** Checked pools only; null otherwise (the builder's poison hook is ignored unless checked). */
    private final @Nullable Consumer<? super T> poison;
    private final HookFailures failures;

    SmrPoolHooks(final String name, final Supplier<? extends T> factory, final @Nullable Consumer<? super T> init,
                 final @Nullable Consumer<? super T> fini, final @Nullable Consumer<? super T> destruct,
                 final @Nullable Consumer<? super T> poison) {
        this.name = name;
        this.factory = factory;
        this.init = init;
        this.fini = fini;
        this.destruct = destruct;
        this.poison = poison;
        this.failures = new HookFailures(LOGGER, "pool '" + name + "'");
    }

    /** Runs the factory and init; their failures propagate. Not counted anywhere: the caller does. */
    T create() {
        final T obj = factory.get();
        if (obj == null) {
            throw new NullPointerException("pool '" + name + "': the factory returned null");
        }
        if (init != null) {
            init.accept(obj);
        }
        return obj;
    }

    boolean hasDestruct() {
        return destruct != null;
    }

    boolean hasPoison() {
        return poison != null;
    }

    /** Runs destruct if there is one; false if it threw (reported). */
    boolean destruct(final T obj) {
        return destruct == null || run(HookFailures.Hook.DESTRUCT, destruct, obj);
    }

    /** Runs poison if there is one (checked pools only); false if it threw (reported). */
    boolean poison(final T obj) {
        return poison == null || run(HookFailures.Hook.POISON, poison, obj);
    }

    /** Runs fini if there is one; false if it threw (reported). */
    boolean fini(final T obj) {
        return fini == null || run(HookFailures.Hook.FINI, fini, obj);
    }

    /** Failures reported so far (Stats.hookFailures). */
    long failures() {
        return failures.count();
    }

    /**
     * Runs a hook whose failure no caller can take (destruct, fini, poison): a failure of any
     * kind is reported once (counted, logged) and the call returns false.
     */
    private boolean run(final HookFailures.Hook hook, final Consumer<? super T> h, final T obj) {
        try {
            h.accept(obj);
            return true;
        } catch (final Throwable e) {
            failures.report(hook, obj, e, "the object was finalised and dropped");
            return false;
        }
    }
}
