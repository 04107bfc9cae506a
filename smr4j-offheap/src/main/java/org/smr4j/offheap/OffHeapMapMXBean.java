package org.smr4j.offheap;

/**
 * The management interface of one {@link OffHeapMap}, registered when the map is built (unless
 * disabled with {@link OffHeapMap.Builder#jmx(boolean)}) under
 * {@code org.smr4j:type=OffHeapMap,name=<name>} and unregistered when it is closed. Each
 * read takes a fresh snapshot.
 */
public interface OffHeapMapMXBean {
    /**
     * Returns the map's name.
     *
     * @return the name
     */
    String getName();

    /**
     * Returns the number of mappings.
     *
     * @return the size
     */
    long getSize();

    /**
     * Returns the buckets of all segments' current tables.
     *
     * @return buckets
     */
    long getBuckets();

    /**
     * Returns the entries stored so far (inserts and replacements).
     *
     * @return puts
     */
    long getPuts();

    /**
     * Returns the entries removed so far.
     *
     * @return removes
     */
    long getRemoves();

    /**
     * Returns the number of segment tables doubled so far.
     *
     * @return resizes
     */
    long getResizes();

    /**
     * Returns the name of the arena that holds the entries.
     *
     * @return the arena's name
     */
    String getArena();

    /**
     * Returns the bytes the arena has in use (all its users).
     *
     * @return bytes in use
     */
    long getArenaInUseBytes();

    /**
     * Returns the arena's hard limit in bytes, or "unlimited".
     *
     * @return the limit
     */
    String getArenaHardLimit();
}
