package org.smr4j.netinet;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

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
        permits LocklessConnectionTable, KeyedConnectionTable {

    final String name;
    final Strategy strategy;
    /** Set once by close(); volatile so that an operation on any thread after it sees it. */
    private volatile boolean closed;
    /** The limits from the builder, 0 when none were set (for the MBean). */
    final long maxConnections;
    final long pendingLimit;
    /**
     * The MBean and the JFR statistics (TableObservability); set by {@link #observe()} once the
     * table is built, before the builder returns it; null until then.
     */
    private TableObservability.@Nullable Registration observed;

    AbstractConnectionTable(final ConnectionTable.Builder b) {
        this.name = b.name;
        this.strategy = b.strategy;
        this.maxConnections = b.limited ? b.maxConnections : 0;
        this.pendingLimit = b.limited ? b.pendingLimit : 0;
    }

    /**
     * The last step of a build: registers the MBean and joins the JFR statistics. After the
     * constructor, so that a build that fails registers nothing and the MBean never sees a
     * table under construction.
     */
    final AbstractConnectionTable observe() {
        this.observed = TableObservability.register(this);
        return this;
    }

    @Override
    public final @Nullable String mbeanName() {
        final TableObservability.Registration o = observed;
        return o == null ? null : o.mbeanName();
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
        final TableObservability.Registration o = observed;
        if (o != null) {
            o.close(); // the MBean and the statistics go with the close, not with the collector
        }
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

    // ------------------------------------------------------------------ readers

    @Override
    public final Reader reader() {
        checkOpen("reader()");
        return new TableReader(this, readerHandle(), Thread.currentThread());
    }

    /**
     * The calling thread's section record of the table's domain, for a new {@link Reader}
     * (a thread-local lookup, once per handle); null where the strategy has none.
     */
    abstract @Nullable Object readerHandle();

    /** {@code lookup(key, mode)} after the reader's checks, with its section record. */
    abstract @Nullable ControlBlock lookupVia(@Nullable Object handle, ConnectionKey key, LockMode mode);

    /** {@code read(key, function)} after the reader's checks, with its section record. */
    abstract <V> @Nullable V readVia(@Nullable Object handle, ConnectionKey key,
            java.util.function.Function<? super ControlBlock, ? extends V> function);

    /** The lookup of the key with these fields (ports packed, ranges checked), after the reader's checks. */
    abstract @Nullable ControlBlock lookupFieldsVia(@Nullable Object handle, long ports, long localHi, long localLo, long foreignHi,
            long foreignLo, LockMode mode);

    /** The read of the key with these fields (ports packed, ranges checked), after the reader's checks. */
    abstract <V> @Nullable V readFieldsVia(@Nullable Object handle, long ports, long localHi, long localLo, long foreignHi, long foreignLo,
            java.util.function.Function<? super ControlBlock, ? extends V> function);

    /**
     * The one implementation of {@link ConnectionTable.Reader}: the owner and closed checks,
     * then the table's {@code ...Via} methods with the section record it holds. One class for
     * every strategy, so that a call site of {@code Reader} sees one receiver type; the
     * table's method it calls is the strategy's (one per table in practice).
     *
     * <p>The owner is compared with {@link Thread#currentThread()} (an intrinsic: a register or
     * one load, platform and virtual threads alike) on every call; the section record's own
     * owner check (in {@code Smr.Reader}, {@code Pserialize.Reader}) then compares the same
     * values once more.
     */
    static final class TableReader implements ConnectionTable.Reader {
        private final AbstractConnectionTable table;
        private final @Nullable Object handle;
        private final Thread owner;

        TableReader(final AbstractConnectionTable table, final @Nullable Object handle, final Thread owner) {
            this.table = table;
            this.handle = handle;
            this.owner = owner;
        }

        @Override
        public ConnectionTable table() {
            return table;
        }

        @Override
        public @Nullable ControlBlock lookup(final ConnectionKey key, final LockMode mode) {
            checkKeyAndMode(key, mode);
            check("lookup(key, mode)");
            return table.lookupVia(handle, key, mode);
        }

        @Override
        public <V> @Nullable V read(final ConnectionKey key,
                final java.util.function.Function<? super ControlBlock, ? extends V> function) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(function, "function");
            check("read(key, function)");
            return table.readVia(handle, key, function);
        }

        @Override
        public @Nullable ControlBlock lookupIpv4(final int protocol, final int localAddress, final int localPort,
                final int foreignAddress, final int foreignPort, final LockMode mode) {
            Objects.requireNonNull(mode, "mode");
            check("lookupIpv4(...)");
            return table.lookupFieldsVia(handle, ConnectionKey.checkedPorts(protocol, localPort, foreignPort), 0L,
                    ConnectionKey.mapped(localAddress), 0L, ConnectionKey.mapped(foreignAddress), mode);
        }

        @Override
        public @Nullable ControlBlock lookupIpv6(final int protocol, final long localHi, final long localLo, final int localPort,
                final long foreignHi, final long foreignLo, final int foreignPort, final LockMode mode) {
            Objects.requireNonNull(mode, "mode");
            check("lookupIpv6(...)");
            return table.lookupFieldsVia(handle, ConnectionKey.checkedPorts(protocol, localPort, foreignPort), localHi,
                    localLo, foreignHi, foreignLo, mode);
        }

        @Override
        public <V> @Nullable V readIpv4(final int protocol, final int localAddress, final int localPort,
                final int foreignAddress, final int foreignPort,
                final java.util.function.Function<? super ControlBlock, ? extends V> function) {
            Objects.requireNonNull(function, "function");
            check("readIpv4(...)");
            return table.readFieldsVia(handle, ConnectionKey.checkedPorts(protocol, localPort, foreignPort), 0L,
                    ConnectionKey.mapped(localAddress), 0L, ConnectionKey.mapped(foreignAddress), function);
        }

        @Override
        public <V> @Nullable V readIpv6(final int protocol, final long localHi, final long localLo, final int localPort,
                final long foreignHi, final long foreignLo, final int foreignPort,
                final java.util.function.Function<? super ControlBlock, ? extends V> function) {
            Objects.requireNonNull(function, "function");
            check("readIpv6(...)");
            return table.readFieldsVia(handle, ConnectionKey.checkedPorts(protocol, localPort, foreignPort), localHi,
                    localLo, foreignHi, foreignLo, function);
        }

        /** The thread, then the closed state; out of line when they fail. */
        private void check(final String op) {
            if (owner != Thread.currentThread()) {
                throw wrongThread(op);
            }
            if (table.isClosed()) {
                throw table.closedException("Reader." + op);
            }
        }

        private IllegalStateException wrongThread(final String op) {
            return table.refuse("Reader." + op + " refused: the handle belongs to thread " + owner
                    + ", not to the calling thread");
        }

        @Override
        public String toString() {
            return "ConnectionTable.Reader[" + table.name + ", " + table.strategy + ", owner " + owner + "]";
        }
    }

    // ------------------------------------------------------------------ shared entry points

    @Override
    public final @Nullable ControlBlock lookupWildcard(final ConnectionKey key, final LockMode mode) {
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
