package org.smr4j;

/**
 * Thrown by {@link SmrPool#get()} of a pool built with {@link SmrPool.LimitPolicy#FAIL} when
 * the pool has reached its hard limit and no cached object has expired yet. The message names
 * the pool and the limit.
 */
public final class SmrPoolLimitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The name of the pool that refused. */
    private final String pool;
    /** The hard limit that was reached. */
    private final long limit;

    SmrPoolLimitException(final String pool, final long limit, final String message) {
        super(message);
        this.pool = pool;
        this.limit = limit;
    }

    /**
     * Returns the name of the pool that refused.
     *
     * @return the pool's name
     */
    public String pool() {
        return pool;
    }

    /**
     * Returns the hard limit that was reached.
     *
     * @return the limit, in objects
     */
    public long limit() {
        return limit;
    }
}
