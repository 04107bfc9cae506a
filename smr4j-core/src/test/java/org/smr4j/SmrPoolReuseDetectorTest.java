package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The reuse detector. Readers find nodes through shared slots inside read sections and read
 * each node's generation twice (at find time, and again just before exit); writers replace a
 * slot's node with one from the pool and put the old one; every get bumps the generation.
 * A node handed out again while a reader that found it is still inside shows up as a
 * generation that differs from the one published with it. The pool must produce zero such
 * violations; a deliberately broken recycler (no SMR, immediate reuse) must produce some, which
 * shows the detector can see the bug it looks for.
 *
 * <p>Normal runs stop at {@value #REUSES} reuses per mode or {@value #SECONDS_PER_MODE} s,
 * whichever comes first, and print the rate; {@code -Dsmr4j.test.slow=true} runs 10x longer.
 */
class SmrPoolReuseDetectorTest {
    /** Target reuses per mode in the normal run. */
    static final long REUSES = 10_000_000L;
    /** Time cap per mode in the normal run. */
    static final long SECONDS_PER_MODE = 20;
    private static final int SLOTS = 64;

    /** A pooled object: its generation is bumped by every get. */
    static final class Node {
        volatile long gen;
    }

    /** What a slot publishes: the node and its generation at publication. */
    record Handle(Node node, long gen) {
    }

    /** Results of one run. */
    record Result(long reuses, long gets, long finds, long violations, long nanos) {
        double reusesPerSecond() {
            return reuses * 1e9 / nanos;
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void noObjectIsReusedWhileAReaderThatFoundItIsInside(final SmrPoolTesting.Mode mode) throws Exception {
        final long target = SmrPoolTesting.slow() ? 10 * REUSES : REUSES;
        final long seconds = SmrPoolTesting.slow() ? 10 * SECONDS_PER_MODE : SECONDS_PER_MODE;
        final Smr smr = mode.domain("reuse-" + mode);
        try (SmrPool<Node> pool = SmrPool.builder("reuse-" + mode, Node::new).smr(smr).jmx(false)
                .trimInterval(Duration.ofMillis(500)).build()) {
            final Result r = run(smr, pool::get, pool::put, target, Duration.ofSeconds(seconds));
            final SmrPool.Stats st = pool.stats();
            System.out.printf("reuse detector %s: %,d reuses (%,d gets, %,d reader finds) in %.1f s = %,.0f reuses/s,"
                            + " %d violations; live %d, created %d, trims %d, batches queued %d%n",
                    mode, r.reuses, r.gets, r.finds, r.nanos / 1e9, r.reusesPerSecond(), r.violations,
                    st.live(), st.created(), st.trims(), st.batchesQueued());
            assertThat(r.violations).as("reuse while a reader was inside, mode " + mode).isZero();
            assertThat(r.reuses).as("reuses in " + mode).isPositive();
            assertThat(r.finds).as("reader finds in " + mode).isPositive();
            pool.checkInvariants();
        }
    }

    /** Negative control: immediate LIFO reuse without SMR must be caught by the same detector. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void detectorCatchesABrokenRecycler() throws Exception {
        final Smr smr = Smr.create("broken");
        final ConcurrentLinkedDeque<Node> free = new ConcurrentLinkedDeque<>();
        final Supplier<Node> get = () -> {
            final Node n = free.pollFirst();
            return n != null ? n : new Node();
        };
        final Result r = run(smr, get, free::addFirst, Long.MAX_VALUE, Duration.ofSeconds(2), true);
        System.out.printf("reuse detector negative control: %,d reuses, %d violations%n", r.reuses, r.violations);
        assertThat(r.violations).as("the detector must see immediate reuse").isPositive();
    }

    static Result run(final Smr smr, final Supplier<Node> get, final Consumer<Node> put, final long target,
                      final Duration cap) throws InterruptedException {
        return run(smr, get, put, target, cap, false);
    }

    @SuppressWarnings("NonAtomicVolatileUpdate") // gen is written by the slot's one writer
    static Result run(final Smr smr, final Supplier<Node> get, final Consumer<Node> put, final long target,
                      final Duration cap, final boolean stopOnViolation) throws InterruptedException {
        final AtomicReferenceArray<Handle> slots = new AtomicReferenceArray<>(SLOTS);
        for (int i = 0; i < SLOTS; i++) {
            final Node n = get.get();
            n.gen = n.gen + 1;
            slots.set(i, new Handle(n, n.gen));
        }
        final AtomicBoolean stop = new AtomicBoolean();
        final LongAdder violations = new LongAdder();
        final LongAdder finds = new LongAdder();
        final Thread reader = Thread.ofPlatform().name("reuse-reader").start(() -> {
            final Smr.Reader self = smr.reader();
            final ThreadLocalRandom rnd = ThreadLocalRandom.current();
            long found = 0;
            long bad = 0;
            while (!stop.get()) {
                final int i = rnd.nextInt(SLOTS);
                self.enter();
                final Handle h = slots.getAcquire(i);
                final long g1 = h.node().gen;
                for (int k = 0; k < 16; k++) {
                    Thread.onSpinWait(); // widen the window between the two reads
                }
                final long g2 = h.node().gen;
                self.exit();
                found++;
                if (g1 != h.gen() || g2 != h.gen()) {
                    bad++;
                    if (stopOnViolation) {
                        violations.add(bad);
                        bad = 0;
                    }
                }
            }
            violations.add(bad);
            finds.add(found);
        });
        long reuses = 0;
        long gets = 0;
        final long start = System.nanoTime();
        final long deadline = start + cap.toNanos();
        final ThreadLocalRandom rnd = ThreadLocalRandom.current();
        try {
            while (reuses < target) {
                for (int k = 0; k < 1024; k++) {
                    final Node n = get.get();
                    gets++;
                    final long g = n.gen;
                    if (g != 0) {
                        reuses++;
                    }
                    n.gen = g + 1;
                    final Handle old = slots.getAndSet(rnd.nextInt(SLOTS), new Handle(n, g + 1));
                    put.accept(old.node());
                }
                if (System.nanoTime() - deadline > 0 || (stopOnViolation && violations.sum() > 0)) {
                    break;
                }
            }
        } finally {
            stop.set(true);
            reader.join();
        }
        final long nanos = System.nanoTime() - start;
        return new Result(reuses, gets, finds.sum(), violations.sum(), nanos);
    }
}
