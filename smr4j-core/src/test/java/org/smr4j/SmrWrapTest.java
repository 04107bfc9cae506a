package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smr4j.TestSupport.await;
import static org.smr4j.TestSupport.awaitParked;
import static org.smr4j.TestSupport.makeDue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The signed wrap from {@link Long#MAX_VALUE} to {@link Long#MIN_VALUE}, forced with the
 * package-private {@code Builder.wrapTest()} configuration (start 1000 steps before the wrap,
 * step 2<sup>50</sup>, MAX_DELTA of 1024 steps), as FreeBSD's INVARIANTS kernels do: goals stay
 * odd and non-zero and ordered, poll and waitFor stay right, a reader holding a pre-wrap
 * sequence blocks a post-wrap goal, and advance() waits for readers that lag MAX_DELTA behind.
 *
 * <p>Lazy domains have no MAX_DELTA guard (neither has FreeBSD's lazy advance): with this
 * configuration and a 1 ms tick their clock covers half the sequence space (2<sup>13</sup>
 * ticks) in about 8 s, so lazy cases here cross the wrap (about 1 s) and finish well before.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(DomainValidation.class)
class SmrWrapTest {
    private static final long STEP = 1L << 50;
    private static final long WRAP_INIT = Long.MAX_VALUE - 1000 * STEP;

    private static Smr wrapDomain(final ModeCase mc, final String name) {
        final Smr smr = DomainValidation.track(mc.builder(name + "-" + mc).wrapTest().build());
        assertThat(smr.current()).isEqualTo(WRAP_INIT);
        return smr;
    }

    @ParameterizedTest
    @EnumSource(value = ModeCase.class, names = {"DEFAULT", "DEFERRED"})
    void goalsStayOddNonZeroAndOrderedAcrossTheWrap(final ModeCase mc) {
        final Smr smr = wrapDomain(mc, "goals");
        final int realAdvances = 3000; // past the wrap (1000) and past MAX_DELTA (1024) without polling
        final int calls = realAdvances * (mc == ModeCase.DEFERRED ? ModeCase.DEFERRED_LIMIT : 1);
        final List<Long> goals = new ArrayList<>();
        long previous = smr.current();
        int plainOrderFlips = 0;
        for (int i = 0; i < calls; i++) {
            final long goal = smr.advance();
            assertThat(goal).as("goal %d", i).isNotZero();
            assertThat(goal & 1).as("goal %d = %d is odd", i, goal).isEqualTo(1);
            assertThat(SmrSeq.delta(goal, previous)).as("goal %d after %d", goal, previous).isBetween(0L, STEP);
            if (mc == ModeCase.DEFAULT) {
                assertThat(SmrSeq.gt(goal, previous)).isTrue();
            }
            if (goal < previous) {
                plainOrderFlips++;
            }
            previous = goal;
            goals.add(goal);
        }
        assertThat(plainOrderFlips).as("plain '<' flips exactly once: we crossed the wrap once").isEqualTo(1);
        assertThat(smr.current()).as("the write sequence is past the wrap").isNegative();
        assertThat(SmrSeq.gt(smr.current(), WRAP_INIT)).isTrue();
        if (mc == ModeCase.DEFAULT) {
            assertThat(smr.stats().advanceWaits()).as("3000 steps without a poll exceed MAX_DELTA (1024 steps)").isPositive();
        }
        for (final long goal : goals) {
            assertThat(smr.poll(goal)).as("no readers: goal %d reached", goal).isTrue();
            smr.waitFor(goal);
        }
        final long last = smr.advance();
        smr.waitFor(last);
        assertThat(smr.stats().readSequence()).isNegative();
        assertThat(SmrSeq.geq(smr.stats().readSequence(), last)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void aReaderHoldingAPreWrapSequenceBlocksPostWrapGoals(final ModeCase mc) {
        final Smr smr = wrapDomain(mc, "held");
        try (Actor reader = new Actor("pre-wrap-reader"); Actor waiter = new Actor("waiter")) {
            reader.run(smr::enter);
            final long preGoal = smr.advance();
            assertThat(preGoal).isPositive();
            // Cross the wrap without polling, staying under MAX_DELTA (1024 steps).
            if (mc == ModeCase.LAZY) {
                await("the lazy clock of " + smr + " crosses the wrap", () -> {
                    smr.advance();
                    return smr.current() < 0;
                });
            } else {
                for (int i = 0; i < 10_000 && smr.current() > 0; i++) {
                    smr.advance();
                }
            }
            final long postGoal = smr.advance();
            makeDue(smr, postGoal);
            assertThat(postGoal).as("post-wrap goal").isNegative();
            assertThat(SmrSeq.gt(postGoal, preGoal)).isTrue();
            assertThat(smr.poll(preGoal)).as("pre-wrap goal, reader inside").isFalse();
            assertThat(smr.poll(postGoal)).as("post-wrap goal, pre-wrap reader inside: %s", smr).isFalse();
            final Future<?> waiting = waiter.submit(() -> smr.waitFor(postGoal));
            awaitParked(waiter.thread(), "waitFor(" + postGoal + ") blocks on the pre-wrap reader");
            assertThat(waiting).isNotDone();
            assertThat(smr.poll(postGoal)).isFalse();

            reader.run(smr::exit);
            await("post-wrap goal reached after the reader exited, " + smr, () -> smr.poll(postGoal));
            Actor.join(waiting, "waitFor(" + postGoal + ")");
            assertThat(smr.poll(preGoal)).isTrue();
            assertThat(smr.stats().readSequence()).as("the read hand crossed the wrap too").isNegative();
            assertThat(smr.stats().advanceWaits()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(value = ModeCase.class, names = {"DEFAULT", "DEFERRED"})
    void advanceWaitsWhenItWouldGetMaxDeltaAheadOfAHeldReader(final ModeCase mc) {
        final Smr smr = wrapDomain(mc, "max-delta");
        final int perReal = mc == ModeCase.DEFERRED ? ModeCase.DEFERRED_LIMIT : 1;
        final AtomicInteger completed = new AtomicInteger();
        try (Actor reader = new Actor("lagging-reader"); Actor writer = new Actor("writer")) {
            reader.run(smr::enter);
            final Future<?> writing = writer.submit(() -> {
                for (int i = 0; i < 1100 * perReal; i++) {
                    smr.advance();
                    completed.incrementAndGet();
                }
            });
            await("advance() waits at MAX_DELTA", () -> smr.stats().advanceWaits() == 1);
            awaitParked(writer.thread(), "the writer parks in advance()");
            assertThat(writing).isNotDone();
            assertThat(completed.get()).as("the 1024th real advance (goal 1024 steps ahead of the reader) waits")
                    .isEqualTo(1024 * perReal - 1);
            assertThat(smr.current()).as("crossed the wrap while waiting").isNegative();
            reader.run(smr::exit);
            Actor.join(writing, "writer after the lagging reader exited");
            assertThat(completed.get()).isEqualTo(1100 * perReal);
            assertThat(smr.stats().advanceWaits()).isEqualTo(1);
        }
    }
}
