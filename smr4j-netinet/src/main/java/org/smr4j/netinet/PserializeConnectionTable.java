package org.smr4j.netinet;

import org.smr4j.Pserialize;
import org.smr4j.PserializePool;

/**
 * {@link ConnectionTable.Strategy#PSERIALIZE}: the lockless table over NetBSD-style
 * {@link Pserialize} (readers pay no fence) and a {@link PserializePool} with
 * {@code PR_PSERIALIZE} semantics: a freed block may be handed out again at once.
 *
 * <p>What that costs the reader. A hit is safe as in the SMR table: it is revalidated under
 * the block lock. A miss is not: a block the reader is standing on may be freed, reused and
 * linked at the head of another chain, so the reader's walk continues in the wrong chain and
 * misses blocks of its own. Linux solves this for {@code SLAB_TYPESAFE_BY_RCU} with
 * "nulls" list ends; this table uses the per-bucket removal count the base class keeps:
 * the reader reads it (acquire) before the walk and again after it, and trusts a miss only if
 * it did not change <em>and</em> the walked array is still the current one. A redirection
 * needs the block to be unlinked and then reused; the unlink is from the array current in
 * the block's hash, and bumps that array's count after the unlink (so that a reader who still
 * saw the old chain also sees the increment once it sees the redirected link; see
 * {@code Chains.unlink}). That is the walked array's count only if the walked array is
 * current: a reader on an array retired by a growth would never see a count move, and the
 * reused block may be linked into the other hash, whose array can use the walked parity
 * (issue 8; "Trusting a walk" in {@link LocklessConnectionTable}). Otherwise the miss is
 * confirmed under the hash lock ({@code missRetries} counts them).
 *
 * <p>Growth and rehash call {@link Pserialize#perform()} where SMR waits for a goal.
 */
final class PserializeConnectionTable extends LocklessConnectionTable<Pserialize.Reader> {

    private final Pserialize psz;
    private final PserializePool<ControlBlock> pool;

    PserializeConnectionTable(final ConnectionTable.Builder b) {
        super(b);
        this.psz = Pserialize.create(b.name);
        final PserializePool.Builder<ControlBlock> pb = PserializePool.builder(b.name, ControlBlock::new)
                .pserialize(psz)
                .init(ControlBlock::init)
                // The table is the pool's only caller and puts a block once, from remove() or
                // close() under the hash lock after unlinking it (BlockReuseTest, the churn and
                // Lincheck suites check this), so the held set would only cost every put a lock.
                .doublePutCheck(false);
        if (b.limited) {
            // An int: limits() keeps the sum within Builder.MAX_BLOCKS.
            pb.hardLimit(Math.toIntExact(b.maxConnections + b.pendingLimit));
        }
        this.pool = pb.build();
    }

    /** The domain the lookups enter (for tests and the harness). */
    Pserialize pserialize() {
        return psz;
    }

    @Override
    Pserialize.Reader handle() {
        return psz.reader();
    }

    @Override
    void enter(final Pserialize.Reader r) {
        r.enter();
    }

    @Override
    void exit(final Pserialize.Reader r) {
        r.exit();
    }

    @Override
    ControlBlock allocate() {
        return pool.get();
    }

    @Override
    void free(final ControlBlock block) {
        pool.put(block);
    }

    @Override
    int chainStamp(final Chains chains, final int bucket) {
        return chains.removals(bucket);
    }

    @Override
    boolean chainUnchanged(final HashChains hash, final Chains chains, final int bucket, final int stamp) {
        // The count first: its re-read carries the load-load fence that orders the walk before
        // both loads. See "Trusting a walk" in LocklessConnectionTable.
        return chains.removalsAfterWalk(bucket) == stamp && hash.stillCurrent(chains);
    }

    @Override
    long readBegin(final ControlBlock b) {
        return b.generationAcquire(); // acquire: the reader function's loads come after it
    }

    @Override
    boolean readValidated(final ControlBlock b, final long generation, final long p, final long lHi,
            final long lLo, final long fHi, final long fLo) {
        return b.matches(p, lHi, lLo, fHi, fLo) && b.generationAfterRead() == generation;
    }

    @Override
    long retireArray() {
        return 0L;
    }

    @Override
    void awaitArrayRetired(final long token) {
        psz.perform();
    }

    @Override
    BlockCounts blockCounts() {
        final PserializePool.Stats s = pool.stats();
        return new BlockCounts(s.created(), s.allocated(), 0L); // PR_PSERIALIZE: reusable at once
    }

    @Override
    void closeStrategy() {
        pool.close();
        psz.close(); // the table created it: its MBean and statistics go with the table
    }
}
