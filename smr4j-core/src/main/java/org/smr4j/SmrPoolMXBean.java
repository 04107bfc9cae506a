package org.smr4j;

/**
 * The management interface of one {@link SmrPool}, registered with the platform MBean server
 * when the pool is built (unless disabled with {@link SmrPool.Builder#jmx(boolean)}) under
 * {@code org.smr4j:type=SmrPool,name=<quoted pool name>} (with {@code ,instance=<n>} appended
 * while another pool of the same name is registered) and unregistered when the pool is closed
 * or once it is unreachable. The attributes are those of {@link SmrPool.Stats}, the columns {@code vmstat -m}
 * shows for a zone. Each read takes a fresh snapshot; attributes read one after another are
 * not mutually consistent.
 */
public interface SmrPoolMXBean {
    /**
     * Returns the pool's name.
     *
     * @return the name
     */
    String getName();

    /**
     * Returns the number of {@code get()} and {@code tryGet()} calls.
     *
     * @return requests so far
     */
    long getRequests();

    /**
     * Returns the number of {@code put()} calls accepted.
     *
     * @return puts so far
     */
    long getPuts();

    /**
     * Returns the number of requests refused at the hard limit.
     *
     * @return failures so far
     */
    long getFailures();

    /**
     * Returns the number of objects created by the factory.
     *
     * @return objects created so far
     */
    long getCreated();

    /**
     * Returns the number of objects finalised (fini run, released to the garbage collector).
     *
     * @return objects finalised so far
     */
    long getFinalised();

    /**
     * Returns the number of objects the pool owns or has handed out: created minus finalised.
     *
     * @return live objects
     */
    long getLive();

    /**
     * Returns the number of objects cached in the pool, in every state.
     *
     * @return cached objects
     */
    long getCached();

    /**
     * Returns the number of tagged batches waiting for their goal.
     *
     * @return pending batches
     */
    int getBatchesPending();

    /**
     * Returns the number of objects in tagged batches waiting for their goal.
     *
     * @return pending objects
     */
    long getObjectsPending();

    /**
     * Returns the age of the oldest pending batch in milliseconds, 0 when none is pending.
     *
     * @return the age in milliseconds
     */
    double getOldestPendingAgeMillis();

    /**
     * Returns the number of blocking waits on a goal at the hard limit.
     *
     * @return waits so far
     */
    long getWaits();

    /**
     * Returns the hard limit in objects, or {@code unlimited}.
     *
     * @return the limit
     */
    String getHardLimit();

    /**
     * Returns the number of platform threads that have a cache of their own in this pool.
     *
     * @return owned caches now
     */
    int getOwnedCaches();

    /**
     * Returns the name of the {@link Smr} domain whose readers the pool's objects are
     * protected from.
     *
     * @return the domain's name
     */
    String getDomain();

    /**
     * Returns whether the pool is closed.
     *
     * @return true once closed
     */
    boolean getClosed();
}
