package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.testsupport.TestSupport;

/**
 * The paths a lookup takes when the block it finds is busy ({@code inp_smr_lock}'s second
 * half): it takes a reference, leaves the read section and blocks on the lock; when it gets
 * the lock it drops the reference (freeing the block if that was the last one) and
 * revalidates, falling back to the locked lookup if the block was removed or rehashed
 * meanwhile. Each test holds a block write-locked, starts a lookup of its key on another
 * thread, waits until that lookup holds its reference (or, for the ConcurrentHashMap table,
 * which needs none, is blocked on the lock), then changes the table and releases the lock.
 */
class ReferencePathTest {

    static final ConnectionKey K = ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 22, 0xC0000201, 60_001);
    static final ConnectionKey K2 = ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 22, 0xC0000202, 60_002);

    /** Starts {@code lookup(K, READ)} on a thread and waits until it is committed to the busy block. */
    static Thread busyLookup(final ConnectionTable t, final ControlBlock held, final AtomicReference<ControlBlock> out,
            final long referencePathsBefore) {
        final Thread th = Thread.ofPlatform().name("busy-lookup").start(() -> out.set(t.lookup(K, LockMode.READ)));
        if (t.strategy() == Strategy.CONCURRENT_HASH_MAP) {
            TestSupport.awaitBlocked(th, "lookup blocked on the block's lock");
        } else {
            TestSupport.await("the lookup took the reference path",
                    () -> t.stats().referencePaths() == referencePathsBefore + 1);
            assertThat(held.refs()).as("the table's reference and the lookup's").isEqualTo(2);
            TestSupport.awaitBlocked(th, "lookup blocked on the block's lock");
        }
        return th;
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    @Timeout(60)
    void removedWhileTheLookupWaitsReturnsNullAndFreesOnce(final Strategy strategy) throws Exception {
        try (ConnectionTable t = ConnectionTable.create(strategy)) {
            final ControlBlock b = t.insert(K);
            final long putsBefore = TableProbe.poolPuts(t);
            final AtomicReference<ControlBlock> result = new AtomicReference<>();
            final Thread lookup = busyLookup(t, b, result, t.stats().referencePaths());
            t.remove(b); // marks freed, unlinks, unlocks, drops the table's reference
            TestSupport.join(lookup, "lookup");
            assertThat(result.get()).as("the key is gone").isNull();
            assertThat(b.isFreed()).isTrue();
            if (strategy != Strategy.CONCURRENT_HASH_MAP) {
                assertThat(b.refs()).as("both references dropped").isZero();
            }
            if (putsBefore >= 0) {
                // The lookup's reference was the last: the lookup, not remove, put the block back.
                assertThat(TableProbe.poolPuts(t)).as("block returned to the pool exactly once")
                        .isEqualTo(putsBefore + 1);
            }
            if (strategy == Strategy.PSERIALIZE) {
                // Immediate reuse: a double put would hand the block out twice.
                final ControlBlock x = t.insert(K);
                final ControlBlock y = t.insert(K2);
                assertThat(x).isNotSameAs(y);
                x.unlock();
                y.unlock();
            }
            TableProbe.validate(t);
        }
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    @Timeout(60)
    void replacedWhileTheLookupWaitsReturnsTheNewIncarnation(final Strategy strategy) throws Exception {
        try (ConnectionTable t = ConnectionTable.create(strategy)) {
            final ControlBlock old = t.insert(K);
            final long putsBefore = TableProbe.poolPuts(t);
            final long fallbacksBefore = t.stats().lockedFallbacks();
            final AtomicReference<ControlBlock> result = new AtomicReference<>();
            final Thread lookup = busyLookup(t, old, result, t.stats().referencePaths());
            // Move the old connection away, open a new one under K, and close the old one:
            // the waiting lookup must end on the new incarnation.
            assertThat(t.rehash(old, K2)).isTrue();
            final ControlBlock fresh = t.insert(K);
            assertThat(fresh).isNotNull().isNotSameAs(old);
            fresh.attach("new");
            t.remove(old);
            TestSupport.awaitBlocked(lookup, "lookup now waiting for the new block");
            fresh.unlock();
            TestSupport.join(lookup, "lookup");
            final ControlBlock found = result.get();
            assertThat(found).isSameAs(fresh);
            assertThat(found.isReadLocked()).isTrue();
            assertThat(found.key()).isEqualTo(K);
            assertThat(found.attachment()).isEqualTo("new");
            found.unlock();
            if (putsBefore >= 0) {
                assertThat(TableProbe.poolPuts(t)).as("old block returned exactly once").isEqualTo(putsBefore + 1);
            }
            if (TableProbe.lockless(t)) {
                assertThat(t.stats().lockedFallbacks()).as("revalidation failed, locked lookup decided")
                        .isGreaterThan(fallbacksBefore);
            }
            TableProbe.validate(t);
        }
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    @Timeout(60)
    void rehashedWhileTheLookupWaitsFallsBackToNull(final Strategy strategy) throws Exception {
        try (ConnectionTable t = ConnectionTable.create(strategy)) {
            final ControlBlock b = t.insert(K);
            final long fallbacksBefore = t.stats().lockedFallbacks();
            final AtomicReference<ControlBlock> result = new AtomicReference<>();
            final Thread lookup = busyLookup(t, b, result, t.stats().referencePaths());
            assertThat(t.rehash(b, K2)).isTrue();
            b.unlock();
            TestSupport.join(lookup, "lookup");
            assertThat(result.get()).as("K moved to K2 before the lookup could lock it").isNull();
            if (TableProbe.lockless(t)) {
                assertThat(t.stats().lockedFallbacks()).isEqualTo(fallbacksBefore + 1);
            }
            final ControlBlock moved = t.lookup(K2, LockMode.READ);
            assertThat(moved).isSameAs(b);
            moved.unlock();
            TableProbe.validate(t);
        }
    }
}
