package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.testsupport.Seed;
import org.smr4j.testsupport.TestSupport;

/**
 * {@link ConnectionTable#forEach}'s promise under concurrent change: every block present for
 * the whole call is visited exactly once, locked in the mode asked and not freed, while a
 * churn thread inserts, removes and rehashes other connections and the table grows in the
 * middle of the iteration.
 *
 * <p>Growth is made to happen between buckets, not left to luck: at three points of each
 * round the action (which runs with one block locked, outside any read section) asks a grower
 * thread to insert connections until the table has doubled once more and waits for it. The
 * lockless tables' reverse-binary cursor must then neither repeat nor skip a bucket. Each
 * round alternates the lock mode.
 */
@ExtendWith(Seed.Extension.class)
class ForEachConcurrencyTest {

    static final int STABLE = 512;
    static final int CHURN = 2_048;
    static final int ROUNDS = (int) TestSupport.knob("smr4j.foreach.rounds", 6, 60);

    static ConnectionKey stable(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 993, 0xC6336400 + (i >>> 8), 2_000 + (i & 0xFF));
    }

    static ConnectionKey churn(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 993, 0xCB007100 + (i >>> 10), 20_000 + (i & 0x3FF));
    }

    static ConnectionKey grown(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 993, 0x64400000 + (i >>> 12), 40_000 + (i & 0xFFF));
    }

    /** What one round saw. */
    record Round(long visited, long growths, long buckets) {
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    @Timeout(180)
    void everyStableBlockIsVisitedOnceUnderChurnAndGrowth(final Strategy strategy, final Seed seed) throws Exception {
        long visited = 0;
        long growths = 0;
        long buckets = -1;
        for (int round = 0; round < ROUNDS; round++) {
            final Round r = round(strategy, seed.value() + round, round % 2 == 0 ? LockMode.READ : LockMode.WRITE);
            visited += r.visited();
            growths += r.growths();
            buckets = Math.max(buckets, r.buckets());
            if (TableProbe.lockless(strategy)) {
                assertThat(r.growths()).as("the table grew three times under the iteration").isEqualTo(3);
            }
        }
        System.out.printf("forEach %-19s %d rounds, %,d blocks visited, %d growths inside the rounds, "
                + "up to %,d buckets%n", strategy, ROUNDS, visited, growths, buckets);
    }

    /**
     * One round on a fresh table (the table never shrinks, so growing one table again and
     * again would need exponentially many connections).
     */
    static Round round(final Strategy strategy, final long seed, final LockMode mode) throws Exception {
        try (ConnectionTable t = ConnectionTable.builder(strategy).initialBuckets(16).build()) {
            for (int i = 0; i < STABLE; i++) {
                t.insert(stable(i)).unlock();
            }
            for (int i = 0; i < CHURN; i += 2) {
                t.insert(churn(i)).unlock();
            }
            final AtomicBoolean done = new AtomicBoolean();
            final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
            final Thread churner = Thread.ofPlatform().name("foreach-churn").start(() -> {
                final SplittableRandom r = new SplittableRandom(seed);
                try {
                    while (!done.get()) {
                        final int c = r.nextInt(CHURN);
                        final ControlBlock b = t.lookup(churn(c), LockMode.WRITE);
                        if (b == null) {
                            final ControlBlock n = t.insert(churn(c));
                            if (n != null) {
                                n.unlock();
                            }
                        } else if (r.nextBoolean()) {
                            t.remove(b);
                        } else {
                            t.rehash(b, churn(r.nextInt(CHURN)));
                            b.unlock();
                        }
                    }
                } catch (final Throwable e) {
                    errors.add(e);
                }
            });
            // The grower: on each request, grow the table once (the lockless tables: until
            // their resize count moves; the others: double the connections), then answer.
            final SynchronousQueue<Boolean> requests = new SynchronousQueue<>();
            final SynchronousQueue<Long> answers = new SynchronousQueue<>();
            final Thread grower = Thread.ofPlatform().name("foreach-grower").start(() -> {
                int g = 0;
                try {
                    while (requests.take()) {
                        final long resizes = t.stats().resizes();
                        final long target = t.size() * 2;
                        while (TableProbe.lockless(t) ? t.stats().resizes() == resizes : t.size() < target) {
                            t.insert(grown(g++)).unlock();
                        }
                        answers.put(t.stats().resizes() - resizes);
                    }
                } catch (final Throwable e) {
                    errors.add(e);
                }
            });
            final Map<ConnectionKey, Integer> stableVisits = new HashMap<>();
            final List<String> bad = new ArrayList<>();
            final long[] visits = {0};
            final long[] grew = {0};
            try {
                final long expected = t.size();
                t.forEach(mode, b -> {
                    final boolean locked = mode == LockMode.READ ? b.isReadLocked() : b.isWriteLocked();
                    final ConnectionKey k = b.key();
                    if (!locked || b.isFreed() || k == null || !b.matches(k)) {
                        bad.add(b + " locked=" + locked);
                    }
                    if (k != null && k.localPort() == 993 && (k.foreignLo() & 0xFFFF_FF00L) == 0xC6336400L) {
                        stableVisits.merge(k, 1, Integer::sum);
                    }
                    final long v = ++visits[0];
                    if (v == expected / 4 || v == expected / 2 || v == 3 * expected / 4) {
                        try {
                            requests.put(true);
                            final Long resized = answers.poll(TestSupport.AWAIT_DEFAULT.toMillis(),
                                    TimeUnit.MILLISECONDS);
                            assertThat(resized).as("grower answered").isNotNull();
                            grew[0] += resized;
                        } catch (final InterruptedException e) {
                            throw new AssertionError(e);
                        }
                    }
                });
            } finally {
                requests.offer(false, TestSupport.AWAIT_DEFAULT.toMillis(), TimeUnit.MILLISECONDS);
                done.set(true);
                TestSupport.join(churner, "churner");
                TestSupport.join(grower, "grower");
            }
            assertThat(errors).isEmpty();
            assertThat(bad).as("blocks handed to the action (%s)", mode).isEmpty();
            for (int i = 0; i < STABLE; i++) {
                assertThat(stableVisits.get(stable(i))).as("visits of %s (%s)", stable(i), mode).isEqualTo(1);
            }
            TableProbe.validate(t);
            return new Round(visits[0], grew[0], t.stats().buckets());
        }
    }
}
