package org.smr4j.netinet;

import java.util.HashMap;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * {@link ConnectionTable.Strategy#RW_LOCK}: the textbook table. A {@link HashMap} guarded by
 * one {@link StampedLock}: lookups take its read lock, writers its write lock; a new block per
 * connection, reclaimed by the garbage collector. This is FreeBSD's locked lookup
 * ({@code in_pcblookup_hash_locked} under {@code INP_HASH_RLOCK}) used for every packet.
 *
 * <p>Lock order. A lookup holds the table's read lock only while it <em>try</em>-locks the
 * block; if the block is busy it takes a reference, drops the table lock and then blocks on
 * the block, and revalidates afterwards (the same dance as the lockless tables). Writers take
 * the block first and the table second. So nobody ever blocks on a block while holding the
 * table, and the two orders cannot deadlock.
 *
 * <p>Under the table's read lock a block found in the map is present and its tuple is the
 * key, because the map and the tuples change only under the write lock; a lookup that
 * try-locks the block there needs no further check.
 */
final class LockedConnectionTable extends KeyedConnectionTable {

    private final StampedLock tableLock = new StampedLock();
    private final HashMap<ConnectionKey, ControlBlock> map;
    private final LongAdder inserts = new LongAdder();
    private final LongAdder removes = new LongAdder();
    private final LongAdder rehashes = new LongAdder();
    private final LongAdder referencePaths = new LongAdder();

    LockedConnectionTable(final ConnectionTable.Builder b) {
        super(b);
        this.map = HashMap.newHashMap(b.initialBuckets);
    }

    @Override
    public @Nullable ControlBlock insert(final ConnectionKey key) {
        Objects.requireNonNull(key, "key");
        checkOpen("insert(key)");
        final ControlBlock block = new ControlBlock();
        block.init();
        block.lock(LockMode.WRITE); // not reachable yet: cannot block
        block.assign(this, key, 0);
        final long stamp = tableLock.writeLock();
        try {
            if (isClosed()) { // close() began after our first check
                throw closedException("insert(key)");
            }
            if (map.putIfAbsent(key, block) != null) {
                block.unlock(LockMode.WRITE);
                return null;
            }
        } finally {
            tableLock.unlockWrite(stamp);
        }
        inserts.increment();
        return block;
    }

    @Override
    <V> @Nullable V readKey(final ConnectionKey key, final Function<? super ControlBlock, ? extends V> function) {
        final long stamp = tableLock.readLock();
        try {
            final ControlBlock block = map.get(key);
            return block == null ? null : function.apply(block); // present and equal under the lock
        } finally {
            tableLock.unlockRead(stamp);
        }
    }

    @Override
    @Nullable ControlBlock lookupKey(final ConnectionKey key, final LockMode mode) {
        for (;;) {
            final long stamp = tableLock.readLock();
            final ControlBlock block = map.get(key);
            if (block == null) {
                tableLock.unlockRead(stamp);
                return null;
            }
            if (block.tryLock(mode)) {
                tableLock.unlockRead(stamp);
                return block;
            }
            // Busy: hold a reference (the table's own makes it non-zero), then block on the
            // block's lock outside the table lock.
            block.acquireIfNotZero();
            tableLock.unlockRead(stamp);
            referencePaths.increment();
            block.lock(mode);
            block.release(); // blocks are not pooled here: the last release frees nothing
            if (!block.isFreed() && block.matches(key)) {
                return block;
            }
            block.unlock(mode); // removed or rehashed while we waited
        }
    }

    @Override
    public void remove(final ControlBlock block) {
        Objects.requireNonNull(block, "block");
        checkOpen("remove(block)");
        checkHeldForWrite(block, "remove(block)");
        final long stamp = tableLock.writeLock();
        try {
            block.markFreed();
            map.remove(block.key, block);
        } finally {
            tableLock.unlockWrite(stamp);
        }
        block.unlock(LockMode.WRITE);
        block.release();
        removes.increment();
    }

    @Override
    public boolean rehash(final ControlBlock block, final ConnectionKey newKey) {
        Objects.requireNonNull(block, "block");
        Objects.requireNonNull(newKey, "newKey");
        checkOpen("rehash(block, newKey)");
        checkHeldForWrite(block, "rehash(block, newKey)");
        final long stamp = tableLock.writeLock();
        try {
            if (block.key.equals(newKey)) {
                return true;
            }
            if (map.containsKey(newKey)) {
                return false;
            }
            map.remove(block.key, block);
            block.rekey(newKey, 0);
            map.put(newKey, block);
        } finally {
            tableLock.unlockWrite(stamp);
        }
        rehashes.increment();
        return true;
    }

    @Override
    public void forEach(final LockMode mode, final Consumer<? super ControlBlock> action) {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(action, "action");
        checkOpen("forEach(mode, action)");
        // Snapshot under the read lock, then lock each block outside it (lock order). Blocks
        // are never reused here, so a snapshot entry removed meanwhile shows as freed.
        final ControlBlock[] snapshot;
        final long stamp = tableLock.readLock();
        try {
            snapshot = map.values().toArray(new ControlBlock[0]);
        } finally {
            tableLock.unlockRead(stamp);
        }
        for (final ControlBlock block : snapshot) {
            block.visit(mode, action);
        }
    }

    @Override
    public int longestChain() {
        checkOpen("longestChain()");
        return -1;
    }

    @Override
    public long size() {
        checkOpen("size()");
        return mapSize();
    }

    private long mapSize() {
        final long stamp = tableLock.readLock();
        try {
            return map.size();
        } finally {
            tableLock.unlockRead(stamp);
        }
    }

    @Override
    public Stats stats() {
        final long n = inserts.sum();
        return new Stats(Strategy.RW_LOCK, mapSize(), -1, n, removes.sum(), rehashes.sum(), 0, 0,
                referencePaths.sum(), 0, n, -1, -1);
    }

    @Override
    public void close() {
        final ControlBlock[] all;
        final long stamp = tableLock.writeLock();
        try {
            if (!markClosed()) {
                return;
            }
            all = map.values().toArray(new ControlBlock[0]);
            map.clear();
        } finally {
            tableLock.unlockWrite(stamp);
        }
        // As remove does, but outside the table lock (lock order: block, then table): a
        // caller holding a block makes close wait for it, as in the lockless tables.
        for (final ControlBlock block : all) {
            block.lock(LockMode.WRITE);
            if (!block.isFreed()) {
                block.markFreed();
                block.release();
                removes.increment();
            }
            block.unlock(LockMode.WRITE);
        }
    }

    @Override
    public String toString() {
        return "ConnectionTable[" + name + ", " + strategy() + ", " + mapSize() + " connections]";
    }
}
