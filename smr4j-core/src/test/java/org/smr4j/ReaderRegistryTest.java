package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ReaderRegistry} on its own, with records whose liveness the test sets by hand (no real
 * threads die): what a scan sees, which records a sweep drops and which it keeps, how many
 * dropped records are kept for reuse, when a registration sweeps by itself, and the size of the
 * array a sweep publishes. The thread tests (SmrThreadsTest, SmrScaleTest) show the same at scale
 * with real threads but are too slow to pin each number.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReaderRegistryTest {

    /** A record: its owner, and whether the test says that owner is alive. */
    private static final class Rec {
        Thread owner;
        boolean alive;
        int assigned;
        int released;
    }

    private final List<Rec> created = new ArrayList<>();
    private final ReaderRegistry<Rec> registry = new ReaderRegistry<>(() -> {
        final Rec r = new Rec();
        created.add(r);
        return r;
    }, (r, t) -> {
        r.owner = t;
        r.alive = true;
        r.assigned++;
    }, r -> {
        r.owner = null;
        r.released++;
    }, r -> r.alive);

    private List<Rec> registerMany(final int n) {
        final List<Rec> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(registry.register(Thread.currentThread()));
        }
        return out;
    }

    private List<Object> scanned() {
        final Object[] a = registry.snapshot();
        final List<Object> seen = new ArrayList<>();
        for (int i = 0; i < a.length; i++) {
            final Object r = ReaderRegistry.recordAcquire(a, i);
            if (r != null) {
                seen.add(r);
            }
        }
        return seen;
    }

    @Test
    void registeredRecordsAreAssignedAndScannedInOrderAcrossGrowth() {
        final List<Rec> recs = registerMany(40); // past the initial 16 and 32: two doublings
        assertThat(registry.size()).isEqualTo(40);
        assertThat(created).hasSize(40);
        assertThat(recs).allSatisfy(r -> {
            assertThat(r.owner).isSameAs(Thread.currentThread());
            assertThat(r.assigned).isEqualTo(1);
        });
        assertThat(scanned()).containsExactlyElementsOf(recs);
        final Object[] a = registry.snapshot();
        assertThat(a).hasSize(64);
        for (int i = 40; i < a.length; i++) {
            assertThat(a[i]).as("slot %d past the count", i).isNull();
        }
        assertThat(registry.sweeps()).isZero();
    }

    @Test
    void aSweepDropsDeadRecordsKeepsTheLiveInOrderAndReusesTheDropped() {
        final List<Rec> recs = registerMany(10);
        final List<Rec> dead = List.of(recs.get(1), recs.get(4), recs.get(9));
        dead.forEach(r -> r.alive = false);
        registry.sweep();
        assertThat(registry.sweeps()).isEqualTo(1);
        assertThat(registry.size()).isEqualTo(7);
        final List<Rec> live = new ArrayList<>(recs);
        live.removeAll(dead);
        assertThat(scanned()).containsExactlyElementsOf(live);
        assertThat(dead).allSatisfy(r -> {
            assertThat(r.released).isEqualTo(1);
            assertThat(r.owner).isNull();
        });
        assertThat(live).allSatisfy(r -> assertThat(r.released).isZero());
        // The next three registrations get the dropped records back, in the order they were dropped.
        final List<Rec> again = registerMany(3);
        assertThat(again).containsExactlyElementsOf(dead);
        assertThat(again).allSatisfy(r -> assertThat(r.assigned).isEqualTo(2));
        assertThat(created).hasSize(10);
        assertThat(registry.register(Thread.currentThread())).as("the free list is empty: a new record")
                .isSameAs(created.get(10));
        assertThat(registry.size()).isEqualTo(11);
    }

    @Test
    void aSweepKeepsAtLeastFreeMinDroppedRecordsForReuseAndNoMore() {
        final List<Rec> recs = registerMany(50);
        recs.forEach(r -> r.alive = false);
        registry.sweep();
        assertThat(registry.size()).isZero();
        assertThat(scanned()).isEmpty();
        // live = 0, so max(FREE_MIN, 0) = 16 kept: the first 16 dropped.
        final List<Rec> again = registerMany(ReaderRegistry.FREE_MIN);
        assertThat(again).containsExactlyElementsOf(recs.subList(0, ReaderRegistry.FREE_MIN));
        assertThat(created).hasSize(50);
        registry.register(Thread.currentThread());
        assertThat(created).as("the 17th registration creates").hasSize(51);
    }

    @Test
    void aSweepKeepsAsManyDroppedRecordsAsThereAreLiveOnesWhenThatIsMore() {
        final List<Rec> recs = registerMany(60);
        recs.subList(20, 60).forEach(r -> r.alive = false); // 20 live, 40 dead
        registry.sweep();
        assertThat(registry.size()).isEqualTo(20);
        final List<Rec> again = registerMany(20); // max(16, 20) = 20 kept
        assertThat(again).containsExactlyElementsOf(recs.subList(20, 40));
        assertThat(created).hasSize(60);
        registry.register(Thread.currentThread());
        assertThat(created).hasSize(61);
    }

    @Test
    void theSweptArrayIsThePowerOfTwoAtLeastTwiceTheLiveRecordsAndSixteen() {
        registerMany(3);
        registry.sweep();
        assertThat(registry.snapshot()).as("3 live: the initial capacity").hasSize(16);
        final List<Rec> recs = registerMany(5); // 8 live
        registry.sweep();
        assertThat(registry.snapshot()).as("8 live: 16 = 2 * 8").hasSize(16);
        registerMany(1); // 9 live
        registry.sweep();
        assertThat(registry.snapshot()).as("9 live: 32").hasSize(32);
        registerMany(7); // 16 live
        registry.sweep();
        assertThat(registry.snapshot()).as("16 live: 32").hasSize(32);
        registerMany(1); // 17 live
        registry.sweep();
        assertThat(registry.snapshot()).as("17 live: 64").hasSize(64);
        assertThat(registry.size()).isEqualTo(17);
        assertThat(scanned()).hasSize(17).contains(recs.toArray());
    }

    @Test
    void registrationSweepsByItselfAfterSweepMinRegistrationsThenAfterAsManyAsWereLive() {
        registerMany(ReaderRegistry.SWEEP_MIN);
        assertThat(registry.sweeps()).as("64 registrations: not yet").isZero();
        registerMany(1);
        assertThat(registry.sweeps()).as("the 65th sweeps first").isEqualTo(1);
        assertThat(registry.size()).isEqualTo(65);
        // 64 live at that sweep: the period is max(64, 64) = 64 registrations, the 65th one since
        // (the one that swept counts as the first) sweeps again.
        registerMany(ReaderRegistry.SWEEP_MIN - 1);
        assertThat(registry.sweeps()).isEqualTo(1);
        registerMany(1);
        assertThat(registry.sweeps()).isEqualTo(2);
        assertThat(registry.size()).isEqualTo(129);
        // 128 live at that sweep: now the period is 128.
        registerMany(127);
        assertThat(registry.sweeps()).isEqualTo(2);
        registerMany(1);
        assertThat(registry.sweeps()).isEqualTo(3);
        assertThat(registry.size()).isEqualTo(257);
    }

    @Test
    void aRequestedSweepRunsAtTheNextRegistrationOrSweepIfRequestedAndOnlyOnce() {
        final List<Rec> recs = registerMany(4);
        registry.sweepIfRequested();
        assertThat(registry.sweeps()).as("not requested: no sweep").isZero();
        recs.get(0).alive = false;
        registry.requestSweep();
        registry.sweepIfRequested();
        assertThat(registry.sweeps()).isEqualTo(1);
        assertThat(registry.size()).isEqualTo(3);
        registry.sweepIfRequested();
        assertThat(registry.sweeps()).as("the request was cleared").isEqualTo(1);
        recs.get(1).alive = false;
        registry.requestSweep();
        final Rec r = registry.register(Thread.currentThread());
        assertThat(registry.sweeps()).as("the registration swept first").isEqualTo(2);
        assertThat(r).as("and reused the oldest dropped record").isSameAs(recs.get(0));
        assertThat(registry.size()).isEqualTo(3);
        registry.register(Thread.currentThread());
        assertThat(registry.sweeps()).isEqualTo(2);
    }

    @Test
    void aSweepIfRequestedWhileAnotherThreadHoldsTheLockLeavesTheRequestForLater() throws InterruptedException {
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        // A create() that blocks holds the registry's lock: a registration on another thread.
        final ReaderRegistry<Rec> blocking = new ReaderRegistry<>(() -> {
            inside.countDown();
            try {
                release.await();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Rec();
        }, (x, t) -> x.alive = true, x -> x.released++, x -> x.alive);
        final Thread t = new Thread(() -> blocking.register(Thread.currentThread()), "holder");
        t.start();
        inside.await();
        blocking.requestSweep();
        blocking.sweepIfRequested();
        assertThat(blocking.sweeps()).as("the lock was busy: no sweep, no wait").isZero();
        release.countDown();
        t.join();
        blocking.sweepIfRequested();
        assertThat(blocking.sweeps()).as("the request survived").isEqualTo(1);
    }

    @Test
    void sweepAndSweepIfRequestedLetGoOfTheLock() throws InterruptedException {
        // The lock is reentrant: only another thread notices one that is still held.
        registerMany(2);
        registry.sweep();
        registry.requestSweep();
        registry.sweepIfRequested();
        assertThat(registry.sweeps()).isEqualTo(2);
        final Thread other = new Thread(() -> registry.register(Thread.currentThread()), "other-registrant");
        other.setDaemon(true);
        other.start();
        other.join(10_000);
        assertThat(other.isAlive()).as("a registration on another thread got the lock").isFalse();
        assertThat(registry.size()).isEqualTo(3);
    }
}
