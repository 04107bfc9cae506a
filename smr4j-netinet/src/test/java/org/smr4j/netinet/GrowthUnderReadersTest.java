package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.testsupport.TestSupport;

/**
 * Growth without stopping readers, on the real memory model: readers look up and read a set
 * of stable connections while a writer grows a table from one bucket to 2^14 by inserting,
 * round after round on fresh tables, so that lookups run across many growths, including the
 * second and later ones that rewrite the links of an array a slow reader may still walk. No
 * stable connection may be missed.
 *
 * <p>{@link Strategy#PSERIALIZE} runs separately, as the regression test of a growth that did
 * not wait ({@link #pserializeLookupsNeverMissWhileTheTableGrows}).
 */
class GrowthUnderReadersTest {

    static final int STABLE = 64;
    static final int GROWN = 1 << 14;
    static final int ROUNDS = (int) TestSupport.knob("smr4j.growth.rounds", 40, 400);

    static ConnectionKey key(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 3306, 0x64400000 + (i >>> 12), 40_000 + (i & 0xFFF));
    }

    @ParameterizedTest
    @EnumSource(names = {"SMR_DEFAULT", "SMR_LAZY", "RW_LOCK", "CONCURRENT_HASH_MAP"})
    @Timeout(300)
    void lookupsNeverMissWhileTheTableGrows(final Strategy strategy) throws Exception {
        growUnderReaders(strategy);
    }

    /**
     * Regression test (commit ff9e3a8): before the fix it failed in most runs (2 of 3 runs of
     * 40 rounds): a lookup or read of a stable connection returned null. The real-thread
     * counterpart of
     * {@code lincheck.SecondGrowthLincheckTest.pserializeSecondGrowthUnderReader}: a pserialize
     * growth rewrote the links of the array two growths back without a {@code perform()}
     * ({@code LocklessConnectionTable.grow} skipped the wait because
     * {@code PserializeConnectionTable.retireArray} returns 0, which it took for "no array
     * retired yet"), so a reader still walking that array was sent into another chain, and that
     * array's removal counts never change, so it trusted the miss.
     */
    @Test
    @Timeout(300)
    void pserializeLookupsNeverMissWhileTheTableGrows() throws Exception {
        growUnderReaders(Strategy.PSERIALIZE);
    }

    static void growUnderReaders(final Strategy strategy) throws Exception {
        final Queue<String> misses = new ConcurrentLinkedQueue<>();
        final AtomicLong lookups = new AtomicLong();
        long resizes = 0;
        for (int round = 0; round < ROUNDS && misses.isEmpty(); round++) {
            try (ConnectionTable t = ConnectionTable.builder(strategy).initialBuckets(1).build()) {
                for (int i = 0; i < STABLE; i++) {
                    t.insert(key(i)).unlock();
                }
                final AtomicBoolean done = new AtomicBoolean();
                final Runnable reader = () -> {
                    int i = 0;
                    long n = 0;
                    while (!done.get()) {
                        final ConnectionKey k = key(i++ % STABLE);
                        final ControlBlock b = t.lookup(k, LockMode.READ);
                        if (b == null) {
                            misses.add("lookup missed " + k);
                        } else {
                            b.unlock();
                        }
                        if (t.read(k, ControlBlock::key) == null) {
                            misses.add("read missed " + k);
                        }
                        n += 2;
                    }
                    lookups.addAndGet(n);
                };
                final Thread r1 = Thread.ofPlatform().name("growth-reader").start(reader);
                final Thread r2 = Thread.ofVirtual().name("growth-reader-v").start(reader);
                for (int i = STABLE; i < STABLE + GROWN; i++) {
                    t.insert(key(i)).unlock();
                }
                done.set(true);
                TestSupport.join(r1, "reader");
                TestSupport.join(r2, "virtual reader");
                resizes += t.stats().resizes();
            }
        }
        System.out.printf("growth %-19s %d rounds, %,d resizes under %,d lookups and reads, %d misses%n", strategy,
                ROUNDS, resizes, lookups.get(), misses.size());
        assertThat(misses).isEmpty();
    }
}
