package org.smr4j.offheap;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The JDK Flight Recorder events of this module: {@code org.smr4j.ArenaWait} (an allocation at
 * the hard limit waited for readers), {@code org.smr4j.SlabRelease} (a slab or a large
 * allocation went back to the system) and {@code org.smr4j.MappedUnmap} (a mapped file was
 * unmapped). They are created only once a Flight Recorder exists, as core's pool events are: the
 * first event class loaded costs about 200 ms.
 */
final class OffHeapEvents {
    private OffHeapEvents() {
    }

    static boolean recording() {
        return jdk.jfr.FlightRecorder.isInitialized();
    }

    /** An allocation at the arena's hard limit that waited for a goal (or for a free). */
    @Name("org.smr4j.ArenaWait")
    @Label("SMR Arena Wait")
    @Category({"smr4j", "Off-heap"})
    @Description("An allocation at the arena's hard limit waited for readers to leave their sections, or for frees")
    @StackTrace(true)
    static final class Wait extends Event {
        @Label("Arena")
        String arena;
        @Label("Request")
        @DataAmount
        long request;
        @Label("Goal")
        @Description("The goal waited for, 0 when waiting for a free")
        long goal;
        @Label("Hard Limit")
        @DataAmount
        long limit;
    }

    /** A slab (or a large allocation) closed and returned to the system. */
    @Name("org.smr4j.SlabRelease")
    @Label("SMR Arena Slab Release")
    @Category({"smr4j", "Off-heap"})
    @Description("An empty slab, or an expired large allocation, was returned to the system (one shared-arena close)")
    @StackTrace(false)
    static final class SlabRelease extends Event {
        @Label("Arena")
        String arena;
        @Label("Block Size")
        @Description("The slab's block size, or the large allocation's size")
        @DataAmount
        long blockSize;
        @Label("Bytes")
        @DataAmount
        long bytes;
    }

    /** A mapped file's munmap after its grace period. */
    @Name("org.smr4j.MappedUnmap")
    @Label("SMR Mapped File Unmap")
    @Category({"smr4j", "Off-heap"})
    @StackTrace(false)
    static final class Unmap extends Event {
        @Label("File")
        String file;
        @Label("Bytes")
        @DataAmount
        long bytes;
    }
}
