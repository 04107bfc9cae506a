package org.smr4j;

import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;

/**
 * The periodic JFR statistics of this package's structures: one set of live structures per
 * {@link Kind}, and one JFR periodic hook per kind that emits an event for each of them.
 */
final class Periodic {
    /*
     * Overview
     * --------
     * One hook per event type, not one per structure: FlightRecorder.addPeriodicEvent loads
     * and registers the event class, which costs about 200 ms the first time (see
     * SmrPoolEvents.recording()) and would be paid by the first domain of every process,
     * recording or not. So a structure only joins its kind's set (a ConcurrentHashMap key
     * set, no JFR class touched) and the hooks are added by a FlightRecorderListener when
     * the recorder is initialised (at once if it already is). Adding the listener does not
     * initialise the recorder and costs about 1 ms, once per process (measured: 0.86 to 1.08 ms
     * in a fresh JDK 25 JVM, load 11, FlightRecorder.isInitialized() still false after it).
     *
     * Lifetime. A structure joins its set when built and leaves it on close() or, through a
     * Cleaner, once unreachable: the set holds WeakReferences only, so it keeps nothing
     * alive. The hooks stay registered for the life of the JVM and emit nothing when every
     * set is empty.
     */

    /** The kinds of structure, each with its event class (resolved only when the hooks are added). */
    @SuppressWarnings("ImmutableEnumChecker") // the suppliers are stateless lambdas
    enum Kind {
        SMR(() -> SmrEvents.SmrStatistics.class),
        PSERIALIZE(() -> SmrEvents.PserializeStatistics.class),
        SMR_POOL(() -> SmrEvents.SmrPoolStatistics.class),
        PSERIALIZE_POOL(() -> SmrEvents.PserializePoolStatistics.class);

        private final Supplier<Class<? extends Event>> event;

        Kind(final Supplier<Class<? extends Event>> event) {
            this.event = event;
        }
    }

    private static final Map<Kind, Set<Handle>> LIVE = new EnumMap<>(Kind.class);
    private static final Map<Kind, Consumer<Object>> EMIT = new EnumMap<>(Kind.class);
    private static final AtomicBoolean LISTENING = new AtomicBoolean();
    private static final AtomicBoolean HOOKED = new AtomicBoolean();

    static {
        for (final Kind k : Kind.values()) {
            LIVE.put(k, ConcurrentHashMap.newKeySet());
        }
        EMIT.put(Kind.SMR, o -> ((Smr) o).emitStatistics());
        EMIT.put(Kind.PSERIALIZE, o -> ((Pserialize) o).emitStatistics());
        EMIT.put(Kind.SMR_POOL, o -> ((SmrPool<?>) o).emitStatistics());
        EMIT.put(Kind.PSERIALIZE_POOL, o -> ((PserializePool<?>) o).emitStatistics());
    }

    private Periodic() {
    }

    /** A structure's membership of its kind's set; {@link #remove()} ends it (once). */
    static final class Handle {
        private final WeakReference<Object> ref;
        private final Cleaner.Cleanable cleanable;

        private Handle(final Kind kind, final Object owner) {
            this.ref = new WeakReference<>(owner);
            final Set<Handle> set = Objects.requireNonNull(LIVE.get(kind), "kind");
            set.add(this);
            // The action holds the set and this handle, never the owner.
            this.cleanable = Mbeans.CLEANER.register(owner, new Leave(set, this));
        }

        /** Leaves the set now, if not done yet. */
        void remove() {
            cleanable.clean();
        }
    }

    private record Leave(Set<Handle> set, Handle handle) implements Runnable {
        @Override
        public void run() {
            set.remove(handle);
        }
    }

    /** Adds {@code owner} to the periodic statistics of {@code kind}. */
    static Handle add(final Kind kind, final Object owner) {
        if (!LISTENING.get() && LISTENING.compareAndSet(false, true)) {
            FlightRecorder.addListener(new FlightRecorderListener() {
                @Override
                public void recorderInitialized(final FlightRecorder recorder) {
                    addHooks();
                }
            });
        }
        return new Handle(kind, owner);
    }

    private static void addHooks() {
        if (!HOOKED.compareAndSet(false, true)) {
            return;
        }
        for (final Kind k : Kind.values()) {
            final Set<Handle> set = Objects.requireNonNull(LIVE.get(k), "kind");
            final Consumer<Object> emit = Objects.requireNonNull(EMIT.get(k), "kind");
            FlightRecorder.addPeriodicEvent(k.event.get(), () -> {
                for (final Handle h : set) {
                    final Object o = h.ref.get();
                    if (o != null) {
                        try {
                            emit.accept(o);
                        } catch (final RuntimeException e) { // one structure's failure must not silence the others
                            System.getLogger("org.smr4j").log(System.Logger.Level.DEBUG,
                                    "periodic statistics of " + o + " failed", e);
                        }
                    }
                }
            });
        }
    }

    /** For tests: how many structures of {@code kind} are in the set. */
    static int size(final Kind kind) {
        return Objects.requireNonNull(LIVE.get(kind), "kind").size();
    }
}
