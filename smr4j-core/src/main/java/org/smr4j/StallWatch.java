package org.smr4j;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * The stalled-reader detector of one {@link Smr} domain or {@link Pserialize} instance: it is
 * shown, from slow paths, which reader holds the oldest section, and emits one
 * {@code org.smr4j.StalledReader} JFR event once the same reader has been seen in the same
 * section for longer than the event's threshold.
 */
final class StallWatch {
    /*
     * Overview
     * --------
     * Who calls it. Only slow paths of the domain: a poll that failed, each turn of a
     * blocking wait (Smr.waitSlow, Pserialize.waitFor), and the periodic statistics hook
     * (once a second while a recording enables org.smr4j.SmrStatistics or
     * org.smr4j.PserializeStatistics). Each first checks that a Flight Recorder exists and
     * that the event is enabled, then at most once per CHECK_INTERVAL_NANOS per domain
     * finds the candidate (Smr: the record with the oldest published sequence behind the
     * write sequence; Pserialize: a record a perform waits for, or any record inside) and
     * calls observe(). The readers' enter and exit know nothing of it.
     *
     * What "the same section" means. A record with the same owner and the same published
     * value: for SMR the sequence the reader published on its outermost enter (a reader
     * that left and entered again publishes a later write sequence, unless no advance came
     * between, in which case it holds nothing back that it did not hold before); for
     * pserialize the section counter, which every outermost enter and exit changes.
     *
     * Timing. The event is begun when the candidate is first seen and ended at every later
     * sighting; JFR's own threshold (the event's setting, default 100 ms) decides when it is
     * committed, once per stall. So the duration is how long the detector saw the reader
     * stuck: a lower bound of the stall, short of it by at most the time between sightings.
     * Callers that race are not serialised: a tryLock, and whoever loses skips this sighting.
     *
     * Sticky. Two callers may name different candidates (a perform waits for reader B while
     * the periodic scan finds reader A first; two SMR readers tie on the oldest sequence).
     * A sighting of another candidate replaces the current one only if the current one has
     * left its section (its value or owner changed): otherwise they would reset each other
     * and no stall would ever reach the threshold.
     */

    /** At most one sighting per domain per millisecond: bounds the extra scans of a busy poller. */
    static final long CHECK_INTERVAL_NANOS = 1_000_000;

    private final String domain;
    private final String domainType;
    /** A record's published value now (opaque), and its owner now (acquire). */
    private final ToLongFunction<Object> valueOf;
    private final Function<Object, Thread> ownerOf;
    private final ReentrantLock lock = new ReentrantLock();
    /** The earliest nanoTime of the next sighting; racy reads and writes are fine (a hint). */
    private volatile long nextNanos = System.nanoTime();

    // Guarded by lock.
    private @Nullable Object record;
    private @Nullable Thread owner;
    private long value;
    private long steps;
    private SmrEvents.@Nullable StalledReader event;
    private boolean reported;

    StallWatch(final String domain, final String domainType, final ToLongFunction<Object> valueOf,
               final Function<Object, Thread> ownerOf) {
        this.domain = domain;
        this.domainType = domainType;
        this.valueOf = valueOf;
        this.ownerOf = ownerOf;
    }

    /** Whether a sighting is due now and the event is enabled in some recording. */
    boolean due() {
        final long now = System.nanoTime();
        if (now - nextNanos < 0) {
            return false;
        }
        nextNanos = now + CHECK_INTERVAL_NANOS;
        return new SmrEvents.StalledReader().isEnabled();
    }

    /**
     * One sighting: {@code candidate} (null when no reader holds anything back) with its owner
     * and published value.
     */
    @SuppressWarnings("NullAway") // event is set whenever a non-null candidate is recorded
    void observe(final @Nullable Object candidate, final @Nullable Thread candidateOwner, final long candidateValue,
                 final long stepsBehind) {
        if (!lock.tryLock()) {
            return;
        }
        try {
            final boolean same = candidate != null && candidate == record && candidateOwner == owner
                    && candidateValue == value;
            final boolean currentHolds = record != null && ownerOf.apply(record) == owner
                    && valueOf.applyAsLong(record) == value && owner.isAlive();
            if (!same && !currentHolds) {
                record = candidate;
                owner = candidateOwner;
                value = candidateValue;
                steps = stepsBehind;
                reported = false;
                event = null;
                if (candidate != null) {
                    event = new SmrEvents.StalledReader();
                    event.begin();
                }
                return;
            }
            if (same) {
                steps = stepsBehind;
            }
            if (reported) {
                return;
            }
            event.end();
            if (event.shouldCommit()) {
                event.domain = domain;
                event.domainType = domainType;
                event.readerThread = owner;
                event.reader = String.valueOf(owner);
                event.sequence = value;
                event.stepsBehind = steps;
                event.commit();
                reported = true;
            }
        } finally {
            lock.unlock();
        }
    }
}
