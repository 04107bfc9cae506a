package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.Smr;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.testsupport.TestSupport;

/**
 * Issue 8, point 2: {@code limits(maxConnections, pendingLimit)} bounds the removed blocks
 * awaiting their grace period by {@code pendingLimit} whatever the fill. 10,000 connections
 * live in a table sized for 100,000, one thread churns (remove one, insert one), one looks up,
 * and a reader stalls inside a section for a second: {@link ConnectionTable.Stats#blocksPending()},
 * sampled every 200 us, never exceeds 4,096; the churn stops behind the stall and resumes
 * after it. The control, without limits (what the hard limit of 104,096 alone allowed at this
 * fill), exceeds 4,096 on the same work.
 */
@Timeout(120)
class PendingLimitTest {
    private static final int LIVE = 10_000;
    private static final int MAX = 100_000;
    private static final int PENDING = 4_096;

    static ConnectionKey key(final long i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 443, 0xC0000000 | (int) (i >>> 16),
                (int) (i & 0xFFFF));
    }

    /** What one run saw. */
    record Run(long peak, long churnDuringStall, long churnAfter, long created) {
    }

    private static Run churnWithStalledReader(final ConnectionTable t) throws Exception {
        for (int i = 0; i < LIVE; i++) {
            t.insert(key(i)).unlock();
        }
        final Smr smr = ((SmrConnectionTable) t).smr();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong churned = new AtomicLong();
        final AtomicLong peak = new AtomicLong();
        final Thread churn = Thread.ofPlatform().name("churn").start(() -> {
            long oldest = 0;
            long next = LIVE;
            while (!stop.get()) {
                assertThat(t.remove(key(oldest++))).isTrue();
                t.insert(key(next++)).unlock();
                churned.incrementAndGet();
            }
        });
        final Thread lookups = Thread.ofPlatform().name("lookups").start(() -> {
            final ConnectionTable.Reader r = t.reader();
            long i = 0;
            while (!stop.get()) {
                final ControlBlock b = r.lookup(key(LIVE + (i++ % 1_000)), ConnectionTable.LockMode.READ);
                if (b != null) {
                    b.unlock();
                }
            }
        });
        final Thread sampler = Thread.ofPlatform().name("pending-sampler").start(() -> {
            while (!stop.get()) {
                peak.accumulateAndGet(t.stats().blocksPending(), Math::max);
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
        });
        try {
            TestSupport.await("churn warms up", () -> churned.get() > 20_000);
            final CountDownLatch inside = new CountDownLatch(1);
            final CountDownLatch release = new CountDownLatch(1);
            final Thread stalled = Thread.ofPlatform().name("stalled-reader").start(() -> {
                smr.enter();
                try {
                    inside.countDown();
                    release.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    smr.exit();
                }
            });
            inside.await();
            final long atStall = churned.get();
            Thread.sleep(1_000);
            final long churnDuringStall = churned.get() - atStall;
            release.countDown();
            TestSupport.join(stalled, "stalled reader");
            final long afterStall = churned.get();
            TestSupport.await("churn resumes after the stall", Duration.ofSeconds(30),
                    () -> churned.get() > afterStall + 20_000);
            return new Run(peak.get(), churnDuringStall, churned.get() - afterStall, t.stats().blocksCreated());
        } finally {
            stop.set(true);
            churn.join(30_000);
            lookups.join(30_000);
            sampler.join(30_000);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"SMR_DEFAULT", "SMR_LAZY"})
    void pendingNeverAboveTheLimitAtAnyFill(final Strategy strategy) throws Exception {
        try (ConnectionTable t = ConnectionTable.builder(strategy).limits(MAX, PENDING).build()) {
            final Run run = churnWithStalledReader(t);
            System.out.printf("PendingLimitTest %s limits(%d, %d), %d live: peak pending %d, churn during a 1 s stall"
                    + " %d, created %d%n", strategy, MAX, PENDING, LIVE, run.peak(), run.churnDuringStall(), run.created());
            assertThat(run.peak()).as("sampled peak of blocksPending").isLessThanOrEqualTo(PENDING)
                    .isGreaterThan(PENDING / 2);
            // The remover waited behind the reader instead of queueing beyond the limit: at
            // most the limit plus the slack (one magazine per cache) was removed meanwhile.
            assertThat(run.churnDuringStall()).isLessThan(2L * PENDING);
            TableProbe.validate(t);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"SMR_DEFAULT", "SMR_LAZY"})
    void withoutTheLimitTheSameChurnExceedsIt(final Strategy strategy) throws Exception {
        try (ConnectionTable t = ConnectionTable.builder(strategy).build()) {
            final Run run = churnWithStalledReader(t);
            System.out.printf("PendingLimitTest %s unlimited (control), %d live: peak pending %d, churn during a 1 s"
                    + " stall %d%n", strategy, LIVE, run.peak(), run.churnDuringStall());
            assertThat(run.peak()).as("the control exceeds the limit").isGreaterThan(PENDING);
        }
    }
}
