package org.smr4j;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Checked mode of {@link SmrPool}: where each object the pool owns is, by identity (invariant
 * 5 of the SmrPool overview). It detects a double put, a put of an object the pool did not
 * hand out (another pool's, or one already finalised), a hand-out of an object twice, and a
 * factory that returns an object twice. One lock for the whole table: checked pools are for
 * tests and debugging, and the table keeps every object it knows strongly reachable.
 *
 * <p>States: OUT (handed out), CACHED (in a FREE magazine or a PENDING batch: its destruct has
 * not run), READY (in an ALLOC or READY magazine: no reader can hold it). An object leaves the
 * table when it is finalised.
 */
final class SmrPoolCheckTable {
    private final String name;
    @SuppressWarnings("IdentityHashMapUsage") // identity is the point: equal objects are distinct pool slots
    private final Map<Object, State> states = new IdentityHashMap<>();

    private enum State { OUT, CACHED, READY }

    SmrPoolCheckTable(final String name) {
        this.name = name;
    }

    synchronized void handOut(final Object o, final boolean fresh) {
        final State prev = states.put(o, State.OUT);
        if (fresh ? prev != null : prev != State.READY) {
            states.put(o, prev);
            throw new IllegalStateException("pool '" + name + "': about to hand out an object of "
                    + o.getClass().getName() + " that is " + (prev == null ? "unknown" : prev)
                    + (fresh ? " (the factory returned an object it returned before)" : " (handed out twice)"));
        }
    }

    synchronized void primed(final Object o) {
        if (states.put(o, State.READY) != null) {
            throw new IllegalStateException("pool '" + name + "': the factory returned an object of "
                    + o.getClass().getName() + " it returned before");
        }
    }

    synchronized void put(final Object o) {
        final State prev = states.get(o);
        if (prev == null) {
            throw new IllegalStateException("pool '" + name + "': put() of an object of " + o.getClass().getName()
                    + " that this pool did not hand out (wrong pool, or already finalised; thread "
                    + Thread.currentThread() + ")");
        }
        if (prev != State.OUT) {
            throw new IllegalStateException("pool '" + name + "': double put() of an object of "
                    + o.getClass().getName() + " (thread " + Thread.currentThread() + ")");
        }
        states.put(o, State.CACHED);
    }

    synchronized void unput(final Object o) {
        states.put(o, State.OUT);
    }

    synchronized void expired(final Object o) {
        if (states.put(o, State.READY) != State.CACHED) {
            throw new AssertionError("pool '" + name + "': expired an object that was not cached");
        }
    }

    synchronized void finalised(final Object o) {
        states.remove(o);
    }

    /**
     * For checkInvariants: every place noted in {@code where} agrees with the table, the table
     * holds {@code liveNow} objects, and those not in a place are OUT.
     */
    synchronized void check(final Map<Object, String> where, final long liveNow) {
        if (states.size() != liveNow) {
            throw new AssertionError("pool '" + name + "': side table holds " + states.size()
                    + " objects, live is " + liveNow);
        }
        for (final Map.Entry<Object, String> e : where.entrySet()) {
            final State s = states.get(e.getKey());
            if (s == null || !e.getValue().endsWith("/" + s)) {
                throw new AssertionError("pool '" + name + "': object at " + e.getValue() + " is " + s);
            }
        }
        long out = 0;
        for (final State s : states.values()) {
            if (s == State.OUT) {
                out++;
            }
        }
        if (out + where.size() != liveNow) {
            throw new AssertionError("pool '" + name + "': " + out + " out + " + where.size()
                    + " cached != " + liveNow + " live: an object was lost");
        }
    }
}
