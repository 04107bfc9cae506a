package org.smr4j.demo.churn;

import java.util.List;

/**
 * What one strategy's run looked like over its measured time: a point every
 * {@link ChurnConfig#timelinePeriod()} and every garbage-collector pause, for the report's
 * charts (throughput, blocks pending, allocation rate and GC pauses over time).
 *
 * <p>Counters in a {@link Tick} are cumulative since the start of the measured time, so a rate
 * is the difference of two ticks over the difference of their times; {@link #rate} does that.
 *
 * @param periodSeconds the intended time between ticks (the sampler may be late)
 * @param ticks one per period, oldest first; the first is at the start of the measured time
 *        (all counters zero)
 * @param pauses the collector pauses that began during the measured time, oldest first
 */
public record Timeline(double periodSeconds, List<Tick> ticks, List<GcPause> pauses) {

    /** An empty timeline (a run that failed before measuring). */
    public static final Timeline NONE = new Timeline(0, List.of(), List.of());

    /** Copies the lists. */
    public Timeline {
        ticks = List.copyOf(ticks);
        pauses = List.copyOf(pauses);
    }

    /**
     * One point in time.
     *
     * @param seconds since the start of the measured time
     * @param lookups lookups done since then (every lookup thread)
     * @param churn connections closed by the churn threads since then
     * @param flood half-open connections inserted by the flood since then
     * @param pending {@code stats().blocksPending()} at this tick; -1 where the garbage
     *        collector owns removed blocks
     * @param pendingPeak the largest pending sample since the previous tick; -1 as above
     * @param allocatedBytes heap allocated by the worker threads since the start
     * @param gcPauseMillis collector pause time since the start (pause collectors only, see
     *        {@link ChurnResult#gcPauseMillis()})
     */
    public record Tick(double seconds, long lookups, long churn, long flood, long pending, long pendingPeak,
            long allocatedBytes, long gcPauseMillis) {
    }

    /**
     * One collector pause, from the JVM's garbage-collection notifications.
     *
     * @param seconds when it began, since the start of the measured time
     * @param millis how long it took
     * @param collector the collector's name, e.g. {@code G1 Young Generation}
     * @param action what it did, e.g. {@code end of minor GC}
     * @param cause why, e.g. {@code G1 Evacuation Pause}
     */
    public record GcPause(double seconds, double millis, String collector, String action, String cause) {
    }

    /** Which counter of a {@link Tick} a rate is of. */
    public enum Series {
        /** {@link Tick#lookups()}. */
        LOOKUPS,
        /** {@link Tick#churn()}. */
        CHURN,
        /** {@link Tick#flood()}. */
        FLOOD,
        /** {@link Tick#allocatedBytes()}. */
        ALLOCATED_BYTES;

        long of(final Tick t) {
            return switch (this) {
                case LOOKUPS -> t.lookups();
                case CHURN -> t.churn();
                case FLOOD -> t.flood();
                case ALLOCATED_BYTES -> t.allocatedBytes();
            };
        }
    }

    /**
     * The rate of a counter between tick {@code i - 1} and tick {@code i}, per second.
     *
     * @param series the counter
     * @param i a tick index, 1 or more
     * @return the rate; NaN if the two ticks have the same time
     * @throws IndexOutOfBoundsException if {@code i} is not in {@code [1, ticks().size())}
     */
    public double rate(final Series series, final int i) {
        if (i < 1 || i >= ticks.size()) {
            throw new IndexOutOfBoundsException("tick index must be 1.." + (ticks.size() - 1) + ": " + i);
        }
        final Tick a = ticks.get(i - 1);
        final Tick b = ticks.get(i);
        final double dt = b.seconds() - a.seconds();
        return dt > 0 ? (series.of(b) - series.of(a)) / dt : Double.NaN;
    }
}
