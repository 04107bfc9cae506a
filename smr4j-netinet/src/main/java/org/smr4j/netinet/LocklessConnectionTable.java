package org.smr4j.netinet;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The connection table with lockless lookup, after FreeBSD's {@code in_pcb.c}
 * ({@code in_pcblookup_hash_smr}, {@code inp_smr_lock}, {@code in_pcbrehash}, {@code inp_next}),
 * written once over an abstract read-side protection that {@link SmrConnectionTable} and
 * {@link PserializeConnectionTable} supply.
 *
 * <h2>Structure</h2>
 * Two hashes, each an array of singly linked chains of {@link ControlBlock}s: the
 * <em>connection hash</em> keyed by the whole tuple, and the <em>listen hash</em> keyed by a
 * listener's tuple (foreign side empty). A block's chain is chosen by SipHash-1-3 of its
 * tuple with a per-table secret (see {@link SipHash}). Writers ({@code insert},
 * {@code remove}, {@code rehash}, growth and the locked fallback lookup) serialise on one
 * {@link ReentrantLock}, the table's hash lock ({@code INP_HASH_WLOCK}). New blocks are linked
 * at the head of their chain.
 *
 * <h2>Lookup ({@code in_pcblookup_hash_smr})</h2>
 * Every form (by key or by fields; through the table, which finds the thread's section
 * record in the domain's thread-local, or through a {@link ConnectionTable.Reader}, which
 * holds it) ends in one method over the tuple's five words ({@code lookupFields},
 * {@code readFields}); a key only supplies its words and its cached keyed hash, the field
 * forms hash the words with SipHash.
 * <ol>
 * <li>Enter a read section; load the current bucket array (acquire) and walk the chain with
 *     acquire loads of the links, comparing the tuple's words with the block's (plain loads,
 *     all in the block's first 64 bytes, see {@link ControlBlockLayout}; the ports word
 *     first, which also carries {@code FREED}, so a freed block never matches).</li>
 * <li>Found: try-lock the block. On success leave the section, then revalidate its tuple
 *     and that it is not freed under the lock (a writer may have removed or rehashed it
 *     after we compared); return it locked. If the try-lock fails, take a reference with
 *     {@code acquireIfNotZero} (the section guarantees the block is not yet reused, so the
 *     count is the count of this incarnation) and leave the section; block on the lock, drop
 *     the reference (freeing the block if it was the last one), then check and revalidate.
 *     A block whose count was already zero is being freed.</li>
 * <li>Any failure in step 2: fall back to the locked lookup under the hash lock.</li>
 * <li>Not found: leave the section and return null, unless the strategy cannot trust the
 *     miss (see {@link #chainStamp}) or a rehash is in progress (see below); then the locked
 *     lookup decides.</li>
 * </ol>
 *
 * <h2>Remove ({@code in_pcbfree})</h2>
 * With the block write-locked by the caller and the hash lock held: mark it freed, unlink it
 * (the unlinked block keeps its link, so a reader standing on it continues down the chain),
 * then bump the chain's removal count. Then unlock and drop the table's reference; the last
 * reference frees the block to the pool, which reuses it only when the strategy allows.
 *
 * <h2>Rehash ({@code in_pcbrehash}, the wait before reinsertion)</h2>
 * Readers may be walking the old chain through the block. Linking it into another chain
 * would redirect their walk and make them miss blocks behind it. So rehash unlinks the block,
 * records the goal of that unlink ({@code inp_smr}), waits for it (SMR) or performs a barrier
 * (pserialize), and only then relinks it, under the hash lock as FreeBSD does. While it waits
 * the block is in no chain; a lockless lookup that misses during a rehash therefore confirms
 * the miss under the hash lock ({@code rehashing} counter), so that a lookup of the old key
 * that misses is ordered after the move and one of the new key is not wrongly empty.
 *
 * <h2>Growth without stopping readers</h2>
 * Each block has two links, one per <em>parity</em>; a bucket array has a parity and its
 * chains use only that link. Growth builds a twice larger array of the other parity from the
 * current chains under the hash lock, publishes it with a release store, and from then on
 * writers touch only the new chains. Readers that loaded the old array keep walking it: its
 * chains are frozen, so they stay intact; a block removed after the switch is still reachable
 * there, and readers that find it see it freed (or, in SMR, it is not reused until they have
 * left, because the old array was unpublished before the block was). Before the next growth
 * rewrites the other parity's links, it waits until no reader can still hold the array two
 * generations back ({@link #retireArray}, {@link #awaitArrayRetired}).
 *
 * <h2>Trusting a walk</h2>
 * A walk that finds its key is revalidated under the block lock (or, for {@code read}, by the
 * generation), so only a <em>miss</em>, and the chain {@code forEach} collects, must be
 * trusted. A walk can go wrong only if a link it follows is rewritten under it, sending it
 * into another chain. Links are rewritten in four places: a reuse of a freed block (insert,
 * into either hash: the two hashes share one pool), a growth (the other parity's links), a
 * rehash (relinking the block elsewhere) and an unlink (which only skips a block, never
 * redirects). The strategies close them differently:
 * <ul>
 * <li>SMR: none of them can happen to a block a section reached. Reuse waits for the grace
 *     period of the free, which ends after every section that could have found the block,
 *     whichever hash reuses it; a growth rewrites a parity only after the grace period of
 *     the array that used it ({@link #awaitArrayRetired}); a rehash relinks only after the
 *     grace period of its unlink. So an SMR walk is always trusted.</li>
 * <li>Pserialize: growth and rehash perform a barrier as SMR waits, but reuse is immediate.
 *     A reused block was first unlinked from the array that was current in its hash. If the
 *     walked array was current for the whole walk, that unlink bumped the walked bucket's
 *     removal count (the reader reached the block through this bucket), and the re-read of
 *     the count after the walk sees it (see {@code Chains.unlink}); if the array was
 *     replaced by a growth meanwhile, its counts no longer move (removals go to the new
 *     array), so the walk is trusted only if the array is still the current one. Both are
 *     re-read after the walk (load-load fence); arrays are never republished, so an unchanged
 *     identity means current throughout. Issue 8 found the second case missing: a reader on
 *     a retired connection array, a block removed from the new array and reused as a
 *     listener, whose parity-0 link was the reader's next step
 *     ({@code CrossHashReuseTest}, {@code lincheck.CrossHashReuseLincheckTest}).</li>
 * </ul>
 * A walk that cannot be trusted is repeated ({@code read}, {@code forEach}) or confirmed
 * under the hash lock ({@code lookup}). A rehash in progress also sends a miss to the lock
 * (see below), for a different reason: the block is in no chain while it moves.
 *
 * <h2>Iteration ({@code inp_next})</h2>
 * {@link #forEach} visits buckets in reverse-binary cursor order (as Redis's {@code SCAN}
 * does), so that when the array doubles between two buckets the cursor still names exactly the
 * buckets not yet visited: each block present for the whole call is visited once. Per bucket
 * it enters a section, takes a reference on each block of the chain, leaves, and then locks,
 * checks and hands each block to the action outside the section.
 *
 * @param <R> the strategy's per-thread reader handle
 */
abstract sealed class LocklessConnectionTable<R> extends AbstractConnectionTable
        permits SmrConnectionTable, PserializeConnectionTable {

    /** Largest bucket array. */
    static final int MAX_BUCKETS = 1 << 30;

    private final SipHash hasher = new SipHash();
    /** Names this table's entry in {@code ConnectionKey}'s hash cache. */
    private final int tableId = nextTableId();
    private final int maxChain;
    /** The hash lock: every writer, growth and the locked fallback lookup. */
    final ReentrantLock hashLock = new ReentrantLock();
    final HashChains connections;
    final HashChains listeners;
    /** Rehashes in progress; written under the hash lock (volatile), read by missing lookups. */
    private volatile int rehashing;

    private final LongAdder inserts = new LongAdder();
    private final LongAdder removes = new LongAdder();
    private final LongAdder rehashes = new LongAdder();
    private final LongAdder resizes = new LongAdder();
    private final LongAdder lockedFallbacks = new LongAdder();
    private final LongAdder referencePaths = new LongAdder();
    final LongAdder missRetries = new LongAdder();

    LocklessConnectionTable(final ConnectionTable.Builder b) {
        super(b);
        this.maxChain = b.maxChain;
        final int n = Integer.highestOneBit(b.initialBuckets) == b.initialBuckets ? b.initialBuckets
                : Integer.highestOneBit(b.initialBuckets) << 1;
        this.connections = new HashChains(n);
        this.listeners = new HashChains(Math.min(n, 64));
    }

    // ------------------------------------------------------------------ strategy hooks

    /**
     * The calling thread's section record (a thread-local lookup in the domain); the table's
     * own methods call it per operation, a {@link ConnectionTable.Reader} once.
     */
    abstract R handle();

    /** Enters a read section with the calling thread's record {@code r}. */
    abstract void enter(R r);

    /** Leaves the section entered with {@link #enter}. */
    abstract void exit(R r);

    /** Enters a read section of the calling thread and returns its record (forEach). */
    final R enterRead() {
        final R r = handle();
        enter(r);
        return r;
    }

    /** A block from the pool, init'ed (its lock exists); may wait at the pool's hard limit. */
    abstract ControlBlock allocate();

    /** Gives a block whose last reference is gone back to the pool. */
    abstract void free(ControlBlock block);

    /**
     * A token for a chain read in a section, taken before walking it; see
     * {@link #chainUnchanged}. SMR trusts a walk (blocks are not reused under it) and returns 0.
     */
    abstract int chainStamp(Chains chains, int bucket);

    /**
     * Whether the walk of {@code bucket} of {@code chains}, an array of {@code hash} loaded
     * before the walk, since {@code stamp} can be trusted: whether it cannot have been
     * redirected into another chain (see "Trusting a walk" in the class comment).
     */
    abstract boolean chainUnchanged(HashChains hash, Chains chains, int bucket, int stamp);

    /** Called after unlinking or unpublishing something; returns a token for the wait. */
    abstract long retireArray();

    /** Waits until no reader can still hold what was unlinked before {@code token}. */
    abstract void awaitArrayRetired(long token);

    /** The pool's counts for {@link #stats()}, from one snapshot of the pool's statistics. */
    abstract BlockCounts blockCounts();

    /**
     * Blocks created by the pool, blocks that exist now, and blocks freed and not yet reusable.
     *
     * @param created blocks the pool created
     * @param live blocks created and not yet destroyed
     * @param pending blocks awaiting reuse
     */
    record BlockCounts(long created, long live, long pending) {
    }

    /** Releases the pool and domain. */
    abstract void closeStrategy();

    // ------------------------------------------------------------------ lookup

    @Override
    public final @Nullable ControlBlock lookup(final ConnectionKey key, final LockMode mode) {
        checkKeyAndMode(key, mode);
        if (isClosed()) {
            throw closedException("lookup(key, mode)");
        }
        return lookupFields(handle(), hash(key), key.ports(), key.localHi(), key.localLo(), key.foreignHi(),
                key.foreignLo(), mode);
    }

    @Override
    public final <V> @Nullable V read(final ConnectionKey key, final Function<? super ControlBlock, ? extends V> function) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(function, "function");
        if (isClosed()) {
            throw closedException("read(key, function)");
        }
        return readFields(handle(), hash(key), key.ports(), key.localHi(), key.localLo(), key.foreignHi(),
                key.foreignLo(), function);
    }

    @Override
    final @Nullable Object readerHandle() {
        return handle();
    }

    @Override
    @SuppressWarnings({"unchecked", "NullAway"}) // a lockless table's readerHandle() is its reader: never null
    final @Nullable ControlBlock lookupVia(final @Nullable Object handle, final ConnectionKey key, final LockMode mode) {
        return lookupFields((R) handle, hash(key), key.ports(), key.localHi(), key.localLo(), key.foreignHi(),
                key.foreignLo(), mode);
    }

    @Override
    @SuppressWarnings({"unchecked", "NullAway"}) // as lookupVia
    final <V> @Nullable V readVia(final @Nullable Object handle, final ConnectionKey key,
            final Function<? super ControlBlock, ? extends V> function) {
        return readFields((R) handle, hash(key), key.ports(), key.localHi(), key.localLo(), key.foreignHi(),
                key.foreignLo(), function);
    }

    @Override
    @SuppressWarnings({"unchecked", "NullAway"}) // as lookupVia
    final @Nullable ControlBlock lookupFieldsVia(final @Nullable Object handle, final long p, final long lHi, final long lLo,
            final long fHi, final long fLo, final LockMode mode) {
        return lookupFields((R) handle, hasher.folded(p, lHi, lLo, fHi, fLo), p, lHi, lLo, fHi, fLo, mode);
    }

    @Override
    @SuppressWarnings({"unchecked", "NullAway"}) // as lookupVia
    final <V> @Nullable V readFieldsVia(final @Nullable Object handle, final long p, final long lHi, final long lLo, final long fHi,
            final long fLo, final Function<? super ControlBlock, ? extends V> function) {
        return readFields((R) handle, hasher.folded(p, lHi, lLo, fHi, fLo), p, lHi, lLo, fHi, fLo, function);
    }

    /**
     * The lookup ({@code in_pcblookup_hash_smr}) of the tuple {@code (p, lHi, lLo, fHi, fLo)}
     * whose keyed hash is {@code h}, in the section of {@code r}. Every form of lookup (key or
     * fields, table or reader handle) ends here.
     */
    private @Nullable ControlBlock lookupFields(final R r, final int h, final long p, final long lHi, final long lLo,
            final long fHi, final long fLo, final LockMode mode) {
        final HashChains hc = ConnectionKey.isListener(p, fHi, fLo) ? listeners : connections;
        enter(r);
        final Chains chains = hc.current();
        final int bucket = chains.index(h);
        final int stamp = chainStamp(chains, bucket);
        final int parity = chains.parity;
        for (ControlBlock b = chains.head(bucket); b != null; b = b.next(parity)) {
            if (b.matches(p, lHi, lLo, fHi, fLo)) {
                // inp_smr_lock: try-lock inside the section, then leave it and revalidate
                // under the lock (a writer may have removed or rehashed the block after we
                // compared; matches() also sees FREED).
                if (b.tryLock(mode)) {
                    exit(r);
                    if (b.matches(p, lHi, lLo, fHi, fLo)) {
                        return b;
                    }
                    b.unlock(mode);
                    return fallback(h, p, lHi, lLo, fHi, fLo, hc, mode);
                }
                return lockBusy(r, b, h, p, lHi, lLo, fHi, fLo, hc, mode);
            }
        }
        final boolean trusted = chainUnchanged(hc, chains, bucket, stamp) && rehashing == 0;
        exit(r);
        if (trusted) {
            return null;
        }
        missRetries.increment();
        return lookupLocked(h, p, lHi, lLo, fHi, fLo, hc, mode);
    }

    /**
     * The lock-free read of the tuple {@code (p, lHi, lLo, fHi, fLo)} whose keyed hash is
     * {@code h}, in the section of {@code r}; see {@link ConnectionTable#read}.
     */
    private <V> @Nullable V readFields(final R r, final int h, final long p, final long lHi, final long lLo, final long fHi,
            final long fLo, final Function<? super ControlBlock, ? extends V> function) {
        final HashChains hc = ConnectionKey.isListener(p, fHi, fLo) ? listeners : connections;
        for (int attempt = 0; attempt < 4; attempt++) {
            enter(r);
            try {
                final Chains chains = hc.current();
                final int bucket = chains.index(h);
                final int stamp = chainStamp(chains, bucket);
                final int parity = chains.parity;
                for (ControlBlock b = chains.head(bucket); b != null; b = b.next(parity)) {
                    if (b.matches(p, lHi, lLo, fHi, fLo)) { // not freed, tuple equal
                        final long generation = readBegin(b);
                        final V v = function.apply(b);
                        if (readValidated(b, generation, p, lHi, lLo, fHi, fLo)) {
                            return v;
                        }
                        break;
                    }
                }
                if (!chainUnchanged(hc, chains, bucket, stamp) || rehashing != 0) {
                    continue;
                }
                // A trusted miss, or a match that did not survive validation in a trusted
                // walk (freed meanwhile): the key is absent (now).
                return null;
            } finally {
                exit(r);
            }
        }
        return readLocked(h, p, lHi, lLo, fHi, fLo, hc, function);
    }

    /** Persistent interference (pserialize): the locked lookup, and the function under the read lock. */
    private <V> @Nullable V readLocked(final int h, final long p, final long lHi, final long lLo, final long fHi,
            final long fLo, final HashChains hc, final Function<? super ControlBlock, ? extends V> function) {
        final ControlBlock b = lookupLocked(h, p, lHi, lLo, fHi, fLo, hc, LockMode.READ);
        if (b == null) {
            return null;
        }
        try {
            return function.apply(b);
        } finally {
            b.unlock(LockMode.READ);
        }
    }

    /**
     * Before a lock-free reader function runs on {@code b}: a token for
     * {@link #readValidated}. Pserialize: the block's generation, with acquire, so that the
     * function's loads come after it. SMR: 0, no load (the block is not reused before the
     * section ends, and the generation is on the block's second line).
     */
    abstract long readBegin(ControlBlock b);

    /**
     * Whether what a lock-free reader read from {@code b} since {@link #readBegin} belongs to
     * an incarnation for the tuple. SMR: always (no reuse inside the section, and a rehash
     * changes the tuple only after the section's grace period). Pserialize: the tuple must
     * still match and then, after a load-load fence, the generation must not have moved; see
     * {@code ControlBlock.assign} for the writer's half.
     */
    abstract boolean readValidated(ControlBlock b, long token, long p, long lHi, long lLo, long fHi, long fLo);

    /**
     * The reference path of {@code inp_smr_lock}: the block's lock is busy. Inside the section
     * the block is this incarnation (SMR) or at least a block of the pool (pserialize), so its
     * count is safe to touch. Always leaves the section.
     */
    private @Nullable ControlBlock lockBusy(final R r, final ControlBlock b, final int h, final long p, final long lHi,
            final long lLo, final long fHi, final long fLo, final HashChains hc, final LockMode mode) {
        if (!b.acquireIfNotZero()) {
            exit(r);
            return fallback(h, p, lHi, lLo, fHi, fLo, hc, mode); // being freed
        }
        exit(r);
        final ControlBlock locked = lockReferenced(b, p, lHi, lLo, fHi, fLo, mode);
        return locked != null ? locked : fallback(h, p, lHi, lLo, fHi, fLo, hc, mode);
    }

    private @Nullable ControlBlock fallback(final int h, final long p, final long lHi, final long lLo, final long fHi,
            final long fLo, final HashChains hc, final LockMode mode) {
        lockedFallbacks.increment();
        return lookupLocked(h, p, lHi, lLo, fHi, fLo, hc, mode);
    }

    /**
     * The second half of the reference path, shared by the lockless and the locked lookup:
     * blocks on the lock of {@code b}, on which the caller holds a reference (taken inside the
     * section or under the hash lock), drops the reference and revalidates. If the table's
     * own reference went meanwhile (removed), ours was the last and the block is freed here.
     *
     * @return {@code b} locked in {@code mode}; or null, unlocked, if it was removed or
     *         rehashed while we waited
     */
    private @Nullable ControlBlock lockReferenced(final ControlBlock b, final long p, final long lHi, final long lLo,
            final long fHi, final long fLo, final LockMode mode) {
        referencePaths.increment();
        b.lock(mode);
        if (b.release()) {
            b.unlock(mode);
            free(b);
            return null;
        }
        if (b.matches(p, lHi, lLo, fHi, fLo)) { // not freed, tuple equal
            return b;
        }
        b.unlock(mode);
        return null;
    }

    /** The locked lookup ({@code in_pcblookup_hash}): under the hash lock, no section. */
    private @Nullable ControlBlock lookupLocked(final int h, final long p, final long lHi, final long lLo, final long fHi,
            final long fLo, final HashChains hc, final LockMode mode) {
        for (;;) {
            final ControlBlock b;
            hashLock.lock();
            try {
                b = hc.current().find(h, p, lHi, lLo, fHi, fLo);
                if (b == null) {
                    return null;
                }
                if (b.tryLock(mode)) {
                    return b; // present under the hash lock: not freed, tuple equal
                }
                b.acquireIfNotZero(); // present, so the table's reference makes it non-zero
            } finally {
                hashLock.unlock();
            }
            final ControlBlock locked = lockReferenced(b, p, lHi, lLo, fHi, fLo, mode);
            if (locked != null) {
                return locked;
            }
        }
    }

    // ------------------------------------------------------------------ writers

    @SuppressWarnings("NonAtomicVolatileUpdate") // the chains' sizes: written under hashLock only
    @Override
    public final @Nullable ControlBlock insert(final ConnectionKey key) {
        Objects.requireNonNull(key, "key");
        checkOpen("insert(key)");
        final int h = hash(key);
        final HashChains hc = key.isListener() ? listeners : connections;
        final ControlBlock b = allocate(); // outside the hash lock: it may wait at the hard limit
        // Lock before assigning: a stale pserialize reader may hold the recycled block's lock
        // and revalidate its tuple; tuples change only under the block's write lock.
        b.lock(LockMode.WRITE);
        b.assign(this, key, h);
        boolean linked = false;
        hashLock.lock();
        try {
            if (isClosed()) { // close() began after our first check: do not link into a closed table
                throw closedException("insert(key)");
            }
            final Chains c = hc.current();
            final int bucket = c.index(h);
            int length = 0;
            for (ControlBlock x = c.headPlain(bucket); x != null; x = x.next(c.parity)) {
                if (x.hash == h && x.matches(key)) {
                    return null;
                }
                length++;
            }
            b.setNext(c.parity, c.headPlain(bucket));
            c.setHead(bucket, b); // release: publishes the tuple, flags and link
            hc.size++;
            linked = true;
            // Grow at load factor 1, or at a long chain once the load is at least 1/2 (below
            // that a long chain is bad luck that doubling would not cure, and chasing it could
            // grow the array without bound).
            if (hc.size > c.length() || (length + 1 >= maxChain && hc.size >= c.length() >> 1)) {
                grow(hc);
            }
        } finally {
            hashLock.unlock();
            if (!linked) {
                b.markFreed();
                b.unlock(LockMode.WRITE);
                // After close() the pool may be closed too: leave the block to the collector
                // rather than let a refused put replace the refusal.
                if (b.release() && !isClosed()) {
                    free(b);
                }
            }
        }
        inserts.increment();
        return b;
    }

    @Override
    public final void remove(final ControlBlock block) {
        Objects.requireNonNull(block, "block");
        checkOpen("remove(block)");
        checkHeldForWrite(block, "remove(block)");
        unlinkAndFree(block);
    }

    /** remove(block) after its checks; also close()'s step. */
    @SuppressWarnings("NonAtomicVolatileUpdate") // the chains' sizes: written under hashLock only
    private void unlinkAndFree(final ControlBlock block) {
        hashLock.lock();
        try {
            final HashChains hc = block.key.isListener() ? listeners : connections;
            block.markFreed();
            hc.current().unlink(block);
            hc.size--;
        } finally {
            hashLock.unlock();
        }
        block.unlock(LockMode.WRITE);
        if (block.release()) {
            free(block);
        }
        removes.increment();
    }

    @SuppressWarnings("NonAtomicVolatileUpdate") // sizes, rehashing: written under hashLock only
    @Override
    public final boolean rehash(final ControlBlock block, final ConnectionKey newKey) {
        Objects.requireNonNull(block, "block");
        Objects.requireNonNull(newKey, "newKey");
        checkOpen("rehash(block, newKey)");
        checkHeldForWrite(block, "rehash(block, newKey)");
        final int h = hash(newKey);
        final HashChains to = newKey.isListener() ? listeners : connections;
        hashLock.lock();
        try {
            if (block.matches(newKey)) {
                return true;
            }
            if (to.current().find(newKey, h) != null) {
                return false;
            }
            final HashChains from = block.key.isListener() ? listeners : connections;
            rehashing = rehashing + 1; // volatile, before the unlink: see the class comment
            try {
                from.current().unlink(block);
                from.size--;
                // in_pcbrehash: readers may still walk the old chain through the block.
                block.unlinkGoal = retireArray();
                awaitArrayRetired(block.unlinkGoal);
                block.unlinkGoal = 0L;
                block.rekey(newKey, h);
                final Chains c = to.current();
                final int bucket = c.index(h);
                block.setNext(c.parity, c.headPlain(bucket));
                c.setHead(bucket, block);
                to.size++;
            } finally {
                rehashing = rehashing - 1;
            }
            if (to.size > to.current().length()) {
                grow(to);
            }
        } finally {
            hashLock.unlock();
        }
        rehashes.increment();
        return true;
    }

    /** Doubles {@code hc}'s bucket array under the hash lock; see the class comment. */
    private void grow(final HashChains hc) {
        final Chains old = hc.current();
        if (old.length() >= MAX_BUCKETS) {
            return;
        }
        if (hc.retired) {
            // The new array reuses the other parity's links: no reader may still walk the
            // array that used them (the one replaced by the previous growth).
            awaitArrayRetired(hc.retireToken);
        }
        final Chains next = new Chains(old.length() << 1, old.parity ^ 1);
        for (int i = 0; i < old.length(); i++) {
            for (ControlBlock b = old.headPlain(i); b != null; b = b.next(old.parity)) {
                final int j = next.index(b.hash);
                b.setNext(next.parity, next.headPlain(j));
                next.setHead(j, b);
            }
        }
        hc.publish(next);
        hc.retireToken = retireArray();
        hc.retired = true;
        resizes.increment();
    }

    // ------------------------------------------------------------------ iteration

    @Override
    public final void forEach(final LockMode mode, final Consumer<? super ControlBlock> action) {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(action, "action");
        checkOpen("forEach(mode, action)");
        final ArrayList<ControlBlock> held = new ArrayList<>();
        for (final HashChains hc : new HashChains[] {connections, listeners}) {
            int cursor = 0;
            do {
                int mask;
                for (;;) { // collect one chain, with a reference on each block
                    final boolean unchanged;
                    final R reader = enterRead();
                    try {
                        final Chains c = hc.current();
                        mask = c.length() - 1;
                        final int bucket = cursor & mask;
                        final int stamp = chainStamp(c, bucket);
                        for (ControlBlock b = c.head(bucket); b != null; b = b.next(c.parity)) {
                            if (b.acquireIfNotZero()) {
                                held.add(b);
                            }
                        }
                        unchanged = chainUnchanged(hc, c, bucket, stamp);
                    } finally {
                        exit(reader);
                    }
                    if (unchanged) {
                        break;
                    }
                    releaseAll(held); // redirected by a reuse (pserialize): collect again
                }
                visitAll(held, mode, action);
                cursor = nextCursor(cursor, mask);
            } while (cursor != 0);
        }
    }

    /**
     * Locks each held block, hands it to {@code action} unless it was removed meanwhile, and
     * drops its reference. If the action throws, the block is unlocked, every reference still
     * held is dropped (freeing the blocks whose last reference it was), and the exception
     * propagates.
     */
    private void visitAll(final List<ControlBlock> held, final LockMode mode,
            final Consumer<? super ControlBlock> action) {
        int i = 0;
        try {
            for (; i < held.size(); i++) {
                final ControlBlock b = held.get(i);
                b.lock(mode);
                try {
                    if (!b.isFreed() && b.owner == this) {
                        action.accept(b);
                    }
                } finally {
                    b.unlock(mode);
                    if (b.release()) {
                        free(b);
                    }
                }
            }
        } finally {
            for (int j = i + 1; j < held.size(); j++) { // only after a throw: i's was dropped above
                final ControlBlock b = held.get(j);
                if (b.release()) {
                    free(b);
                }
            }
            held.clear();
        }
    }

    private void releaseAll(final List<ControlBlock> held) {
        for (int i = 0; i < held.size(); i++) {
            final ControlBlock b = held.get(i);
            if (b.release()) {
                free(b);
            }
        }
        held.clear();
    }

    /** Reverse-binary increment of {@code cursor} within {@code mask} (Redis's SCAN). */
    static int nextCursor(final int cursor, final int mask) {
        int v = cursor | ~mask;
        v = Integer.reverse(v);
        v++;
        return Integer.reverse(v);
    }

    // ------------------------------------------------------------------ the rest

    @Override
    public final long size() {
        checkOpen("size()");
        return connections.size + listeners.size;
    }

    @Override
    public final int longestChain() {
        checkOpen("longestChain()");
        hashLock.lock();
        try {
            return Math.max(connections.current().longestChain(), listeners.current().longestChain());
        } finally {
            hashLock.unlock();
        }
    }

    @Override
    public final Stats stats() {
        final BlockCounts blocks = blockCounts();
        return new Stats(strategy, connections.size + listeners.size, connections.current().length(), inserts.sum(),
                removes.sum(), rehashes.sum(), resizes.sum(), lockedFallbacks.sum(), referencePaths.sum(),
                missRetries.sum(), blocks.created(), blocks.live(), blocks.pending());
    }

    @Override
    public final void close() {
        final ArrayList<ControlBlock> all = new ArrayList<>();
        hashLock.lock();
        try {
            if (!markClosed()) {
                return; // closed already
            }
            for (final HashChains hc : new HashChains[] {connections, listeners}) {
                final Chains c = hc.current();
                for (int i = 0; i < c.length(); i++) {
                    for (ControlBlock b = c.headPlain(i); b != null; b = b.next(c.parity)) {
                        all.add(b);
                    }
                }
            }
        } finally {
            hashLock.unlock();
        }
        for (final ControlBlock b : all) {
            b.lock(LockMode.WRITE);
            if (b.isFreed() || b.owner != this) {
                b.unlock(LockMode.WRITE);
            } else {
                unlinkAndFree(b);
            }
        }
        closeStrategy();
    }

    @Override
    public String toString() {
        return "ConnectionTable[" + name + ", " + strategy + ", " + (connections.size + listeners.size) + " connections, "
                + connections.current().length() + " buckets]";
    }

    final int hash(final ConnectionKey k) {
        return k.keyedHash(tableId, hasher);
    }

    /** Unique per table for the first 2^32 - 1 tables of a JVM, then 0 (no caching). */
    private static int nextTableId() {
        final long id = TABLE_IDS.incrementAndGet();
        return id > 0xFFFF_FFFFL ? 0 : (int) id;
    }

    private static final java.util.concurrent.atomic.AtomicLong TABLE_IDS = new java.util.concurrent.atomic.AtomicLong();

    // ------------------------------------------------------------------ the hashes

    /** One hash (connections or listeners): its current bucket array and growth state. */
    static final class HashChains {
        @SuppressWarnings({"unused", "NullAway.Init"}) // through CHAINS; set by the constructor
        private Chains chains;
        /** Blocks linked; written under the hash lock, read racily by size(). */
        volatile long size;
        /**
         * Whether an array was unpublished by a growth, and the token of that unpublish (an
         * SMR goal; pserialize has none and performs a barrier instead); under the hash lock.
         * A flag, not a sentinel token: pserialize's token is always 0.
         */
        boolean retired;
        long retireToken;

        HashChains(final int buckets) {
            CHAINS.setRelease(this, new Chains(buckets, 0));
        }

        /** Acquire: the chains built before {@link #publish} are visible through it. */
        Chains current() {
            return (Chains) CHAINS.getAcquire(this);
        }

        /** Release: publishes a fully built array. */
        void publish(final Chains next) {
            CHAINS.setRelease(this, next);
        }

        /**
         * Reader, after a walk of {@code walked} and the load-load fence of
         * {@link Chains#removalsAfterWalk}: whether {@code walked} is still the current array.
         * Opaque: only the identity is needed, and the fence orders the walk before this load.
         * A walk redirected by a reuse read a link stored (release) after a growth published
         * the array that replaced {@code walked}, so this load sees that array or a later one.
         */
        boolean stillCurrent(final Chains walked) {
            return CHAINS.getOpaque(this) == walked;
        }

        private static final VarHandle CHAINS;

        static {
            try {
                CHAINS = MethodHandles.lookup().findVarHandle(HashChains.class, "chains", Chains.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /**
     * A bucket array of one parity, with a removal count per bucket (incremented under the
     * hash lock after each unlink; pserialize readers use it to confirm a miss).
     */
    static final class Chains {
        private final ControlBlock[] heads;
        private final int[] removals;
        final int parity;
        private final int mask;

        Chains(final int buckets, final int parity) {
            this.heads = new ControlBlock[buckets];
            this.removals = new int[buckets];
            this.parity = parity;
            this.mask = buckets - 1;
        }

        int length() {
            return heads.length;
        }

        int index(final int hash) {
            return hash & mask;
        }

        /** Reader: acquire, pairs with the release in {@link #setHead}. */
        ControlBlock head(final int bucket) {
            return (ControlBlock) HEADS.getAcquire(heads, bucket);
        }

        /** Writer under the hash lock: the lock orders it. */
        ControlBlock headPlain(final int bucket) {
            return heads[bucket];
        }

        /** Writer: release, publishes the block's fields before it is reachable. */
        void setHead(final int bucket, final ControlBlock b) {
            HEADS.setRelease(heads, bucket, b);
        }

        /** Reader: acquire, so that a later walk's loads are not hoisted above it. */
        int removals(final int bucket) {
            return (int) REMOVALS.getAcquire(removals, bucket);
        }

        /** The walk's loads complete before this re-read of the count (load-load fence). */
        int removalsAfterWalk(final int bucket) {
            VarHandle.loadLoadFence();
            return (int) REMOVALS.getOpaque(removals, bucket);
        }

        /** Under the hash lock: the block of {@code key}, or null. */
        @Nullable ControlBlock find(final ConnectionKey key, final int h) {
            return find(h, key.ports(), key.localHi(), key.localLo(), key.foreignHi(), key.foreignLo());
        }

        /** Under the hash lock: the block of the tuple, or null. */
        @Nullable ControlBlock find(final int h, final long p, final long lHi, final long lLo, final long fHi, final long fLo) {
            for (ControlBlock b = heads[index(h)]; b != null; b = b.next(parity)) {
                if (b.hash == h && b.matches(p, lHi, lLo, fHi, fLo)) {
                    return b;
                }
            }
            return null;
        }

        /**
         * Under the hash lock: unlinks {@code b}; {@code b} keeps its own link so that a
         * reader standing on it walks on. The removal count goes up <em>after</em> the unlink
         * (volatile), and before {@code b} can be freed and reused: a reader whose stamp
         * predates the increment may still have reached {@code b} through the old chain, and if
         * a reuse then redirects it, the acquire load that sees the redirected link also sees
         * the increment (the reuse happens after it), so the reader's re-read differs from its
         * stamp. Bumping before the unlink was wrong: a reader could read the new count, then
         * the old chain, reach {@code b}, be redirected, and find its stamp unchanged (the
         * churn harness caught that as one missed connection in 30 M lookups).
         */
        void unlink(final ControlBlock b) {
            final int bucket = index(b.hash);
            ControlBlock prev = null;
            for (ControlBlock x = heads[bucket]; x != null; x = x.next(parity)) {
                if (x == b) {
                    final ControlBlock after = b.next(parity);
                    if (prev == null) {
                        setHead(bucket, after);
                    } else {
                        prev.setNext(parity, after);
                    }
                    REMOVALS.getAndAdd(removals, bucket, 1);
                    return;
                }
                prev = x;
            }
            throw new IllegalStateException("block not in its chain: " + b);
        }

        int longestChain() {
            int longest = 0;
            for (int i = 0; i < heads.length; i++) {
                int n = 0;
                for (ControlBlock b = heads[i]; b != null; b = b.next(parity)) {
                    n++;
                }
                longest = Math.max(longest, n);
            }
            return longest;
        }

        private static final VarHandle HEADS = MethodHandles.arrayElementVarHandle(ControlBlock[].class);
        private static final VarHandle REMOVALS = MethodHandles.arrayElementVarHandle(int[].class);
    }
}
