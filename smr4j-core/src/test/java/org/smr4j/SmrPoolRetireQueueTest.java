package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** SmrRetireQueue: call_rcu-style deferred actions on the pool's batching. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // StalledReader is held for its scope, not referenced
class SmrPoolRetireQueueTest {
    /** A retired object. */
    static final class Res {
        final int id;
        volatile boolean freed;

        Res(final int id) {
            this.id = id;
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void actionsWaitForReadersAndRunInOrder(final SmrPoolTesting.Mode mode) {
        final Smr smr = mode.domain("retire-" + mode);
        final List<Integer> ran = new CopyOnWriteArrayList<>();
        final SmrRetireQueue q = SmrRetireQueue.builder("retire-" + mode, smr).batchSize(4).build();
        try (SmrPoolTesting.StalledReader r = new SmrPoolTesting.StalledReader(smr, "retire-reader-" + mode)) {
            for (int i = 0; i < 10; i++) {
                q.retire(new Res(i), x -> ran.add(x.id));
            }
            q.flush();
            SmrPoolBatchTest.letGoalsPass(mode, smr);
            assertThat(q.poll()).isZero();
            assertThat(ran).as("nothing runs while a reader that could hold them is inside").isEmpty();
            assertThat(q.stats().pending()).isEqualTo(10);
            assertThat(q.stats().batchesPending()).isEqualTo(3);
        }
        SmrPoolBatchTest.letGoalsPass(mode, smr);
        SmrPoolTesting.await(() -> {
            q.poll();
            return ran.size() == 10;
        }, Duration.ofSeconds(5), "actions run after the reader exits");
        assertThat(ran).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        q.close();
        assertThatThrownBy(() -> q.retire(new Res(0), x -> { })).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("retire queue 'retire-" + mode + "'");
    }

    @Test
    void closeWaitsAndRunsEverything() throws Exception {
        final Smr smr = Smr.create("retire-close");
        final AtomicInteger ran = new AtomicInteger();
        final SmrRetireQueue q = SmrRetireQueue.builder("retire-close", smr).batchSize(100).build();
        final CompletableFuture<Void> closing;
        try (SmrPoolTesting.StalledReader r = new SmrPoolTesting.StalledReader(smr, "retire-close-reader")) {
            for (int i = 0; i < 5; i++) {
                q.retire(new Res(i), x -> ran.incrementAndGet());
            }
            closing = CompletableFuture.runAsync(q::close, t -> Thread.ofPlatform().name("retire-closer").start(t));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(30));
            assertThat(closing).isNotDone();
            assertThat(ran.get()).isZero();
        }
        closing.get(10, TimeUnit.SECONDS);
        assertThat(ran.get()).isEqualTo(5);
        assertThat(q.stats().ran()).isEqualTo(5);
    }

    @Test
    void retireInsideASectionDefersTaggingAndFailingActionsAreCounted() {
        final Smr smr = Smr.create("retire-inside");
        final AtomicInteger ran = new AtomicInteger();
        try (SmrRetireQueue q = SmrRetireQueue.builder("retire-inside", smr).batchSize(2).build()) {
            smr.enter();
            try {
                for (int i = 0; i < 5; i++) {
                    q.retire(new Res(i), x -> ran.incrementAndGet());
                }
                assertThat(q.stats().batches()).as("no advance inside a section").isZero();
                assertThatThrownBy(q::awaitAll).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("read section");
            } finally {
                smr.exit();
            }
            q.retire(new Res(5), x -> {
                throw new IllegalStateException("action fails");
            });
            q.awaitAll();
            assertThat(ran.get()).isEqualTo(5);
            assertThat(q.stats().ran()).isEqualTo(6);
            assertThat(q.stats().failed()).isEqualTo(1);
        }
    }

    @Test
    void backgroundThreadOnlyWhenAskedFor() {
        final Smr smr = Smr.create("retire-bg");
        final AtomicInteger ran = new AtomicInteger();
        try (SmrRetireQueue q = SmrRetireQueue.builder("retire-bg", smr).backgroundPeriod(Duration.ofMillis(1)).build()) {
            q.retire(new Res(1), x -> ran.incrementAndGet()); // a partial batch, no more retires
            SmrPoolTesting.await(() -> ran.get() == 1, Duration.ofSeconds(5), "the background thread runs it");
        }
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("smr4j-retire-retire-bg"));
    }

    /** How an action calls back into its own queue. */
    enum Reentry { POLL, RETIRE }

    /**
     * Issue 13.1: the run lock is reentrant, so an action that polled or retired (the call_rcu
     * pattern) ran the next batch in the middle of its own: [a, c, d, a-done, b].
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Reentry.class)
    void anActionThatCallsBackIntoItsQueueRunsNothingNestedAndBatchesKeepTheirOrder(final Reentry how) {
        final Smr smr = Smr.create("retire-reentry-" + how);
        final List<String> order = new CopyOnWriteArrayList<>();
        try (SmrRetireQueue q = SmrRetireQueue.builder("retire-reentry-" + how, smr).batchSize(2).build()) {
            final long[] nested = {-1};
            try (SmrPoolTesting.StalledReader r = new SmrPoolTesting.StalledReader(smr, "reentry-reader")) {
                q.retire(new Res(1), x -> {
                    order.add("a");
                    if (how == Reentry.POLL) {
                        nested[0] = q.poll();
                    } else {
                        q.retire(new Res(9), y -> order.add("child"));
                        nested[0] = 0;
                    }
                    order.add("a-done");
                });
                q.retire(new Res(2), x -> order.add("b"));
                q.retire(new Res(3), x -> order.add("c"));
                q.retire(new Res(4), x -> order.add("d"));
                assertThat(q.stats().batchesPending()).as("two tagged batches, held by the reader").isEqualTo(2);
            }
            assertThat(q.poll()).isEqualTo(4);
            assertThat(order).as("batch [a, b] runs whole before batch [c, d]").containsExactly("a", "a-done", "b", "c", "d");
            assertThat(nested[0]).as("the nested call ran nothing").isZero();
            q.awaitAll();
            assertThat(order).hasSize(how == Reentry.RETIRE ? 6 : 5);
            final SmrRetireQueue.Stats st = q.stats();
            assertThat(st.ran()).isEqualTo(st.retired());
            assertThat(st.pending()).isZero();
        }
    }

    @Test
    void awaitAllAndCloseFromInsideAnActionAreRefusedAndChangeNothing() {
        final Smr smr = Smr.create("retire-refuse");
        final List<Throwable> refused = new CopyOnWriteArrayList<>();
        final SmrRetireQueue q = SmrRetireQueue.builder("retire-refuse", smr).batchSize(1).build();
        final AtomicInteger after = new AtomicInteger();
        q.retire(new Res(1), x -> {
            try {
                q.awaitAll();
            } catch (final IllegalStateException e) {
                refused.add(e);
            }
            try {
                q.close();
            } catch (final IllegalStateException e) {
                refused.add(e);
            }
            after.incrementAndGet();
        });
        q.awaitAll();
        assertThat(refused).hasSize(2).allSatisfy(e -> assertThat(e).hasMessageContaining("retire queue 'retire-refuse'")
                .hasMessageContaining("from inside one of its actions")
                .hasMessageContaining(Thread.currentThread().getName()));
        assertThat(after.get()).isEqualTo(1);
        assertThat(q.toString()).as("the refused close changed nothing").doesNotContain("closed");
        q.retire(new Res(2), x -> after.incrementAndGet()); // would throw if closed
        q.close();
        assertThat(after.get()).isEqualTo(2);
    }

    /**
     * Issue 13.2, the retire queue: an action that throws a checked exception (sneakily, as a
     * Kotlin lambda may) escaped the catch of RuntimeException and Error; the rest of its
     * batch, already off the queue, never ran, and the statistics kept it pending for ever.
     */
    @Test
    void anActionThrowingACheckedExceptionDoesNotSkipTheRestOfItsBatch() {
        final Smr smr = Smr.create("retire-checked");
        final AtomicInteger ran = new AtomicInteger();
        final SmrRetireQueue q = SmrRetireQueue.builder("retire-checked", smr).batchSize(4).build();
        try (SmrPoolTesting.StalledReader r = new SmrPoolTesting.StalledReader(smr, "retire-checked-reader")) {
            q.retire(new Res(0), x -> {
                throw Faults.<RuntimeException>sneaky(new Faults.InjectedChecked("action"));
            });
            for (int i = 1; i < 4; i++) {
                q.retire(new Res(i), x -> ran.incrementAndGet());
            }
        }
        org.assertj.core.api.Assertions.assertThatCode(q::awaitAll).doesNotThrowAnyException();
        assertThat(ran.get()).as("the three actions after the throwing one").isEqualTo(3);
        q.close();
        final SmrRetireQueue.Stats st = q.stats();
        assertThat(st.retired()).isEqualTo(4);
        assertThat(st.ran()).isEqualTo(4);
        assertThat(st.failed()).isEqualTo(1);
        assertThat(st.pending()).isZero();
        assertThat(st.batchesPending()).isZero();
    }

    /**
     * Issue 13.5: a framework's shutdown sweep interrupts the queue's background thread; its
     * park then returned at once, every time (996 ms of CPU per second). An interrupt is now
     * cleared and ignored: the thread keeps its period and its work; close() stops it.
     */
    @Test
    void theBackgroundThreadIgnoresAnInterruptAndDoesNotSpin() {
        final Smr smr = Smr.create("retire-bg-interrupt");
        final AtomicInteger ran = new AtomicInteger();
        final String threadName = "smr4j-retire-retire-bg-interrupt";
        try (SmrRetireQueue q = SmrRetireQueue.builder("retire-bg-interrupt", smr)
                .backgroundPeriod(Duration.ofMillis(2)).build()) {
            final Thread bg = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals(threadName)).findFirst().orElseThrow();
            Faults.assertWaits("retire queue background thread", Faults.interruptAndMeasure(bg, 300));
            q.retire(new Res(1), x -> ran.incrementAndGet());
            SmrPoolTesting.await(() -> ran.get() == 1, Duration.ofSeconds(5), "the background thread still runs actions");
            assertThat(bg.isAlive()).isTrue();
        }
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals(threadName));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void noActionRunsWhileAReaderThatFoundTheObjectIsInside(final SmrPoolTesting.Mode mode) throws Exception {
        final Smr smr = mode.domain("retire-detector-" + mode);
        final int slots = 32;
        final AtomicReferenceArray<Res> table = new AtomicReferenceArray<>(slots);
        for (int i = 0; i < slots; i++) {
            table.set(i, new Res(i));
        }
        final LongAdder violations = new LongAdder();
        final LongAdder finds = new LongAdder();
        final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        final Thread reader = Thread.ofPlatform().name("retire-detector-reader").start(() -> {
            final Smr.Reader self = smr.reader();
            int i = 0;
            while (!stop.get()) {
                self.enter();
                final Res r = table.getAcquire(i++ & (slots - 1));
                final boolean before = r.freed;
                Thread.onSpinWait();
                final boolean after = r.freed;
                self.exit();
                finds.increment();
                if (before || after) {
                    violations.increment();
                }
            }
        });
        final int retires = SmrPoolTesting.slow() ? 5_000_000 : 300_000;
        try (SmrRetireQueue q = SmrRetireQueue.builder("retire-detector-" + mode, smr).batchSize(32).build()) {
            for (int k = 0; k < retires; k++) {
                final Res old = table.getAndSet(k & (slots - 1), new Res(k));
                q.retire(old, x -> x.freed = true);
            }
        } finally {
            stop.set(true);
            reader.join();
        }
        System.out.printf("retire detector %s: %,d retires, %,d reader finds, %d violations%n", mode, retires,
                finds.sum(), violations.sum());
        assertThat(violations.sum()).isZero();
    }
}
