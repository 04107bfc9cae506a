package org.smr4j.offheap;

import java.lang.ref.WeakReference;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;

/**
 * The periodic JFR statistics of arenas and maps ({@code org.smr4j.SmrArenaStatistics},
 * {@code org.smr4j.OffHeapMapStatistics}), as core gives its domains and pools: a structure
 * joins a set when built and leaves it on close; the set holds it weakly; one hook per event
 * type, added when the Flight Recorder is initialised, so no event class is loaded before a
 * recording exists.
 */
final class OffHeapPeriodic {
    private static final Set<WeakReference<SmrArena>> ARENAS = ConcurrentHashMap.newKeySet();
    private static final Set<WeakReference<OffHeapMap<?, ?>>> MAPS = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean LISTENING = new AtomicBoolean();
    private static final AtomicBoolean HOOKED = new AtomicBoolean();

    private OffHeapPeriodic() {
    }

    /** Adds {@code arena}; the returned entry leaves with {@link #remove}. */
    static WeakReference<SmrArena> add(final SmrArena arena) {
        listen();
        final WeakReference<SmrArena> ref = new WeakReference<>(arena);
        ARENAS.add(ref);
        return ref;
    }

    /** Adds {@code map}; the returned entry leaves with {@link #remove}. */
    static WeakReference<OffHeapMap<?, ?>> add(final OffHeapMap<?, ?> map) {
        listen();
        final WeakReference<OffHeapMap<?, ?>> ref = new WeakReference<>(map);
        MAPS.add(ref);
        return ref;
    }

    /** Removes an entry (a close); entries of collected structures are dropped by the hooks. */
    static void remove(final WeakReference<?> ref) {
        if (ref != null) {
            ARENAS.remove(ref);
            MAPS.remove(ref);
        }
    }

    private static void listen() {
        if (!LISTENING.get() && LISTENING.compareAndSet(false, true)) {
            FlightRecorder.addListener(new FlightRecorderListener() {
                @Override
                public void recorderInitialized(final FlightRecorder recorder) {
                    if (HOOKED.compareAndSet(false, true)) {
                        FlightRecorder.addPeriodicEvent(ArenaStatistics.class, OffHeapPeriodic::emitArenas);
                        FlightRecorder.addPeriodicEvent(MapStatistics.class, OffHeapPeriodic::emitMaps);
                    }
                }
            });
        }
    }

    @SuppressWarnings("ModifyCollectionInEnhancedForLoop") // a ConcurrentHashMap key set: removal while iterating is safe
    private static void emitArenas() {
        for (final WeakReference<SmrArena> ref : ARENAS) {
            final SmrArena a = ref.get();
            if (a == null) {
                ARENAS.remove(ref);
                continue;
            }
            final ArenaStatistics e = new ArenaStatistics();
            if (!e.shouldCommit()) {
                return;
            }
            final SmrArena.Stats s = a.stats();
            e.arena = s.name();
            e.reservedBytes = s.reservedBytes();
            e.inUseBytes = s.inUseBytes();
            e.pendingBytes = s.pendingBytes();
            e.cachedBytes = s.cachedBytes();
            e.slabs = s.slabs();
            e.batchesPending = s.batchesPending();
            e.allocations = s.allocations();
            e.frees = s.frees();
            e.waits = s.waits();
            e.failures = s.failures();
            e.commit();
        }
    }

    @SuppressWarnings("ModifyCollectionInEnhancedForLoop") // a ConcurrentHashMap key set: removal while iterating is safe
    private static void emitMaps() {
        for (final WeakReference<OffHeapMap<?, ?>> ref : MAPS) {
            final OffHeapMap<?, ?> m = ref.get();
            if (m == null) {
                MAPS.remove(ref);
                continue;
            }
            final MapStatistics e = new MapStatistics();
            if (!e.shouldCommit()) {
                return;
            }
            final OffHeapMap.Stats s = m.stats();
            e.map = s.name();
            e.size = s.size();
            e.buckets = s.buckets();
            e.puts = s.puts();
            e.removes = s.removes();
            e.resizes = s.resizes();
            e.arena = s.arena().name();
            e.commit();
        }
    }

    /** For tests: arenas and maps in the sets. */
    static int size() {
        return ARENAS.size() + MAPS.size();
    }

    /** One arena's counters, every second while a recording enables it. */
    @Name("org.smr4j.SmrArenaStatistics")
    @Label("SMR Arena Statistics")
    @Category({"smr4j", "Off-heap"})
    @Description("The counters of one off-heap arena (SmrArena.stats())")
    @Period("1 s")
    @StackTrace(false)
    static final class ArenaStatistics extends Event {
        @Label("Arena")
        String arena;
        @Label("Reserved")
        @DataAmount
        long reservedBytes;
        @Label("In Use")
        @DataAmount
        long inUseBytes;
        @Label("Pending")
        @Description("Freed and waiting for readers to leave their sections")
        @DataAmount
        long pendingBytes;
        @Label("Cached")
        @DataAmount
        long cachedBytes;
        @Label("Slabs")
        int slabs;
        @Label("Batches Pending")
        int batchesPending;
        @Label("Allocations")
        long allocations;
        @Label("Frees")
        long frees;
        @Label("Waits")
        long waits;
        @Label("Failures")
        long failures;
    }

    /** One map's counters, every second while a recording enables it. */
    @Name("org.smr4j.OffHeapMapStatistics")
    @Label("Off-heap Map Statistics")
    @Category({"smr4j", "Off-heap"})
    @Description("The counters of one off-heap map (OffHeapMap.stats())")
    @Period("1 s")
    @StackTrace(false)
    static final class MapStatistics extends Event {
        @Label("Map")
        String map;
        @Label("Size")
        long size;
        @Label("Buckets")
        long buckets;
        @Label("Puts")
        long puts;
        @Label("Removes")
        long removes;
        @Label("Resizes")
        long resizes;
        @Label("Arena")
        String arena;
    }
}
