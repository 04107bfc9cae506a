package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.Smr;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * {@link ConnectionTable.Builder#limits limits()}: at the pool's hard limit
 * ({@code maxConnections + pendingLimit}) an insert waits, for a grace period (SMR) or for a
 * block to come back (pserialize), instead of growing the pool. And misuse: the builder
 * refuses bad settings with the value in the message, and a table refuses a block that is not
 * write-locked or not its own, or an insert after close, with an {@link IllegalStateException}
 * that names the table.
 */
class LimitsAndMisuseTest {

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
            final AtomicReference<ControlBlock> seventh = new AtomicReference<>();
            final Thread inserter = Thread.ofPlatform().name("limit-inserter")
                    .start(() -> seventh.set(t.insert(key(6))));
            TestSupport.assertStillBlocked(inserter, 300, "an insert at the hard limit behind a stalled reader");
            assertThat(t.stats().blocksCreated()).as("no block beyond the hard limit").isEqualTo(6);
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
            TableProbe.validate(t);
        }
    }

    // ------------------------------------------------------------------ misuse

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void blocksNotWriteLockedOrNotOwnedAreRefusedNamingTheTable(final Strategy strategy) {
        try (ConnectionTable t = ConnectionTable.builder(strategy).name("edge-" + strategy).build();
                ConnectionTable other = ConnectionTable.builder(strategy).name("other-" + strategy).build()) {
            assertThat(t.name()).isEqualTo("edge-" + strategy);
            final ControlBlock b = t.insert(key(1));
            b.unlock();
            assertThatThrownBy(() -> t.remove(b)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(t.name()).hasMessageContaining("write-locked");
            assertThatThrownBy(() -> t.rehash(b, key(2))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(t.name());
            final ControlBlock r = t.lookup(key(1), LockMode.READ);
            assertThatThrownBy(() -> t.remove(r)).as("read-locked is not enough")
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining(t.name());
            r.unlock();
            final ControlBlock w = t.lookup(key(1), LockMode.WRITE);
            assertThatThrownBy(() -> other.remove(w)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(other.name());
            assertThatThrownBy(() -> other.rehash(w, key(2))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(other.name());
            t.remove(w);
            assertThatThrownBy(() -> t.remove(w)).as("removed twice").isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(t.name());
            assertThatThrownBy(w::unlock).isInstanceOf(IllegalMonitorStateException.class);
            assertThat(t.size()).isZero();
            TableProbe.validate(t);
            TableProbe.validate(other);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"SMR_DEFAULT", "SMR_LAZY", "PSERIALIZE"})
    void insertAfterCloseIsRefusedNamingTheTable(final Strategy strategy) {
        final ConnectionTable t = ConnectionTable.builder(strategy).name("closed-" + strategy).build();
        t.insert(key(1)).unlock();
        t.close();
        assertThat(t.size()).isZero();
        assertThatThrownBy(() -> t.insert(key(2))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(t.name());
    }

    /**
     * Regression test (commit ff9e3a8): {@link ConnectionTable#insert} promises an
     * {@link IllegalStateException} "if the table is closed", but the lock and map tables had
     * no closed state: after {@code close()} (which only cleared the map) an insert succeeded.
     */
    @ParameterizedTest
    @EnumSource(names = {"RW_LOCK", "CONCURRENT_HASH_MAP"})
    void garbageCollectedTablesRefuseInsertAfterClose(final Strategy strategy) {
        insertAfterCloseIsRefusedNamingTheTable(strategy);
    }

    @Test
    void builderRefusesBadSettingsWithTheValue() {
        final ConnectionTable.Builder b = ConnectionTable.builder(Strategy.SMR_LAZY);
        assertThatThrownBy(() -> b.initialBuckets(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("initialBuckets must be 1..2^30: 0");
        assertThatThrownBy(() -> b.initialBuckets((1 << 30) + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("initialBuckets must be 1..2^30: " + ((1 << 30) + 1));
        assertThatThrownBy(() -> b.maxChain(1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxChain must be at least 2: 1");
        assertThatThrownBy(() -> b.limits(0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConnections must be at least 1: 0");
        assertThatThrownBy(() -> b.limits(1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pendingLimit must be at least 1: 0");
        assertThatThrownBy(() -> ConnectionTable.builder(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("strategy");
        assertThatThrownBy(() -> b.name(null)).isInstanceOf(NullPointerException.class).hasMessage("name");
        try (ConnectionTable t = ConnectionTable.builder(Strategy.SMR_LAZY).initialBuckets(1000).build()) {
            assertThat(t.name()).isEqualTo("smr_lazy-table");
            assertThat(t.strategy()).isEqualTo(Strategy.SMR_LAZY);
            assertThat(t.stats().buckets()).as("rounded up to a power of two").isEqualTo(1024);
        }
    }
}
