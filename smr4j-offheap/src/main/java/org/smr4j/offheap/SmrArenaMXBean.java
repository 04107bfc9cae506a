package org.smr4j.offheap;

/**
 * The management interface of one {@link SmrArena}, registered when the arena is built (unless
 * disabled with {@link SmrArena.Builder#jmx(boolean)}) under
 * {@code org.smr4j:type=SmrArena,name=<name>} and unregistered when it is closed. The
 * attributes are those of {@link SmrArena.Stats}; each read takes a fresh snapshot, so
 * attributes read one after another are not mutually consistent.
 */
public interface SmrArenaMXBean {
    /**
     * Returns the arena's name.
     *
     * @return the name
     */
    String getName();

    /**
     * Returns the bytes reserved from the system: slabs plus large allocations.
     *
     * @return reserved bytes
     */
    long getReservedBytes();

    /**
     * Returns the bytes of blocks handed out and not freed.
     *
     * @return bytes in use
     */
    long getInUseBytes();

    /**
     * Returns the bytes freed and waiting for readers to leave their sections.
     *
     * @return bytes pending reclamation
     */
    long getPendingBytes();

    /**
     * Returns the bytes reserved that are neither in use nor pending: reusable without the system.
     *
     * @return cached bytes
     */
    long getCachedBytes();

    /**
     * Returns the number of slabs and large allocations held.
     *
     * @return slabs now
     */
    int getSlabs();

    /**
     * Returns the number of slabs and large allocations returned to the system so far.
     *
     * @return slabs released
     */
    long getSlabsReleased();

    /**
     * Returns the number of tagged batches waiting for their goal.
     *
     * @return batches pending
     */
    int getBatchesPending();

    /**
     * Returns how long the oldest pending batch has waited, in milliseconds.
     *
     * @return age of the oldest batch, 0 when none
     */
    double getOldestPendingAgeMillis();

    /**
     * Returns the number of allocations so far.
     *
     * @return allocations
     */
    long getAllocations();

    /**
     * Returns the number of frees accepted so far.
     *
     * @return frees
     */
    long getFrees();

    /**
     * Returns the number of allocations that waited at the hard limit.
     *
     * @return waits
     */
    long getWaits();

    /**
     * Returns the number of allocations refused at the hard limit.
     *
     * @return failures
     */
    long getFailures();

    /**
     * Returns the number of frees refused: double frees and segments this arena did not allocate.
     *
     * @return refused frees
     */
    long getRefusedFrees();

    /**
     * Returns the number of late writes to freed blocks caught by a checked arena.
     *
     * @return poison violations
     */
    long getPoisonViolations();

    /**
     * Returns the hard limit in bytes, or "unlimited".
     *
     * @return the limit
     */
    String getHardLimit();
}
