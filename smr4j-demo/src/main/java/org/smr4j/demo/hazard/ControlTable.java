package org.smr4j.demo.hazard;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.smr4j.Smr;
import org.smr4j.SmrPointer;
import org.smr4j.netinet.ConnectionKey;

/*
 * Overview
 * --------
 * The hazard scenario's control: a connection table with the shape of the SMR tables of
 * smr4j-netinet (chained hash, readers walk the chains inside an smr read section without a
 * lock, writers serialise on one lock and recycle removed blocks), reduced to what the
 * scenario needs, with one switch: whether reuse of a removed block is deferred until the
 * domain says no reader can still hold it.
 *
 *   deferred = true:  remove() tags the block with smr.advance(); an insert reuses the oldest
 *                     tagged block only once smr.poll(tag) is true, and creates a new block
 *                     otherwise. This is the SMR discipline, the same as SmrPool's.
 *   deferred = false: remove() pushes the block on a free stack and the next insert takes it
 *                     at once, read section or not. This is the bug SMR exists to prevent, the
 *                     system property smr4j.demo.unsafe of smr4j-examples' LockFreeLookupDemo.
 *
 * The table is not smr4j-netinet's: that module has no switch to turn deferral off (rightly),
 * and the demo uses only its public API. The readers of both are checked the same way (see
 * HazardRun.Probe): did the block they matched keep its key and generation while they used it?
 *
 * Invariants (deferred = true): a block is reused only after every read section that began
 * before its remove has ended, so a reader never sees its block's generation change.
 * Non-invariants (deferred = false): a reader may see the key and generation of the block it
 * matched change under it: that is the point of the control.
 *
 * Memory ordering: chain links are SmrPointers (ORDER: serializedStore is a release store,
 * enteredLoad an acquire load: a reader that reaches a block sees its initialised key and
 * generation). Block fields are written by the writer under the lock with plain stores and
 * read by readers with opaque loads (GENERATION, KEY below): racy on purpose, since what the
 * control must show is what a reader sees when a block is rewritten under it; opaque keeps
 * the compiler from merging the reader's two reads of the same field.
 */

/**
 * The negative control of the {@code hazard} scenario: an SMR-protected lockless table whose
 * block reuse can be deferred (as it must be) or not (the bug). See the overview in the source.
 *
 * <p>Threads: {@link #read} from any thread; {@link #insert} and {@link #remove} serialise on
 * the table's lock. Memory consistency effects: an insert happens-before a read that finds
 * the inserted key's block (the chain link's release and acquire); nothing orders a read with
 * a later reuse when reuse is not deferred.
 */
final class ControlTable implements AutoCloseable {

    /** A control block: key and generation, rewritten on reuse. */
    static final class Block {
        ConnectionKey key;
        long generation;
        final SmrPointer<Block> next;

        Block(final Smr smr, final ReentrantLock lock) {
            this.next = new SmrPointer<>(smr, lock::isHeldByCurrentThread, null);
        }

        /** @return the key, opaque (a fresh read each call) */
        ConnectionKey keyOpaque() {
            return (ConnectionKey) KEY.getOpaque(this);
        }

        /** @return the generation, opaque */
        long generationOpaque() {
            return (long) GENERATION.getOpaque(this);
        }

        // VarHandle mechanics
        private static final VarHandle KEY;
        private static final VarHandle GENERATION;

        static {
            try {
                final MethodHandles.Lookup l = MethodHandles.lookup();
                KEY = l.findVarHandle(Block.class, "key", ConnectionKey.class);
                GENERATION = l.findVarHandle(Block.class, "generation", long.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    private final Smr smr;
    private final boolean deferred;
    private final ReentrantLock lock = new ReentrantLock();
    private final SmrPointer<Block>[] buckets;
    private final int mask;
    /** Removed blocks: a stack (not deferred) or a FIFO with {@link #goals} (deferred). Guarded by lock. */
    private final ArrayDeque<Block> free = new ArrayDeque<>();
    private final ArrayDeque<Long> goals = new ArrayDeque<>();
    private long created;
    private long size;

    /**
     * @param name the domain's name
     * @param buckets hash buckets, rounded up to a power of two (1 to 2^26)
     * @param deferred whether reuse waits for the grace period
     * @throws IllegalArgumentException if {@code buckets} is out of range
     */
    @SuppressWarnings("unchecked")
    ControlTable(final String name, final int buckets, final boolean deferred) {
        if (buckets < 1 || buckets > 1 << 26) {
            throw new IllegalArgumentException("buckets must be 1..2^26: " + buckets);
        }
        this.smr = Smr.create(name);
        this.deferred = deferred;
        int n = 1;
        while (n < buckets) {
            n <<= 1;
        }
        this.mask = n - 1;
        this.buckets = (SmrPointer<Block>[]) new SmrPointer<?>[n];
        for (int i = 0; i < n; i++) {
            this.buckets[i] = new SmrPointer<>(smr, lock::isHeldByCurrentThread, null);
        }
    }

    /** @return whether removed blocks wait for their grace period */
    boolean deferred() {
        return deferred;
    }

    private SmrPointer<Block> bucket(final ConnectionKey k) {
        final int h = k.hashCode();
        return buckets[(h ^ h >>> 16) & mask];
    }

    /**
     * A reader's lookup: inside a read section, finds {@code k}'s block and applies {@code fn}
     * to it.
     *
     * @param <V> the result type
     * @param reader this thread's reader handle of {@link #smr()}
     * @param k the key
     * @param fn what to read from the block
     * @return {@code fn}'s result, or null if not found
     */
    <V> V read(final Smr.Reader reader, final ConnectionKey k, final Function<Block, V> fn) {
        reader.enter();
        try {
            for (Block b = bucket(k).enteredLoad(); b != null; b = b.next.enteredLoad()) {
                if (k.equals(b.keyOpaque())) {
                    return fn.apply(b);
                }
            }
            return null;
        } finally {
            reader.exit();
        }
    }

    /**
     * @param k a key not present
     * @return true if inserted, false if present
     */
    boolean insert(final ConnectionKey k) {
        lock.lock();
        try {
            final SmrPointer<Block> head = bucket(k);
            for (Block b = head.serializedLoad(); b != null; b = b.next.serializedLoad()) {
                if (k.equals(b.key)) {
                    return false;
                }
            }
            final Block b = allocate();
            b.key = k;
            b.next.serializedStore(head.serializedLoad());
            head.serializedStore(b); // ORDER: release; pairs with the readers' enteredLoad
            size++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * @param k a key
     * @return true if it was present and is now removed
     */
    boolean remove(final ConnectionKey k) {
        lock.lock();
        try {
            SmrPointer<Block> link = bucket(k);
            for (Block b = link.serializedLoad(); b != null; b = link.serializedLoad()) {
                if (k.equals(b.key)) {
                    link.serializedStore(b.next.serializedLoad());
                    if (deferred) {
                        free.addLast(b);
                        goals.addLast(smr.advance());
                    } else {
                        free.push(b);
                    }
                    size--;
                    return true;
                }
                link = b.next;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    private Block allocate() {
        final boolean ready = deferred ? !goals.isEmpty() && smr.poll(goals.peekFirst()) : !free.isEmpty();
        if (ready) {
            final Block b = deferred ? free.pollFirst() : free.pop();
            if (deferred) {
                goals.pollFirst();
            }
            // A new incarnation: the generation moves before the block is linked again.
            b.generation++;
            b.next.unserializedStore(null);
            return b;
        }
        created++;
        return new Block(smr, lock);
    }

    /** @return the domain readers enter */
    Smr smr() {
        return smr;
    }

    /** @return blocks ever created */
    long blocksCreated() {
        lock.lock();
        try {
            return created;
        } finally {
            lock.unlock();
        }
    }

    /** @return keys present */
    long size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            free.clear();
            goals.clear();
        } finally {
            lock.unlock();
        }
    }
}
