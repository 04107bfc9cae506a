package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.testsupport.TestSupport;

/**
 * {@code in_pcbrehash}'s hazard: readers may be walking the old chain through the block being
 * moved, and linking it into another chain at once would send them down the wrong chain, past
 * the blocks behind it. Here one chain holds {@value #CHAIN} connections that stay put and one
 * that a writer moves back and forth between that chain and another; readers (a platform and
 * a virtual thread) look up and read the stable connections the whole time, and must never
 * miss one.
 *
 * <p>The chain is built with {@link TableProbe}'s fixed secret: all keys are chosen to land
 * in one bucket of the initial 64 (and, as {@code maxChain} growth needs the load to be at
 * least 1/2, the table does not grow). The moving key's other name lands in another bucket.
 * The strategies without chains of their own run the same test as a contract check.
 */
class RehashUnderReadersTest {

    static final int BUCKETS = 64;
    static final int CHAIN = 7;
    static final long RUN_NANOS = TestSupport.knob("smr4j.rehash.millis", 1_500, 15_000) * 1_000_000L;

    static ConnectionKey key(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 443, 0xC0000200 + (i >>> 10), 30_000 + (i & 0x3FF));
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    @Timeout(120)
    void lookupsOfUnrelatedKeysInTheChainNeverMiss(final Strategy strategy) throws Exception {
        // Keys: CHAIN stable ones and the mover M in bucket b0; M's other name in another bucket.
        final List<ConnectionKey> inB0 = new ArrayList<>();
        ConnectionKey elsewhere = null;
        final int b0 = TableProbe.bucketOf(key(0), BUCKETS);
        for (int i = 0; inB0.size() < CHAIN + 1 || elsewhere == null; i++) {
            final int b = TableProbe.bucketOf(key(i), BUCKETS);
            if (b == b0 && inB0.size() < CHAIN + 1) {
                inB0.add(key(i));
            } else if (b != b0 && elsewhere == null) {
                elsewhere = key(i);
            }
        }
        final ConnectionKey mover = inB0.get(CHAIN / 2); // in the middle of the insertion order
        final List<ConnectionKey> stable = new ArrayList<>(inB0);
        stable.remove(mover);
        final ConnectionKey away = elsewhere;
        try (ConnectionTable t = TableProbe.fixSecret(
                ConnectionTable.builder(strategy).initialBuckets(BUCKETS).build())) {
            for (final ConnectionKey k : inB0) {
                t.insert(k).unlock();
            }
            if (t.longestChain() >= 0) {
                assertThat(t.longestChain()).as("one chain holds them all").isEqualTo(CHAIN + 1);
            }
            final AtomicBoolean done = new AtomicBoolean();
            final AtomicLong lookups = new AtomicLong();
            final Queue<String> misses = new ConcurrentLinkedQueue<>();
            final Runnable reader = () -> {
                int i = 0;
                while (!done.get() && misses.size() < 10) {
                    final ConnectionKey k = stable.get(i++ % stable.size());
                    final ControlBlock b = t.lookup(k, LockMode.READ);
                    if (b == null || !k.equals(b.key())) {
                        misses.add("lookup " + k + " -> " + b);
                    }
                    if (b != null) {
                        b.unlock();
                    }
                    if (!k.equals(t.read(k, ControlBlock::key))) {
                        misses.add("read " + k);
                    }
                    lookups.addAndGet(2);
                }
            };
            final Thread r1 = Thread.ofPlatform().name("rehash-reader").start(reader);
            final Thread r2 = Thread.ofVirtual().name("rehash-reader-v").start(reader);
            final long deadline = System.nanoTime() + RUN_NANOS;
            long moves = 0;
            ConnectionKey at = mover;
            while (System.nanoTime() - deadline < 0 || moves < 20) {
                final ConnectionKey to = at == mover ? away : mover;
                final ControlBlock b = t.lookup(at, LockMode.WRITE);
                assertThat(b).as("the mover under %s", at).isNotNull();
                assertThat(t.rehash(b, to)).isTrue();
                b.unlock();
                at = to;
                moves++;
            }
            done.set(true);
            TestSupport.join(r1, "reader");
            TestSupport.join(r2, "virtual reader");
            System.out.printf("rehash %-19s %,d moves through the chain, %,d lookups and reads of its other "
                    + "blocks, %d misses, %,d miss retries%n", strategy, moves, lookups.get(), misses.size(),
                    t.stats().missRetries());
            assertThat(misses).isEmpty();
            assertThat(t.stats().rehashes()).isEqualTo(moves);
            TableProbe.validate(t);
        }
    }
}
