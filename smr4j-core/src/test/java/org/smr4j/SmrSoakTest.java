package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.testsupport.Seed;

/**
 * A concurrent property over time: no reader ever sees an object reused under it.
 *
 * <p>Writers replace the objects in a few {@link SmrPointer} slots, tag each unlinked object
 * with {@code advance()}, and reuse it (bump its generation and republish it elsewhere) only
 * after {@code poll(goal)} succeeds or {@code waitFor(goal)} returns. Readers (platform threads
 * through an explicit {@link Smr.Reader} handle, and a stream of short virtual threads through
 * {@link Smr#enter()}) enter, load a slot, read the object's generation and a checksum, dwell a
 * little, read the generation again and exit; a changed generation or a bad checksum is a
 * violation. The negative control reuses objects at once, ignoring the goal, and must see
 * violations: the checker can fail.
 *
 * <p>About {@value #NORMAL_SECONDS} s per mode; {@code -Dsmr4j.test.slow=true} ({@code mvn -Pslow})
 * runs {@value #SLOW_SECONDS} s per mode. The {@code membarrier-fallback} execution runs the lazy
 * case again with fenced lazy readers.
 */
@ExtendWith({Seed.Extension.class, DomainValidation.class})
class SmrSoakTest {
    static final int NORMAL_SECONDS = 4;
    static final int SLOW_SECONDS = 60;
    private static final int SLOTS = 8;
    private static final int WRITERS = 2;
    private static final int PLATFORM_READERS = 2;
    private static final int VIRTUAL_READERS_ALIVE = 8;
    private static final int SECTIONS_PER_VIRTUAL_READER = 200;
    /** Unreached goals a writer keeps before it blocks in waitFor on the oldest. */
    private static final int LIMBO_MAX = 64;
    private static final long CHECK_MULTIPLIER = 1_000_003L;

    /** A reusable object: its generation changes on every reuse, its checksum with it. */
    static final class Node {
        final int id;
        long gen;
        long check;

        Node(final int id) {
            this.id = id;
            this.check = id; // gen 0; published safely by the slot's release/volatile store
        }

        long genOpaque() {
            return (long) GEN.getOpaque(this);
        }

        long checkOpaque() {
            return (long) CHECK.getOpaque(this);
        }

        /** Writer only, while no reader can reach the node (or, in the control, while one can). */
        void reuse() {
            final long g = gen + 1;
            GEN.setOpaque(this, g);
            CHECK.setOpaque(this, g * CHECK_MULTIPLIER + id);
        }

        private static final VarHandle GEN;
        private static final VarHandle CHECK;

        static {
            try {
                final MethodHandles.Lookup l = MethodHandles.lookup();
                GEN = l.findVarHandle(Node.class, "gen", long.class);
                CHECK = l.findVarHandle(Node.class, "check", long.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    enum Reuse { AFTER_GOAL, IMMEDIATELY }

    record Retired(Node node, long goal) {
    }

    static final class Result {
        final LongAdder platformSections = new LongAdder();
        final LongAdder virtualSections = new LongAdder();
        final LongAdder virtualThreads = new LongAdder();
        final LongAdder reuses = new LongAdder();
        final LongAdder polledReuses = new LongAdder();
        final LongAdder waitedReuses = new LongAdder();
        final LongAdder violations = new LongAdder();
        final AtomicReference<String> firstViolation = new AtomicReference<>();
        final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();

        @Override
        public String toString() {
            return "sections platform=" + platformSections + " virtual=" + virtualSections + " (threads " + virtualThreads
                    + "), reuses=" + reuses + " (after poll " + polledReuses + ", after waitFor " + waitedReuses
                    + "), violations=" + violations + (firstViolation.get() != null ? " first: " + firstViolation.get() : "");
        }
    }

    private static Duration soakTime() {
        return Duration.ofSeconds(TestSupport.slow() ? SLOW_SECONDS : NORMAL_SECONDS);
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    @Timeout(value = SLOW_SECONDS + 60, unit = TimeUnit.SECONDS)
    void noReaderSeesAnObjectReusedUnderIt(final ModeCase mc, final Seed seed) {
        assumeThat(!TestSupport.membarrierDisabledByProperty() || mc == ModeCase.LAZY)
                .as("the fallback JVM only re-runs the lazy case").isTrue();
        final Smr smr = DomainValidation.track(mc.builder("soak-" + mc).checked(true).build());
        final Result r = run(smr, soakTime(), Reuse.AFTER_GOAL, seed, false);
        System.out.println(smr + ": " + r + ", " + smr.stats());
        assertThat(r.failures).as("thread failures").isEmpty();
        assertThat(r.violations.sum()).as("violations: %s", r).isZero();
        assertThat(r.reuses.sum()).as("writers must actually reuse objects: %s", r).isGreaterThan(100);
        assertThat(r.platformSections.sum()).as("platform readers ran").isGreaterThan(1000);
        assertThat(r.virtualSections.sum()).as("virtual readers ran").isGreaterThan(1000);
        assertThat(r.polledReuses.sum() + r.waitedReuses.sum()).as("every reused object first reached its goal")
                .isGreaterThanOrEqualTo(r.reuses.sum());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void negativeControlReuseThatIgnoresTheGoalIsCaught(final Seed seed) {
        assumeThat(TestSupport.membarrierDisabledByProperty()).as("main run only").isFalse();
        final Smr smr = Smr.builder("soak-control").build();
        final Result r = run(smr, Duration.ofSeconds(10), Reuse.IMMEDIATELY, seed, true);
        System.out.println(smr + " (control): " + r);
        assertThat(r.failures).isEmpty();
        assertThat(r.violations.sum()).as("reusing without waiting for the goal must be detected: %s", r).isPositive();
    }

    private static Result run(final Smr smr, final Duration time, final Reuse reuse, final Seed seed,
                              final boolean stopAtFirstViolation) {
        final Result result = new Result();
        final AtomicInteger ids = new AtomicInteger();
        final ReentrantLock[] locks = new ReentrantLock[SLOTS];
        final List<SmrPointer<Node>> slots = new ArrayList<>();
        for (int i = 0; i < SLOTS; i++) {
            final ReentrantLock lock = new ReentrantLock();
            locks[i] = lock;
            slots.add(new SmrPointer<>(smr, lock::isHeldByCurrentThread, new Node(ids.getAndIncrement())));
        }
        final SplittableRandom master = seed.random();
        final List<Thread> threads = new ArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();

        for (int w = 0; w < WRITERS; w++) {
            final SplittableRandom rnd = master.split();
            threads.add(Thread.ofPlatform().name("writer-" + w).start(guard(result, () -> {
                final ArrayDeque<Node> free = new ArrayDeque<>();
                final ArrayDeque<Retired> limbo = new ArrayDeque<>();
                while (!stop.get()) {
                    final int i = rnd.nextInt(SLOTS);
                    Node fresh = free.pollFirst();
                    if (fresh == null) {
                        fresh = new Node(ids.getAndIncrement());
                    } else {
                        fresh.reuse();
                        result.reuses.increment();
                    }
                    final Node old;
                    locks[i].lock();
                    try {
                        old = slots.get(i).serializedSwap(fresh);
                    } finally {
                        locks[i].unlock();
                    }
                    if (reuse == Reuse.IMMEDIATELY) {
                        free.addLast(old);
                        result.polledReuses.increment();
                        continue;
                    }
                    limbo.addLast(new Retired(old, smr.advance()));
                    while (!limbo.isEmpty() && smr.poll(limbo.peekFirst().goal())) {
                        free.addLast(limbo.pollFirst().node());
                        result.polledReuses.increment();
                    }
                    if (limbo.size() > LIMBO_MAX) {
                        final Retired oldest = limbo.pollFirst();
                        smr.waitFor(oldest.goal());
                        free.addLast(oldest.node());
                        result.waitedReuses.increment();
                    }
                }
            })));
        }

        for (int p = 0; p < PLATFORM_READERS; p++) {
            final SplittableRandom rnd = master.split();
            threads.add(Thread.ofPlatform().name("reader-" + p).start(guard(result, () -> {
                final Smr.Reader reader = smr.reader();
                while (!stop.get()) {
                    reader.enter();
                    final boolean ok;
                    try {
                        ok = readOnce(slots, rnd, result);
                    } finally {
                        reader.exit();
                    }
                    if (!ok && stopAtFirstViolation) {
                        stop.set(true);
                    }
                    result.platformSections.increment();
                }
            })));
        }

        final SplittableRandom spawnRnd = master.split();
        threads.add(Thread.ofPlatform().name("vreader-spawner").start(guard(result, () -> {
            final ArrayDeque<Thread> alive = new ArrayDeque<>();
            final Thread.Builder vb = Thread.ofVirtual().name("vreader-", 0);
            while (!stop.get()) {
                while (alive.size() >= VIRTUAL_READERS_ALIVE) {
                    joinBounded(alive.pollFirst());
                }
                final SplittableRandom rnd = spawnRnd.split();
                alive.addLast(vb.start(guard(result, () -> {
                    for (int k = 0; k < SECTIONS_PER_VIRTUAL_READER && !stop.get(); k++) {
                        smr.enter();
                        final boolean ok;
                        try {
                            ok = readOnce(slots, rnd, result);
                        } finally {
                            smr.exit();
                        }
                        if (!ok && stopAtFirstViolation) {
                            stop.set(true);
                        }
                        result.virtualSections.increment();
                    }
                    result.virtualThreads.increment();
                })));
            }
            while (!alive.isEmpty()) {
                joinBounded(alive.pollFirst());
            }
        })));

        final long deadline = System.nanoTime() + time.toNanos();
        while (System.nanoTime() - deadline < 0 && !stop.get() && result.failures.isEmpty()) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // the run length, not a synchronisation
        }
        stop.set(true);
        for (final Thread t : threads) {
            joinBounded(t);
        }
        return result;
    }

    /** One read section's body: false on a violation. */
    private static boolean readOnce(final List<SmrPointer<Node>> slots, final SplittableRandom rnd, final Result result) {
        final Node node = slots.get(rnd.nextInt(slots.size())).enteredLoad();
        final long g1 = node.genOpaque();
        final long c1 = node.checkOpaque();
        final int dwell = rnd.nextInt(64);
        for (int s = 0; s < dwell; s++) {
            Thread.onSpinWait();
        }
        final long g2 = node.genOpaque();
        if (g1 != g2 || c1 != g1 * CHECK_MULTIPLIER + node.id) {
            result.violations.increment();
            result.firstViolation.compareAndSet(null, Thread.currentThread().getName() + " node " + node.id
                    + " gen " + g1 + " -> " + g2 + ", check " + c1);
            return false;
        }
        return true;
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

    private static void joinBounded(final Thread t) {
        try {
            if (!t.join(Duration.ofSeconds(20))) {
                throw new AssertionError("thread " + t.getName() + " did not stop within 20 s: " + t);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
