package org.smr4j;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import org.jspecify.annotations.Nullable;

/**
 * The JDK Flight Recorder events of {@link SmrPool} and {@link SmrRetireQueue}. Enable them
 * in a recording by name ({@code org.smr4j.PoolWait}, {@code org.smr4j.PoolRefill},
 * {@code org.smr4j.RetireWait}); they cost nothing when no recording enables them (the JIT
 * removes the event objects of disabled events).
 */
final class SmrPoolEvents {
    private SmrPoolEvents() {
    }

    /**
     * Whether events are worth creating: true once the JVM's Flight Recorder is initialised
     * (a recording was started, at launch or later through {@code jcmd JFR.start}). Before
     * that, creating an event would load and register the event classes, about 200 ms on
     * this project's machine, which the first {@code get} of every pool paid. This check
     * loads only {@link jdk.jfr.FlightRecorder} (0.1 ms) and reads a static flag.
     *
     * @return true if a recorder exists
     */
    static boolean recording() {
        return jdk.jfr.FlightRecorder.isInitialized();
    }

    /** A get() at the hard limit that blocked on a batch's goal (or on a put). */
    @Name("org.smr4j.PoolWait")
    @Label("SMR Pool Wait")
    @Category({"smr4j", "Pool"})
    @Description("A get() at the pool's hard limit waited for readers to leave their sections, or for objects to be put")
    @StackTrace(true)
    static final class Wait extends Event {
        @Label("Pool")
        @Nullable String pool;
        @Label("Goal")
        @Description("The goal waited for, 0 when waiting for a put")
        long goal;
        @Label("Hard Limit")
        long limit;
    }

    /** A get() that missed its magazine and took longer than the threshold to get an object. */
    @Name("org.smr4j.PoolRefill")
    @Label("SMR Pool Slow Refill")
    @Category({"smr4j", "Pool"})
    @Description("A get() that missed its per-thread magazine and was slow to refill it")
    @Threshold("1 ms")
    @StackTrace(false)
    static final class Refill extends Event {
        @Label("Pool")
        @Nullable String pool;
        @Label("Source")
        @Description("Where the object came from: ready, batch (an expired tagged batch), created, or none")
        @Nullable String source;
        @Label("Objects")
        @Description("Objects obtained for the magazine")
        int objects;
    }

    /** A retire queue's close() or awaitAll() that blocked on a goal. */
    @Name("org.smr4j.RetireWait")
    @Label("SMR Retire Queue Wait")
    @Category({"smr4j", "Retire"})
    @StackTrace(false)
    static final class RetireWait extends Event {
        @Label("Queue")
        @Nullable String queue;
        @Label("Goal")
        long goal;
    }
}
