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
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.smr4j.Smr;
import org.smr4j.SmrPointer;
import org.smr4j.SmrPool;

/**
 * The {@link SmrPool} hand-off: an object {@code put} on one thread is returned by
 * {@code get} on another once the pool's poll of its batch's tag succeeded, and meanwhile a
 * reader that found an object inside a read section never sees it reused while inside.
 *
 * <p>The hazards. (1) Publication: the getter must see every write the putter made before
 * {@code put} ({@code put} happens-before the {@code get} that returns the same object); the
 * pool carries this through its stripe lock and depot lock, not through the domain. (2) Reuse
 * under a reader: the pool may hand an object out only after {@code poll(tag)} of its batch
 * returned true, where the tag is an advance made after the unlink, so a reader that found
 * the object (entered before the unlink) blocks it until it exits.
 *
 * <p>Two actors, two objects. The scenario has three threads (putter A, getter B, a
 * reader C of A's object), but jcstress schedules no more actors than there are CPUs, and
 * this machine has two (CI runners may too): a three-actor test would be skipped silently.
 * (A reader on A's or B's thread cannot stand in: C's section would have to span A's put or
 * B's get, and neither may run inside a section of the pool's domain.) So each state has a
 * pool with a hard limit of two objects, both handed out when the state is made:
 * <ul>
 *   <li>{@code handed}, which actor X modifies (fields {@code a1}, {@code a2}), unlinks,
 *       {@code put}s and {@code flush}es, and which actor Y should receive: the cross-thread
 *       hand-off of hazard (1);</li>
 *   <li>{@code held}, which Y unlinks, {@code put}s and {@code flush}es, and which X, after
 *       its put, looks for through a shared pointer inside a read section: if X found it, X
 *       stays inside until Y's verdict arrives (bounded) and then reads {@code mark}, which Y
 *       sets when the pool hands {@code held} back to it: hazard (2), getter and reader on
 *       different threads.</li>
 * </ul>
 * After its put, Y calls {@code tryGet()} in a loop (bounded by a give-up time) until it has
 * both objects. At the hard limit the pool cannot create an object, so everything Y gets
 * comes through the hand-off path (a tag polled successfully, the batch dequeued); Y's misses
 * also flush every stripe, so Y may tag X's put itself. {@code flush()} makes the put tagged
 * and queued at once: a magazine of size 1 is not enough, since a put only fills the free
 * magazine and the next put tags it. Y never waits on a signal from X (that would add a
 * happens-before edge of its own and hide hazard 1): the pool is the only channel from X to
 * Y. In default mode X's section, which starts after X's own flush, never holds back
 * {@code handed}; in lazy mode it may (the flush's goal lies about a tick ahead).
 *
 * <p>Result: {@code r1} = {@code handed} as Y got it: 0 not in time, 1 with both of X's writes
 * visible, 2 with one or both missing, 3 harness error (an object Y got twice or did not
 * expect). {@code r2} = {@code held}: 0 Y did not get it back in time, 1 Y got it back and
 * reused it, 3 harness error. {@code r3} = what X's section found: 0 the unlink (null), 1
 * {@code held}. {@code r4} = if X found {@code held}, what it saw before leaving (else 0): 0
 * no verdict in time (jcstress does not promise that actors overlap), 1 Y gave up on
 * {@code held}, 2 Y reused {@code held} and X saw the mark, 3 Y reused it but X did not see
 * the mark (a harness error: the verdict is a release/acquire).
 *
 * <p>Cases: {@link Default} and {@link Lazy} run the real pool on a default-mode and a
 * fence-free lazy domain (one domain per case, shared by its states; one pool per state);
 * {@link GoalModel} is the protocol stripped to a field and a goal; {@link NoWaitModel} is
 * the negative control: that model without the goal and the release/acquire (it hands
 * {@code handed} over with an opaque store and load and reuses {@code held} at once). It
 * shows the reuse-under-a-reader outcome on x86 too; its stale-fields outcome is hidden by
 * x86-TSO and needs arm64 or POWER. {@link LateWriteModel} writes that reordering into the
 * program (X's writes after its hand-off): the stale-fields control that shows here.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -jar smr4j-stress/target/jcstress.jar
 * -t PoolHandOff -m quick}
 */
@Outcome(id = "1, 1, 0, 0", expect = ACCEPTABLE,
        desc = "Both hand-offs: Y got X's object with X's writes, and its own back; X's section found the unlink.")
@Outcome(id = "1, 0, 0, 0", expect = ACCEPTABLE,
        desc = "Y got X's object with X's writes, not its own in time (a section on a neighbouring state of the"
                + " shared domain); X found the unlink.")
@Outcome(id = {"0, 1, 0, 0", "0, 0, 0, 0"}, expect = ACCEPTABLE,
        desc = "Y did not get X's object in time (X ran late: actors need not overlap); X found the unlink.")
@Outcome(id = {"1, 0, 1, 1", "0, 0, 1, 1"}, expect = ACCEPTABLE,
        desc = "The refusal that matters: X held Y's object inside its section while Y polled; the pool did not"
                + " hand it back and Y gave up.")
@Outcome(id = {"1, 0, 1, 0", "0, 0, 1, 0", "1, 1, 1, 0", "0, 1, 1, 0"}, expect = ACCEPTABLE,
        desc = "X found Y's object and got no verdict in time, then left; Y may have got it back afterwards.")
@Outcome(id = {"2, 1, 0, 0", "2, 0, 0, 0", "2, 0, 1, 1", "2, 0, 1, 0", "2, 1, 1, 0", "2, 1, 1, 2"},
        expect = FORBIDDEN,
        desc = "Y got X's object but missed X's writes made before put: put does not happen-before the get.")
@Outcome(id = {"1, 1, 1, 2", "0, 1, 1, 2", "1, 1, 1, 3", "0, 1, 1, 3"}, expect = FORBIDDEN,
        desc = "The pool handed Y's object back while X, which found it, was still inside its section.")
@Outcome(expect = FORBIDDEN,
        desc = "Harness error: an object got twice or unexpected, or a verdict that contradicts Y's result.")
public final class PoolHandOff {
    /** How long X stays inside its section waiting for Y's verdict, at most. */
    static final long WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /**
     * How long Y keeps calling {@code tryGet()} in the default-mode case. A default-mode goal
     * is reached at once unless a reader holds it, so this mostly bounds the samples in which
     * X holds {@code held} (Y gives up, then X leaves).
     */
    static final long GIVE_UP_DEFAULT_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    /** As {@link #GIVE_UP_DEFAULT_NANOS}, lazy case: fifty ticks of {@link Domains#LAZY_TICK}. */
    static final long GIVE_UP_LAZY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private PoolHandOff() {
    }

    /** The pooled object. */
    public static final class Node {
        /** X's writes before put; 0 as created. */
        int a1;
        int a2;
        /** Y's reinitialisation after get; 0 until then. */
        int mark;
    }

    /** A per-state pool of at most two objects on the given domain. */
    static SmrPool<Node> twoPool(final String name, final Smr smr) {
        return SmrPool.builder(name, Node::new)
                .smr(smr)
                .magazineSize(1)
                .hardLimit(2)
                .jmx(false) // one MBean per state would leak and cost far more than the sample
                // No held set: its monitors would order put before get by themselves and hide a
                // missing edge of the pool's own hand-off, which is what this test is about.
                .doublePutCheck(false)
                .build();
    }

    /** The state of the real cases. */
    abstract static class Real {
        final SmrPool<Node> pool;
        /** X puts it, Y should get it. */
        final Node handed;
        /** Y puts it and gets it back; X's section may find it. */
        final Node held;
        final SmrPointer<Node> handedPtr;
        final SmrPointer<Node> heldPtr;
        final Verdict verdict = new Verdict();

        Real(final String name, final Smr smr) {
            pool = twoPool(name, smr);
            handed = pool.get();
            held = pool.get();
            handedPtr = new SmrPointer<>(smr, () -> true, handed);
            heldPtr = new SmrPointer<>(smr, () -> true, held);
        }

        /** Actor X: modifies, unlinks, puts and tags {@code handed}; then reads {@code heldPtr}. */
        final void putThenRead(final IIII_Result r) {
            handed.a1 = 1;
            handed.a2 = 1;
            handedPtr.serializedStore(null); // unlink: no new reader can find it
            pool.put(handed);
            pool.flush(); // tag the free magazine with an advance and queue it now
            final Smr smr = pool.smr();
            smr.enter();
            try {
                inside(heldPtr.enteredLoad(), verdict, r);
            } finally {
                smr.exit();
            }
        }

        /** Actor Y: unlinks, puts and tags {@code held}; then tryGet until it has both. */
        final void putThenGetBoth(final long giveUpNanos, final IIII_Result r) {
            heldPtr.serializedStore(null); // unlink
            pool.put(held);
            pool.flush();
            boolean gotHanded = false;
            boolean gotHeld = false;
            final long start = System.nanoTime();
            while (!(gotHanded && gotHeld)) {
                final Node got = pool.tryGet();
                if (got == null) {
                    if (System.nanoTime() - start > giveUpNanos) {
                        break;
                    }
                    Thread.onSpinWait();
                } else if (got == handed && !gotHanded) {
                    gotHanded = true;
                    r.r1 = got.a1 == 1 && got.a2 == 1 ? 1 : 2;
                } else if (got == held && !gotHeld) {
                    gotHeld = true;
                    got.mark = 1; // reinitialise: what a reader still holding it must never see
                    r.r2 = 1;
                    verdict.publish(Verdict.REACHED);
                } else {
                    r.r1 = 3;
                    r.r2 = 3;
                    break;
                }
            }
            if (!gotHeld) {
                verdict.publish(Verdict.NOT_REACHED);
            }
        }
    }

    /** X inside its section: the result for what it found. */
    static void inside(final Node found, final Verdict verdict, final IIII_Result r) {
        if (found == null) {
            r.r3 = 0;
            r.r4 = 0;
            return;
        }
        r.r3 = 1;
        final int v = verdict.await(WAIT_NANOS);
        if (v == Verdict.REACHED) {
            // After the verdict (acquire): Y's mark is visible; we are still inside.
            r.r4 = found.mark == 1 ? 2 : 3;
        } else {
            r.r4 = v; // NONE (0) or NOT_REACHED (1)
        }
    }

    /** The real pool on a default-mode domain. */
    @JCStressTest
    @JCStressMeta(PoolHandOff.class)
    @State
    public static class Default extends Real {
        static final Smr SMR = Domains.defaultMode("PoolHandOff.Default");

        public Default() {
            super("PoolHandOff.Default", SMR);
        }

        @Actor
        public void x(final IIII_Result r) {
            putThenRead(r);
        }

        @Actor
        public void y(final IIII_Result r) {
            putThenGetBoth(GIVE_UP_DEFAULT_NANOS, r);
        }
    }

    /**
     * The real pool on a lazy domain with fence-free readers: a batch's goal is reached about
     * one tick ({@link Domains#LAZY_TICK}) after its flush, by a scan that issued
     * {@code membarrier(2)}; Y keeps polling meanwhile, for up to {@link #GIVE_UP_LAZY_NANOS}.
     */
    @JCStressTest
    @JCStressMeta(PoolHandOff.class)
    @State
    public static class Lazy extends Real {
        static final Smr SMR = Domains.lazyFenceFree("PoolHandOff.Lazy");

        public Lazy() {
            super("PoolHandOff.Lazy", SMR);
        }

        @Actor
        public void x(final IIII_Result r) {
            putThenRead(r);
        }

        @Actor
        public void y(final IIII_Result r) {
            putThenGetBoth(GIVE_UP_LAZY_NANOS, r);
        }
    }

    /**
     * The protocol stripped down: the pool reduced to a field and a goal. X hands
     * {@code handed} over with a release store, Y takes it with an acquire load (what the
     * pool's locks give); Y takes an advance after unlinking {@code held} and reuses it only
     * once {@code poll} of that goal returned true (the pool's tag and fetch). Uses the real
     * domain and pointers. Must never show a forbidden outcome; {@link NoWaitModel} is this
     * model with the goal and the release/acquire removed.
     */
    @JCStressTest
    @JCStressMeta(PoolHandOff.class)
    @State
    public static class GoalModel {
        static final Smr SMR = Domains.defaultMode("PoolHandOff.GoalModel");

        final Node handed = new Node();
        final Node held = new Node();
        final SmrPointer<Node> handedPtr = new SmrPointer<>(SMR, () -> true, handed);
        final SmrPointer<Node> heldPtr = new SmrPointer<>(SMR, () -> true, held);
        final Verdict verdict = new Verdict();
        /** The "pool": accessed through HAND_OFF. */
        @SuppressWarnings("unused")
        private Node handOff;

        @Actor
        public void x(final IIII_Result r) {
            handed.a1 = 1;
            handed.a2 = 1;
            handedPtr.serializedStore(null); // unlink
            HAND_OFF.setRelease(this, handed); // ORDER: release, the put
            SMR.enter();
            try {
                inside(heldPtr.enteredLoad(), verdict, r);
            } finally {
                SMR.exit();
            }
        }

        @Actor
        public void y(final IIII_Result r) {
            heldPtr.serializedStore(null); // unlink
            final long goal = SMR.advance(); // the tag
            boolean gotHanded = false;
            boolean gotHeld = false;
            final long start = System.nanoTime();
            while (!(gotHanded && gotHeld)) {
                boolean progress = false;
                if (!gotHeld && SMR.poll(goal)) { // ORDER: poll true ends with an acquire fence
                    gotHeld = true;
                    held.mark = 1;
                    r.r2 = 1;
                    verdict.publish(Verdict.REACHED);
                    progress = true;
                }
                if (!gotHanded) {
                    final Node got = (Node) HAND_OFF.getAcquire(this); // ORDER: acquire, the get
                    if (got != null) {
                        gotHanded = true;
                        r.r1 = got.a1 == 1 && got.a2 == 1 ? 1 : 2;
                        progress = true;
                    }
                }
                if (!progress) {
                    if (System.nanoTime() - start > GIVE_UP_DEFAULT_NANOS) {
                        break;
                    }
                    Thread.onSpinWait();
                }
            }
            if (!gotHeld) {
                verdict.publish(Verdict.NOT_REACHED);
            }
        }

        private static final VarHandle HAND_OFF;

        static {
            try {
                HAND_OFF = MethodHandles.lookup().findVarHandle(GoalModel.class, "handOff", Node.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /**
     * Negative control: {@link GoalModel} with the goal and the release/acquire removed. X
     * "puts" {@code handed} by an opaque store to {@code handOff}; Y "gets" it by spinning on
     * an opaque load, with no tag, no poll and no release/acquire; and Y reuses {@code held}
     * right after unlinking it, without waiting for any goal. X's section is the real one
     * (real domain, real pointer).
     *
     * <p>Expected here: {@code *, 1, 1, 2} (X saw Y's mark while still inside): nothing stops
     * Y, and X waits inside for Y's verdict, so this shows on any hardware whenever X's
     * pointer load precedes Y's unlink. Not expected on x86: {@code 2, *, *, *} (Y missed X's
     * writes): the JMM allows it, since an opaque store does not order X's earlier plain
     * stores before it and an opaque load does not order Y's later loads after it, but x86-TSO
     * keeps stores in order and loads in order, and HotSpot is not expected to move these
     * accesses; it needs arm64 or POWER.
     */
    @JCStressTest
    @Outcome(id = {"1, 1, 0, 0", "0, 1, 0, 0"}, expect = ACCEPTABLE,
            desc = "Y reused its object (at once), got X's object with X's writes or not in time; X found the unlink.")
    @Outcome(id = {"1, 1, 1, 0", "0, 1, 1, 0"}, expect = ACCEPTABLE,
            desc = "X found Y's object and got no verdict in time.")
    @Outcome(id = {"1, 1, 1, 2", "0, 1, 1, 2"}, expect = ACCEPTABLE_INTERESTING,
            desc = "The hazard, shown: Y reused its object while X, which found it, was still inside its section"
                    + " (nothing waits for readers). Expected on every platform.")
    @Outcome(id = {"2, 1, 0, 0", "2, 1, 1, 0", "2, 1, 1, 2"}, expect = ACCEPTABLE_INTERESTING,
            desc = "The hazard, shown: Y got X's object but missed X's writes (opaque hand-off, no release/acquire)."
                    + " Allowed by the JMM; hidden by x86-TSO; possible on arm64/POWER or by JIT reordering.")
    @Outcome(expect = FORBIDDEN, desc = "Harness error: the reuse verdict seen without the mark, or values nobody wrote.")
    @State
    public static class NoWaitModel {
        static final Smr SMR = Domains.defaultMode("PoolHandOff.NoWaitModel");

        final Node handed = new Node();
        final Node held = new Node();
        final SmrPointer<Node> handedPtr = new SmrPointer<>(SMR, () -> true, handed);
        final SmrPointer<Node> heldPtr = new SmrPointer<>(SMR, () -> true, held);
        final Verdict verdict = new Verdict();
        /** The whole "pool": accessed through HAND_OFF. */
        @SuppressWarnings("unused")
        private Node handOff;

        @Actor
        public void x(final IIII_Result r) {
            handed.a1 = 1;
            handed.a2 = 1;
            handedPtr.serializedStore(null); // unlink
            HAND_OFF.setOpaque(this, handed); // BROKEN on purpose: no tag, no release
            SMR.enter();
            try {
                inside(heldPtr.enteredLoad(), verdict, r);
            } finally {
                SMR.exit();
            }
        }

        @Actor
        public void y(final IIII_Result r) {
            heldPtr.serializedStore(null); // unlink
            held.mark = 1; // BROKEN on purpose: reused at once, no goal, no poll
            r.r2 = 1;
            verdict.publish(Verdict.REACHED);
            // BROKEN on purpose: no acquire. Opaque so that the loop re-reads.
            Node got = (Node) HAND_OFF.getOpaque(this);
            final long start = System.nanoTime();
            while (got == null && System.nanoTime() - start < GIVE_UP_DEFAULT_NANOS) {
                Thread.onSpinWait();
                got = (Node) HAND_OFF.getOpaque(this);
            }
            if (got != null) {
                r.r1 = got.a1 == 1 && got.a2 == 1 ? 1 : 2;
            }
        }

        private static final VarHandle HAND_OFF;

        static {
            try {
                HAND_OFF = MethodHandles.lookup().findVarHandle(NoWaitModel.class, "handOff", Node.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /**
     * Negative control for the stale-fields hazard that shows on this machine:
     * {@link GoalModel} with X's writes moved <em>after</em> its hand-off (release store),
     * the order a missing release lets the JIT or a weak CPU produce. x86-TSO keeps stores in
     * program order, so the broken order is written into the program: what this shows is that
     * Y's check sees writes missing from an object it was handed whenever the hand-off does
     * not order them. The rest is {@link GoalModel} (the goal and the poll are kept).
     */
    @JCStressTest
    @Outcome(id = {"1, 1, 0, 0", "1, 0, 0, 0", "0, 1, 0, 0", "0, 0, 0, 0"}, expect = ACCEPTABLE,
            desc = "Y got X's object with X's writes, or not in time; X found the unlink.")
    @Outcome(id = {"1, 0, 1, 1", "0, 0, 1, 1", "1, 0, 1, 0", "0, 0, 1, 0", "1, 1, 1, 0", "0, 1, 1, 0"},
            expect = ACCEPTABLE, desc = "X found Y's object; the goal held it back, or no verdict in time.")
    @Outcome(id = {"2, 1, 0, 0", "2, 0, 0, 0", "2, 0, 1, 1", "2, 0, 1, 0", "2, 1, 1, 0"},
            expect = ACCEPTABLE_INTERESTING,
            desc = "The hazard, shown: Y got X's object before X's writes (made after the hand-off on purpose)."
                    + " Expected on every platform.")
    @Outcome(expect = FORBIDDEN, desc = "Harness error, or an object reused under X (the goal is kept here).")
    @State
    public static class LateWriteModel {
        static final Smr SMR = Domains.defaultMode("PoolHandOff.LateWriteModel");

        final Node handed = new Node();
        final Node held = new Node();
        final SmrPointer<Node> handedPtr = new SmrPointer<>(SMR, () -> true, handed);
        final SmrPointer<Node> heldPtr = new SmrPointer<>(SMR, () -> true, held);
        final Verdict verdict = new Verdict();
        /** The "pool": accessed through HAND_OFF. */
        @SuppressWarnings("unused")
        private Node handOff;

        @Actor
        public void x(final IIII_Result r) {
            handedPtr.serializedStore(null); // unlink
            HAND_OFF.setRelease(this, handed); // the put, release as in GoalModel
            handed.a1 = 1; // BROKEN on purpose: written after the hand-off
            handed.a2 = 1;
            SMR.enter();
            try {
                inside(heldPtr.enteredLoad(), verdict, r);
            } finally {
                SMR.exit();
            }
        }

        @Actor
        public void y(final IIII_Result r) {
            heldPtr.serializedStore(null); // unlink
            final long goal = SMR.advance();
            boolean gotHanded = false;
            boolean gotHeld = false;
            final long start = System.nanoTime();
            while (!(gotHanded && gotHeld)) {
                boolean progress = false;
                if (!gotHeld && SMR.poll(goal)) {
                    gotHeld = true;
                    held.mark = 1;
                    r.r2 = 1;
                    verdict.publish(Verdict.REACHED);
                    progress = true;
                }
                if (!gotHanded) {
                    final Node got = (Node) HAND_OFF.getAcquire(this);
                    if (got != null) {
                        gotHanded = true;
                        r.r1 = got.a1 == 1 && got.a2 == 1 ? 1 : 2;
                        progress = true;
                    }
                }
                if (!progress) {
                    if (System.nanoTime() - start > GIVE_UP_DEFAULT_NANOS) {
                        break;
                    }
                    Thread.onSpinWait();
                }
            }
            if (!gotHeld) {
                verdict.publish(Verdict.NOT_REACHED);
            }
        }

        private static final VarHandle HAND_OFF;

        static {
            try {
                HAND_OFF = MethodHandles.lookup().findVarHandle(LateWriteModel.class, "handOff", Node.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }
}
