package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Model checking of {@code enter}/{@code exit}, {@code advance}, {@code poll} and
 * {@code synchronize} with Lincheck 3.7: a register protected by SMR, whose writers recycle
 * the node they replaced once its goal is reached, must behave like a plain register.
 *
 * <h2>The structure</h2>
 * One {@link SmrPointer} to a {@link Handle}: a recycled {@link Node} and the value and
 * unique stamp it was published with. {@link Register#read()} enters a section, loads the
 * handle, compares the node's fields with it and exits: it returns the value, or
 * {@value #VIOLATION} if the node had been recycled meanwhile ({@value #POISON}, or reused
 * with another stamp), which no sequential execution of the specification produces. Writers,
 * serialised by a lock as {@code smr(9)} writers are, publish a new node with a volatile swap,
 * take a goal with {@code advance()} (after the unlink, as the contract says) and keep the
 * old node in a limbo list; {@code reclaim} (and every write) recycles each old node whose
 * goal {@code poll} reports reached: it stores {@value #POISON} into it and reuses it for a
 * later write. {@code synchronize} advances and waits, then every goal taken before it must
 * poll true (else {@value #VIOLATION}). So a poll that returns true while a reader that could
 * have found the node is still inside shows up as a non-linearizable {@code read}.
 *
 * <h2>What runs</h2>
 * <ul>
 *   <li>Model checking (every interleaving of the scenario's operations up to a bound on
 *       context switches, switching at every shared-memory access): default and deferred mode,
 *       random scenarios of 2 threads x 3 operations, plus 1 before and 1 after. Lazy mode
 *       under the model checker too, without {@code synchronize} (see the blind spots).</li>
 *   <li>Stress (real threads, the real memory model and JIT, random scenarios): all three modes,
 *       lazy with its real clock.</li>
 *   <li>Negative control: {@link ReuseAtOnce}, a writer that recycles the node it unlinked
 *       without polling its goal. The model checker must report the wrong read (checked with
 *       {@code assertThatThrownBy}); it does, within the same random scenarios the real
 *       writer passes.</li>
 * </ul>
 *
 * <h2>Blind spots (what a pass here does not show)</h2>
 * <ul>
 *   <li><b>Sequential consistency.</b> Lincheck's model checker executes one thread at a time
 *       and every write is visible to every later read: there are no store buffers and no
 *       reordering by the JIT or the CPU. So the store-load fence of {@code Reader.enter}
 *       (the whole point of the default mode), the release of {@code exit} and the acquire
 *       fence at the end of a scan are invisible to it: the test passes with all of them
 *       removed. A mutation that drops a fence is caught only by smr4j-stress
 *       ({@code EnterPollRace.ReleaseOnlyModel} shows the store-load case on this
 *       x86 machine) and by stress runs on weak hardware.</li>
 *   <li><b>Lazy mode is checked for nothing but safety of a goal that never comes.</b> The
 *       model checker makes {@code System.nanoTime()} return a constant, and the lazy write
 *       sequence is a clock, so a lazy goal (one tick ahead) is never reached: {@code poll}
 *       stays false, nothing is recycled, and {@code synchronize} would park for ever (the
 *       checker reports a livelock), so the lazy model run has no {@code synchronize}. The
 *       fence-free reader's real argument, {@code membarrier(2)} ordering a plain store, is a
 *       property of the CPU under an asymmetric barrier, which a sequentially consistent model
 *       takes for granted: the model checker would pass a lazy mode with the barrier removed.
 *       The barrier executes natively, outside the checker's view. The stress run reaches
 *       lazy goals with the real clock, and smr4j-stress {@code EnterPollRace.Lazy} /
 *       {@code LazyOldestGoalFirst} test the barrier on the hardware.</li>
 *   <li><b>Bugs in the goal it did not report.</b> Two misuses whose hazard is the goal
 *       itself, {@link AdvanceBeforeUnlink} (the goal taken before the unlink) and
 *       {@link StaleGoal} (the previous write's goal), are real: the hand-driven tests
 *       {@code advanceBeforeUnlinkHandDriven} and {@code staleGoalHandDriven} show a poll that
 *       succeeds while a reader that found the node is inside. Yet the model checker passed
 *       them (AdvanceBeforeUnlink: 30 x 300 random invocations; StaleGoal: 10 x 300, three
 *       runs each), while it reports {@link ReuseAtOnce} within 3 x 300. Lincheck's custom
 *       scenarios were no help: with {@code addCustomScenario} the test class was constructed
 *       once for 2,000 requested invocations (state is restored from a snapshot, which does
 *       not cover the thread-local reader records), and the writer's {@code publish} ran in
 *       one parallel execution only. The cause was not established. So a pass here says that
 *       the register never served a recycled node in the interleavings explored, not that
 *       every ordering of enter against advance and poll was tried.</li>
 *   <li><b>Small scenarios.</b> Two threads, a handful of operations, a bounded number of
 *       context switches per invocation: interleavings that need more readers (the scan's
 *       handling of many records, sweeps of dead threads) are left to
 *       {@code SmrThreadsTest}, {@code SmrSoakTest} and {@code SmrScaleTest}.</li>
 *   <li><b>Stress mode</b> sees the real memory model, but only the interleavings this
 *       machine happens to produce; on x86 it cannot show a missing release or acquire.</li>
 * </ul>
 *
 * <p>Runtime: {@value #ITERATIONS} x {@value #INVOCATIONS} model invocations per mode and
 * {@value #ITERATIONS} x {@value #STRESS_INVOCATIONS} stress invocations; {@code -Pslow} runs
 * ten times as many iterations.
 */
@Tag("lincheck") // run by the lincheck execution of surefire, two forks at once (see the pom)
class SmrLincheckTest {
    /** What a recycled node holds until it is reused. */
    static final int POISON = -7;
    /** What read() returns when it saw a recycled node: no sequential execution returns it. */
    static final int VIOLATION = -1000;
    static final int ITERATIONS = 3;
    static final int INVOCATIONS = 300;
    static final int STRESS_INVOCATIONS = 1_000;
    static final int SLOW_FACTOR = 10;

    /** A node of the register: recycled, so its fields change on every reuse. */
    public static final class Node {
        int value;
        /** Unique per publication; {@link #POISON} once recycled. */
        long stamp;

        Node(final int value) {
            this.value = value;
        }
    }

    /**
     * What the pointer publishes: a node and what it held when published. Immutable and never
     * recycled, so a reader compares the node's fields now with what it was published with;
     * a reuse of the node while the reader holds it shows up as a difference, whenever the
     * reader's load of the fields comes after the reuse (one context switch).
     */
    public record Handle(Node node, int value, long stamp) {
        /** Whether the node still holds what it was published with. */
        boolean intact() {
            return node.stamp == stamp && node.value == value;
        }
    }

    /** The sequential specification: a plain register, initially 0. */
    public static final class Spec {
        private int value;

        public int read() {
            return value;
        }

        public void write(final int v) {
            value = v;
        }

        public void reclaim() {
        }

        public int synchronizeAndReclaim() {
            return 0;
        }
    }

    /** The operations, on a domain the subclass builds. */
    @Param(name = "v", gen = IntGen.class, conf = "1:3")
    public abstract static class Register {
        final Smr smr;
        final ReentrantLock writeLock = new ReentrantLock();
        final SmrPointer<Handle> ptr;
        /** Writer-only, under writeLock: the last stamp handed out. */
        long stamps;
        /** Writer-only, under writeLock: unlinked nodes and their goals, oldest first. */
        final ArrayDeque<Node> limbo = new ArrayDeque<>();
        final ArrayDeque<Long> goals = new ArrayDeque<>();
        /** Writer-only, under writeLock: recycled nodes. */
        final ArrayDeque<Node> free = new ArrayDeque<>();

        Register(final Smr smr) {
            this.smr = smr;
            this.ptr = new SmrPointer<>(smr, writeLock::isHeldByCurrentThread, new Handle(new Node(0), 0, 0));
        }

        @Operation
        public int read() {
            smr.enter();
            try {
                final Handle h = ptr.enteredLoad();
                return h.intact() ? h.value() : VIOLATION;
            } finally {
                smr.exit();
            }
        }

        @Operation
        public void write(@Param(name = "v") final int v) {
            writeLock.lock();
            try {
                final Node fresh = free.isEmpty() ? new Node(v) : free.pollFirst();
                fresh.value = v; // a recycled node: no reader can hold it (its goal was reached)
                fresh.stamp = ++stamps;
                publish(new Handle(fresh, v, fresh.stamp));
                reclaimLocked();
            } finally {
                writeLock.unlock();
            }
        }

        /** Unlinks the current node (replacing it by {@code fresh}) and queues it with its goal. */
        void publish(final Handle fresh) {
            final Node old = ptr.serializedSwap(fresh).node(); // unlink: no new reader can find old
            final long goal = smr.advance();            // after the unlink, as the contract says
            limbo.addLast(old);
            goals.addLast(goal);
        }

        @Operation
        public void reclaim() {
            writeLock.lock();
            try {
                reclaimLocked();
            } finally {
                writeLock.unlock();
            }
        }

        private void reclaimLocked() {
            while (!limbo.isEmpty() && smr.poll(goals.peekFirst())) {
                final Node old = limbo.pollFirst();
                goals.pollFirst();
                old.value = POISON; // recycled: a reader still holding it would see this
                old.stamp = POISON;
                free.addLast(old);
            }
        }

        /** synchronize(), then every goal taken before it must be reached. */
        int synchronizeLocked() {
            writeLock.lock();
            try {
                smr.synchronize();
                for (final long g : goals) {
                    if (!smr.poll(g)) {
                        return VIOLATION;
                    }
                }
                reclaimLocked();
                return limbo.isEmpty() ? 0 : VIOLATION;
            } finally {
                writeLock.unlock();
            }
        }

        /** After each invocation (no operation running): the domain's invariants. */
        @Validate
        public void validate() {
            LincheckSupport.checkDomain(smr);
        }
    }

    /** Registers whose writers may also synchronize (default and deferred mode). */
    public abstract static class SyncRegister extends Register {
        SyncRegister(final Smr smr) {
            super(smr);
        }

        @Operation
        public int synchronizeAndReclaim() {
            return synchronizeLocked();
        }
    }

    public static final class DefaultMode extends SyncRegister {
        public DefaultMode() {
            super(Smr.builder("lincheck-default").checked(true).build());
        }
    }

    public static final class DeferredMode extends SyncRegister {
        public DeferredMode() {
            super(Smr.builder("lincheck-deferred").deferred(2).checked(true).build());
        }
    }

    /** Lazy mode: no synchronize under the model checker (its clock stands still). */
    public static final class LazyMode extends Register {
        public LazyMode() {
            super(Smr.builder("lincheck-lazy").lazy().checked(true).build());
        }
    }

    /** Lazy mode with synchronize, for stress (real clock). */
    public static final class LazySyncMode extends SyncRegister {
        public LazySyncMode() {
            super(Smr.builder("lincheck-lazy-sync").lazy(java.time.Duration.ofNanos(20_000)).checked(true).build());
        }
    }

    /**
     * Negative control for the model checker: the writer advances after the unlink but
     * recycles the old node at once, without polling the goal.
     */
    public static final class ReuseAtOnce extends SyncRegister {
        public ReuseAtOnce() {
            super(Smr.builder("lincheck-reuse-at-once").checked(true).build());
        }

        @Override
        void publish(final Handle fresh) {
            final Node old = ptr.serializedSwap(fresh).node();
            smr.advance();
            old.value = POISON; // BROKEN on purpose: no poll of the goal
            old.stamp = POISON;
            free.addLast(old);
        }
    }

    /**
     * A misuse the model checker did not report (see the class comment): the writer tags the node it unlinks with the goal
     * of its previous write (an off-by-one in the caller's bookkeeping), which a poll may
     * report reached while a reader that found the node after that earlier advance is still
     * inside.
     */
    public static final class StaleGoal extends SyncRegister {
        private long previous = SmrSeq.INVALID;

        public StaleGoal() {
            super(Smr.builder("lincheck-stale-goal").checked(true).build());
        }

        @Override
        void publish(final Handle fresh) {
            final Node old = ptr.serializedSwap(fresh).node();
            final long goal = smr.advance();
            limbo.addLast(old);
            goals.addLast(previous == SmrSeq.INVALID ? goal : previous); // BROKEN on purpose
            previous = goal;
        }
    }

    /**
     * A misuse the model checker did not report (see the class comment): the goal taken
     * before the unlink.
     */
    public static final class AdvanceBeforeUnlink extends SyncRegister {
        public AdvanceBeforeUnlink() {
            super(Smr.builder("lincheck-advance-first").checked(true).build());
        }

        @Override
        void publish(final Handle fresh) {
            final long goal = smr.advance(); // BROKEN on purpose: before the unlink
            final Node old = ptr.serializedSwap(fresh).node();
            limbo.addLast(old);
            goals.addLast(goal);
        }
    }

    private static int iterations() {
        return TestSupport.slow() ? ITERATIONS * SLOW_FACTOR : ITERATIONS;
    }

    static ModelCheckingOptions model() {
        return new ModelCheckingOptions().sequentialSpecification(Spec.class).iterations(iterations())
                .invocationsPerIteration(INVOCATIONS).threads(2).actorsPerThread(3).actorsBefore(1).actorsAfter(1);
    }

    static StressOptions stress() {
        return new StressOptions().sequentialSpecification(Spec.class).iterations(iterations())
                .invocationsPerIteration(STRESS_INVOCATIONS).threads(2).actorsPerThread(3).actorsBefore(1)
                .actorsAfter(1);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void modelDefault() {
        model().check(DefaultMode.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void modelDeferred() {
        model().check(DeferredMode.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void modelLazy() {
        model().check(LazyMode.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void stressDefault() {
        stress().check(DefaultMode.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void stressDeferred() {
        stress().check(DeferredMode.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void stressLazy() {
        stress().check(LazySyncMode.class);
    }

    /** The checker can fail: a node recycled without a poll is reported as a wrong read. */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void controlReuseAtOnceIsCaught() {
        assertThatThrownBy(() -> model().check(ReuseAtOnce.class))
                .isInstanceOf(LincheckAssertionError.class)
                .hasMessageContaining("read(): " + VIOLATION);
    }

    /**
     * A blind spot, measured: a goal taken before the unlink is a real hazard. Driven by hand
     * here: the reader enters after the advance and finds the old node, and a poll of that
     * goal succeeds while it is still inside. The model checker did not report
     * {@link AdvanceBeforeUnlink} (see the class comment).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void advanceBeforeUnlinkHandDriven() throws Exception {
        final AdvanceBeforeUnlink r = new AdvanceBeforeUnlink();
        final long goal = r.smr.advance();                   // the writer's goal, too early
        handDriven(r, goal, "the goal taken before the unlink");
    }

    /**
     * A blind spot, measured: a stale goal is a real hazard. After one write (whose goal is
     * reached), a reader finds the current node; the next write tags it with the first write's
     * goal, which is already reached, and recycles it under the reader.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void staleGoalHandDriven() throws Exception {
        final StaleGoal r = new StaleGoal();
        r.write(1);
        final long stale = r.smr.current();
        handDriven(r, stale, "the previous write's goal");
    }

    /**
     * A reader enters and finds the current node; the writer then unlinks it; a poll of
     * {@code goal} must be true although the reader is still inside: the misuse is a hazard.
     */
    private static void handDriven(final Register r, final long goal, final String what) throws Exception {
        final Node current = r.ptr.unserializedLoad().node();
        final CountDownLatch found = new CountDownLatch(1);
        final CountDownLatch leave = new CountDownLatch(1);
        final Handle[] seen = new Handle[1];
        final Thread reader = Thread.ofPlatform().name("hand-driven-reader").start(() -> {
            r.smr.enter();
            try {
                seen[0] = r.ptr.enteredLoad();
                found.countDown();
                leave.await(30, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                r.smr.exit();
            }
        });
        try {
            assertThat(found.await(30, TimeUnit.SECONDS)).as("reader entered").isTrue();
            final Handle old;
            r.writeLock.lock();
            try {
                old = r.ptr.serializedSwap(new Handle(new Node(2), 2, -2)); // the unlink
            } finally {
                r.writeLock.unlock();
            }
            assertThat(old.node()).isSameAs(current).isSameAs(seen[0].node());
            assertThat(r.smr.poll(goal)).as("%s is reached while the reader that found the node is inside", what)
                    .isTrue();
        } finally {
            leave.countDown();
            reader.join(30_000);
        }
        assertThat(reader.isAlive()).isFalse();
    }

}
