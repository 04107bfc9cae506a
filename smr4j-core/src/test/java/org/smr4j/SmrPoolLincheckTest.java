package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
 * Model checking of the {@link SmrPool} hand-off with Lincheck 3.7: an object put on one
 * thread is handed out by {@code get} on another only once no reader that could have found it
 * is inside a section, with its destructor run in between.
 *
 * <h2>The structure</h2>
 * A register, as in {@link SmrLincheckTest}, whose nodes come from a pool of magazines of one
 * object (so that every second put tags a batch and the next miss polls it).
 * {@link PoolRegister#write(int)} gets a node, sets its value, publishes it with a volatile
 * swap and puts the node it replaced; the pool's {@code destruct} hook stores
 * {@value SmrLincheckTest#POISON} into a node once its batch has expired.
 * {@link PoolRegister#read()} enters a section of the domain, loads the handle and compares
 * the node with what it was published with, returning {@value SmrLincheckTest#VIOLATION} if
 * the node was destructed or reused under it. {@link PoolRegister#flush()} tags the partial magazines of every thread,
 * and {@link PoolRegister#writeFlush(int)} is a write followed by a flush, so that two
 * operations suffice for a node to be put, tagged, polled and handed out again.
 * The sequential specification is a plain register. After every invocation the pool's own
 * {@code checkInvariants()} (every object in exactly one place, depot counts, tags in order,
 * the side table in checked pools) and the domain's invariants are verified.
 *
 * <h2>What runs</h2>
 * Model checking of default and deferred pools, with owned caches (the default: platform
 * threads keep a cache used without atomics, taken by other threads through a
 * {@code membarrier(2)} hand-off) and with stripes only, unchecked. Lazy pools only in
 * stress mode: under the model checker a lazy goal never comes (see the blind spots), so a
 * lazy pool would only create. Stress (real threads) of checked pools in all three modes.
 * Negative control: {@link WrongDomain}, a pool built on one domain whose readers enter
 * another. The model checker did not report it (see the blind spots), so it is shown by a
 * hand-driven test ({@code wrongDomainHandDriven}), beside the same sequence on the right
 * domain ({@code rightDomainHandDriven}).
 *
 * <h2>Blind spots</h2>
 * Those of {@link SmrLincheckTest} (sequential consistency: no fence matters; a lazy goal
 * never comes, because the model checker's {@code System.nanoTime()} is a constant, so lazy
 * pools never reuse and only create; bugs that need a poll to succeed while a reader is
 * inside were not reported), and in addition:
 * <ul>
 *   <li><b>The control is not caught.</b> {@link WrongDomain} hands a node out under a reader
 *       two writes after the reader found it ({@code wrongDomainHandDriven}), but the model
 *       checker passed it in 3 x 100 and 10 x 100 random model invocations (three runs each), and
 *       stress mode in 3 x 500. The same holds for the register's goal misuses in
 *       {@link SmrLincheckTest}: the only misuse Lincheck reported there is one without a
 *       poll. These runs are evidence that nothing went wrong in the interleavings explored,
 *       not that a reuse under a reader would have been found.</li>
 * </ul>
 * <ul>
 *   <li><b>The owned-cache hand-off is outside the model.</b> An owner uses its cache with
 *       plain accesses between an opaque store and an acquire load of its busy/request pair;
 *       what makes that safe against a collector on another CPU is {@code membarrier(2)},
 *       which executes natively and which a sequentially consistent model does not need. The
 *       model checker therefore checks the logic of claim, collect and revoke, not the
 *       barrier. smr4j-stress {@code PoolHandOff} runs the real pool on the hardware.</li>
 *   <li><b>Checked pools cannot be model-checked.</b> Lincheck 3.7 restores the heap from a
 *       snapshot between invocations, and with a checked pool (its identity side table) the
 *       restore fails inside Lincheck ({@code NullPointerException} in
 *       {@code SnapshotTracker.restoreValues}). Checked pools run in stress mode only; the
 *       model runs are unchecked (same code paths except the side table).</li>
 *   <li><b>Hard limits, trimming and hooks that throw</b> are not in these scenarios; see
 *       {@code SmrPoolLimitTest}, {@code SmrPoolHooksTest} and {@code SmrPoolFuzzTest}.</li>
 * </ul>
 *
 * <p>Runtime: {@value SmrLincheckTest#ITERATIONS} x {@value #INVOCATIONS} model invocations
 * per configuration, {@value SmrLincheckTest#ITERATIONS} x {@value #STRESS_INVOCATIONS}
 * stress invocations per mode; {@code -Pslow} runs ten times as many iterations.
 */
@Tag("lincheck") // run by the lincheck execution of surefire, two forks at once (see the pom)
class SmrPoolLincheckTest {
    /** Model invocations per iteration: a pool operation is ten times the events of a register's. */
    static final int INVOCATIONS = 60;
    static final int STRESS_INVOCATIONS = 500;

    /** The operations, on a pool and a reader domain the subclass chooses. */
    @Param(name = "v", gen = IntGen.class, conf = "1:3")
    public abstract static class PoolRegister {
        final SmrPool<SmrLincheckTest.Node> pool;
        final Smr readers;
        final SmrPointer<SmrLincheckTest.Handle> ptr;
        /** Unique stamps for publications (two writer threads). */
        final java.util.concurrent.atomic.AtomicLong stamps = new java.util.concurrent.atomic.AtomicLong();

        PoolRegister(final Smr domain, final Smr readers, final int ownedCaches, final boolean checked) {
            this.pool = SmrPool.builder("lincheck-pool-" + domain.name(), () -> new SmrLincheckTest.Node(0))
                    .smr(domain)
                    .magazineSize(1)
                    .ownedCaches(ownedCaches)
                    .checked(checked)
                    // Unchecked: no held set. Lincheck 3.7 cannot restore its IdentityHashMaps
                    // between invocations (NullPointerException in SnapshotTracker.restoreValues),
                    // and the hand-off under test is the pool's own; the held set is checked by
                    // BadInputContractTest and SmrPoolFuzzTest.
                    .doublePutCheck(checked)
                    .destruct(n -> {
                        n.value = SmrLincheckTest.POISON;
                        n.stamp = SmrLincheckTest.POISON;
                    })
                    .jmx(false)
                    .build();
            this.readers = readers;
            final SmrLincheckTest.Node first = pool.get();
            this.ptr = new SmrPointer<>(readers, () -> true, new SmrLincheckTest.Handle(first, 0, 0));
        }

        @Operation
        public int read() {
            readers.enter();
            try {
                final SmrLincheckTest.Handle h = ptr.enteredLoad();
                return h.intact() ? h.value() : SmrLincheckTest.VIOLATION;
            } finally {
                readers.exit();
            }
        }

        @Operation
        public void write(@Param(name = "v") final int v) {
            final SmrLincheckTest.Node fresh = pool.get();
            final long stamp = stamps.incrementAndGet();
            fresh.value = v;
            fresh.stamp = stamp;
            final SmrLincheckTest.Node old = ptr.serializedSwap(new SmrLincheckTest.Handle(fresh, v, stamp)).node();
            pool.put(old); // unlinked above
        }

        /** A write whose put is tagged at once, so that the next miss can reuse the old node. */
        @Operation
        public void writeFlush(@Param(name = "v") final int v) {
            write(v);
            pool.flush();
        }

        @Operation
        public void flush() {
            pool.flush();
        }

        /** After each invocation (no operation running). */
        @Validate
        public void validate() {
            pool.checkInvariants();
            LincheckSupport.checkDomain(pool.smr());
            LincheckSupport.require(pool.stats().live() >= 1, "the published node is live", pool);
        }
    }

    /** The sequential specification: a register, initially 0. */
    public static final class Spec {
        private int value;

        public int read() {
            return value;
        }

        public void write(final int v) {
            value = v;
        }

        public void writeFlush(final int v) {
            value = v;
        }

        public void flush() {
        }
    }

    private static Smr domain(final Smr.Mode mode) {
        return switch (mode) {
            case DEFAULT -> Smr.builder("lincheck-pool-default").build();
            case DEFERRED -> Smr.builder("lincheck-pool-deferred").deferred(2).build();
            case LAZY -> Smr.builder("lincheck-pool-lazy").lazy(Duration.ofNanos(20_000)).build();
        };
    }

    /** Default mode, owned caches (where membarrier works), unchecked. */
    public static final class DefaultOwned extends PoolRegister {
        public DefaultOwned() {
            this(domain(Smr.Mode.DEFAULT));
        }

        private DefaultOwned(final Smr smr) {
            super(smr, smr, SmrPool.OWNED_CACHES_DEFAULT, false);
        }
    }

    /** Default mode, owned caches, checked: stress only (see the blind spots). */
    public static final class DefaultOwnedChecked extends PoolRegister {
        public DefaultOwnedChecked() {
            this(domain(Smr.Mode.DEFAULT));
        }

        private DefaultOwnedChecked(final Smr smr) {
            super(smr, smr, SmrPool.OWNED_CACHES_DEFAULT, true);
        }
    }

    /** Default mode, stripes only, unchecked. */
    public static final class DefaultStriped extends PoolRegister {
        public DefaultStriped() {
            this(domain(Smr.Mode.DEFAULT));
        }

        private DefaultStriped(final Smr smr) {
            super(smr, smr, 0, false);
        }
    }

    /** Deferred mode, owned caches, unchecked. */
    public static final class DeferredOwned extends PoolRegister {
        public DeferredOwned() {
            this(domain(Smr.Mode.DEFERRED));
        }

        private DeferredOwned(final Smr smr) {
            super(smr, smr, SmrPool.OWNED_CACHES_DEFAULT, false);
        }
    }

    /** Deferred mode, stripes only, checked: stress only. */
    public static final class DeferredStripedChecked extends PoolRegister {
        public DeferredStripedChecked() {
            this(domain(Smr.Mode.DEFERRED));
        }

        private DeferredStripedChecked(final Smr smr) {
            super(smr, smr, 0, true);
        }
    }

    /** Lazy mode, owned caches, checked: stress only. */
    public static final class LazyOwnedChecked extends PoolRegister {
        public LazyOwnedChecked() {
            this(domain(Smr.Mode.LAZY));
        }

        private LazyOwnedChecked(final Smr smr) {
            super(smr, smr, SmrPool.OWNED_CACHES_DEFAULT, true);
        }
    }

    /**
     * Negative control: readers enter a domain other than the pool's, so the pool's polls
     * never see them and hand their node out (destructed) while they are inside.
     */
    public static final class WrongDomain extends PoolRegister {
        public WrongDomain() {
            super(domain(Smr.Mode.DEFAULT), Smr.create("lincheck-pool-readers-elsewhere"), 0, false);
        }
    }

    private static int iterations() {
        return TestSupport.slow() ? SmrLincheckTest.ITERATIONS * SmrLincheckTest.SLOW_FACTOR
                : SmrLincheckTest.ITERATIONS;
    }

    static ModelCheckingOptions model() {
        return new ModelCheckingOptions().sequentialSpecification(Spec.class).iterations(iterations())
                .invocationsPerIteration(INVOCATIONS).threads(2).actorsPerThread(3)
                .actorsBefore(1).actorsAfter(1);
    }

    static StressOptions stress() {
        return new StressOptions().sequentialSpecification(Spec.class).iterations(iterations())
                .invocationsPerIteration(STRESS_INVOCATIONS).threads(2).actorsPerThread(3)
                .actorsBefore(1).actorsAfter(1);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void modelDefaultOwned() {
        model().check(DefaultOwned.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void modelDefaultStriped() {
        model().check(DefaultStriped.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void modelDeferredOwned() {
        model().check(DeferredOwned.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void stressDefaultChecked() {
        stress().check(DefaultOwnedChecked.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void stressDeferredChecked() {
        stress().check(DeferredStripedChecked.class);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void stressLazyChecked() {
        stress().check(LazyOwnedChecked.class);
    }

    /**
     * The control, driven by hand: readers in another domain than the pool's hold a node the
     * pool then destructs and hands out again. The model checker did not report
     * {@link WrongDomain} (3 x 100 and 10 x 100 random invocations, and 3 x 500 in stress
     * mode; see the class comment), so the hazard is shown here directly: a reader of the
     * wrong domain finds the node, two writes later the pool has reused it.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void wrongDomainHandDriven() {
        final WrongDomain r = new WrongDomain();
        r.readers.enter(); // not the pool's domain: get and put are allowed in here
        try {
            final SmrLincheckTest.Handle held = r.ptr.enteredLoad();
            r.writeFlush(2);
            r.writeFlush(3);
            assertThat(held.intact()).as("the pool reused %s while a reader of another domain held it", held.node())
                    .isFalse();
        } finally {
            r.readers.exit();
        }
    }

    /** The same sequence with the readers in the pool's domain: nothing is reused under them. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void rightDomainHandDriven() {
        final DefaultStriped r = new DefaultStriped();
        final Smr smr = r.pool.smr();
        final SmrLincheckTest.Handle held;
        final Thread reader;
        final java.util.concurrent.CountDownLatch found = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch leave = new java.util.concurrent.CountDownLatch(1);
        final SmrLincheckTest.Handle[] seen = new SmrLincheckTest.Handle[1];
        reader = Thread.ofPlatform().name("pool-reader").start(() -> {
            smr.enter();
            try {
                seen[0] = r.ptr.enteredLoad();
                found.countDown();
                leave.await(30, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                smr.exit();
            }
        });
        try {
            assertThat(await(found)).isTrue();
            held = seen[0];
            for (int v = 2; v < 10; v++) {
                r.writeFlush(v);
            }
            assertThat(held.intact()).as("%s untouched while its reader is inside", held.node()).isTrue();
        } finally {
            leave.countDown();
        }
        try {
            reader.join(30_000);
        } catch (final InterruptedException e) {
            throw new AssertionError(e);
        }
        r.pool.checkInvariants();
    }

    private static boolean await(final java.util.concurrent.CountDownLatch latch) {
        try {
            return latch.await(30, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
