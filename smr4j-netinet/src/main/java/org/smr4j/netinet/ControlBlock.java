package org.smr4j.netinet;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.StampedLock;
import org.jspecify.annotations.Nullable;

/**
 * A protocol control block: one connection (or listening socket) in a
 * {@link ConnectionTable}, after FreeBSD's {@code struct inpcb}. Blocks are recycled by the
 * SMR and pserialize strategies, so a block is a <em>slot</em> that holds one connection at a
 * time; {@link #generation()} counts its incarnations.
 *
 * <h2>Using a block</h2>
 * {@link ConnectionTable#lookup lookup} returns a block <em>locked</em> (read or write, as
 * asked), not freed, and whose tuple equals the key; the caller works on it and calls
 * {@link #unlock()}. While the lock is held the block cannot be removed, rehashed or reused,
 * so everything read under it belongs to the connection that was looked up. Do not keep a
 * reference to a block after unlocking it: from then on it may be freed and reused for
 * another connection.
 *
 * <h2>Lifecycle and the lock</h2>
 * The lock is a {@link StampedLock} created once per block by the pool's init hook
 * ({@code init()}), not per connection, and never destroyed; it survives reuse the way FreeBSD's pcb rwlock
 * survives {@code uma_zfree_smr}/{@code uma_zalloc_smr}: a lockless reader that finds a block
 * which is being freed and reused may still try-lock it safely, and then sees
 * {@link #isFreed()} or a different tuple and falls back. Fields after the lock are reset
 * per connection ({@code inp_start_zero} in FreeBSD).
 *
 * <h2>Fields and access modes</h2>
 * <ul>
 * <li>The tuple fields ({@code ports}: protocol and both ports in one word; the four address
 *     words) are written only by the table, under its write lock, while the block is
 *     unreachable by readers (before publication, or after unlinking and the grace period);
 *     {@code ports} last, with release. Lockless readers compare them with plain loads while
 *     walking a chain. Such a load may race only with a reuse in the pserialize strategy
 *     (which forbids nothing), and every match is revalidated under the block lock, whose
 *     acquisition orders it after the writer's unlock (or, for {@code read}, by the
 *     generation): a torn match is therefore harmless, and a miss is confirmed by the
 *     strategy (see {@link ConnectionTable}). The layout puts them, the links and the
 *     attachment in the object's first 64 bytes ({@link ControlBlockLayout}).</li>
 * <li>{@code link0}/{@code link1}: the two hash-chain links, one per parity of the bucket
 *     array, so that growing the table builds the new chains on the other link while readers
 *     still walk the old ones (see {@code LocklessConnectionTable}). Stored with release by
 *     writers (publication of a block's fields before the block is reachable through the
 *     link), loaded with acquire by readers (Java has no consume).</li>
 * <li>{@code FREED} ({@link #isFreed()}) is bit 63 of {@code ports}: set with release by
 *     the remove, under the block's write lock, cleared by the release store that completes
 *     the next assignment. A lookup compares the whole word, so a freed block never matches
 *     (its key's word has bit 63 clear); {@code isFreed()} reads it with acquire so that it
 *     is also meaningful to a caller that only holds a reference.</li>
 * <li>{@code refs}: the reference count, updated by CAS. One reference belongs to the table
 *     while the block is inserted; a lockless lookup whose try-lock fails takes a temporary
 *     one with {@link #acquireIfNotZero()} so that the block is not freed while it blocks on
 *     the lock; the last release puts the block back to its pool.</li>
 * </ul>
 */
public final class ControlBlock extends ControlBlockLayout.Hot {

    /** Bit 63 of {@code ports}: freed, or not yet assigned. */
    static final long FREED = 1L << 63;

    // The fields a lookup reads (the tuple, the links, the attachment) are declared in
    // ControlBlockLayout.Hot, so that HotSpot lays them out first, in the object's first 64
    // bytes. The rest follows.

    /** The per-block lock; created once by the pool's init hook, survives reuse. */
    @SuppressWarnings("NullAway.Init") // set by init(), the pool's init hook, before any use
    StampedLock lock;
    /** The key this block was inserted or rehashed with ({@link #key()}). */
    @SuppressWarnings("NullAway.Init") // set by reset() before the block is linked
    ConnectionKey key;
    /** Keyed hash of the tuple, kept so that growth and removal need not rehash (writers only). */
    int hash;
    /**
     * Incarnation count: incremented each time the block is handed out for a connection;
     * through GENERATION (see assign).
     */
    @SuppressWarnings("unused") // accessed through GENERATION
    private long generation;
    /**
     * The table whose pool made the block (set by every assign, never cleared: a pooled block
     * serves one table for life). Checked by remove and rehash, and named in the messages of
     * refused calls.
     */
    @SuppressWarnings("NullAway.Init") // set by reset() before the block is linked
    AbstractConnectionTable owner;

    // -------------------------------------------------------------- state
    @SuppressWarnings("unused") // accessed through REFS
    private int refs;
    /** The goal recorded when the block was unlinked for a rehash ({@code inp_smr}). */
    long unlinkGoal;
    /** System.nanoTime() when the block was last freed, 0 if never. */
    private long freedNanos;
    /**
     * The SMR pool's state word ({@link org.smr4j.SmrPool.Builder#stateWord}): 0 while the
     * block is out of the pool, the pool's id while it is in it. Only the pool touches it,
     * through POOL_STATE; it lets the pool refuse a second put of a block in O(1).
     */
    @SuppressWarnings("unused") // accessed through POOL_STATE
    private int poolState;

    private static final VarHandle LINK0;
    private static final VarHandle LINK1;
    private static final VarHandle PORTS;
    private static final VarHandle REFS;
    private static final VarHandle GENERATION;
    private static final VarHandle POOL_STATE;

    /** {@link #poolState} for the SMR strategies' pool (SmrConnectionTable). */
    static final org.smr4j.SmrPool.StateWord<ControlBlock> POOL_STATE_WORD = new org.smr4j.SmrPool.StateWord<>() {
        @Override
        public int compareAndExchange(final ControlBlock b, final int expected, final int next) {
            return (int) POOL_STATE.compareAndExchange(b, expected, next);
        }

        @Override
        public void setRelease(final ControlBlock b, final int value) {
            POOL_STATE.setRelease(b, value);
        }
    };

    static {
        try {
            final MethodHandles.Lookup l = MethodHandles.lookup();
            LINK0 = l.findVarHandle(ControlBlockLayout.Hot.class, "link0", ControlBlock.class);
            LINK1 = l.findVarHandle(ControlBlockLayout.Hot.class, "link1", ControlBlock.class);
            PORTS = l.findVarHandle(ControlBlockLayout.Hot.class, "ports", long.class);
            REFS = l.findVarHandle(ControlBlock.class, "refs", int.class);
            GENERATION = l.findVarHandle(ControlBlock.class, "generation", long.class);
            POOL_STATE = l.findVarHandle(ControlBlock.class, "poolState", int.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Blocks are created by the tables (through their pools). */
    ControlBlock() {
    }

    // ------------------------------------------------------------------ public API

    /**
     * The connection this block holds. Meaningful while the caller holds the block's lock.
     *
     * @return the key of the current incarnation
     */
    public ConnectionKey key() {
        return key;
    }

    /**
     * Whether the block has been removed from its table ({@code INP_FREED}).
     *
     * <p>Memory consistency effects: acquire.
     *
     * @return true once removed, until the block is handed out again
     */
    public boolean isFreed() {
        return (long) PORTS.getAcquire(this) < 0L; // FREED is the sign bit
    }

    /**
     * How many times this block has been handed out for a connection, counting the current
     * one; a test sees reuse as a change of generation.
     *
     * @return the incarnation number, 1 for a block's first connection
     */
    public long generation() {
        return (long) GENERATION.getAcquire(this);
    }

    /** Acquire: the reader's later loads of the block come after it. */
    long generationAcquire() {
        return (long) GENERATION.getAcquire(this);
    }

    /** The reader's earlier loads complete before this re-read (load-load fence). */
    long generationAfterRead() {
        VarHandle.loadLoadFence();
        return (long) GENERATION.getOpaque(this);
    }

    /**
     * When this block's previous incarnation was freed, for measuring the delay from delete
     * to reuse.
     *
     * @return {@link System#nanoTime()} at the last free, or 0 for a block never freed
     */
    public long lastFreedNanos() {
        return freedNanos;
    }

    /**
     * User data attached to the connection (the socket, say). Cleared when the block is freed.
     *
     * @return the attachment, or null
     */
    public @Nullable Object attachment() {
        return attachment;
    }

    /**
     * Attaches user data to the connection. Call with the block locked for writing (as
     * {@link ConnectionTable#insert insert} and a {@link ConnectionTable.LockMode#WRITE WRITE}
     * lookup return it). The lock is not owner-aware, so a block write-locked by another
     * thread is not detected.
     *
     * @param value the attachment, or null
     * @throws IllegalStateException if the block is freed (its connection was removed),
     *         read-locked or not locked; the message names the table, the state and the thread
     */
    public void attach(final @Nullable Object value) {
        if (isFreed() || !lock.isWriteLocked()) {
            throw refuse("attach(value)", isFreed() ? "freed (its connection was removed)"
                    : lock.isReadLocked() ? "read-locked; it must be write-locked by the caller"
                    : "not locked; it must be write-locked by the caller");
        }
        attachment = value;
    }

    /**
     * Releases the lock that {@link ConnectionTable#lookup lookup} or
     * {@link ConnectionTable#insert insert} returned the block with. Like FreeBSD's
     * {@code INP_UNLOCK}, the lock is not owner-aware: call it once, from the thread that
     * holds the lock.
     *
     * <p>Memory consistency effects: release.
     *
     * @throws IllegalStateException if the block is not locked; the message names the table
     *         and the thread
     */
    public void unlock() {
        final StampedLock l = lock;
        if (l.isWriteLocked()) {
            l.tryUnlockWrite();
        } else if (!l.tryUnlockRead()) {
            throw refuse("unlock()", "not locked");
        }
    }

    /** A refusal of {@code op} on this block in {@code state}, naming the table and the thread. */
    private IllegalStateException refuse(final String op, final String state) {
        final AbstractConnectionTable t = owner;
        final String what = op + ": the block is " + state + ": " + this;
        return new IllegalStateException(t != null ? t.describe(what)
                : "connection table block " + what + " (thread " + Thread.currentThread() + ")");
    }

    /**
     * Whether the block's lock is held in write mode by some thread.
     *
     * @return true if write-locked
     */
    public boolean isWriteLocked() {
        return lock.isWriteLocked();
    }

    /**
     * Whether the block's lock is held in read mode by some thread.
     *
     * @return true if read-locked
     */
    public boolean isReadLocked() {
        return lock.isReadLocked();
    }

    @Override
    public String toString() {
        final ConnectionKey k = key;
        return "ControlBlock[" + (k == null ? "unused" : k.toString()) + ", generation " + generation()
                + (isFreed() ? ", freed]" : "]");
    }

    // ------------------------------------------------------------------ pool hooks

    /** Pool init hook: once per object. Creates the lock that survives reuse; not yet assigned. */
    void init() {
        lock = new StampedLock();
        ports = FREED; // plain: the pool's hand-off (or the table's publication) orders it
    }

    // No fini hook: the pool's fini would be the place to destroy the lock (FreeBSD's
    // in_pcbstorage fini runs rw_destroy), but a lookup that found a freed block may still
    // hold its lock after leaving its section and unlock it after the pool has let the block
    // go. In Java nothing needs destroying: the garbage collector takes the lock with the
    // block once nobody refers to either.

    /**
     * Starts a new incarnation for {@code k}. Called by the table under its write lock while
     * no reader can reach the block; the release stores of the link that publishes it order
     * these plain stores before any reader sees the block.
     */
    void assign(final AbstractConnectionTable table, final ConnectionKey k, final int keyedHash) {
        // A seqlock-like protocol for pserialize's lock-free readers (see
        // ConnectionTable.read): the generation moves first, and the store-store fence keeps
        // every store of the new incarnation after it, so a reader that read any new field
        // sees a new generation on its re-read. The old incarnation is FREED until the
        // release store at the end, which publishes the complete new tuple.
        GENERATION.getAndAdd(this, 1L);
        VarHandle.storeStoreFence();
        owner = table;
        unlinkGoal = 0L;
        attachment = null;
        REFS.setOpaque(this, 1); // the count was 0, and nobody increments from 0
        rekey(k, keyedHash); // ends with the release store of ports, which clears FREED
    }

    /**
     * Changes the tuple; called by the table under its write lock with the block write-locked
     * and unreachable by lockless readers (after the grace period of a rehash), or reachable
     * only by readers that revalidate under the block lock.
     */
    void rekey(final ConnectionKey k, final int keyedHash) {
        localHi = k.localHi();
        localLo = k.localLo();
        foreignHi = k.foreignHi();
        foreignLo = k.foreignLo();
        key = k;
        hash = keyedHash;
        // Release, last: a reader that reads this word sees the tuple stored before it (for a
        // new incarnation, also clears FREED, set since the free).
        PORTS.setRelease(this, k.ports());
    }

    /** Marks the block freed; called with the write lock held. */
    void markFreed() {
        freedNanos = System.nanoTime();
        attachment = null;
        // Release: a thread that sees FREED without the lock also sees the reset fields.
        PORTS.setRelease(this, ports | FREED);
    }

    /** Whether the stored tuple equals {@code k} and the block is not freed; see {@link #matches(long, long, long, long, long)}. */
    boolean matches(final ConnectionKey k) {
        return matches(k.ports(), k.localHi(), k.localLo(), k.foreignHi(), k.foreignLo());
    }

    /**
     * Whether the stored tuple equals the given fields ({@code ports} packed as in
     * {@link ConnectionKey}, so bit 63 clear) and the block is not freed (a freed block's word
     * has bit 63 set). Plain loads, all in the object's first line; see the class comment.
     * The ports word first (it holds the foreign port, the part of a tuple that varies most
     * among a server's connections), then the foreign address.
     */
    boolean matches(final long p, final long lHi, final long lLo, final long fHi, final long fLo) {
        return ports == p && foreignLo == fLo && localLo == lLo && foreignHi == fHi && localHi == lHi;
    }

    // ------------------------------------------------------------------ chain links

    /** The chain link for an array of the given parity; acquire (reader traversal). */
    ControlBlock next(final int parity) {
        return (ControlBlock) (parity == 0 ? LINK0.getAcquire(this) : LINK1.getAcquire(this));
    }

    /** Sets the chain link for the given parity; release (publishes what precedes it). */
    void setNext(final int parity, final ControlBlock next) {
        if (parity == 0) {
            LINK0.setRelease(this, next);
        } else {
            LINK1.setRelease(this, next);
        }
    }

    // ------------------------------------------------------------------ locking

    /** Try-locks without blocking, in the given mode. */
    boolean tryLock(final ConnectionTable.LockMode mode) {
        return (mode == ConnectionTable.LockMode.READ ? lock.tryReadLock() : lock.tryWriteLock()) != 0L;
    }

    /** Locks, blocking, in the given mode. */
    void lock(final ConnectionTable.LockMode mode) {
        if (mode == ConnectionTable.LockMode.READ) {
            lock.readLock();
        } else {
            lock.writeLock();
        }
    }

    /**
     * forEach's step for the tables whose blocks are never reused: lock, hand the block to
     * {@code action} unless it was removed meanwhile, unlock.
     */
    void visit(final ConnectionTable.LockMode mode, final java.util.function.Consumer<? super ControlBlock> action) {
        lock(mode);
        try {
            if (!isFreed()) {
                action.accept(this);
            }
        } finally {
            unlock(mode);
        }
    }

    /** Releases a lock of the given mode taken by the table itself. */
    void unlock(final ConnectionTable.LockMode mode) {
        if (mode == ConnectionTable.LockMode.READ) {
            lock.tryUnlockRead();
        } else {
            lock.tryUnlockWrite();
        }
    }

    // ------------------------------------------------------------------ references

    /**
     * Takes a reference unless the count is zero ({@code refcount_acquire_if_not_zero}).
     * Volatile CAS: the count is shared by every path that may free the block.
     */
    boolean acquireIfNotZero() {
        int r = (int) REFS.getVolatile(this);
        while (r != 0) {
            final int witness = (int) REFS.compareAndExchange(this, r, r + 1);
            if (witness == r) {
                return true;
            }
            r = witness;
        }
        return false;
    }

    /**
     * Drops a reference; returns true if it was the last one, and the caller must free the
     * block. Volatile decrement: the last releaser must see every other holder's writes.
     */
    boolean release() {
        final int r = (int) REFS.getAndAdd(this, -1) - 1;
        if (r < 0) {
            throw new IllegalStateException("reference count below zero: " + this);
        }
        return r == 0;
    }

    /** The reference count (tests and assertions). */
    int refs() {
        return (int) REFS.getVolatile(this);
    }
}
