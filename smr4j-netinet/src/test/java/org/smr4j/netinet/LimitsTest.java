package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.Smr;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.testsupport.TestSupport;

/**
 * {@link ConnectionTable.Builder#limits limits()}: at the pool's hard limit
 * ({@code maxConnections + pendingLimit}) an insert waits, for a grace period (SMR) or for a
 * block to come back (pserialize), instead of growing the pool. Misuse (the builder's settings
 * included) is in {@link ConnectionTableContractTest}.
 */
class LimitsTest {

    static ConnectionKey key(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 25, 0xC0000201, 1_000 + i);
    }

    @ParameterizedTest
    @EnumSource(names = {"SMR_DEFAULT", "SMR_LAZY"})
    @Timeout(60)
    void smrInsertWaitsAtTheHardLimitForTheGracePeriod(final Strategy strategy) throws Exception {
        try (ConnectionTable t = ConnectionTable.builder(strategy).limits(4, 2).build()) {
            final Smr smr = ((SmrConnectionTable) t).smr();
            final CountDownLatch entered = new CountDownLatch(1);
            final CountDownLatch release = new CountDownLatch(1);
            final Thread stalled = Thread.ofPlatform().name("stalled-reader").start(() -> {
                smr.enter();
                try {
                    entered.countDown();
                    release.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    smr.exit();
                }
            });
            entered.await();
            for (int i = 0; i < 4; i++) {
                t.insert(key(i)).unlock();
            }
            for (int i = 0; i < 4; i++) {
                assertThat(t.remove(key(i))).isTrue(); // 4 blocks pending behind the stalled reader
            }
            t.insert(key(4)).unlock();
            t.insert(key(5)).unlock(); // 6 blocks live: the hard limit
            assertThat(t.stats().blocksCreated()).isEqualTo(6);
            assertThat(t.stats().blocksLive()).as("present 2 + pending 4").isEqualTo(6);
            final AtomicReference<ControlBlock> seventh = new AtomicReference<>();
            final Thread inserter = Thread.ofPlatform().name("limit-inserter")
                    .start(() -> seventh.set(t.insert(key(6))));
            TestSupport.assertStillBlocked(inserter, 300, "an insert at the hard limit behind a stalled reader");
            assertThat(t.stats().blocksCreated()).as("no block beyond the hard limit").isEqualTo(6);
            assertThat(t.stats().blocksLive()).isEqualTo(6);
            release.countDown();
            TestSupport.join(inserter, "insert after the grace period");
            TestSupport.join(stalled, "stalled reader");
            assertThat(seventh.get()).isNotNull();
            assertThat(seventh.get().key()).isEqualTo(key(6));
            seventh.get().unlock();
            assertThat(t.stats().blocksCreated()).isEqualTo(6);
            assertThat(t.size()).isEqualTo(3);
            TableProbe.validate(t);
        }
    }

    @Test
    @Timeout(60)
    void pserializeInsertWaitsAtTheHardLimitForARemove() throws Exception {
        try (ConnectionTable t = ConnectionTable.builder(Strategy.PSERIALIZE).limits(4, 2).build()) {
            // Nothing is ever pending under PR_PSERIALIZE, so the hard limit (4 + 2) bounds
            // the connections present.
            for (int i = 0; i < 6; i++) {
                t.insert(key(i)).unlock();
            }
            final AtomicReference<ControlBlock> seventh = new AtomicReference<>();
            final Thread inserter = Thread.ofPlatform().name("limit-inserter")
                    .start(() -> seventh.set(t.insert(key(6))));
            TestSupport.assertStillBlocked(inserter, 300, "an insert at the hard limit");
            assertThat(t.remove(key(0))).isTrue();
            TestSupport.join(inserter, "insert after a remove");
            assertThat(seventh.get()).isNotNull();
            seventh.get().unlock();
            assertThat(t.stats().blocksCreated()).isEqualTo(6);
            assertThat(t.stats().blocksLive()).as("6 present, the removed block reused at once").isEqualTo(6);
            TableProbe.validate(t);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"RW_LOCK", "CONCURRENT_HASH_MAP"})
    void garbageCollectedTablesDoNotCountLiveBlocks(final Strategy strategy) {
        try (ConnectionTable t = ConnectionTable.builder(strategy).limits(4, 2).build()) {
            t.insert(key(0)).unlock();
            assertThat(t.remove(key(0))).isTrue();
            assertThat(t.stats().blocksLive()).as("the garbage collector owns the blocks").isEqualTo(-1);
            assertThat(t.stats().blocksCreated()).isEqualTo(1);
        }
    }
}
