package org.smr4j;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The record of the objects an unchecked pool without a state word holds ({@link SmrPool},
 * {@link PserializePool}; "Double puts" in their overviews): an identity set that a put adds
 * to and a hand-out or a finalisation removes from, so that a put of an object the pool
 * already holds is refused before anything changes and no object is ever handed out twice.
 *
 * <p>It holds only objects the pool holds anyway (cached, pending, ready, in transit inside a
 * call), so it keeps nothing strongly reachable longer than the pool would; an object handed
 * out is not in it. Segments chosen by a hash of {@link System#identityHashCode}, each an
 * {@link IdentityHashMap} (no allocation per entry) under its own monitor, so threads that
 * put and get different objects rarely meet; a segment whose map grew for a burst is rebuilt
 * smaller once it holds less than an eighth of its peak, so that its table gives memory back.
 *
 * <p>Cost: one uncontended monitor and one identity-hash probe per put and per hand-out (the
 * first identity hash of an object also installs it in the object's header). Types that can
 * spare an {@code int} use the O(1) state word instead ({@code Builder.stateWord}).
 *
 * <p>Memory consistency: the monitors order nothing the pools rely on; their own locks and
 * hand-offs do that.
 */
final class PoolHeldSet {
    /** A segment rebuilds its map when its size falls below peak / SHRINK_RATIO, peak at least SHRINK_MIN. */
    private static final int SHRINK_RATIO = 8;
    private static final int SHRINK_MIN = 1024;

    private final Segment[] segments;
    private final int shift;

    /** One segment: a map under the segment's monitor. */
    private static final class Segment {
        IdentityHashMap<Object, Boolean> map = new IdentityHashMap<>();
        /** The most entries the map held since it was built. */
        int peak;
    }

    /**
     * A set of {@code segments} segments (rounded up to a power of two, at least 1).
     *
     * @param segments how many independent monitors
     */
    PoolHeldSet(final int segments) {
        final int n = segments <= 1 ? 1 : Integer.highestOneBit(segments - 1) << 1;
        this.segments = new Segment[n];
        for (int i = 0; i < n; i++) {
            this.segments[i] = new Segment();
        }
        this.shift = 32 - Integer.numberOfTrailingZeros(n);
    }

    /** The default segment count: four per processor, a power of two from 8 to 256. */
    static int defaultSegments() {
        return Math.min(256, Math.max(8, 4 * Runtime.getRuntime().availableProcessors()));
    }

    private Segment segmentOf(final Object o) {
        // Fibonacci hash of the identity hash, high bits: spreads the JVM's hash codes evenly.
        return shift == 32 ? segments[0] : segments[(System.identityHashCode(o) * 0x9E3779B9) >>> shift];
    }

    /**
     * Adds {@code o}.
     *
     * @return false, changing nothing, if {@code o} is already held
     */
    boolean add(final Object o) {
        final Segment s = segmentOf(o);
        synchronized (s) {
            if (s.map.putIfAbsent(o, Boolean.TRUE) != null) {
                return false;
            }
            final int size = s.map.size();
            if (size > s.peak) {
                s.peak = size;
            }
            return true;
        }
    }

    /**
     * Removes {@code o} if held.
     *
     * @return whether it was held
     */
    boolean remove(final Object o) {
        final Segment s = segmentOf(o);
        synchronized (s) {
            if (s.map.remove(o) == null) {
                return false;
            }
            final int size = s.map.size();
            if (s.peak >= SHRINK_MIN && size < s.peak / SHRINK_RATIO) {
                s.map = new IdentityHashMap<>(s.map); // sized for what is left: the old table goes
                s.peak = size;
            }
            return true;
        }
    }

    /** Whether {@code o} is held. */
    boolean contains(final Object o) {
        final Segment s = segmentOf(o);
        synchronized (s) {
            return s.map.containsKey(o);
        }
    }

    /** How many objects are held (a sum over the segments, not a consistent cut under concurrency). */
    long size() {
        long n = 0;
        for (final Segment s : segments) {
            synchronized (s) {
                n += s.map.size();
            }
        }
        return n;
    }

    /** For tests: the largest table capacity bound kept by a segment (its peak since the last rebuild). */
    int maxPeak() {
        int p = 0;
        for (final Segment s : segments) {
            synchronized (s) {
                p = Math.max(p, s.peak);
            }
        }
        return p;
    }

    /**
     * For the pools' checkInvariants (quiescent): the objects the pool found in its places,
     * {@code where}'s keys, are exactly the ones held.
     *
     * @param pool the pool's name, for the message
     * @param where the objects found, by identity
     * @throws AssertionError naming the first difference
     */
    void check(final String pool, final Map<Object, String> where) {
        for (final Map.Entry<Object, String> e : where.entrySet()) {
            if (!contains(e.getKey())) {
                throw new AssertionError("pool '" + pool + "': object at " + e.getValue() + " is not in the held set");
            }
        }
        final long n = size();
        if (n != where.size()) {
            throw new AssertionError("pool '" + pool + "': held set has " + n + " objects, the pool holds "
                    + where.size());
        }
    }
}
