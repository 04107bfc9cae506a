package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smr4j.TestSupport.await;
import static org.smr4j.TestSupport.awaitParked;
import static org.smr4j.TestSupport.makeDue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.testsupport.Seed;

/**
 * Readers are threads, not CPUs: many short virtual threads, threads that die inside a
 * section, and many threads inside sections at once.
 */
@ExtendWith({Seed.Extension.class, DomainValidation.class})
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SmrThreadsTest {
    private static final Duration JOIN = Duration.ofSeconds(20);

    private static void join(final Thread t) {
        try {
            assertThat(t.join(JOIN)).as("thread %s terminated within %s", t.getName(), JOIN).isTrue();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void awaitLatch(final CountDownLatch latch, final String what) {
        try {
            assertThat(latch.await(JOIN.toSeconds(), TimeUnit.SECONDS)).as(what).isTrue();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * 100,000 virtual threads each enter, read shared data, exit and end, at most
     * {@code WINDOW} alive at a time (the launcher joins the oldest before starting another).
     * Bound on the registry afterwards, without any explicit sweep: a sweep runs when the
     * registrations since the last one reach max(SWEEP_MIN, L), L being the live records at
     * that sweep, and keeps only live records; L <= WINDOW + 1 (the test thread may be
     * registered), so the registry never holds more than 2 * (WINDOW + 1) + SWEEP_MIN records.
     * A registry that kept dead threads' records would hold 100,000.
     */
    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void aHundredThousandVirtualThreadsPassThroughAndTheRegistryShrinks(final ModeCase mc) {
        final int total = 100_000;
        final int window = 1_000;
        final Smr smr = mc.build("vthreads");
        final SmrPointer<long[]> data = new SmrPointer<>(smr, () -> true, new long[] {7});
        final AtomicLong sum = new AtomicLong();
        final ArrayDeque<Thread> alive = new ArrayDeque<>();
        final Thread.Builder builder = Thread.ofVirtual().name("vreader-", 0);
        for (int i = 0; i < total; i++) {
            if (alive.size() == window) {
                join(alive.removeFirst());
            }
            alive.addLast(builder.start(() -> {
                smr.enter();
                try {
                    sum.addAndGet(data.enteredLoad()[0]);
                } finally {
                    smr.exit();
                }
            }));
        }
        while (!alive.isEmpty()) {
            join(alive.removeFirst());
        }
        assertThat(sum.get()).isEqualTo(7L * total);

        final int bound = 2 * (window + 1) + ReaderRegistry.SWEEP_MIN;
        final int readers = smr.stats().readers();
        System.out.printf("%s: %d records after %d virtual threads (bound %d), %d sweeps%n",
                smr.name(), readers, total, bound, smr.registry().sweeps());
        assertThat(readers).as("records left after %d virtual threads", total).isLessThanOrEqualTo(bound);
        assertThat(smr.registry().sweeps()).isPositive();

        final long goal = smr.advance();
        if (mc == ModeCase.DEFAULT) {
            assertThat(smr.poll(goal)).as("nobody inside: %s", smr).isTrue();
        }
        smr.waitFor(goal);
        await("poll(" + goal + ")", () -> smr.poll(goal));
        smr.synchronize();
        smr.sweepReaders();
        assertThat(smr.stats().readers()).as("after an explicit sweep only live threads keep records")
                .isLessThanOrEqualTo(mc == ModeCase.DEFERRED ? 1 : 0);
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void aPlatformThreadThatDiesInsideASectionStopsHoldingGoalsAndItsRecordIsRecycled(final ModeCase mc) {
        dyingReader(mc, Thread.ofPlatform().name("dying-reader"));
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void aVirtualThreadThatDiesInsideASectionStopsHoldingGoalsAndItsRecordIsRecycled(final ModeCase mc) {
        dyingReader(mc, Thread.ofVirtual().name("dying-vreader"));
    }

    private static void dyingReader(final ModeCase mc, final Thread.Builder builder) {
        final Smr smr = mc.build("dying");
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch die = new CountDownLatch(1);
        final AtomicReference<Smr.Reader> record = new AtomicReference<>();
        final Thread dying = builder.start(() -> {
            smr.enter();
            record.set(smr.reader());
            entered.countDown();
            awaitLatch(die, "told to die");
            // returns without exit(): the thread ends inside its section
        });
        awaitLatch(entered, "the dying reader entered");
        final long goal = smr.advance();
        makeDue(smr, goal);
        final int registered = smr.stats().readers();
        try (Actor waiter = new Actor("waiter")) {
            assertThat(smr.poll(goal)).as("alive inside: holds the goal").isFalse();
            final Future<?> waiting = waiter.submit(() -> smr.waitFor(goal));
            awaitParked(waiter.thread(), "waitFor blocks on the live reader");
            assertThat(waiting).isNotDone();

            die.countDown();
            join(dying);
            assertThat(dying.isAlive()).isFalse();
            await("poll(" + goal + ") true once the reader is dead, " + smr, () -> smr.poll(goal));
            Actor.join(waiting, "waitFor after the reader died inside its section");
        }
        // The poll that skipped the dead record asked for a sweep and ran it.
        assertThat(smr.stats().readers()).as("the dead thread's record was dropped").isEqualTo(registered - 1);

        final Smr.Reader[] recycled = new Smr.Reader[1];
        final Thread fresh = Thread.ofPlatform().name("fresh-reader").start(() -> recycled[0] = smr.reader());
        join(fresh);
        assertThat(recycled[0]).as("the new thread got the dead thread's record").isSameAs(record.get());
        assertThat(smr.stats().readers()).isEqualTo(registered);

        // The recycled record works: a fresh owner's section holds a later goal.
        try (Actor next = new Actor("next-reader")) {
            next.run(smr::enter);
            final long later = smr.advance();
            makeDue(smr, later);
            assertThat(smr.poll(later)).isFalse();
            next.run(smr::exit);
            await("poll(" + later + ")", () -> smr.poll(later));
        }
    }

    /**
     * 32 platform and 32 virtual threads are inside sections at once: each has its own
     * handle (identity-distinct, the same on every call from that thread). Then they leave one
     * by one in a random order, and a goal advanced while all were inside stays unreached until
     * the very last one has left: if two live sections shared a slot, one's exit would clear
     * the other's publication and the goal would be reached early.
     */
    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void liveSectionsNeverShareASlot(final ModeCase mc, final Seed seed) {
        final Smr smr = mc.build("slots");
        final int n = 64;
        final CountDownLatch allEntered = new CountDownLatch(n);
        final List<CountDownLatch> release = new ArrayList<>();
        final Set<Smr.Reader> handles = Collections.newSetFromMap(new IdentityHashMap<>());
        final Map<Smr.Reader, Boolean> concurrentHandles = new ConcurrentHashMap<>();
        final List<Thread> threads = new ArrayList<>();
        final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < n; i++) {
            final CountDownLatch mine = new CountDownLatch(1);
            release.add(mine);
            final Thread.Builder b = i % 2 == 0 ? Thread.ofPlatform().name("reader-" + i) : Thread.ofVirtual().name("vreader-" + i);
            threads.add(b.start(() -> {
                try {
                    final Smr.Reader before = smr.reader();
                    smr.enter();
                    final Smr.Reader inside = smr.reader();
                    assertThat(inside).as("reader() is stable per thread").isSameAs(before);
                    assertThat(inside.entered()).isTrue();
                    concurrentHandles.put(inside, Boolean.TRUE);
                    allEntered.countDown();
                    awaitLatch(mine, "released");
                    smr.exit();
                    assertThat(smr.reader()).isSameAs(before);
                } catch (final Throwable t) {
                    failures.add(t);
                    allEntered.countDown();
                }
            }));
        }
        awaitLatch(allEntered, "all readers entered");
        assertThat(failures).isEmpty();
        handles.addAll(concurrentHandles.keySet());
        assertThat(handles).as("distinct handles among %d concurrent sections", n).hasSize(n);
        assertThat(smr.stats().readers()).isGreaterThanOrEqualTo(n);

        final long goal = smr.advance();
        makeDue(smr, goal);
        final List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, seed.jdkRandom());
        for (int k = 0; k < n; k++) {
            final int i = order.get(k);
            release.get(i).countDown();
            join(threads.get(i));
            if (k < n - 1) {
                assertThat(smr.poll(goal)).as("%d of %d readers still inside after %s left: %s",
                        n - 1 - k, n, threads.get(i).getName(), smr).isFalse();
            }
        }
        assertThat(failures).isEmpty();
        await("poll(" + goal + ") after the last reader left", () -> smr.poll(goal));
    }
}
