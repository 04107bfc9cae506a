package org.smr4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smr4j.Smr;

/**
 * The demo's claim, as a test: with SMR no reader sees a recycled node; without the goal check
 * one does (so the detector can fail).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LockFreeLookupDemoTest {

    @Test
    void noReaderSeesARecycledNodeInAnyMode() throws InterruptedException {
        for (final Smr smr : new Smr[] {Smr.create("test-default"), Smr.builder("test-deferred").deferred(8).build(),
                Smr.builder("test-lazy").lazy().build()}) {
            assertThat(LockFreeLookupDemo.run(smr, Duration.ofMillis(500), false)).as("violations in %s", smr).isZero();
        }
    }

    @Test
    void recyclingWithoutTheGoalIsCaught() throws InterruptedException {
        long violations = 0;
        for (int i = 0; i < 20 && violations == 0; i++) {
            violations = LockFreeLookupDemo.run(Smr.create("test-unsafe-" + i), Duration.ofMillis(500), true);
        }
        assertThat(violations).as("the detector catches unsafe recycling").isPositive();
    }
}
