package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.SmrPool;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.testsupport.TestSupport;

/**
 * What reuse of pooled blocks does and does not change: the per-block lock is created once by
 * the pool's init hook and survives every reuse (the same {@code StampedLock} across
 * generations, as FreeBSD's pcb lock survives {@code uma_zfree_smr}); and a reader walking a
 * chain is redirected by an immediate reuse (pserialize), which the per-bucket removal count
 * must catch, but never by an SMR reuse.
 *
 * <p>The walk tests emulate {@code LocklessConnectionTable.lookup} step by step through its
 * package-private parts (enter, load the array, stamp the chain, walk, check the stamp), so
 * that another thread can change the table at a chosen point of the walk.
 */
class BlockReuseTest {

    static final int BUCKETS = 64;
    static final int ELSEWHERE = 16;

    static ConnectionKey key(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 8080, 0xC0000200 + (i >>> 12), 10_000 + (i & 0xFFF));
    }

    @ParameterizedTest
    @EnumSource(names = {"SMR_DEFAULT", "SMR_LAZY", "PSERIALIZE"})
    @Timeout(60)
    void theLockSurvivesReuse(final Strategy strategy) {
        try (ConnectionTable t = ConnectionTable.create(strategy)) {
            final Map<ControlBlock, Object> lockAtFirstSight = new IdentityHashMap<>();
            final Map<ControlBlock, Long> generation = new IdentityHashMap<>();
            final long[] reuses = {0};
            int i = 0;
            final long deadline = System.nanoTime() + TestSupport.AWAIT_DEFAULT.toNanos();
            while (reuses[0] < 100) {
                assertThat(System.nanoTime() - deadline).as("%s reused no block in time", strategy).isNegative();
                final ControlBlock b = t.insert(key(i));
                final Object lock = TableProbe.lockOf(b);
                assertThat(lock).isNotNull();
                final Object first = lockAtFirstSight.putIfAbsent(b, lock);
                final Long last = generation.put(b, b.generation());
                if (first != null) {
                    assertThat(b.generation()).as("a reused block is a new incarnation").isGreaterThan(last);
                    assertThat(lock).as("the same lock object after reuse").isSameAs(first);
                    assertThat(b.lastFreedNanos()).isPositive();
                    assertThat(b.isFreed()).isFalse();
                    assertThat(b.refs()).isEqualTo(1);
                    reuses[0]++;
                }
                b.unlock();
                assertThat(t.remove(key(i))).isTrue();
                i++;
            }
            assertThat(t.stats().blocksCreated()).as("blocks recycled, not created per connection")
                    .isLessThan(i);
        }
    }

    /**
     * Keys {@code a, x} in one bucket of {@value #BUCKETS} and {@value #ELSEWHERE} keys in other
     * buckets, under the fixed secret. Few enough that the table does not grow: growth waits for
     * the walking reader's section (SMR), which the emulation holds while it joins the writer.
     */
    record Layout(ConnectionKey a, ConnectionKey x, ConnectionKey[] elsewhere) {
    }

    static Layout layout() {
        final int b0 = TableProbe.bucketOf(key(0), BUCKETS);
        ConnectionKey x = null;
        final ConnectionKey[] elsewhere = new ConnectionKey[ELSEWHERE];
        int n = 0;
        for (int i = 1; x == null || n < elsewhere.length; i++) {
            if (TableProbe.bucketOf(key(i), BUCKETS) == b0) {
                if (x == null) {
                    x = key(i);
                }
            } else if (n < elsewhere.length) {
                elsewhere[n++] = key(i);
            }
        }
        return new Layout(key(0), x, elsewhere);
    }

    static final int CYCLES = 5_000;

    /**
     * Opens connections from {@code keys} one at a time, closing each unless it got block
     * {@code wanted}, which it leaves open; returns whether that happened within {@code cycles}.
     */
    static boolean cycleUntilHandedOut(final ConnectionTable t, final ControlBlock wanted, final ConnectionKey[] keys,
            final int cycles) {
        for (int j = 0; j < cycles; j++) {
            final ConnectionKey y = keys[j % keys.length];
            final ControlBlock b = t.insert(y);
            b.unlock();
            if (b == wanted) {
                return true;
            }
            assertThat(t.remove(y)).isTrue();
        }
        return false;
    }

    /** What the emulated walk saw. */
    record Walk(boolean foundA, boolean stampUnchanged, boolean reusedUnderUs) {
    }

    /**
     * Emulates a lookup of {@code a} that stops on the head block {@code x} of the chain
     * {@code [x, a]}; meanwhile another thread removes x and then opens and closes connections
     * elsewhere ({@value #CYCLES} times, one at a time so that the table stays small) until one
     * gets x's block back; then the walk goes on from the block it stands on.
     */
    static <R> Walk walkWhileTheHeadIsReused(final LocklessConnectionTable<R> t, final Layout l) throws Exception {
        final R reader = t.enterRead();
        try {
            final LocklessConnectionTable.Chains c = t.connections.current();
            final int h = t.hash(l.a());
            final int bucket = c.index(h);
            final int stamp = t.chainStamp(c, bucket);
            final ControlBlock standing = c.head(bucket);
            assertThat(standing.key()).as("x is the head, a behind it").isEqualTo(l.x());
            final AtomicReference<Boolean> reused = new AtomicReference<>(false);
            final Thread writer = Thread.ofPlatform().name("reuse-writer").start(() -> {
                assertThat(t.remove(l.x())).isTrue();
                if (cycleUntilHandedOut(t, standing, l.elsewhere(), CYCLES)) {
                    reused.set(true);
                }
            });
            TestSupport.join(writer, "writer");
            boolean found = false;
            for (ControlBlock b = standing.next(c.parity); b != null; b = b.next(c.parity)) {
                found |= b.hash == h && b.matches(l.a());
            }
            return new Walk(found, t.chainUnchanged(t.connections, c, bucket, stamp), reused.get());
        } finally {
            t.exit(reader);
        }
    }

    @Test
    @Timeout(60)
    void pserializeCatchesAWalkRedirectedByImmediateReuse() throws Exception {
        final Layout l = layout();
        try (ConnectionTable t = TableProbe.fixSecret(
                ConnectionTable.builder(Strategy.PSERIALIZE).initialBuckets(BUCKETS).build())) {
            t.insert(l.a()).unlock();
            t.insert(l.x()).unlock();
            final Walk w = walkWhileTheHeadIsReused((PserializeConnectionTable) t, l);
            assertThat(w.reusedUnderUs()).as("PR_PSERIALIZE hands the block out again at once").isTrue();
            assertThat(w.foundA()).as("the walk went on in the reused block's new chain and missed a").isFalse();
            assertThat(w.stampUnchanged()).as("the removal count tells the miss cannot be trusted").isFalse();
            final long retries = t.stats().missRetries();
            final ControlBlock found = t.lookup(l.a(), LockMode.READ);
            assertThat(found).isNotNull();
            assertThat(found.key()).isEqualTo(l.a());
            found.unlock();
            assertThat(t.stats().missRetries()).isEqualTo(retries);
            TableProbe.validate(t);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"SMR_DEFAULT", "SMR_LAZY"})
    @Timeout(60)
    void smrNeverReusesABlockUnderAWalk(final Strategy strategy) throws Exception {
        final Layout l = layout();
        try (ConnectionTable t = TableProbe.fixSecret(ConnectionTable.builder(strategy).initialBuckets(BUCKETS).build())) {
            t.insert(l.a()).unlock();
            final ControlBlock xBlock = t.insert(l.x());
            xBlock.unlock();
            final Walk w = walkWhileTheHeadIsReused((SmrConnectionTable) t, l);
            assertThat(w.reusedUnderUs()).as("the pool must not hand x out while we are in the section").isFalse();
            assertThat(w.foundA()).as("x kept its link: the walk reaches a").isTrue();
            // Control: once the section is over, the same churn does get x's block back. The
            // remover thread put x into its own cache (SmrPool's owned caches) and is gone:
            // flush() recovers a dead thread's cache at once (the pool's own sweep does it at
            // the next trim interval).
            ((SmrConnectionTable) t).pool().flush();
            final ControlBlock x = xBlock;
            final long deadline = System.nanoTime() + TestSupport.AWAIT_DEFAULT.toNanos();
            boolean reused = false;
            while (!reused && System.nanoTime() - deadline < 0) {
                reused = cycleUntilHandedOut(t, x, l.elsewhere(), CYCLES);
            }
            assertThat(reused).as("x's block is reused after the section (the test can tell)").isTrue();
            TableProbe.validate(t);
        }
    }

    /**
     * A lookup may unlock a block after the pool has let it go. The interleaving, in
     * {@code LocklessConnectionTable.lockFound}: the lookup finds block b inside its section,
     * but b has just been removed (marked freed, unlinked, unlocked, put to the pool);
     * {@code b.tryLock} succeeds, the lookup leaves the section, and only then checks
     * {@code isFreed} and unlocks (FreeBSD's {@code inp_smr_lock} has the same order). In
     * between, b's batch expires and the pool may finalise it (trim, high-water mark,
     * {@code reclaim}, {@code drain}). This test found that the table's fini hook nulled the
     * lock there, so the unlock threw {@link NullPointerException}; the table now registers no
     * fini hook (the lock is never destroyed; the garbage collector takes it with the block).
     * The test plays the lookup's steps through the package-private parts, uses
     * {@link SmrPool#drain()} in place of the trim, and checks that the block was finalised
     * while the lookup held its lock and that the unlock still works.
     */
    @Test
    @Timeout(60)
    void smrPoolNeverFinalisesABlockWhoseLockALookupHolds() throws Exception {
        final Layout l = layout();
        try (ConnectionTable t = TableProbe.fixSecret(
                ConnectionTable.builder(Strategy.SMR_DEFAULT).initialBuckets(BUCKETS).build())) {
            t.insert(l.a()).unlock();
            lookupPreemptedAfterLeavingTheSection((SmrConnectionTable) t, l.a());
        }
    }

    private static void lookupPreemptedAfterLeavingTheSection(final SmrConnectionTable t, final ConnectionKey a)
            throws Exception {
        final org.smr4j.Smr.Reader reader = t.enterRead();
        final ControlBlock b;
        try {
            final LocklessConnectionTable.Chains c = t.connections.current();
            b = c.head(c.index(t.hash(a)));
            assertThat(b.matches(a)).isTrue();
            final Thread remover = Thread.ofPlatform().name("remover").start(() -> assertThat(t.remove(a)).isTrue());
            TestSupport.join(remover, "remove");
            assertThat(b.tryLock(ConnectionTable.LockMode.READ)).as("line 238: the freed block is unlocked").isTrue();
        } finally {
            t.exit(reader); // line 239
        }
        // Preempted here. Meanwhile the pool lets the expired block go.
        final SmrPool<ControlBlock> pool = t.pool();
        final long finalisedBefore = pool.stats().finalised();
        final long deadline = System.nanoTime() + TestSupport.AWAIT_DEFAULT.toNanos();
        while (pool.stats().finalised() == finalisedBefore && System.nanoTime() - deadline < 0) {
            t.smr().synchronize();
            pool.drain();
        }
        assertThat(pool.stats().finalised()).as("the pool let the freed block go").isGreaterThan(finalisedBefore);
        assertThat(TableProbe.lockOf(b)).as("the lock survives finalisation").isNotNull();
        assertThat(b.isFreed()).as("the lookup sees the block freed").isTrue();
        assertThatCode(() -> b.unlock(ConnectionTable.LockMode.READ)).as("and unlocks it")
                .doesNotThrowAnyException();
    }
}
