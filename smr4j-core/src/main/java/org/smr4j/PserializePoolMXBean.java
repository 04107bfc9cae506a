package org.smr4j;

/**
 * The management interface of one {@link PserializePool}, registered as
 * {@code org.smr4j:type=PserializePool,name=<name>} (with {@code ,instance=<n>}
 * appended while another of the same name is registered) when it is created, and
 * unregistered by its {@code close()} or once it is unreachable. Each attribute reads the
 * counters afresh; attributes read one after another are not mutually consistent. The
 * attribute descriptions (tool tips in jconsole and VisualVM) repeat what is written here.
 *
 * <p>The attributes are those of {@link PserializePool.Stats}, plus the limits.
 */
public interface PserializePoolMXBean {
    /**
     * Returns the pool's name.
     *
     * @return the name
     */
    String getName();

    /**
     * Returns the name of the {@link Pserialize} instance whose readers the pool protects.
     *
     * @return the instance's name
     */
    String getPserialize();

    /**
     * Returns whether the pool is closed.
     *
     * @return true once closed
     */
    boolean getClosed();

    /**
     * Returns the number of {@code get()} and {@code tryGet()} calls.
     *
     * @return gets so far
     */
    long getGets();

    /**
     * Returns the number of gets served from the cache.
     *
     * @return hits so far
     */
    long getHits();

    /**
     * Returns the number of objects put back.
     *
     * @return puts so far
     */
    long getPuts();

    /**
     * Returns the number of objects created by the factory.
     *
     * @return objects created so far
     */
    long getCreated();

    /**
     * Returns the number of objects finalised (fini run) and let go.
     *
     * @return objects finalised so far
     */
    long getFinalised();

    /**
     * Returns the number of finalisation batches, each behind one {@code perform()}.
     *
     * @return batches so far
     */
    long getBatches();

    /**
     * Returns the number of gets that met the hard limit.
     *
     * @return such gets so far
     */
    long getLimitWaits();

    /**
     * Returns the number of shrinks deferred because the caller was inside a section.
     *
     * @return deferred shrinks so far
     */
    long getDeferredShrinks();

    /**
     * Returns the number of objects alive: handed out or cached.
     *
     * @return objects alive now
     */
    long getAllocated();

    /**
     * Returns the number of objects cached.
     *
     * @return objects cached now
     */
    long getCached();

    /**
     * Returns the number of fini hooks that threw.
     *
     * @return failures so far
     */
    long getHookFailures();

    /**
     * Returns the hard limit in objects, or {@code unlimited}.
     *
     * @return the limit
     */
    String getHardLimit();

    /**
     * Returns the high-water mark in objects (the depot shrinks beyond it), or {@code unlimited}.
     *
     * @return the mark
     */
    String getHiwat();
}
