package org.smr4j.offheap;

/**
 * Thrown by the allocation methods of an {@link SmrArena} built with
 * {@link SmrArena.LimitPolicy#FAIL} when the bytes it reserved from the system have reached its
 * hard limit and nothing it caches can serve the request, even after every block that no reader
 * can hold was reclaimed. The message names the arena, the request and the limit.
 */
public final class SmrArenaLimitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The name of the arena that refused. */
    private final String arena;
    /** The hard limit, in bytes. */
    private final long limit;

    SmrArenaLimitException(final String arena, final long limit, final String message) {
        super(message);
        this.arena = arena;
        this.limit = limit;
    }

    /**
     * Returns the name of the arena that refused.
     *
     * @return the arena's name
     */
    public String arena() {
        return arena;
    }

    /**
     * Returns the hard limit that was reached.
     *
     * @return the limit, in bytes
     */
    public long limit() {
        return limit;
    }
}
