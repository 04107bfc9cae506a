package org.smr4j.netinet;

import java.util.Objects;

/**
 * What every strategy of {@link ConnectionTable} shares: its name and strategy, the closed
 * state, and the checks of the bad-input contract (see "Misuse" in {@link ConnectionTable}),
 * so that every strategy refuses the same calls with the same messages.
 *
 * <p>Order of checks, in every public method: null arguments first (in parameter order), then
 * the closed state, then the state of a block argument. Nothing is read or changed before the
 * checks pass, so a refused call leaves the table as it was.
 *
 * <p>The closed flag is volatile: set once by {@link #close()}, read by every operation; on
 * x86 its load is a plain load, and it shares the table object's line with the fields the
 * operation reads next.
 */
abstract sealed class AbstractConnectionTable implements ConnectionTable
        permits LocklessConnectionTable, LockedConnectionTable, ConcurrentMapConnectionTable {

    final String name;
    final Strategy strategy;
    /** Set once by close(); volatile so that an operation on any thread after it sees it. */
    private volatile boolean closed;

    AbstractConnectionTable(final ConnectionTable.Builder b) {
        this.name = b.name;
        this.strategy = b.strategy;
    }

    @Override
    public final Strategy strategy() {
        return strategy;
    }

    @Override
    public final String name() {
        return name;
    }

    /** Whether close() has begun. */
    final boolean isClosed() {
        return closed;
    }

    /**
     * Marks the table closed; returns false if it already was (close() is then a no-op).
     * Called by close() under the strategy's own writer lock, so two closes do not race.
     */
    final boolean markClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    // ------------------------------------------------------------------ checks

    /** Refuses {@code op} on a closed table. */
    final void checkOpen(final String op) {
        if (closed) {
            throw closedException(op);
        }
    }

    /** The refusal of {@code op} after close (out of line: the hot paths only test the flag). */
    final IllegalStateException closedException(final String op) {
        return refuse("is closed: " + op + " refused");
    }

    /**
     * An {@link IllegalStateException} naming this table, its strategy, {@code what} and the
     * calling thread: {@code connection table 'name' (STRATEGY) what (thread ...)}.
     */
    final IllegalStateException refuse(final String what) {
        return new IllegalStateException(describe(what));
    }

    /** The message of {@link #refuse}. */
    final String describe(final String what) {
        return "connection table '" + name + "' (" + strategy + ") " + what + " (thread " + Thread.currentThread()
                + ")";
    }

    /** The null checks of a key and a mode. */
    static void checkKeyAndMode(final ConnectionKey key, final LockMode mode) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(mode, "mode");
    }

    /**
     * Refuses {@code block} for {@code op} unless it is a live block of this table held
     * write-locked: each cause has its own message. The lock is not owner-aware
     * ({@link java.util.concurrent.locks.StampedLock}), so a block write-locked by another
     * thread passes; the caller's own write lock is what keeps the block's state stable
     * between this check and the operation.
     */
    final void checkHeldForWrite(final ControlBlock block, final String op) {
        if (block.isFreed()) {
            throw refuse(op + ": the block is freed (its connection was removed): " + block);
        }
        final AbstractConnectionTable owner = block.owner;
        if (owner != this) {
            throw refuse(op + ": the block belongs to " + (owner == null ? "no table" : "table '" + owner.name + "'")
                    + ": " + block);
        }
        if (!block.isWriteLocked()) {
            throw refuse(op + ": the block is " + (block.isReadLocked() ? "read-locked" : "not locked")
                    + "; it must be write-locked by the caller: " + block);
        }
    }

    // ------------------------------------------------------------------ shared entry points

    @Override
    public final ControlBlock lookupWildcard(final ConnectionKey key, final LockMode mode) {
        checkKeyAndMode(key, mode);
        checkOpen("lookupWildcard(key, mode)");
        ControlBlock block;
        if (!key.isListener() && (block = lookup(key, mode)) != null) {
            return block;
        }
        final ConnectionKey listener = key.toListener();
        if ((block = lookup(listener, mode)) != null || listener.isLocalWildcard()) {
            return block;
        }
        return lookup(ConnectionKey.listener(key.protocol(), key.localPort()), mode);
    }

    @Override
    public final boolean remove(final ConnectionKey key) {
        Objects.requireNonNull(key, "key");
        checkOpen("remove(key)");
        final ControlBlock block = lookup(key, LockMode.WRITE);
        if (block == null) {
            return false;
        }
        remove(block);
        return true;
    }
}
