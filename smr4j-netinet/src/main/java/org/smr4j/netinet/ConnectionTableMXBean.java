package org.smr4j.netinet;

/**
 * The management interface of one {@link ConnectionTable}, registered as
 * {@code org.smr4j:type=ConnectionTable,name=<name>} (with {@code ,instance=<n>}
 * appended while another table of the same name is registered) when the table is built, and
 * unregistered by its {@link ConnectionTable#close() close()} or once it is unreachable. The
 * pooled strategies' pool and domain have MBeans of their own under the same name
 * ({@code type=SmrPool} and {@code type=Smr}, or {@code type=PserializePool} and
 * {@code type=Pserialize}). The attributes are those of {@link ConnectionTable.Stats},
 * plus the limits; each read takes a fresh snapshot, so attributes read one after another
 * are not mutually consistent.
 */
public interface ConnectionTableMXBean {
    /**
     * Returns the table's name.
     *
     * @return the name
     */
    String getName();

    /**
     * Returns the table's strategy.
     *
     * @return the strategy's name
     */
    String getStrategy();

    /**
     * Returns whether the table is closed.
     *
     * @return true once closed
     */
    boolean getClosed();

    /**
     * Returns the number of connections and listeners present.
     *
     * @return the size
     */
    long getSize();

    /**
     * Returns the number of hash buckets of the connection hash, -1 where the strategy hides them.
     *
     * @return the buckets
     */
    long getBuckets();

    /**
     * Returns the number of successful inserts.
     *
     * @return inserts so far
     */
    long getInserts();

    /**
     * Returns the number of successful removes.
     *
     * @return removes so far
     */
    long getRemoves();

    /**
     * Returns the number of successful rehashes.
     *
     * @return rehashes so far
     */
    long getRehashes();

    /**
     * Returns the number of times the table grew.
     *
     * @return resizes so far
     */
    long getResizes();

    /**
     * Returns the number of lookups that fell back to the locked lookup.
     *
     * @return fallbacks so far
     */
    long getLockedFallbacks();

    /**
     * Returns the number of lookups that found the block's lock busy and took a reference.
     *
     * @return reference paths so far
     */
    long getReferencePaths();

    /**
     * Returns the number of lockless misses confirmed again under the lock (pserialize).
     *
     * @return miss retries so far
     */
    long getMissRetries();

    /**
     * Returns the number of blocks ever created.
     *
     * @return blocks created so far
     */
    long getBlocksCreated();

    /**
     * Returns the number of blocks that exist now (present, pending or cached for reuse), never
     * above {@code maxConnections + pendingLimit}; -1 where the garbage collector owns them.
     *
     * @return blocks live now
     */
    long getBlocksLive();

    /**
     * Returns the number of removed blocks not yet reusable, -1 where the garbage collector
     * owns them and the count is unknown.
     *
     * @return blocks pending now
     */
    long getBlocksPending();

    /**
     * Returns the connections the table is sized for ({@code limits(maxConnections, ...)}), or
     * {@code unlimited}.
     *
     * @return the limit
     */
    String getMaxConnections();

    /**
     * Returns the blocks the pool may hold beyond {@code maxConnections}, or {@code unlimited}.
     *
     * @return the limit
     */
    String getPendingLimit();
}
