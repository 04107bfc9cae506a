package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.smr4j.TestSupport.await;
import static org.smr4j.TestSupport.awaitParked;
import static org.smr4j.TestSupport.makeDue;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The core promise of {@link Smr}, in every mode: a goal returned by {@code advance()} is not
 * reached while a reader that entered before it is still inside, and is reached (poll true
 * within a bound, waitFor returns) once that reader has left. Readers that enter once the goal
 * is due do not hold it back; nested sections count; {@code synchronize()} waits for readers.
 *
 * <p>Readers and waiters are {@link Actor}s (named platform threads driven step by step), so
 * every interleaving below is forced, not hoped for. The surefire execution
 * {@code membarrier-fallback} runs this class again with {@code -Dorg.smr4j.membarrier=false}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(DomainValidation.class)
class SmrSemanticsTest {

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void goalIsNotReachedWhileAnEarlierReaderIsInsideAndIsReachedAfterItExits(final ModeCase mc) {
        final Smr smr = mc.build("hold");
        try (Actor reader = new Actor("reader"); Actor waiter = new Actor("waiter")) {
            reader.run(smr::enter);
            final long goal = smr.advance();
            makeDue(smr, goal);
            for (int i = 0; i < 100; i++) {
                assertThat(smr.poll(goal)).as("poll #%d of goal %d while the reader is inside: %s", i, goal, smr).isFalse();
            }
            final Future<?> waiting = waiter.submit(() -> smr.waitFor(goal));
            awaitParked(waiter.thread(), "waitFor(" + goal + ") blocks while the reader is inside");
            await("waitFor counted as a wait", () -> smr.stats().waits() >= 1);
            assertThat(waiting).as("waitFor must not return while the reader is inside").isNotDone();
            assertThat(smr.poll(goal)).isFalse();

            reader.run(smr::exit);
            await("poll(" + goal + ") true after the reader exited, " + smr, () -> smr.poll(goal));
            Actor.join(waiting, "waitFor(" + goal + ") after the reader exited");
            assertThat(SmrSeq.geq(smr.stats().readSequence(), goal)).as("read sequence passed the goal: %s", smr).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void waitForIsNotInterruptibleAndKeepsTheInterruptForTheCaller(final ModeCase mc) {
        final Smr smr = mc.build("interrupt");
        final AtomicBoolean interruptedAfter = new AtomicBoolean();
        try (Actor reader = new Actor("reader"); Actor waiter = new Actor("waiter")) {
            reader.run(smr::enter);
            final long goal = smr.advance();
            makeDue(smr, goal);
            final Future<?> waiting = waiter.submit(() -> {
                smr.waitFor(goal);
                interruptedAfter.set(Thread.interrupted()); // reads and clears, for the executor's sake
            });
            awaitParked(waiter.thread(), "waitFor blocks");
            final long scans = smr.stats().scans();
            waiter.thread().interrupt();
            await("the interrupted waiter polls again", () -> smr.stats().scans() > scans);
            awaitParked(waiter.thread(), "waitFor parks again after the interrupt");
            assertThat(waiting).as("an interrupt does not end waitFor").isNotDone();
            assertThat(smr.poll(goal)).isFalse();
            reader.run(smr::exit);
            Actor.join(waiting, "waitFor after the reader exited");
            assertThat(interruptedAfter).as("the interrupt is kept for the caller").isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void readersThatEnterOnceTheGoalIsDueDoNotHoldItBack(final ModeCase mc) {
        final Smr smr = mc.build("late");
        try (Actor early = new Actor("early-reader"); Actor late = new Actor("late-reader")) {
            early.run(smr::enter);
            final long goal = smr.advance();
            makeDue(smr, goal);
            late.run(smr::enter);
            assertThat(smr.poll(goal)).as("the early reader still holds the goal").isFalse();
            early.run(smr::exit);
            // The late reader is still inside, with a sequence at or past the goal.
            await("poll(" + goal + ") true with only the late reader inside, " + smr, () -> smr.poll(goal));
            assertThat(late.call(smr::entered)).isTrue();
            late.run(smr::exit);
        }
    }

    @Test
    void inDefaultModeAReaderEnteringRightAfterTheAdvanceDoesNotBlock() {
        final Smr smr = Smr.create("after-advance");
        try (Actor reader = new Actor("reader")) {
            final long goal = smr.advance();
            reader.run(smr::enter);
            assertThat(smr.stats().readSequence()).as("nobody polled yet, so the poll below must scan").isLessThan(goal);
            assertThat(smr.poll(goal)).as("reader entered after advance(): %s", smr).isTrue();
            assertThat(smr.stats().scans()).isEqualTo(1);
            // ...but it does block the next goal.
            final long next = smr.advance();
            assertThat(smr.poll(next)).isFalse();
            reader.run(smr::exit);
            assertThat(smr.poll(next)).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void nestedSectionsCountOnlyTheOutermostExitReleases(final ModeCase mc) {
        final Smr smr = mc.build("nested");
        try (Actor reader = new Actor("reader")) {
            reader.run(() -> {
                smr.enter();
                smr.reader().enter(); // handle and domain methods share the record
            });
            final long goal = smr.advance();
            makeDue(smr, goal);
            assertThat(smr.poll(goal)).isFalse();
            reader.run(smr::exit);
            assertThat(reader.call(smr::entered)).as("one level still open").isTrue();
            for (int i = 0; i < 20; i++) {
                assertThat(smr.poll(goal)).as("inner exit must keep the goal blocked: %s", smr).isFalse();
            }
            reader.run(() -> smr.reader().exit());
            assertThat(reader.call(smr::entered)).isFalse();
            await("poll(" + goal + ") after the outermost exit, " + smr, () -> smr.poll(goal));
        }
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void aPollerInsideItsOwnSectionSeesItselfAsAReader(final ModeCase mc) {
        final Smr smr = mc.build("self");
        try (Actor reader = new Actor("reader")) {
            reader.run(smr::enter);
            final long goal = smr.advance();
            makeDue(smr, goal);
            assertThat(reader.call(() -> smr.poll(goal))).as("poll is allowed inside a section and sees the caller").isFalse();
            reader.run(smr::exit);
            await("poll after exit", () -> reader.call(() -> smr.poll(goal)));
        }
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void synchronizeWaitsForReadersThatEnteredBeforeIt(final ModeCase mc) {
        final Smr smr = mc.build("sync");
        smr.synchronize(); // no readers: returns
        try (Actor reader = new Actor("reader"); Actor syncer = new Actor("synchronizer")) {
            reader.run(smr::enter);
            final Future<?> sync = syncer.submit(smr::synchronize);
            awaitParked(syncer.thread(), "synchronize() blocks while the reader is inside");
            assertThat(sync).isNotDone();
            reader.run(smr::exit);
            Actor.join(sync, "synchronize() after the reader exited");
        }
        final long current = smr.current();
        smr.synchronize();
        assertThat(SmrSeq.geq(smr.stats().readSequence(), current)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void withoutReadersEveryGoalIsReachedAndWaitForReturns(final ModeCase mc) {
        final Smr smr = mc.build("idle");
        long previous = smr.current();
        for (int i = 0; i < 50; i++) {
            final long goal = smr.advance();
            assertThat(SmrSeq.geq(goal, previous)).as("goals never go backward").isTrue();
            assertThat(goal & 1).as("goal %d is odd", goal).isEqualTo(1);
            smr.waitFor(goal);
            assertThat(smr.poll(goal)).isTrue();
            previous = goal;
        }
        if (mc == ModeCase.DEFAULT) {
            assertThat(smr.poll(smr.advance())).as("default mode, no readers: reached at once").isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void goalIsAtMostOneStepAheadOfCurrent(final ModeCase mc) {
        final Smr smr = mc.build("current");
        assertThat(smr.current()).isEqualTo(SmrSeq.INIT);
        final long before = smr.current();
        final long goal = smr.advance();
        final long after = smr.current();
        switch (mc) {
            case DEFAULT -> {
                assertThat(goal).as("default: the goal is the new write sequence").isEqualTo(after).isEqualTo(before + SmrSeq.INCR);
            }
            case DEFERRED -> {
                assertThat(after).as("deferred: the first advance writes nothing shared").isEqualTo(before);
                assertThat(goal).as("deferred: one step in the future").isEqualTo(before + SmrSeq.INCR);
            }
            case LAZY -> {
                assertThat(goal).as("lazy: one tick ahead of the clock").isEqualTo(after + SmrSeq.INCR);
                final long clock = smr.current();
                await("lazy clock moves by itself (one step per tick) when advanced", () -> {
                    smr.advance();
                    return SmrSeq.gt(smr.current(), clock);
                });
            }
            default -> throw new AssertionError(mc);
        }
        for (int i = 0; i < 100; i++) {
            final long g = smr.advance();
            final long c = smr.current();
            assertThat(SmrSeq.delta(g, c)).as("goal %d vs current %d", g, c).isBetween(0L, SmrSeq.INCR);
        }
    }

    @Test
    void membarrierWorksInTheMainRunSoLazyReadersAreReallyFenceFree() {
        // Otherwise every lazy test of the main run would silently test the fallback instead.
        assumeThat(TestSupport.membarrierDisabledByProperty()).as("the fallback JVM").isFalse();
        assumeThat(System.getProperty("os.name")).as("membarrier(2) is Linux only").containsIgnoringCase("linux");
        assertThat(AsymmetricFence.available()).as("membarrier under surefire's argLine: %s", AsymmetricFence.unavailableReason()).isTrue();
        assertThat(Smr.builder("fence-free").lazy().build().fenceFreeReaders()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void fenceFreeReadersOnlyInLazyModeWithMembarrier(final ModeCase mc) {
        final Smr smr = mc.build("fences");
        final boolean expected = mc == ModeCase.LAZY && AsymmetricFence.available();
        assertThat(smr.fenceFreeReaders()).isEqualTo(expected);
        if (TestSupport.membarrierDisabledByProperty()) {
            assertThat(AsymmetricFence.available()).as("-Dorg.smr4j.membarrier=false").isFalse();
            assertThat(AsymmetricFence.unavailableReason()).contains(AsymmetricFence.ENABLED_PROP_NAME);
            assertThat(smr.fenceFreeReaders()).isFalse();
        }
        assertThat(smr.toString()).contains(smr.name(), mc.name());
    }
}
