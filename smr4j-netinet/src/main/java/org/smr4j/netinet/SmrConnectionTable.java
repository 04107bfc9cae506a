package org.smr4j.netinet;

import org.smr4j.Smr;
import org.smr4j.SmrPool;

/**
 * {@link ConnectionTable.Strategy#SMR_DEFAULT} and {@link ConnectionTable.Strategy#SMR_LAZY}:
 * the lockless table over an {@link Smr} domain of that mode and an {@link SmrPool} of blocks,
 * as FreeBSD's {@code in_pcbinfo} uses {@code ipi_smr} and a {@code UMA_ZONE_SMR} zone.
 *
 * <p>What SMR gives the lookup: a block found inside a section is not handed out again
 * before the section ends (the pool tags each freed batch with {@code advance()} and reuses it
 * only once {@code poll(tag)} succeeds). So a chain walk is never redirected into another
 * chain by a reuse, a miss can be trusted (except during a rehash, which the base class
 * handles) and the reference count touched inside the section is this incarnation's.
 *
 * <p>Pool sizing: without {@linkplain ConnectionTable.Builder#limits limits} the pool grows
 * when readers hold the grace period back; with them its pending limit is {@code pendingLimit}
 * (a remove whose batch would exceed it waits, expedited, for the oldest batch's goal), its
 * hard limit {@code maxConnections + pendingLimit}, and an insert at the hard limit waits for
 * the oldest batch's goal ({@link SmrPool.LimitPolicy#WAIT}).
 */
final class SmrConnectionTable extends LocklessConnectionTable<Smr.Reader> {

    private final Smr smr;
    private final SmrPool<ControlBlock> pool;

    SmrConnectionTable(final ConnectionTable.Builder b) {
        super(b);
        final Smr.Builder domain = Smr.builder(b.name);
        if (b.strategy == Strategy.SMR_LAZY) {
            domain.lazy();
        }
        this.smr = domain.build();
        final SmrPool.Builder<ControlBlock> pb = SmrPool.builder(b.name, ControlBlock::new)
                .smr(smr)
                .init(ControlBlock::init)
                .stateWord(ControlBlock.POOL_STATE_WORD); // a second put of a block is refused (issue 8 point 3)
        if (b.limited) {
            // limits() keeps the sum within Builder.MAX_BLOCKS: no overflow. The pending limit
            // bounds the removed blocks awaiting their grace period directly (a pool's pending
            // limit is at least one magazine: smaller limits get smaller magazines).
            pb.hardLimit(b.maxConnections + b.pendingLimit).limitPolicy(SmrPool.LimitPolicy.WAIT)
                    .magazineSize(Math.min(SmrPool.MAGAZINE_SIZE_DEFAULT, b.pendingLimit))
                    .pendingLimit(b.pendingLimit);
        }
        this.pool = pb.build();
    }

    /** The domain the lookups enter (for tests and the harness). */
    Smr smr() {
        return smr;
    }

    /** The block pool (for tests and the harness). */
    SmrPool<ControlBlock> pool() {
        return pool;
    }

    @Override
    Smr.Reader handle() {
        return smr.reader();
    }

    @Override
    void enter(final Smr.Reader r) {
        r.enter();
    }

    @Override
    void exit(final Smr.Reader r) {
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
        return 0; // a walk inside a section is never redirected by a reuse
    }

    @Override
    boolean chainUnchanged(final HashChains hash, final Chains chains, final int bucket, final int stamp) {
        // Always trusted: no link a section can reach is rewritten before the section ends.
        // A freed block, whichever hash (connections or listeners, one pool) reuses it, is
        // handed out only after the grace period of its free; growth and rehash wait for the
        // grace period of what they unpublished or unlinked. See "Trusting a walk" in
        // LocklessConnectionTable.
        return true;
    }

    @Override
    long readBegin(final ControlBlock b) {
        return 0L; // no load: the block is not reused before the section ends
    }

    @Override
    boolean readValidated(final ControlBlock b, final long token, final long p, final long lHi, final long lLo,
            final long fHi, final long fLo) {
        return true; // not reused before the section ends
    }

    @Override
    long retireArray() {
        return smr.advance();
    }

    @Override
    void awaitArrayRetired(final long goal) {
        smr.waitFor(goal);
    }

    @Override
    BlockCounts blockCounts() {
        final SmrPool.Stats s = pool.stats();
        return new BlockCounts(s.created(), s.live(), s.objectsPending());
    }

    @Override
    void closeStrategy() {
        pool.close();
        smr.close(); // the table created it: its MBean and statistics go with the table
    }
}
