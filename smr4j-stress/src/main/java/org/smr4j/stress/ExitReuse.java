package org.smr4j.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.smr4j.Smr;
import org.smr4j.SmrPointer;

/**
 * Exit-release versus reuse after a successful poll: loads a reader made inside its section
 * must not see the writer's overwrite of the object after the poll let it go.
 *
 * <p>The hazard. The reader finds the object, reads its fields and exits; the writer, having
 * unlinked it, polls until the goal is reached and then overwrites the object (recycles it).
 * The poll succeeds because it saw the reader's exit store. If that store were not a release,
 * the reader's field loads could be performed after it (load-store reordering: arm64, POWER,
 * or the JIT), and if the poll did not end with an acquire fence, the writer's overwrite
 * could be performed before its load of the reader's slot; either way the reader reads the
 * recycled contents under the old identity. {@code Reader.exit} stores with release and
 * {@code Smr.scan} ends with {@code VarHandle.acquireFence()}.
 *
 * <p>Result: {@code (r1, r2)} = the two fields the reader read inside its section, or
 * {@code (-1, -1)} if it found the object already unlinked; the object holds (1, 1) and the
 * writer overwrites it with (2, 2). {@code r3} = 1 if the writer's poll reached the goal and
 * it overwrote the object, 0 if it gave up after {@link #POLL_GIVE_UP_NANOS} (liveness, which
 * this test reports but does not judge).
 *
 * <p>Cases: {@link Default} and {@link Lazy} run the real {@link Smr}; {@link Model} is the
 * protocol stripped to one slot; {@link PlainExitModel} is the negative control: a plain exit
 * store and a poll without the acquire fence. The JMM allows it to fail, but x86 (TSO) never
 * reorders a load with a later store, so on this machine it is expected to pass; it is there
 * for arm64 and POWER runs, and to show what the fences are for. {@link EarlyExitModel} writes
 * the reordering into the program (exit, then the loads): the control that shows here.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -jar smr4j-stress/target/jcstress.jar
 * -t ExitReuse -m default}
 */
@Outcome(id = "-1, -1, 1", expect = ACCEPTABLE,
        desc = "Reader found the object unlinked; the writer reached the goal and recycled it.")
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE,
        desc = "Reader read the old contents; the writer recycled the object after the poll saw the reader leave.")
@Outcome(id = {"-1, -1, 0", "1, 1, 0"}, expect = ACCEPTABLE_INTERESTING,
        desc = "Liveness, not safety: the writer's poll did not reach the goal within the give-up time"
                + " (a reader descheduled inside its section, or a stuck read hand). Look into it if frequent.")
@Outcome(id = {"2, 2, 1", "1, 2, 1", "2, 1, 1"}, expect = FORBIDDEN,
        desc = "Reader saw the writer's overwrite inside its section: the poll let the object go before the"
                + " reader's loads were done (exit not a release, or no acquire after the scan).")
@Outcome(expect = FORBIDDEN, desc = "Harness error: an overwrite without a reached goal, or values nobody wrote.")
public final class ExitReuse {
    /** How long a writer polls for one goal before it gives up. */
    static final long POLL_GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(1);

    private ExitReuse() {
    }

    /** The object; its contents are overwritten when the writer recycles it. */
    public static final class Node {
        int x = 1;
        int y = 1;
    }

    static void recycle(final Node node) {
        node.x = 2;
        node.y = 2;
    }

    /** Reads inside the section; the two loads are the accesses that must precede the exit. */
    static void read(final Node found, final III_Result r) {
        if (found == null) {
            r.r1 = -1;
            r.r2 = -1;
        } else {
            r.r1 = found.x;
            r.r2 = found.y;
        }
    }

    /** Polls until the goal is reached or the give-up time passes. */
    static boolean pollUntilReached(final Smr smr, final long goal) {
        if (smr.poll(goal)) {
            return true;
        }
        final long start = System.nanoTime();
        while (!smr.poll(goal)) {
            if (System.nanoTime() - start > POLL_GIVE_UP_NANOS) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    /** The real class, default mode. */
    @JCStressTest
    @JCStressMeta(ExitReuse.class)
    @State
    public static class Default {
        static final Smr SMR = Domains.defaultMode("ExitReuse.Default");

        final Node old = new Node();
        final SmrPointer<Node> ptr = new SmrPointer<>(SMR, () -> true, old);

        @Actor
        public void reader(final III_Result r) {
            SMR.enter();
            try {
                read(ptr.enteredLoad(), r);
            } finally {
                SMR.exit();
            }
        }

        @Actor
        public void writer(final III_Result r) {
            ptr.serializedStore(null); // unlink
            if (pollUntilReached(SMR, SMR.advance())) {
                recycle(old);
                r.r3 = 1;
            }
        }
    }

    /**
     * The real class, lazy mode with fence-free readers: the exit is the same release store;
     * the goal is reached about one tick ({@link Domains#LAZY_TICK}) after the advance.
     */
    @JCStressTest
    @JCStressMeta(ExitReuse.class)
    @State
    public static class Lazy {
        static final Smr SMR = Domains.lazyFenceFree("ExitReuse.Lazy");

        final Node old = new Node();
        final SmrPointer<Node> ptr = new SmrPointer<>(SMR, () -> true, old);

        @Actor
        public void reader(final III_Result r) {
            SMR.enter();
            try {
                read(ptr.enteredLoad(), r);
            } finally {
                SMR.exit();
            }
        }

        @Actor
        public void writer(final III_Result r) {
            ptr.serializedStore(null); // unlink
            if (pollUntilReached(SMR, SMR.advance())) {
                recycle(old);
                r.r3 = 1;
            }
        }
    }

    /**
     * The protocol stripped down: one slot (1 inside, 0 outside) entered with a store-load
     * fence, exited with a release store; the writer waits for the slot to read 0 and then
     * issues an acquire fence before recycling. Must never show the forbidden outcome.
     */
    @JCStressTest
    @JCStressMeta(ExitReuse.class)
    @State
    public static class Model {
        final Node old = new Node();
        /** Accessed through SLOT. */
        @SuppressWarnings("unused")
        private int slot;
        /** Accessed through PTR. */
        @SuppressWarnings("unused")
        private Node ptr = old;

        @Actor
        public void reader(final III_Result r) {
            SLOT.setOpaque(this, 1);
            VarHandle.fullFence();
            read((Node) PTR.getAcquire(this), r);
            SLOT.setRelease(this, 0); // ORDER: release, the exit under test
        }

        @Actor
        public void writer(final III_Result r) {
            PTR.setRelease(this, null); // unlink
            VarHandle.fullFence();
            if (awaitIdle()) {
                VarHandle.acquireFence(); // ORDER: the poll's acquire, under test
                recycle(old);
                r.r3 = 1;
            }
        }

        private boolean awaitIdle() {
            final long start = System.nanoTime();
            while ((int) SLOT.getOpaque(this) != 0) {
                if (System.nanoTime() - start > POLL_GIVE_UP_NANOS) {
                    return false;
                }
                Thread.onSpinWait();
            }
            return true;
        }

        private static final VarHandle SLOT;
        private static final VarHandle PTR;

        static {
            try {
                final MethodHandles.Lookup lookup = MethodHandles.lookup();
                SLOT = lookup.findVarHandle(Model.class, "slot", int.class);
                PTR = lookup.findVarHandle(Model.class, "ptr", Node.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /**
     * Negative control: {@link Model} with a plain exit store and no acquire fence after the
     * writer's (opaque) slot load. Nothing then orders the reader's field loads before its
     * exit, nor the writer's overwrite after its slot load. On x86 the hardware still does
     * (TSO forbids load-store reordering) and HotSpot is not expected to move these accesses,
     * so this control is expected to show nothing here; it may on arm64 or POWER.
     */
    @JCStressTest
    @Outcome(id = "-1, -1, 1", expect = ACCEPTABLE, desc = "Reader found the object unlinked; the writer recycled it.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "Reader read the old contents before the recycling.")
    @Outcome(id = {"-1, -1, 0", "1, 1, 0"}, expect = ACCEPTABLE_INTERESTING,
            desc = "Liveness: the writer gave up waiting for the slot.")
    @Outcome(id = {"2, 2, 1", "1, 2, 1", "2, 1, 1"}, expect = ACCEPTABLE_INTERESTING,
            desc = "The hazard, shown: the reader's loads were performed after its plain exit store, or the writer's"
                    + " overwrite before its slot load. Allowed by the JMM; TSO hides it on x86; possible on arm64/POWER.")
    @Outcome(expect = FORBIDDEN, desc = "Harness error: an overwrite without the slot seen idle, or values nobody wrote.")
    @State
    public static class PlainExitModel {
        final Node old = new Node();
        /** Accessed through SLOT. */
        @SuppressWarnings("unused")
        private int slot;
        /** Accessed through PTR. */
        @SuppressWarnings("unused")
        private Node ptr = old;

        @Actor
        public void reader(final III_Result r) {
            SLOT.setOpaque(this, 1);
            VarHandle.fullFence();
            read((Node) PTR.getAcquire(this), r);
            SLOT.set(this, 0); // BROKEN on purpose: plain exit store, not a release
        }

        @Actor
        public void writer(final III_Result r) {
            PTR.setRelease(this, null); // unlink
            VarHandle.fullFence();
            if (awaitIdle()) {
                // BROKEN on purpose: no acquire fence before the reuse
                recycle(old);
                r.r3 = 1;
            }
        }

        private boolean awaitIdle() {
            final long start = System.nanoTime();
            // Opaque, so the JIT cannot hoist the load out of the loop; no acquire.
            while ((int) SLOT.getOpaque(this) != 0) {
                if (System.nanoTime() - start > POLL_GIVE_UP_NANOS) {
                    return false;
                }
                Thread.onSpinWait();
            }
            return true;
        }

        private static final VarHandle SLOT;
        private static final VarHandle PTR;

        static {
            try {
                final MethodHandles.Lookup lookup = MethodHandles.lookup();
                SLOT = lookup.findVarHandle(PlainExitModel.class, "slot", int.class);
                PTR = lookup.findVarHandle(PlainExitModel.class, "ptr", Node.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /**
     * Negative control that shows on this machine: {@link Model} with the reader's exit moved
     * <em>before</em> its field loads, the order a plain exit store lets the JIT or a weak CPU
     * produce (load-store reordering). x86-TSO never performs a load after a later store of the
     * same thread, so the broken order is written into the program: what this shows is that
     * the harness sees an overwrite that reaches a reader's loads whenever the exit does not
     * order them, on any platform. The writer keeps the model's acquire fence.
     */
    @JCStressTest
    @Outcome(id = "-1, -1, 1", expect = ACCEPTABLE, desc = "Reader found the object unlinked; the writer recycled it.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "Reader read the old contents before the recycling.")
    @Outcome(id = {"-1, -1, 0", "1, 1, 0"}, expect = ACCEPTABLE_INTERESTING,
            desc = "Liveness: the writer gave up waiting for the slot.")
    @Outcome(id = {"2, 2, 1", "1, 2, 1", "2, 1, 1"}, expect = ACCEPTABLE_INTERESTING,
            desc = "The hazard, shown: the reader's loads came after its exit (moved there on purpose) and saw the"
                    + " writer's overwrite. Expected on every platform.")
    @Outcome(expect = FORBIDDEN, desc = "Harness error: an overwrite without the slot seen idle, or values nobody wrote.")
    @State
    public static class EarlyExitModel {
        final Node old = new Node();
        /** Accessed through SLOT. */
        @SuppressWarnings("unused")
        private int slot;
        /** Accessed through PTR. */
        @SuppressWarnings("unused")
        private Node ptr = old;

        @Actor
        public void reader(final III_Result r) {
            SLOT.setOpaque(this, 1);
            VarHandle.fullFence();
            final Node found = (Node) PTR.getAcquire(this);
            SLOT.setRelease(this, 0); // BROKEN on purpose: the exit before the section's loads
            read(found, r);
        }

        @Actor
        public void writer(final III_Result r) {
            PTR.setRelease(this, null); // unlink
            VarHandle.fullFence();
            final long start = System.nanoTime();
            while ((int) SLOT.getOpaque(this) != 0) {
                if (System.nanoTime() - start > POLL_GIVE_UP_NANOS) {
                    return;
                }
                Thread.onSpinWait();
            }
            VarHandle.acquireFence();
            recycle(old);
            r.r3 = 1;
        }

        private static final VarHandle SLOT;
        private static final VarHandle PTR;

        static {
            try {
                final MethodHandles.Lookup lookup = MethodHandles.lookup();
                SLOT = lookup.findVarHandle(EarlyExitModel.class, "slot", int.class);
                PTR = lookup.findVarHandle(EarlyExitModel.class, "ptr", Node.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }
}
