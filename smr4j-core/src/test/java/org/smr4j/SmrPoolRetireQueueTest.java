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
