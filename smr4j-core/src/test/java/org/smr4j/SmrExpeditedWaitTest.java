package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Smr#waitForExpedited}: it still waits for every reader inside a section entered before
 * the goal (expediting moves the sequence, never past a reader), it returns once they leave,
 * it reaches a lazy goal without waiting for the tick, and it is refused inside a section.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // the stalled reader is held for its scope
class SmrExpeditedWaitTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(SmrPoolTesting.Mode.class)
    void waitsForAnEarlierReaderAndReturnsWhenItLeaves(final SmrPoolTesting.Mode mode) throws Exception {
        final Smr smr = mode.domain("expedite-" + mode);
        final AtomicBoolean returned = new AtomicBoolean();
        final Thread waiter;
        try (SmrPoolTesting.StalledReader reader = new SmrPoolTesting.StalledReader(smr, "stalled-" + mode)) {
            final long goal = smr.advance();
            waiter = Thread.ofPlatform().name("expedited-waiter").start(() -> {
                smr.waitForExpedited(goal);
                returned.set(true);
            });
            Thread.sleep(200);
            assertThat(returned.get()).as("an earlier reader still holds the goal").isFalse();
            assertThat(smr.poll(goal)).isFalse();
        }
        waiter.join(10_000);
        assertThat(returned.get()).as("returned once the reader left").isTrue();
        DomainValidation.check(smr);
    }

    @Test
    void reachesALazyGoalWithoutWaitingForTheTick() {
        final Smr lazy = Smr.builder("expedite-lazy").lazy(Duration.ofSeconds(1)).build();
        final long t0 = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            lazy.waitForExpedited(lazy.advance());
        }
        final long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("5 expedited waits with a 1 s tick took " + ms + " ms").isLessThan(500);
        // Later plain goals are still one tick ahead of the (moved) clock, not further.
        final long t1 = System.nanoTime();
        lazy.waitFor(lazy.advance());
        assertThat((System.nanoTime() - t1) / 1_000_000).as("a plain wait after expediting").isLessThan(2_500);
        DomainValidation.check(lazy);
    }

    @Test
    void refusedInsideASection() {
        final Smr smr = Smr.create("expedite-inside");
        smr.enter();
        try {
            final long goal = smr.current();
            assertThatThrownBy(() -> smr.waitForExpedited(goal)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
        } finally {
            smr.exit();
        }
    }

    @Test
    void aGoalThatIsNotOneIsRefusedAndEachCallCountsAsOnePoll() {
        final Smr smr = Smr.create("expedite-goal");
        assertThatThrownBy(() -> smr.waitForExpedited(SmrSeq.INVALID)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("goal 0 is SmrSeq.INVALID");
        assertThatThrownBy(() -> smr.waitForExpedited(2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a sequence of this domain");
        final Smr.Stats before = smr.stats();
        smr.waitForExpedited(smr.advance());
        final Smr.Stats after = smr.stats();
        assertThat(after.polls()).as("one expedited wait, one poll").isEqualTo(before.polls() + 1);
        assertThat(after.waits()).as("no reader: reached at once, no wait").isEqualTo(before.waits());
    }

    @Test
    void anExpeditedWaitThatMustWaitCountsOneWait() throws Exception {
        final Smr smr = Smr.create("expedite-waits");
        final long waits0;
        final Thread waiter;
        try (SmrPoolTesting.StalledReader reader = new SmrPoolTesting.StalledReader(smr, "stalled-waits")) {
            final long goal = smr.advance();
            waits0 = smr.stats().waits();
            waiter = Thread.ofPlatform().name("expedited-waiter-2").start(() -> smr.waitForExpedited(goal));
            Thread.sleep(100);
        }
        waiter.join(10_000);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(smr.stats().waits()).isEqualTo(waits0 + 1);
    }
}
