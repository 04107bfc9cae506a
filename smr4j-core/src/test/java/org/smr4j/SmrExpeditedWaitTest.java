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
}
