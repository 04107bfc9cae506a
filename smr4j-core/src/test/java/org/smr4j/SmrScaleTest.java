package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.testsupport.Seed;

/**
 * Scale of threads (issue 8 point 4): {@value #PLATFORM} platform threads and
 * {@value #VIRTUAL} virtual threads through one domain while writers advance and poll
 * throughout; no reader ever sees an object recycled under it, and the reader registry comes
 * back to a bound once the threads are gone.
 *
 * <p>The detector is {@link SmrSoakTest}'s: writers swap {@link SmrSoakTest.Node}s in and out
 * of a few {@link SmrPointer} slots, tag each unlinked node with {@code advance()}, and reuse
 * it (a new generation and checksum) only once {@code poll(goal)} is true or
 * {@code waitFor(goal)} returned; a reader that sees a node's generation change inside its
 * section, or a checksum that does not match, has seen a recycled object. The control reuses
 * at once and must be caught, at this scale too.
 *
 * <ul>
 *   <li>The {@value #PLATFORM} platform threads are alive at the same time: each reads, then
 *       waits at a barrier of all of them (so that the registry holds at least
 *       {@value #PLATFORM} live records at once, which the barrier's action checks), then
 *       reads again and dies.</li>
 *   <li>Meanwhile {@value #VIRTUAL} virtual threads pass through, at most {@value #WINDOW}
 *       alive at a time, {@value #SECTIONS_PER_VIRTUAL} sections each.</li>
 *   <li>Registry bound with no explicit sweep: a sweep runs once the registrations since the
 *       last one reach max(SWEEP_MIN, L), L the live records that sweep kept, and keeps only
 *       live records; L is at most the threads alive at once, A = PLATFORM + WINDOW + the
 *       writers + the test thread, so the registry never holds more than
 *       2A + SWEEP_MIN records (checked after everything died). Then a trickle of
 *       sequential short virtual threads (4A + 4 SWEEP_MIN of them) must bring it down to
 *       2 * 2 + SWEEP_MIN by the same rule (one live reader at a time, plus the test
 *       thread), and an explicit sweep to at most 1.</li>
 * </ul>
 *
 * <p>Sizes: the full sizes run in the normal build. Measured on 2 cores at load 11-13 (other
 * builds running): 0.3-2.4 s per mode for the run, about 6 s for the class per surefire
 * execution; the control saw 29 and 1,613 violations in its two runs (a quarter of the
 * threads); records after the run 59-1,413 against the bound 6,070. Knobs:
 * {@code -Dsmr4j.test.scale.virtual=N} and {@code -Dsmr4j.test.scale.platform=N}.
 */
@ExtendWith({Seed.Extension.class, DomainValidation.class})
class SmrScaleTest {
    static final int PLATFORM = 1_000;
    static final int VIRTUAL = 100_000;
    static final int WINDOW = 2_000;
    static final int SECTIONS_PER_VIRTUAL = 2;
    static final int SECTIONS_PER_PLATFORM = 20;
    static final int SLOTS = 16;
    static final int WRITERS = 2;
    /** Unreached goals a writer keeps before it blocks in waitFor on the oldest. */
    static final int LIMBO_MAX = 64;

    private static int knob(final String name, final int normal) {
        return Integer.getInteger("smr4j.test.scale." + name, normal);
    }

    /** What a run counted. */
    static final class Result {
        final LongAdder sections = new LongAdder();
        final LongAdder virtualThreads = new LongAdder();
        final LongAdder platformThreads = new LongAdder();
        final LongAdder reuses = new LongAdder();
        final LongAdder advances = new LongAdder();
        final LongAdder violations = new LongAdder();
        final AtomicInteger peakRecords = new AtomicInteger();
        final AtomicReference<String> firstViolation = new AtomicReference<>();
        final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();

        @Override
        public String toString() {
            return "sections=" + sections + " (platform threads " + platformThreads + ", virtual threads "
                    + virtualThreads + "), writer advances=" + advances + ", reuses=" + reuses + ", peak records="
                    + peakRecords + ", violations=" + violations
                    + (firstViolation.get() != null ? " first: " + firstViolation.get() : "");
        }
    }

    enum Reuse { AFTER_GOAL, IMMEDIATELY }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aThousandPlatformAndAHundredThousandVirtualThreadsThroughOneDomain(final ModeCase mc, final Seed seed) {
        assumeThat(!TestSupport.membarrierDisabledByProperty() || mc == ModeCase.LAZY)
                .as("the fallback JVM only re-runs the lazy case").isTrue();
        final int platform = knob("platform", PLATFORM);
        final int virtual = knob("virtual", VIRTUAL);
        final Smr smr = DomainValidation.track(mc.builder("scale-" + mc).checked(true).build());
        final long t0 = System.nanoTime();
        final Result r = run(smr, platform, virtual, Reuse.AFTER_GOAL, seed);
        final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        final int afterRun = smr.stats().readers();
        System.out.printf("%s: %s; %d ms; %d records after the run, %d sweeps; load %s%n", smr, r, ms, afterRun,
                smr.registry().sweeps(), TestSupport.load());

        assertThat(r.failures).as("thread failures").isEmpty();
        assertThat(r.violations.sum()).as("violations: %s", r).isZero();
        assertThat(r.platformThreads.sum()).isEqualTo(platform);
        assertThat(r.virtualThreads.sum()).isEqualTo(virtual);
        assertThat(r.sections.sum()).isEqualTo((long) platform * SECTIONS_PER_PLATFORM
                + (long) virtual * SECTIONS_PER_VIRTUAL);
        assertThat(r.reuses.sum()).as("writers reused objects throughout: %s", r).isGreaterThan(100);
        assertThat(r.peakRecords.get()).as("every platform reader registered at once").isGreaterThanOrEqualTo(platform);

        final int alive = platform + WINDOW + WRITERS + 1;
        final int bound = 2 * alive + ReaderRegistry.SWEEP_MIN;
        assertThat(afterRun).as("records after %d platform and %d virtual threads died (bound %d)", platform, virtual,
                bound).isLessThanOrEqualTo(bound);
        assertThat(smr.registry().sweeps()).as("the registry swept by itself").isPositive();

        // A trickle of short threads, one at a time, must bring the registry down by itself.
        final int trickle = 4 * alive + 4 * ReaderRegistry.SWEEP_MIN;
        for (int i = 0; i < trickle; i++) {
            final Thread t = Thread.ofVirtual().start(() -> {
                smr.enter();
                smr.exit();
            });
            join(t);
        }
        final int small = 2 * 2 + ReaderRegistry.SWEEP_MIN;
        assertThat(smr.stats().readers()).as("records after a trickle of %d short threads (bound %d)", trickle, small)
                .isLessThanOrEqualTo(small);
        smr.synchronize();
        smr.sweepReaders();
        assertThat(smr.stats().readers()).as("after an explicit sweep only live threads keep records")
                .isLessThanOrEqualTo(1);
    }

    /** The detector can fire at this scale: reuse that ignores the goal is seen by some reader. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void negativeControlReuseThatIgnoresTheGoalIsCaught(final Seed seed) {
        assumeThat(TestSupport.membarrierDisabledByProperty()).as("main run only").isFalse();
        final Smr smr = Smr.builder("scale-control").build();
        final Result r = run(smr, knob("platform", PLATFORM) / 4, knob("virtual", VIRTUAL) / 4, Reuse.IMMEDIATELY,
                seed);
        System.out.println(smr + " (control): " + r);
        assertThat(r.failures).isEmpty();
        assertThat(r.violations.sum()).as("reusing without waiting for the goal must be detected: %s", r).isPositive();
    }

    @SuppressWarnings("ThreadPriorityCheck") // the writers yield to the readers on 2 cores
    private static Result run(final Smr smr, final int platform, final int virtual, final Reuse reuse,
                              final Seed seed) {
        final Result result = new Result();
        final AtomicInteger ids = new AtomicInteger();
        final ReentrantLock[] locks = new ReentrantLock[SLOTS];
        final List<SmrPointer<SmrSoakTest.Node>> slots = new ArrayList<>();
        for (int i = 0; i < SLOTS; i++) {
            final ReentrantLock lock = new ReentrantLock();
            locks[i] = lock;
            slots.add(new SmrPointer<>(smr, lock::isHeldByCurrentThread, new SmrSoakTest.Node(ids.getAndIncrement())));
        }
        final SplittableRandom master = seed.random();
        final AtomicBoolean stop = new AtomicBoolean();
        final List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            final SplittableRandom rnd = master.split();
            writers.add(Thread.ofPlatform().name("scale-writer-" + w).start(guard(result, () -> {
                final ArrayDeque<SmrSoakTest.Node> free = new ArrayDeque<>();
                final ArrayDeque<SmrSoakTest.Retired> limbo = new ArrayDeque<>();
                while (!stop.get()) {
                    final int i = rnd.nextInt(SLOTS);
                    SmrSoakTest.Node fresh = free.pollFirst();
                    if (fresh == null) {
                        fresh = new SmrSoakTest.Node(ids.getAndIncrement());
                    } else {
                        fresh.reuse();
                        result.reuses.increment();
                    }
                    final SmrSoakTest.Node old;
                    locks[i].lock();
                    try {
                        old = slots.get(i).serializedSwap(fresh);
                    } finally {
                        locks[i].unlock();
                    }
                    if (reuse == Reuse.IMMEDIATELY) {
                        free.addLast(old);
                        continue;
                    }
                    limbo.addLast(new SmrSoakTest.Retired(old, smr.advance()));
                    result.advances.increment();
                    while (!limbo.isEmpty() && smr.poll(limbo.peekFirst().goal())) {
                        free.addLast(limbo.pollFirst().node());
                    }
                    if (limbo.size() > LIMBO_MAX) {
                        final SmrSoakTest.Retired oldest = limbo.pollFirst();
                        smr.waitFor(oldest.goal());
                        free.addLast(oldest.node());
                    }
                    Thread.yield(); // 2 cores: leave the readers room
                }
            })));
        }

        // Platform readers: all alive at once (the barrier), then gone.
        final CyclicBarrier together = new CyclicBarrier(platform, () ->
                result.peakRecords.accumulateAndGet(smr.stats().readers(), Math::max));
        final List<Thread> platformThreads = new ArrayList<>(platform);
        final Thread.Builder pb = Thread.ofPlatform().name("scale-preader-", 0).stackSize(256 * 1024);
        for (int p = 0; p < platform; p++) {
            final SplittableRandom rnd = master.split();
            platformThreads.add(pb.start(guard(result, () -> {
                final Smr.Reader reader = smr.reader();
                for (int k = 0; k < SECTIONS_PER_PLATFORM; k++) {
                    if (k == SECTIONS_PER_PLATFORM / 2) {
                        await(together);
                    }
                    reader.enter();
                    try {
                        readOnce(slots, rnd, result);
                    } finally {
                        reader.exit();
                    }
                    result.sections.increment();
                }
                result.platformThreads.increment();
            })));
        }

        // Virtual readers, a window at a time, beside them.
        final ArrayDeque<Thread> alive = new ArrayDeque<>();
        final Thread.Builder vb = Thread.ofVirtual().name("scale-vreader-", 0);
        for (int v = 0; v < virtual && result.failures.isEmpty(); v++) {
            if (alive.size() >= WINDOW) {
                join(alive.pollFirst());
            }
            final SplittableRandom rnd = master.split();
            alive.addLast(vb.start(guard(result, () -> {
                for (int k = 0; k < SECTIONS_PER_VIRTUAL; k++) {
                    smr.enter();
                    try {
                        readOnce(slots, rnd, result);
                    } finally {
                        smr.exit();
                    }
                    result.sections.increment();
                }
                result.virtualThreads.increment();
            })));
        }
        while (!alive.isEmpty()) {
            join(alive.pollFirst());
        }
        for (final Thread t : platformThreads) {
            join(t);
        }
        stop.set(true);
        for (final Thread t : writers) {
            join(t);
        }
        return result;
    }

    /** One section's body: the node's generation must not change under the reader. */
    private static void readOnce(final List<SmrPointer<SmrSoakTest.Node>> slots, final SplittableRandom rnd,
                                 final Result result) {
        final SmrSoakTest.Node node = slots.get(rnd.nextInt(slots.size())).enteredLoad();
        final long g1 = node.genOpaque();
        final long c1 = node.checkOpaque();
        final int dwell = rnd.nextInt(32);
        for (int s = 0; s < dwell; s++) {
            Thread.onSpinWait();
        }
        final long g2 = node.genOpaque();
        if (g1 != g2 || c1 != g1 * 1_000_003L + node.id) {
            result.violations.increment();
            result.firstViolation.compareAndSet(null, Thread.currentThread().getName() + " node " + node.id + " gen "
                    + g1 + " -> " + g2 + ", check " + c1);
        }
    }

    private static void await(final CyclicBarrier barrier) {
        try {
            barrier.await(60, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (final BrokenBarrierException | TimeoutException e) {
            throw new AssertionError("the platform readers did not all arrive", e);
        }
    }

    private static Runnable guard(final Result result, final Runnable body) {
        return () -> {
            try {
                body.run();
            } catch (final Throwable t) {
                result.failures.add(t);
            }
        };
    }

    private static void join(final Thread t) {
        try {
            if (!t.join(Duration.ofSeconds(60))) {
                throw new AssertionError("thread " + t.getName() + " did not stop within 60 s: " + t);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
