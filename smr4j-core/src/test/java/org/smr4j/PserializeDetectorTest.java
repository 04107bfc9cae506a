package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A use-after-destroy detector for {@link Pserialize}: readers find nodes through shared slots
 * inside a section and keep checking, for a while, that the node they found has not been
 * poisoned; a writer swaps nodes out, batches them, calls {@code perform()}, then poisons the
 * batch. Zero violations are required. A negative control poisons without {@code perform()}
 * and must be caught, which shows the detector can see the hazard on this machine.
 *
 * <p>Duration: {@value #RUN_MILLIS} ms per mode; {@code -Dsmr4j.test.slow=true} runs
 * {@value #SLOW_RUN_MILLIS} ms.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PserializeDetectorTest {
    static final long RUN_MILLIS = 1_500;
    static final long SLOW_RUN_MILLIS = 60_000;
    static final int SLOTS = 4;
    static final int BATCH = 8;
    /** Opaque re-reads of the poison flag per section: the section's dwell time. */
    static final int DWELL = 200;

    static final class Node {
        final long id;
        /** Accessed through POISONED; opaque, so the reader's loop re-reads it without adding ordering. */
        boolean poisoned;

        Node(final long id) {
            this.id = id;
        }

        boolean poisonedOpaque() {
            return (boolean) POISONED.getOpaque(this);
        }

        void poisonOpaque() {
            POISONED.setOpaque(this, true);
        }

        private static final VarHandle POISONED;

        static {
            try {
                POISONED = MethodHandles.lookup().findVarHandle(Node.class, "poisoned", boolean.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    static long runMillis() {
        return Boolean.getBoolean("smr4j.test.slow") ? SLOW_RUN_MILLIS : RUN_MILLIS;
    }

    /** Runs readers and one writer; returns the violations seen (stops early at the first if asked). */
    static long run(final Pserialize psz, final boolean barrier, final long millis, final boolean stopAtFirst)
            throws InterruptedException {
        final AtomicReferenceArray<Node> slots = new AtomicReferenceArray<>(SLOTS);
        for (int i = 0; i < SLOTS; i++) {
            slots.set(i, new Node(i));
        }
        final AtomicBoolean stop = new AtomicBoolean();
        final LongAdder violations = new LongAdder();
        final LongAdder sections = new LongAdder();
        final List<Thread> readers = new ArrayList<>();
        // The writer starts once both readers hold a record and stops before they do: a round
        // that finds no reader record skips the membarrier by design, so with readers starting
        // late on a loaded machine the test's membarriers == barriers failed (20,278 of 38,194).
        final java.util.concurrent.CountDownLatch registered = new java.util.concurrent.CountDownLatch(2);
        final AtomicBoolean writerStop = new AtomicBoolean();
        for (int r = 0; r < 2; r++) {
            final int seed = r;
            readers.add(Thread.ofPlatform().name("reader-" + r).start(() -> {
                final Pserialize.Reader reader = psz.reader();
                reader.enter();
                reader.exit();
                registered.countDown();
                long n = 0;
                int slot = seed;
                while (!stop.get()) {
                    reader.enter();
                    try {
                        final Node node = slots.getAcquire(slot);
                        for (int k = 0; k < DWELL; k++) {
                            if (node.poisonedOpaque()) {
                                violations.increment();
                                if (stopAtFirst) {
                                    stop.set(true);
                                }
                                break;
                            }
                        }
                    } finally {
                        reader.exit();
                    }
                    slot = (slot + 1) % SLOTS;
                    n++;
                }
                sections.add(n);
            }));
        }
        registered.await();
        final Thread writer = Thread.ofPlatform().name("writer").start(() -> {
            long id = SLOTS;
            final Node[] batch = new Node[BATCH];
            int b = 0;
            while (!writerStop.get() && !stop.get()) {
                final Node old = slots.getAndSet((int) (id % SLOTS), new Node(id));
                id++;
                batch[b++] = old;
                if (b == BATCH) {
                    if (barrier) {
                        psz.perform();
                    }
                    for (int i = 0; i < BATCH; i++) {
                        batch[i].poisonOpaque();
                        batch[i] = null;
                    }
                    b = 0;
                }
            }
        });
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!stop.get() && System.nanoTime() - deadline < 0) {
            Thread.sleep(10);
        }
        writerStop.set(true);
        writer.join(30_000);
        stop.set(true);
        for (final Thread t : readers) {
            t.join(30_000);
        }
        assertThat(sections.sum()).as("readers made progress").isPositive();
        return violations.sum();
    }

    @ParameterizedTest(name = "fenced={0}")
    @ValueSource(booleans = {false, true})
    void noReaderSeesANodePoisonedAfterPerform(final boolean fenced) throws Exception {
        final Pserialize psz = PserializeTest.create("detector", fenced);
        final long violations = run(psz, true, runMillis(), false);
        assertThat(violations).as("poisoned nodes seen inside a section").isZero();
        assertThat(psz.stats().performs()).isPositive();
        assertThat(psz.stats().membarriers()).isEqualTo(fenced ? 0 : psz.stats().barriers());
    }

    @Test
    void negativeControlWithoutPerformIsCaught() throws Exception {
        final Pserialize psz = Pserialize.create("detector-control");
        final long violations = run(psz, false, Duration.ofSeconds(10).toMillis(), true);
        assertThat(violations).as("the detector must catch poisoning without perform()").isPositive();
    }
}
