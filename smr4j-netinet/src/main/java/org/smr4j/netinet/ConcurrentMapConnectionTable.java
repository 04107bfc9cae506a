package org.smr4j.netinet;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * {@link ConnectionTable.Strategy#CONCURRENT_HASH_MAP}: the idiomatic Java table. A
 * {@link ConcurrentHashMap} from key to block, a new block for every connection, and the
 * garbage collector as the reclaimer: a removed block is never reused, so a reader that
 * still holds it can at worst lock it and see it freed.
 *
 * <p>Lookup: {@code get}, then lock the block (blocking if it is busy: a block is never
 * reused, so waiting on its lock needs no reference), then check that it is not freed and
 * that its tuple is still the key (a rehash may have moved it); on either failure, look up
 * again. Writers follow the same lock order as the lockless tables: the block first, then
 * the map's own bin lock inside {@code putIfAbsent}/{@code remove}.
 */
final class ConcurrentMapConnectionTable extends KeyedConnectionTable {

    private final ConcurrentHashMap<ConnectionKey, ControlBlock> map;
    private final LongAdder inserts = new LongAdder();
    private final LongAdder removes = new LongAdder();
    private final LongAdder rehashes = new LongAdder();

    ConcurrentMapConnectionTable(final ConnectionTable.Builder b) {
        super(b);
        this.map = new ConcurrentHashMap<>(b.initialBuckets);
    }

    @Override
    public @Nullable ControlBlock insert(final ConnectionKey key) {
        Objects.requireNonNull(key, "key");
        checkOpen("insert(key)");
        final ControlBlock block = new ControlBlock();
        block.init();
        block.lock(LockMode.WRITE);
        block.assign(this, key, 0);
        if (map.putIfAbsent(key, block) != null) {
            block.unlock(LockMode.WRITE);
            return null;
        }
        if (isClosed()) {
            // close() began after our first check. Both sides are volatile (the flag; the
            // map's own CAS and locks): either close's clear() runs after our put and takes
            // the block, or we see the flag here and take it out ourselves.
            map.remove(key, block);
            block.markFreed();
            block.unlock(LockMode.WRITE);
            throw closedException("insert(key)");
        }
        inserts.increment();
        return block;
    }

    @Override
    <V> @Nullable V readKey(final ConnectionKey key, final Function<? super ControlBlock, ? extends V> function) {
        for (;;) {
            final ControlBlock block = map.get(key);
            if (block == null || block.isFreed()) {
                return null; // absent, or unmapped before it was marked
            }
            if (block.matches(key)) {
                final V v = function.apply(block);
                // The reader's loads before the re-check (load-load fence): a rehash rekeys
                // in place, so a tuple still equal to the key means the reader saw this
                // connection (the rehash's stores are after our first check, and per-field
                // coherence keeps the re-check from reading older values than the reader did).
                java.lang.invoke.VarHandle.loadLoadFence();
                if (block.matches(key)) {
                    return v;
                }
                continue; // rehashed under the reader: look again
            }
            // Mapped under the new key of a rehash that has not rekeyed it yet: a few
            // instructions away, under the block's write lock.
            Thread.onSpinWait();
        }
    }

    @Override
    @Nullable ControlBlock lookupKey(final ConnectionKey key, final LockMode mode) {
        for (;;) {
            final ControlBlock block = map.get(key);
            if (block == null) {
                return null;
            }
            block.lock(mode);
            if (!block.isFreed() && block.matches(key)) {
                return block;
            }
            block.unlock(mode); // removed or rehashed meanwhile: look again
        }
    }

    @Override
    public void remove(final ControlBlock block) {
        Objects.requireNonNull(block, "block");
        checkOpen("remove(block)");
        checkHeldForWrite(block, "remove(block)");
        // Unmap first, then mark: the removal takes effect at the unmapping, so an insert
        // of the same key that fails (putIfAbsent) still saw the block present.
        map.remove(block.key, block);
        block.markFreed();
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
        final ConnectionKey oldKey = block.key;
        if (oldKey.equals(newKey)) {
            return true;
        }
        if (map.putIfAbsent(newKey, block) != null) {
            return false;
        }
        // Reachable under both keys until the remove below; a lookup of either blocks on the
        // write lock we hold and then revalidates against the new tuple, and a lock-free
        // read of the new key waits for the rekey (see read).
        map.remove(oldKey, block);
        block.rekey(newKey, 0);
        rehashes.increment();
        return true;
    }

    @Override
    public void forEach(final LockMode mode, final Consumer<? super ControlBlock> action) {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(action, "action");
        checkOpen("forEach(mode, action)");
        // ConcurrentHashMap's iterator is weakly consistent: every mapping present for the
        // whole traversal is returned exactly once.
        for (final ControlBlock block : map.values()) {
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
        return map.mappingCount();
    }

    @Override
    public Stats stats() {
        final long n = inserts.sum();
        return new Stats(Strategy.CONCURRENT_HASH_MAP, map.mappingCount(), -1, n, removes.sum(),
                rehashes.sum(), 0, 0, 0, 0, n, -1, -1);
    }

    @Override
    public void close() {
        synchronized (this) { // two closes do not race (close only)
            if (!markClosed()) {
                return;
            }
        }
        // As remove does, for each block: a caller holding a block makes close wait for it.
        for (final ControlBlock block : map.values()) {
            block.lock(LockMode.WRITE);
            if (!block.isFreed() && map.remove(block.key, block)) {
                block.markFreed();
                block.release();
                removes.increment();
            }
            block.unlock(LockMode.WRITE);
        }
        map.clear(); // whatever an insert racing close left (it takes its own out, see insert)
    }

    @Override
    public String toString() {
        return "ConnectionTable[" + name + ", " + strategy() + ", " + map.mappingCount() + " connections]";
    }
}
