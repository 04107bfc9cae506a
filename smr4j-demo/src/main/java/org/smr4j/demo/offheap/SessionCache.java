package org.smr4j.demo.offheap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.smr4j.Smr;
import org.smr4j.offheap.SmrArena;

/**
 * A session cache in native memory, one implementation per {@link OffheapStrategy}: a slot per
 * session holding the session's current {@link SessionBlock}, read by many threads and replaced
 * by one writer, which frees the block it replaced in the strategy's way.
 *
 * <h2>Threads</h2>
 * The constructor fills every slot on the calling thread; the reader and writer threads are
 * started after it (so {@link Thread#start} orders the fill before them). Then:
 * <ul>
 *   <li>any number of readers call {@link ReadSide#read} on a {@link ReadSide} of their own
 *       ({@link #readSide()}, called on the reader's thread);</li>
 *   <li>exactly one writer calls {@link #replace};</li>
 *   <li>any thread may call {@link #reservedBytes()} and {@link #pendingBytes()} (the sampler);</li>
 *   <li>{@link #close()} is called once, after the readers and the writer have stopped (joined).</li>
 * </ul>
 *
 * <h2>Memory consistency</h2>
 * The writer fills a new block with plain stores and publishes it with a release store into its
 * slot; readers load the slot with an acquire load, so a reader that finds the new block sees it
 * whole. Whether the block a reader found stays valid while it reads is the strategy's business:
 * that is what the scenario measures.
 */
abstract class SessionCache implements AutoCloseable {

    /** The slots: element {@code i} is session {@code i}'s current block. */
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(MemorySegment[].class);

    final MemorySegment[] slots;
    /** Session ids, by slot; written in the constructor only. */
    final long[] ids;
    /** The writer's versions, by slot; the writer's only. */
    private final long[] versions;

    SessionCache(final int sessions, final long seed) {
        if (sessions < 1) {
            throw new IllegalArgumentException("sessions must be at least 1, was " + sessions);
        }
        slots = new MemorySegment[sessions];
        ids = new long[sessions];
        versions = new long[sessions];
        for (int i = 0; i < sessions; i++) {
            ids[i] = SessionBlock.sessionId(seed, i);
        }
    }

    /** Fills every slot (called last by each subclass's constructor). */
    final void fill() {
        for (int i = 0; i < slots.length; i++) {
            final MemorySegment b = allocate();
            SessionBlock.write(b, ids[i], 0);
            slots[i] = b;
            filled(i);
        }
    }

    /** Called by {@link #fill()} after slot {@code i} got its first block; nothing by default. */
    void filled(final int i) {
    }

    /**
     * Creates the cache of a strategy, filled.
     *
     * @param strategy the strategy
     * @param sessions the number of sessions
     * @param seed the seed of the session ids
     * @return the cache
     */
    static SessionCache create(final OffheapStrategy strategy, final int sessions, final long seed) {
        return switch (Objects.requireNonNull(strategy, "strategy")) {
            case SMR_DEFAULT -> new OverSmrArena(Smr.create("offheap-smr-default"), sessions, seed);
            case SMR_LAZY -> new OverSmrArena(Smr.builder("offheap-smr-lazy").lazy().build(), sessions, seed);
            case SHARED_ARENA -> new SharedArenaPerBlock(sessions, seed);
            case AUTO_ARENA -> new AutoArenaPerBlock(sessions, seed);
            case IMMEDIATE_REUSE -> new ImmediateReuse(sessions, seed);
        };
    }

    /** @return the number of sessions */
    final int sessions() {
        return slots.length;
    }

    /** @return the bytes of the blocks the slots hold: sessions times {@link SessionBlock#BYTES} */
    final long liveBytes() {
        return slots.length * SessionBlock.BYTES;
    }

    /**
     * Writer only: replaces session {@code i}'s block with a new version and frees the old one.
     *
     * @param i the slot
     */
    final void replace(final int i) {
        final MemorySegment b = allocate();
        SessionBlock.write(b, ids[i], ++versions[i]);
        final MemorySegment old = slots[i]; // plain: the writer reads its own last store
        // ORDER: release; the block's plain stores above are visible to a reader whose acquire
        // load in ReadSide.load() finds it. Pairs with SLOT.getAcquire there.
        SLOT.setRelease(slots, i, b);
        free(old, i);
    }

    /** Writer only: a new block, 8-aligned, of {@link SessionBlock#BYTES}. */
    abstract MemorySegment allocate();

    /** Writer only: frees {@code old}, the block slot {@code i} held until now. */
    abstract void free(MemorySegment old, int i);

    /** @return native bytes reserved now, as the strategy counts them (see {@link #accounting()}) */
    abstract long reservedBytes();

    /** @return bytes freed by the writer but not yet reusable or returned (waiting for readers or the GC) */
    abstract long pendingBytes();

    /** @return how {@link #reservedBytes()} is counted, in words, for the report */
    abstract String accounting();

    /** @return whether lazy readers run without a fence (membarrier available); null for non-lazy strategies */
    Boolean lazyFenceFree() {
        return null;
    }

    /** @return a reader's handle; call it on the reader's thread */
    abstract ReadSide readSide();

    /** Frees what the cache holds; after the readers and the writer have stopped. */
    @Override
    public abstract void close();

    /** One reader thread's access to the cache. */
    abstract class ReadSide {
        /**
         * Reads session {@code i}'s block and checks it.
         *
         * @param i the slot
         * @return {@link SessionBlock#OK}, {@link SessionBlock#TORN}, {@link SessionBlock#FOREIGN}
         *         or {@link SessionBlock#REFUSED}
         */
        abstract int read(int i);

        /** The slot's current block. */
        final MemorySegment load(final int i) {
            // ORDER: acquire; pairs with the writer's release store in replace().
            return (MemorySegment) SLOT.getAcquire(slots, i);
        }
    }

    // ------------------------------------------------------------------ the strategies

    /** SMR_DEFAULT, SMR_LAZY: an {@link SmrArena}; readers inside a section of its domain. */
    static final class OverSmrArena extends SessionCache {
        private final Smr smr;
        private final SmrArena arena;

        OverSmrArena(final Smr smr, final int sessions, final long seed) {
            super(sessions, seed);
            this.smr = smr;
            this.arena = SmrArena.builder(smr.name()).smr(smr).jmx(false).build();
            fill();
        }

        @Override
        MemorySegment allocate() {
            return arena.allocate(SessionBlock.BYTES, SessionBlock.ALIGN);
        }

        @Override
        void free(final MemorySegment old, final int i) {
            arena.free(old); // never waits; reused once no reader that could have found it is inside
        }

        @Override
        long reservedBytes() {
            return arena.stats().reservedBytes();
        }

        @Override
        long pendingBytes() {
            return arena.stats().pendingBytes();
        }

        @Override
        String accounting() {
            return "the arena's statistics: slabs reserved from the system (SmrArena.stats().reservedBytes), "
                    + "and freed blocks waiting for their grace period (pendingBytes)";
        }

        @Override
        Boolean lazyFenceFree() {
            return smr.mode() == Smr.Mode.LAZY ? smr.fenceFreeReaders() : null;
        }

        @Override
        ReadSide readSide() {
            final Smr.Reader reader = smr.reader();
            return new ReadSide() {
                @Override
                int read(final int i) {
                    reader.enter();
                    try {
                        return SessionBlock.check(load(i), ids[i]);
                    } finally {
                        reader.exit();
                    }
                }
            };
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    /** SHARED_ARENA: one shared arena per block, closed when the block is replaced. */
    static final class SharedArenaPerBlock extends SessionCache {
        /** Each slot's arena; the writer's only (and the constructor's). */
        private final Arena[] arenas;
        /** The arena of the block {@link #allocate()} returned last; the writer's only. */
        private Arena last;
        /**
         * Bytes allocated minus bytes closed: one counter, so that a sample is never between two
         * counters' updates. Written by the writer only (opaque), read by the sampler.
         */
        private final AtomicLong reserved = new AtomicLong();

        SharedArenaPerBlock(final int sessions, final long seed) {
            super(sessions, seed);
            arenas = new Arena[sessions];
            fill();
        }

        @Override
        void filled(final int i) {
            arenas[i] = last;
        }

        @Override
        MemorySegment allocate() {
            final Arena a = Arena.ofShared();
            final MemorySegment b = a.allocate(SessionBlock.BYTES, SessionBlock.ALIGN);
            last = a;
            // Opaque: a single writer; the sampler needs a recent value, not an ordering.
            reserved.setOpaque(reserved.getPlain() + SessionBlock.BYTES);
            return b;
        }

        @Override
        void free(final MemorySegment old, final int i) {
            arenas[i].close(); // the handshake: every thread, at its next safepoint poll
            arenas[i] = last;
            reserved.setOpaque(reserved.getPlain() - SessionBlock.BYTES);
        }

        @Override
        long reservedBytes() {
            return reserved.getOpaque();
        }

        @Override
        long pendingBytes() {
            return 0; // close() frees at once: nothing waits
        }

        @Override
        String accounting() {
            return "counted by the writer: bytes allocated minus bytes of the arenas it closed (the requested "
                    + "64 B per block; malloc's own overhead is not counted)";
        }

        @Override
        ReadSide readSide() {
            return new ReadSide() {
                @Override
                int read(final int i) {
                    try {
                        return SessionBlock.check(load(i), ids[i]);
                    } catch (final IllegalStateException closedUnderUs) {
                        // The block's arena was closed between our load of the slot and an access:
                        // the JDK refuses the access ("Already closed"). Safe, but the read failed.
                        return SessionBlock.REFUSED;
                    }
                }
            };
        }

        @Override
        public void close() {
            for (final Arena a : arenas) {
                a.close();
            }
        }
    }

    /** AUTO_ARENA: one automatic arena per block; the garbage collector frees it. */
    static final class AutoArenaPerBlock extends SessionCache {
        private static final BufferPoolMXBean DIRECT = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)
                .stream().filter(b -> b.getName().equals("direct")).findFirst().orElse(null);
        /** What the JDK's direct-memory accounting held before the fill. */
        private final long baseline;
        private final AtomicLong allocated = new AtomicLong();

        AutoArenaPerBlock(final int sessions, final long seed) {
            super(sessions, seed);
            baseline = directBytes();
            fill();
        }

        private static long directBytes() {
            return DIRECT == null ? 0 : DIRECT.getMemoryUsed();
        }

        @Override
        MemorySegment allocate() {
            allocated.setOpaque(allocated.getPlain() + SessionBlock.BYTES); // single writer, see above
            return Arena.ofAuto().allocate(SessionBlock.BYTES, SessionBlock.ALIGN);
        }

        @Override
        void free(final MemorySegment old, final int i) {
            // Nothing: the old block is unreachable once no reader holds it; its arena's cleaner
            // frees it after a collection notices.
        }

        @Override
        long reservedBytes() {
            return DIRECT == null ? allocated.getOpaque() : Math.max(0, directBytes() - baseline);
        }

        @Override
        long pendingBytes() {
            return Math.max(0, reservedBytes() - liveBytes());
        }

        @Override
        String accounting() {
            return DIRECT == null ? "counted by the writer: bytes allocated (no direct-memory pool to see frees)"
                    : "the JDK's own count: the \"direct\" buffer pool (BufferPoolMXBean), which adds every "
                            + "Arena.ofAuto() allocation and subtracts it when the arena's cleaner frees it, less "
                            + "its value before the fill";
        }

        @Override
        ReadSide readSide() {
            return new ReadSide() {
                @Override
                int read(final int i) {
                    return SessionBlock.check(load(i), ids[i]); // the segment keeps its arena alive
                }
            };
        }

        @Override
        public void close() {
            // The collector frees what is left.
        }
    }

    /** The negative control: a free list whose blocks are reused by the very next replacement. */
    static final class ImmediateReuse extends SessionCache {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment pool;
        /** Free blocks (a stack; the writer's only). One spare beyond the sessions. */
        private final MemorySegment[] free;
        private int top;

        ImmediateReuse(final int sessions, final long seed) {
            super(sessions, seed);
            pool = arena.allocate((sessions + 1L) * SessionBlock.BYTES, SessionBlock.ALIGN);
            free = new MemorySegment[sessions + 1];
            for (int k = sessions; k >= 0; k--) {
                free[top++] = pool.asSlice(k * SessionBlock.BYTES, SessionBlock.BYTES);
            }
            fill();
        }

        @Override
        MemorySegment allocate() {
            return free[--top];
        }

        @Override
        void free(final MemorySegment old, final int i) {
            free[top++] = old; // the bug: handed out again by the next allocate, readers or not
        }

        @Override
        long reservedBytes() {
            return pool.byteSize();
        }

        @Override
        long pendingBytes() {
            return 0;
        }

        @Override
        String accounting() {
            return "one block per session and a spare, reserved once (the control never frees during the run)";
        }

        @Override
        ReadSide readSide() {
            return new ReadSide() {
                @Override
                int read(final int i) {
                    return SessionBlock.check(load(i), ids[i]);
                }
            };
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName().toLowerCase(Locale.ROOT) + "[" + slots.length + " sessions]";
    }
}
