package org.smr4j.netinet;

import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What the two strategies that keep their blocks in a map keyed by {@link ConnectionKey}
 * share ({@link Strategy#RW_LOCK} and {@link Strategy#CONCURRENT_HASH_MAP}): the public
 * {@code lookup} and {@code read} are the contract's checks in front of the strategy's
 * {@link #lookupKey} and {@link #readKey}, and a {@link ConnectionTable.Reader} has no section
 * record to hold (its handle is null): the handle's owner and closed checks stand in front of
 * the same code, and a lookup by fields builds the key the map needs.
 */
abstract sealed class KeyedConnectionTable extends AbstractConnectionTable
        permits LockedConnectionTable, ConcurrentMapConnectionTable {

    KeyedConnectionTable(final ConnectionTable.Builder b) {
        super(b);
    }

    /** Looks {@code key} up and locks its block in {@code mode}; the checks have passed. */
    abstract @Nullable ControlBlock lookupKey(ConnectionKey key, LockMode mode);

    /** Applies {@code function} to {@code key}'s block while it is present; the checks have passed. */
    abstract <V> @Nullable V readKey(ConnectionKey key, Function<? super ControlBlock, ? extends V> function);

    @Override
    public final @Nullable ControlBlock lookup(final ConnectionKey key, final LockMode mode) {
        checkKeyAndMode(key, mode);
        checkOpen("lookup(key, mode)");
        return lookupKey(key, mode);
    }

    @Override
    public final <V> @Nullable V read(final ConnectionKey key, final Function<? super ControlBlock, ? extends V> function) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(function, "function");
        checkOpen("read(key, function)");
        return readKey(key, function);
    }

    // ------------------------------------------------------------------ reader handles

    @Override
    final @Nullable Object readerHandle() {
        return null;
    }

    @Override
    final @Nullable ControlBlock lookupVia(final @Nullable Object handle, final ConnectionKey key, final LockMode mode) {
        return lookupKey(key, mode);
    }

    @Override
    final <V> @Nullable V readVia(final @Nullable Object handle, final ConnectionKey key,
            final Function<? super ControlBlock, ? extends V> function) {
        return readKey(key, function);
    }

    @Override
    final @Nullable ControlBlock lookupFieldsVia(final @Nullable Object handle, final long p, final long lHi, final long lLo,
            final long fHi, final long fLo, final LockMode mode) {
        return lookupKey(ConnectionKey.ofFields(p, lHi, lLo, fHi, fLo), mode);
    }

    @Override
    final <V> @Nullable V readFieldsVia(final @Nullable Object handle, final long p, final long lHi, final long lLo, final long fHi,
            final long fLo, final Function<? super ControlBlock, ? extends V> function) {
        return readKey(ConnectionKey.ofFields(p, lHi, lLo, fHi, fLo), function);
    }
}
