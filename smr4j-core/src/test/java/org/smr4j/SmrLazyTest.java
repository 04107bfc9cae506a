package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Lazy mode ({@code SMR_LAZY}): the write sequence follows a clock, goals lie one tick ahead,
 * a goal is not reached before the next tick boundary and is reached about one tick later once
 * readers are out; waitFor works and sleeps to the tick instead of spinning.
 *
 * <p>Timing is asserted only where it is exact: {@link #alignToTick} observes a clock step and
 * returns a time {@code t} that is before that step, so the next step cannot come before
 * {@code t + tick}: anything reached earlier would be a bug, whatever the scheduler does.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(DomainValidation.class)
class SmrLazyTest {

    /**
     * Advances until the write sequence moves (a tick boundary B), and returns a nanoTime
     * taken before an advance that still saw the clock before B: so B came after it, and the
     * next boundary is later than the returned time plus one tick.
     */
    static long alignToTick(final Smr smr) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        smr.advance();
        long seen = smr.current();
        long before = System.nanoTime();
        while (true) {
            final long t = System.nanoTime();
            smr.advance();
            final long now = smr.current();
            if (now != seen) {
                return before;
            }
            before = t;
            seen = now;
            assertThat(t - deadline).as("the lazy clock of %s never stepped", smr).isNegative();
            LockSupport.parkNanos(20_000);
        }
    }

    @Test
    void aGoalIsNotReachedBeforeTheNextTickAndIsReachedAboutOneTickLater() {
        final Duration tick = Duration.ofMillis(50);
        final Smr smr = Smr.builder("tick").lazy(tick).build();
        final long before = alignToTick(smr);
        final long goal = smr.advance();
        final long advanced = System.nanoTime();
        int falsePolls = 0;
        long reached;
        while (true) {
            final boolean ok = smr.poll(goal);
            final long t = System.nanoTime();
            if (ok) {
                reached = t;
                break;
            }
            falsePolls++;
            assertThat(t - advanced).as("goal %d never reached: %s", goal, smr).isLessThan(TimeUnit.SECONDS.toNanos(5));
            LockSupport.parkNanos(200_000);
        }
        assertThat(reached - before).as("reached %d us after a time before the tick began", (reached - before) / 1000)
                .isGreaterThanOrEqualTo(tick.toNanos());
        assertThat(reached - advanced).as("reached about one tick after advance()")
                .isLessThan(tick.toNanos() + TimeUnit.SECONDS.toNanos(2));
        assertThat(falsePolls).isPositive();
        assertThat(SmrSeq.geq(smr.current(), goal)).isTrue();
    }

    @Test
    void waitForSleepsToTheTickInsteadOfSpinning() {
        final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeThat(mx.isCurrentThreadCpuTimeSupported()).as("thread CPU time").isTrue();
        mx.setThreadCpuTimeEnabled(true);
        final Duration tick = Duration.ofMillis(200);
        final Smr smr = Smr.builder("sleepy").lazy(tick).build();
        for (int attempt = 0; ; attempt++) {
            final long before = alignToTick(smr);
            final long goal = smr.advance();
            final long t0 = System.nanoTime();
            if (t0 - before > tick.toNanos() / 4 && attempt < 5) {
                continue; // descheduled while aligning: the wait would be short, try again
            }
            final long cpu0 = mx.getCurrentThreadCpuTime();
            smr.waitFor(goal);
            final long cpu = mx.getCurrentThreadCpuTime() - cpu0;
            final long t1 = System.nanoTime();
            final long elapsed = t1 - t0;
            assertThat(t1 - before).as("waitFor returned before the tick passed").isGreaterThanOrEqualTo(tick.toNanos());
            assertThat(elapsed).as("waitFor returns within about one tick").isLessThan(tick.toNanos() + TimeUnit.SECONDS.toNanos(2));
            assertThat(cpu).as("waitFor used %d us of CPU in %d us: it must sleep, not spin", cpu / 1000, elapsed / 1000)
                    .isLessThan(elapsed / 4);
            assertThat(smr.poll(goal)).isTrue();
            return;
        }
    }

    @Test
    void theDefaultTickIsOneMillisecond() {
        // t0 before the build: the lazy clock counts ticks from the domain's creation, and
        // current() shows them only after an advance; time spent between the build and a
        // later t0 (a descheduled thread on a loaded machine) counted for the clock and not
        // for elapsed, and 20 steps seemed to take 17.7 ms in one CI run.
        final long t0 = System.nanoTime();
        final Smr smr = Smr.builder("default-tick").lazy().build();
        assertThat(smr.mode()).isEqualTo(Smr.Mode.LAZY);
        final long c0 = smr.current();
        TestSupport.await("the clock steps 20 times", () -> {
            smr.advance();
            return SmrSeq.delta(smr.current(), c0) >= 20 * SmrSeq.INCR;
        });
        final long elapsed = System.nanoTime() - t0;
        assertThat(elapsed).as("20 ticks of 1 ms").isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(19));
        final long t1 = System.nanoTime();
        smr.waitFor(smr.advance());
        assertThat(System.nanoTime() - t1).isLessThan(TimeUnit.SECONDS.toNanos(2));
    }

    @Test
    void aLongIdleClockJumpsInOneStepAndGoalsStayValid() {
        final Smr smr = Smr.builder("idle").lazy(Duration.ofMillis(1)).build();
        final long c0 = smr.current();
        TestSupport.await("time passes", () -> SmrSeq.delta(smr.advance(), c0) > 50 * SmrSeq.INCR);
        final long goal = smr.advance();
        assertThat(SmrSeq.delta(goal, smr.current())).isEqualTo(SmrSeq.INCR);
        smr.waitFor(goal);
        assertThat(smr.poll(goal)).isTrue();
    }
}
