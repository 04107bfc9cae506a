package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smr4j.TestSupport.await;
import static org.smr4j.TestSupport.awaitParked;

import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Smr#stats()} counters move as documented: advances per advance(), polls per poll() and
 * waitFor(), scans only when the read sequence cannot answer, failedPolls per false poll (not
 * per waitFor), waits per waitFor that had to wait, barriers per scanned lazy tick when readers
 * are fence-free, readers per registered thread. Exact counts, single writer.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(DomainValidation.class)
class SmrStatsTest {

    private static void assertCounts(final Smr smr, final long advances, final long polls, final long scans,
                                     final long failedPolls, final long waits) {
        final Smr.Stats s = smr.stats();
        assertThat(new long[] {s.advances(), s.polls(), s.scans(), s.failedPolls(), s.waits()})
                .as("advances, polls, scans, failedPolls, waits of %s", s)
                .containsExactly(advances, polls, scans, failedPolls, waits);
    }

    @Test
    void defaultModeCounters() {
        final Smr smr = Smr.create("stats-default");
        final Smr.Stats s0 = smr.stats();
        assertThat(s0).isEqualTo(new Smr.Stats(0, 0, 0, 0, 0, 0, 0, 0, SmrSeq.INIT, SmrSeq.INIT));
        final long g1 = smr.advance();
        assertCounts(smr, 1, 0, 0, 0, 0);
        assertThat(smr.stats().writeSequence()).isEqualTo(g1);
        assertThat(smr.poll(g1)).isTrue();
        assertCounts(smr, 1, 1, 1, 0, 0);
        assertThat(smr.stats().readSequence()).isEqualTo(g1);
        assertThat(smr.poll(g1)).isTrue();
        assertCounts(smr, 1, 2, 1, 0, 0); // answered by the read sequence, no scan
        try (Actor reader = new Actor("reader"); Actor waiter = new Actor("waiter")) {
            reader.run(smr::enter);
            assertThat(smr.stats().readers()).isEqualTo(1);
            final long g2 = smr.advance();
            assertThat(smr.poll(g2)).isFalse();
            assertCounts(smr, 2, 3, 2, 1, 0);
            final Future<?> waiting = waiter.submit(() -> smr.waitFor(g2));
            awaitParked(waiter.thread(), "waitFor blocks");
            reader.run(smr::exit);
            Actor.join(waiting, "waitFor");
            final Smr.Stats s = smr.stats();
            assertThat(s.polls()).isEqualTo(4);
            assertThat(s.waits()).isEqualTo(1);
            assertThat(s.failedPolls()).as("waitFor's retries are not failed polls").isEqualTo(1);
            assertThat(s.scans()).as("waitFor scans at least twice: once failing, once succeeding").isGreaterThanOrEqualTo(4);
            assertThat(s.readers()).as("only the reader registered: polling and waiting register nothing").isEqualTo(1);
        }
    }

    @Test
    void deferredModeCounters() {
        final Smr smr = Smr.builder("stats-deferred").deferred(4).build();
        final long g1 = smr.advance();
        assertThat(smr.stats().readers()).as("a deferred advance registers nothing: its counter is per stripe").isZero();
        assertThat(smr.poll(g1)).isFalse();
        assertCounts(smr, 1, 1, 0, 1, 0);
        smr.waitFor(g1);
        final Smr.Stats s = smr.stats();
        assertThat(s.polls()).isEqualTo(2);
        assertThat(s.waits()).isEqualTo(1);
        assertThat(s.failedPolls()).isEqualTo(1);
        assertThat(s.scans()).isEqualTo(1);
        assertThat(s.barriers()).isZero();
    }

    @Test
    void lazyModeCountersAndOneBarrierPerScannedTick() {
        final Duration tick = Duration.ofMillis(20);
        final Smr smr = Smr.builder("stats-lazy").lazy(tick).build();
        final long before = SmrLazyTest.alignToTick(smr);
        final long advancesSoFar = smr.stats().advances();
        final long g1 = smr.advance();
        final boolean polled = smr.poll(g1);
        if (System.nanoTime() - before < tick.toNanos()) {
            assertThat(polled).as("polled within the tick").isFalse();
            assertCounts(smr, advancesSoFar + 1, 1, 0, 1, 0);
        }
        final long failed = smr.stats().failedPolls();
        smr.waitFor(g1);
        final Smr.Stats s1 = smr.stats();
        assertThat(s1.scans()).as("one scan once the goal came due, no readers").isEqualTo(1);
        assertThat(s1.failedPolls()).isEqualTo(failed);
        assertThat(s1.barriers()).as("fence-free readers need one barrier per scanned tick: %s", smr)
                .isEqualTo(smr.fenceFreeReaders() ? 1 : 0);
        assertThat(smr.poll(g1)).isTrue();
        assertThat(smr.stats().barriers()).as("answered by the read sequence").isEqualTo(s1.barriers());
        final long g2 = smr.advance();
        smr.waitFor(g2);
        assertThat(smr.stats().barriers()).as("a later tick needs a new barrier").isEqualTo(smr.fenceFreeReaders() ? 2 : 0);
        assertThat(smr.stats().readers()).as("lazy advance and poll register nothing").isZero();
    }

    @Test
    void anAdvanceThatWaitsCountsAsAnAdvanceWaitNotAsAWaitForOrPoll() {
        // Wrap configuration: MAX_DELTA is 1024 steps, so the 1024th advance without a poll
        // has to move the read hand first (no readers: it scans once and goes on).
        final Smr smr = Smr.builder("stats-advance-wait").wrapTest().build();
        for (int i = 0; i < 1024; i++) {
            smr.advance();
        }
        final Smr.Stats s = smr.stats();
        assertThat(s.advances()).isEqualTo(1024);
        assertThat(s.advanceWaits()).isEqualTo(1);
        assertThat(s.polls()).as("documented: calls to poll() and waitFor()").isZero();
        assertThat(s.failedPolls()).isZero();
        assertThat(s.waits()).as("documented: waitFor() calls that had to wait; no waitFor() was called").isZero();
    }

    @Test
    void readersCountRegisteredThreads() {
        final Smr smr = Smr.create("stats-readers");
        try (Actor a = new Actor("reader-a"); Actor b = new Actor("reader-b"); Actor c = new Actor("reader-c")) {
            a.run(smr::enter);
            b.call(smr::reader);
            c.run(() -> {
                smr.enter();
                smr.exit();
            });
            assertThat(smr.stats().readers()).isEqualTo(3);
            a.run(smr::exit);
            assertThat(smr.stats().readers()).as("exiting keeps the record").isEqualTo(3);
        }
        await("actors terminated, records swept", Duration.ofSeconds(10), () -> {
            smr.sweepReaders();
            return smr.stats().readers() == 0;
        });
    }
}
