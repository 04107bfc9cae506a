package org.smr4j.offheap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import javax.management.ObjectName;
import org.smr4j.Smr;
import org.smr4j.SmrSeq;

/**
 * A native memory allocator whose frees are deferred through an {@link Smr} domain: a segment
 * passed to {@link #free(MemorySegment)} is reused, or returned to the operating system, only
 * once no reader that entered a section of the arena's domain before the free can still be
 * inside it.
 *
 * <p>Readers of off-heap structures enter a section of {@link #smr()}, follow links into arena
 * memory and read it; writers unlink a block and free it at once, without waiting and without
 * the JDK's per-close handshake of a shared {@link Arena}. The arena batches frees (one
 * {@link Smr#advance()} per magazine of blocks) and reuses a batch once its goal is reached,
 * as FreeBSD's UMA does for SMR zones.
 *
 * <h2>Example</h2>
 * <pre>{@code
 * SmrArena arena = SmrArena.builder("records").hardLimit(64L << 20).build();
 * Smr smr = arena.smr();
 * MemorySegment rec = arena.allocate(64);            // any thread may use it
 * rec.set(ValueLayout.JAVA_LONG, 0, 42);
 * head.set(rec);                                     // publish (release), e.g. an AtomicReference
 * // reader, any thread
 * smr.enter();
 * try { long v = head.get().get(ValueLayout.JAVA_LONG, 0); } finally { smr.exit(); }
 * // writer
 * MemorySegment old = head.getAndSet(next);          // unlink
 * arena.free(old);                                   // reused once no reader can hold it
 * }</pre>
 *
 * <h2>Memory</h2>
 * Requests up to 64 KiB are served from 44 size classes (16 bytes to 64 KiB, four per
 * doubling) of fixed blocks carved from slabs (1 MiB by default, {@link Builder#slabSize}; a
 * class's first slabs are smaller, from 64 KiB doubling up to that size, so that an arena with
 * few blocks of a class reserves little for it). Each
 * slab is one shared {@link Arena} of its own, so the segments handed out are slices of a slab's
 * segment and carry its scope. Larger requests (or alignments above 4096) get a shared arena
 * each. A slab returns to the system when every block in it has been freed, has expired and a
 * {@link #reclaim()} (or the hard limit, or {@link #close()}) gave it back: one arena close,
 * one handshake, per slab, never per block. Blocks are not zeroed on reuse.
 *
 * <h2>Use after free</h2>
 * A segment must not be used after it was freed. Readers inside a section of the domain that
 * found a block before its free may read it until they exit: that is what the arena protects.
 * Any other access after the free is a bug, with this outcome: until the slab is released, the
 * access reads or writes whatever the block holds then (the next owner's data, or poison in a
 * checked arena, which reports a late write at the block's next allocation); once the slab is
 * released, it throws {@link IllegalStateException} from the JDK, because the slab's arena is
 * closed. It never reaches unmapped or foreign memory: the arena uses no restricted method.
 *
 * <h2>Why not an {@link Arena}</h2>
 * {@code Arena}'s contract ties every segment it allocates to one scope that stays alive until
 * {@code close()}, and promises that a segment whose scope is alive may be accessed safely.
 * Freeing one block while the scope stays alive breaks that promise for any single-scope design;
 * giving each block its own scope costs a handshake per free, the very cost this class removes.
 * So {@code SmrArena} is a {@link SegmentAllocator} and {@link AutoCloseable}, not an
 * {@code Arena}: its segments belong to slab scopes, and {@link #close()} closes every one of
 * them, after which no segment of the arena can be accessed.
 *
 * <h2>Per-thread caches, limits</h2>
 * Allocations and frees go through a small array of stripes chosen by a hash of the thread id
 * (safe for virtual threads: no thread-local state, a lock held for a few instructions), each
 * with an ALLOC and a FREE magazine per class. The {@linkplain Builder#hardLimit hard limit}
 * bounds the bytes reserved from the system. At the limit an allocation first reclaims every
 * block no reader can hold (tagging the caches' partial batches), then waits for the oldest
 * batch's goal ({@link LimitPolicy#WAIT}) or throws {@link SmrArenaLimitException}
 * ({@link LimitPolicy#FAIL}).
 *
 * <h2>Read sections</h2>
 * {@code free} may be called inside a section of the domain and never waits: a batch that
 * fills inside a section is tagged by the next call outside one. {@code allocate} may be called
 * inside a section unless it would have to wait at the hard limit (it then throws
 * {@link IllegalStateException}: it would wait for itself). {@link #reclaim()} and
 * {@link #close()} advance the domain and are refused inside a section.
 *
 * <h2>Checked mode</h2>
 * {@linkplain Builder#checked(boolean) Checked} arenas fill every block with a poison byte
 * ({@value #POISON_BYTE}) when it expires (and fresh slabs when they are created), and verify it
 * before handing the block out again: a late write through a stale segment is reported by an
 * {@link IllegalStateException} at that allocation, naming the arena, the block's address and
 * the first changed offset, and counted in {@link Stats#poisonViolations()}; the block is
 * re-poisoned and put back. Both modes refuse a double free ({@link IllegalStateException}) and
 * a segment this arena did not allocate ({@link IllegalArgumentException}), each naming the
 * arena and the segment's address, at the cost of one compare-and-set per free: a block is never
 * handed out twice and the accounting never goes wrong. A double free that comes after the block
 * was allocated again frees the new owner's block; neither mode can tell.
 *
 * <h2>Misuse</h2>
 * Null arguments throw {@link NullPointerException} naming the parameter; a size or alignment
 * out of range throws {@link IllegalArgumentException} naming the value and the range; after
 * {@code close()}, {@code allocate}, {@code free} and {@code reclaim} throw
 * {@link IllegalStateException} naming the arena. A refused call changes nothing.
 *
 * <h2>Progress</h2>
 * {@code allocate} and {@code free} usually take one uncontended stripe lock and touch one
 * magazine; once per magazine they visit a depot lock and advance or poll the domain; new slabs
 * take a keg lock and a system allocation. Only {@code allocate} at the hard limit with
 * {@code WAIT}, and {@code close()}, block on readers. {@code reclaim()} never waits for
 * readers (in lazy mode it may sleep up to one tick of the domain's clock).
 *
 * <h2>Memory consistency effects</h2>
 * Actions in a thread before {@code free(s)} <i>happen-before</i> the actions of the thread whose
 * {@code allocate} returns memory of {@code s} again; so do the exits of every read section of
 * the domain that was entered before the free. Segments returned by {@code allocate} may be
 * published to other threads by any safe publication; the arena adds no ordering of its own
 * between the allocating thread and a reader.
 */
public final class SmrArena implements SegmentAllocator, AutoCloseable {
    /*
     * Overview
     * --------
     * UMA's SMR zones for native memory, in four layers, each a package-private class:
     *
     *   Stripe (per-thread cache: an ALLOC and a FREE magazine of block handles per class)
     *     | full FREE magazine: tag = advance()          ^ refill: READY, or an expired batch
     *     v                                              |
     *   Depot (per class: PENDING batches, FIFO by tag; READY magazines; UNTAGGED batches)
     *     | reclaim / hard limit: expired batches        ^ carve a magazine of fresh blocks
     *     v                                              |
     *   Keg (per class: slabs with free blocks)    ---- SlabTable (index -> slab, scope -> slab)
     *     | a wholly free slab: close its Arena
     *     v
     *   the system (malloc/free inside the JDK's shared arenas)
     *
     * A block is named by a handle, (slab index << 32) | byte offset, a long: magazines are
     * long[] and no block has a heap object. allocate() turns a handle into a slice of the
     * slab's segment; free() turns a segment back into a handle through its scope (which
     * proves it came from one of our slabs) and its offset (which must start a block).
     *
     * Why not SmrPool (core's UMA-style pool) as the size class: it pools Java objects. A
     * block would need a handle object of its own (a MemorySegment slice or a small record,
     * 24 to 48 bytes of heap per block, more than the 16- to 128-byte blocks most users want),
     * which puts back on the heap, and in every GC's marking, the footprint an off-heap store
     * exists to avoid. Its hard limit counts objects per pool, where the arena needs one limit
     * in bytes across 44 classes, met by giving back slabs of other classes; and its double-put
     * detection is by object identity, where free() must judge an address. What we take from
     * it is the design, not the class: stripes chosen by thread id with a spin lock (its path
     * for virtual threads), magazines that never mix FREE into ALLOC, one advance per
     * magazine under the depot lock (monotonic tags), a head-tag hint polled without the lock,
     * growth preferred to waiting, and a hard limit that first flushes the caches. Not taken:
     * its owned caches (plain accesses for platform threads, handed off through membarrier),
     * which buy about 5 ns per operation at a large cost in complexity; a stripe lock here is
     * one uncontended CAS.
     *
     * Block states and the free-path CAS: see Slab. Invariants (checkInvariants(), quiescent):
     *  1. Every block of a live slab is in exactly one place: the slab's free set (FREE), an
     *     ALLOC or READY magazine (CACHED), handed out (ALLOCATED), or a FREE magazine, an
     *     untagged or a pending batch (FREED); its state byte says which.
     *  2. A FREED block becomes CACHED only after poll(tag) of its batch returned true, the
     *     tag coming from an advance made after the block's free.
     *  3. reserved == sum of the live slabs' sizes (slabs and large allocations), <= hardLimit.
     *  4. A slab is released (its arena closed) only when every block is in its free set.
     * Non-invariants: statistics are sums over stripes and depots taken one at a time, not a
     * consistent cut; a depot's headTag hint may lag.
     *
     * Memory ordering: magazines move between threads only under a stripe lock (CAS acquire,
     * release store), a depot or keg ReentrantLock; the reader-exit -> reuse edge is the
     * domain's (poll true ends with an acquire fence). reserved is an AtomicLong bounded by
     * CAS. closed is set with a release store under closeLock and read with acquire loads;
     * close() then takes every stripe lock once, so a call that read `open` under a stripe
     * lock has finished its magazine work before close() collects anything.
     *
     * This file: configuration; allocate (fast path, slow path, refill, carve, new slab, the
     * hard limit); free; large allocations; reclaim and close; checked mode; statistics, JMX;
     * invariants; Builder, Stats.
     */

    /** What an allocation does at the hard limit when nothing cached can serve it. */
    public enum LimitPolicy {
        /** Wait for the oldest batch's goal, or for frees. */
        WAIT,
        /** Throw {@link SmrArenaLimitException} at once. */
        FAIL
    }

    /** Default slab size: 1 MiB (16 blocks of the largest class, 65,536 of the smallest). */
    public static final long SLAB_SIZE_DEFAULT = 1L << 20;
    /** Smallest slab size accepted: 64 KiB, one block of the largest class. */
    public static final long SLAB_SIZE_MIN = 1L << 16;
    /** Largest slab size accepted: 1 GiB (block offsets are 31-bit). */
    public static final long SLAB_SIZE_MAX = 1L << 30;
    /** Default magazine size: 32 blocks per magazine and per tagged batch, as core's pools. */
    public static final int MAGAZINE_SIZE_DEFAULT = 32;
    /** Largest magazine size accepted. */
    public static final int MAGAZINE_SIZE_MAX = 1 << 16;
    /** The byte checked arenas fill expired blocks with. */
    public static final int POISON_BYTE = 0xDE;
    /** Largest request accepted: a large allocation of the JDK's maximum. */
    public static final long MAX_REQUEST = Long.MAX_VALUE - SizeClasses.PAGE;
    /** Stripes: the next power of two at or above twice the processors (as core's pools). */
    private static final int STRIPES = ceilPow2(Math.max(2, 2 * Runtime.getRuntime().availableProcessors()));
    /** Longest park while waiting at the hard limit for frees (nothing pending to wait for). */
    private static final long FREE_WAIT_NANOS = 1_000_000;
    /** Longest sleep of reclaim() for the lazy clock to reach its own flush's goal. */
    private static final long CLOCK_WAIT_MAX_NANOS = 2_000_000_000L;

    private static final System.Logger LOG = System.getLogger("org.smr4j.offheap");

    private final String name;
    private final Smr smr;
    /** Whether the arena created its domain (and so closes it). */
    private final boolean ownsSmr;
    private final boolean checked;
    /** Tests only (the torture test's negative control): frees are reused at once, without a grace period. */
    private final boolean immediateReuse;
    private final long hardLimit;
    private final LimitPolicy policy;
    private final long slabSize;
    private final int magazineSize;
    private final Stripe[] stripes;
    private final Keg[] kegs = new Keg[SizeClasses.COUNT];
    private final Depot[] depots = new Depot[SizeClasses.COUNT];
    final SlabTable table = new SlabTable();
    /** Bytes reserved from the system: live slabs plus large allocations (invariant 3). */
    private final AtomicLong reserved = new AtomicLong();
    /** Checked mode: a segment of poison bytes as long as the largest block, to compare with. */
    private final MemorySegment poison;

    // Large allocations: guarded by largeLock.
    private final ReentrantLock largeLock = new ReentrantLock();
    private final ArrayDeque<Slab> largePending = new ArrayDeque<>();
    private final ArrayDeque<Slab> largeUntagged = new ArrayDeque<>();
    private long largePendingBytes;
    /** Bytes of large allocations handed out and not freed. */
    private final AtomicLong largeInUse = new AtomicLong();
    /** Slabs whose arena close failed (a segment of them held by a native call); retried by reclaim. */
    private final ArrayDeque<Slab> unreleased = new ArrayDeque<>();

    /** Set once by close(), under closeLock. Accessed through {@link #CLOSED}. */
    @SuppressWarnings("UnusedVariable") // read and written only through CLOSED, which Error Prone does not follow
    private boolean closed;
    private final Object closeLock = new Object();

    // Statistics of the slow paths; the fast paths count in their stripe.
    private final LongAdder slabsCreated = new LongAdder();
    private final LongAdder slabsReleased = new LongAdder();
    private final LongAdder largeAllocations = new LongAdder();
    private final LongAdder largeFrees = new LongAdder();
    private final LongAdder waits = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder refusedFrees = new LongAdder();
    private final LongAdder poisonViolations = new LongAdder();
    private final LongAdder batchesQueued = new LongAdder();

    private volatile ObjectName mbeanName;
    /** Membership of the periodic JFR statistics (OffHeapPeriodic); set by build(), left by close(). */
    private volatile java.lang.ref.WeakReference<SmrArena> periodic;

    private SmrArena(final Builder b) {
        this.name = b.name;
        this.ownsSmr = b.smr == null;
        this.smr = ownsSmr ? Smr.builder(b.name).jmx(b.jmx).build() : b.smr;
        this.checked = b.checked;
        this.immediateReuse = b.immediateReuse;
        this.hardLimit = b.hardLimit;
        this.policy = b.policy;
        this.slabSize = b.slabSize;
        this.magazineSize = b.magazineSize;
        this.stripes = new Stripe[STRIPES];
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Stripe();
        }
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            kegs[c] = new Keg(c);
            depots[c] = new Depot();
        }
        if (checked) {
            this.poison = MemorySegment.ofArray(new byte[SizeClasses.MAX_SMALL]).fill((byte) POISON_BYTE);
        } else {
            this.poison = null;
        }
        // ORDER: release fence; the arena escapes only through the caller's publication, which is
        // safe for final fields; this covers the plain ones too.
        VarHandle.releaseFence();
    }

    /**
     * Starts building an arena.
     *
     * @param name the arena's name, used in messages, statistics and its MBean name
     * @return a builder
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is empty
     */
    public static Builder builder(final String name) {
        if (Objects.requireNonNull(name, "name").isEmpty()) {
            throw new IllegalArgumentException("name must not be empty, was \"\"");
        }
        return new Builder(name);
    }

    /**
     * Returns the arena's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Returns the domain whose readers this arena protects: the one given to
     * {@link Builder#smr(Smr)}, or the default-mode domain the arena created, named after it.
     * Readers of arena memory enter sections of this domain. Works after close.
     *
     * @return the domain
     */
    public Smr smr() {
        return smr;
    }

    /**
     * Returns whether this arena was built checked.
     *
     * @return true if checked
     */
    public boolean checked() {
        return checked;
    }

    // ------------------------------------------------------------------ allocate

    /**
     * Returns a segment of {@code byteSize} bytes aligned to 16 (the natural alignment of every
     * block; {@link SegmentAllocator}'s default would ask for 1), usable by any thread until it
     * is freed or the arena is closed. Its contents are not zeroed.
     *
     * @param byteSize from 0 to {@link #MAX_REQUEST}
     * @return a new segment
     * @throws IllegalArgumentException if {@code byteSize} is out of range
     * @throws IllegalStateException if the arena is closed, or if the call would wait at the
     *         hard limit inside a read section of the domain
     * @throws SmrArenaLimitException at the hard limit with {@link LimitPolicy#FAIL}
     */
    @Override
    public MemorySegment allocate(final long byteSize) {
        return allocate(byteSize, SizeClasses.QUANTUM);
    }

    /**
     * Returns a segment of {@code byteSize} bytes whose address is a multiple of
     * {@code byteAlignment}, usable by any thread until it is freed or the arena is closed.
     * Its contents are not zeroed.
     *
     * <p>Progress: usually one uncontended stripe lock; see the class documentation. Blocks only
     * at the hard limit with {@link LimitPolicy#WAIT}; not interruptible (an interrupt is kept
     * for the caller).
     *
     * @param byteSize from 0 to {@link #MAX_REQUEST}
     * @param byteAlignment a power of two from 1 to 2<sup>30</sup>
     * @return a new segment
     * @throws IllegalArgumentException if {@code byteSize} or {@code byteAlignment} is out of
     *         range, or if {@code byteSize} exceeds the hard limit
     * @throws IllegalStateException if the arena is closed, or if the call would wait at the
     *         hard limit inside a read section of the domain
     * @throws SmrArenaLimitException at the hard limit with {@link LimitPolicy#FAIL}
     */
    @Override
    public MemorySegment allocate(final long byteSize, final long byteAlignment) {
        checkRequest(byteSize, byteAlignment);
        final long h = allocateHandle(byteSize, byteAlignment);
        final Slab s = table.get(Slab.slabIndex(h));
        return s.segment.asSlice(Slab.offset(h), byteSize);
    }

    private void checkRequest(final long byteSize, final long byteAlignment) {
        if (byteSize < 0 || byteSize > MAX_REQUEST) {
            throw new IllegalArgumentException(describe("allocate(byteSize " + byteSize
                    + "): byteSize out of range [0, " + MAX_REQUEST + "]"));
        }
        if (byteAlignment <= 0 || byteAlignment > 1L << 30 || Long.bitCount(byteAlignment) != 1) {
            throw new IllegalArgumentException(describe("allocate(byteAlignment " + byteAlignment
                    + "): byteAlignment must be a power of two in [1, 2^30]"));
        }
        if (byteSize > hardLimit) {
            throw new IllegalArgumentException(describe("allocate(byteSize " + byteSize
                    + "): byteSize exceeds the hard limit of " + hardLimit + " bytes, range [0, " + hardLimit + "]"));
        }
        if (closedAcquire()) {
            throw closedException("allocate(" + byteSize + ")");
        }
    }

    /**
     * Allocates a block for the module's own structures and returns its handle; the caller has
     * checked the size (at most {@link #MAX_REQUEST}) and the alignment. The block starts at
     * {@link #segmentOf(long)}{@code .asSlice(}{@link #offsetOf(long)}{@code )}.
     */
    long allocateHandle(final long byteSize, final long byteAlignment) {
        final int c = SizeClasses.classOf(byteSize, byteAlignment);
        return c < 0 ? allocateLarge(byteSize, byteAlignment) : allocateSmall(c);
    }

    /** The fast path: a pop from the caller's stripe's ALLOC magazine. */
    private long allocateSmall(final int c) {
        final Stripe s = stripe();
        s.lock();
        final Magazine a = s.alloc[c];
        if (a != null && a.count > 0 && !closedOpaque()) {
            final long h = a.items[--a.count];
            s.allocations++;
            s.allocatedBytes += SizeClasses.size(c);
            s.unlock();
            return handOut(h, s, c);
        }
        s.unlock();
        return allocateSlow(c, s);
    }

    /** The block of {@code h} leaves the arena: verify (checked), mark ALLOCATED. */
    private long handOut(final long h, final Stripe s, final int c) {
        final Slab slab = table.get(Slab.slabIndex(h));
        final int b = slab.blockOf(h);
        assert slab.stateAcquire(b) == Slab.CACHED : slab + " block " + b + " state " + slab.stateAcquire(b);
        if (checked) {
            verifyPoison(slab, h, s, c);
        }
        // ORDER: release; pairs with the acquire CAS in free(), which a user's publication of
        // the segment orders after this store anyway.
        slab.setStateRelease(b, Slab.ALLOCATED);
        return h;
    }

    /** The caller's ALLOC magazine was empty: refill from the depot or the keg, or meet the hard limit. */
    private long allocateSlow(final int c, final Stripe s) {
        Magazine m;
        int tries = 0;
        while ((m = refill(c)) == null) {
            atLimit(SizeClasses.size(c), tries++);
        }
        final long h = m.items[--m.count];
        s.lock();
        if (closedOpaque()) {
            s.unlock();
            throw closedException("allocate()");
        }
        final Magazine cur = s.alloc[c];
        Magazine extra = null;
        if (cur == null || cur.count == 0) {
            s.alloc[c] = m;
            if (cur != null && s.spare == null) {
                s.spare = cur; // keeps the free path from allocating magazines
            }
        } else if (m.count > 0) {
            extra = m; // another thread of this stripe refilled meanwhile
        }
        s.allocations++;
        s.allocatedBytes += SizeClasses.size(c);
        s.unlock();
        if (extra != null) {
            final Depot d = depots[c];
            d.lock.lock();
            try {
                d.ready.addFirst(extra);
                d.readyBlocks += extra.count;
            } finally {
                d.lock.unlock();
            }
        }
        return handOut(h, s, c);
    }

    /** A magazine holding at least one CACHED block of class {@code c}, or null at the hard limit. */
    private Magazine refill(final int c) {
        final Depot d = depots[c];
        final long hint = d.headTagAcquire();
        boolean due = hint != SmrSeq.INVALID && pollOrNudge(hint);
        Magazine expired = null;
        d.lock.lock();
        try {
            if (closedOpaque()) {
                throw closedException("allocate()");
            }
            final Magazine r = d.ready.pollFirst();
            if (r != null) {
                d.readyBlocks -= r.count;
                return r;
            }
            final Magazine head = d.pending.peekFirst();
            if (head != null) {
                // A reached hint covers any head tagged at or before it; a later head is polled.
                due = (due && SmrSeq.leq(head.tag, hint)) || pollOrNudge(head.tag);
                if (due) {
                    expired = d.dequeueHeadLocked();
                }
            }
        } finally {
            d.lock.unlock();
        }
        if (expired != null) {
            expire(expired);
            return expired;
        }
        return carve(c);
    }

    /**
     * poll(goal); in a deferred domain whose write sequence has not reached the goal yet (it
     * moves only every limit-th advance per stripe of threads), one advance outside a section
     * nudges it, as core's pools do.
     */
    private boolean pollOrNudge(final long goal) {
        if (smr.poll(goal)) {
            return true;
        }
        if (smr.mode() == Smr.Mode.DEFERRED && SmrSeq.lt(smr.current(), goal) && !smr.entered()) {
            smr.advance();
            return smr.poll(goal);
        }
        return false;
    }

    /** Carves a magazine of fresh blocks from the keg, growing it by a slab if needed; null at the limit. */
    private Magazine carve(final int c) {
        final Keg k = kegs[c];
        final Magazine m = new Magazine(magazineSize);
        k.lock.lock();
        try {
            k.carveLocked(m);
        } finally {
            k.lock.unlock();
        }
        if (m.count > 0) {
            return m;
        }
        final Slab slab = newSlab(c);
        if (slab == null) {
            return null;
        }
        k.lock.lock();
        try {
            k.addLocked(slab);
            k.carveLocked(m);
        } finally {
            k.lock.unlock();
        }
        return m.count > 0 ? m : null;
    }

    /** Reserves {@code bytes} under the hard limit; false if they do not fit. */
    private boolean reserve(final long bytes) {
        long cur = reserved.get();
        while (true) {
            if (bytes > hardLimit - cur) {
                return false;
            }
            if (reserved.compareAndSet(cur, cur + bytes)) {
                return true;
            }
            cur = reserved.get();
        }
    }

    /** A new slab of class {@code c}, registered; null if it does not fit under the hard limit. */
    private Slab newSlab(final int c) {
        final long bytes = kegs[c].nextSlabBytes(slabSize);
        if (!reserve(bytes)) {
            return null;
        }
        final int size = SizeClasses.size(c);
        final Slab slab = newRegion(c, size, (int) (bytes / size), bytes, SizeClasses.PAGE);
        if (checked) {
            slab.segment.fill((byte) POISON_BYTE);
        }
        return publish(slab);
    }

    /** Allocates a shared arena's region and wraps it; undoes the reservation if the system refuses. */
    private Slab newRegion(final int c, final long blockSize, final int blocks, final long bytes, final long align) {
        final int index = table.reserveIndex();
        final Arena arena = Arena.ofShared();
        try {
            final MemorySegment seg = arena.allocate(bytes, align);
            return new Slab(index, c, blockSize, blocks, arena, seg);
        } catch (final RuntimeException | Error e) {
            arena.close();
            table.unreserve(index);
            reserved.addAndGet(-bytes);
            throw e;
        }
    }

    /** Adds a new slab to the table, unless close() came first (then releases it and throws). */
    private Slab publish(final Slab slab) {
        table.add(slab);
        slabsCreated.increment();
        // ORDER: acquire; the table's monitor orders add() and close()'s snapshot: if the
        // snapshot missed this slab, close() set `closed` before it and we see it here.
        if (closedAcquire()) {
            table.remove(slab);
            slab.arena.close();
            reserved.addAndGet(-slab.reservedBytes);
            throw closedException("allocate()");
        }
        return slab;
    }

    /**
     * At the hard limit. The first time ({@code tries == 0}) reclaims everything no reader can
     * hold (tagging the caches' partial batches) and returns, so that the caller retries; after
     * that, waits for the oldest goal (or for frees) and reclaims again ({@code WAIT}), or throws
     * ({@code FAIL}).
     */
    private void atLimit(final long request, final int tries) {
        if (tries == 0) {
            collect();
            return;
        }
        if (policy == LimitPolicy.FAIL) {
            failures.increment();
            throw new SmrArenaLimitException(name, hardLimit, describe("allocate(" + request
                    + ") at the hard limit of " + hardLimit + " bytes (" + reserved.get()
                    + " reserved; nothing reclaimable: " + pendingBytesNow() + " bytes freed wait for readers)"));
        }
        if (smr.entered()) {
            throw new IllegalStateException(describe("allocate(" + request + ") at the hard limit of " + hardLimit
                    + " bytes inside a read section of domain '" + smr.name() + "' would wait for itself"));
        }
        final long goal = oldestTag();
        final OffHeapEvents.Wait event = OffHeapEvents.recording() ? new OffHeapEvents.Wait() : null;
        if (event != null) {
            event.begin();
        }
        waits.increment();
        if (goal != SmrSeq.INVALID) {
            smr.waitFor(goal);
        } else {
            LockSupport.parkNanos(this, FREE_WAIT_NANOS); // nothing pending: wait for frees
        }
        if (event != null) {
            event.arena = name;
            event.request = request;
            event.goal = goal;
            event.limit = hardLimit;
            event.commit();
        }
        collect();
    }

    /** The oldest tag of any pending batch or large allocation, or INVALID. */
    private long oldestTag() {
        long oldest = SmrSeq.INVALID;
        for (final Depot d : depots) {
            final long t = d.headTagAcquire();
            if (t != SmrSeq.INVALID && (oldest == SmrSeq.INVALID || SmrSeq.lt(t, oldest))) {
                oldest = t;
            }
        }
        largeLock.lock();
        try {
            final Slab l = largePending.peekFirst();
            if (l != null && (oldest == SmrSeq.INVALID || SmrSeq.lt(l.tag, oldest))) {
                oldest = l.tag;
            }
        } finally {
            largeLock.unlock();
        }
        return oldest;
    }

    // ------------------------------------------------------------------ free

    /**
     * Frees a segment returned by {@link #allocate(long, long)} of this arena. Its memory is
     * reused, or returned to the system, only once no reader that entered a section of the
     * domain before this call can still be inside it. Allowed inside a read section of the
     * domain; never waits. The caller must have unlinked the segment (no new reader can find
     * it) and must not use it afterwards; see "Use after free" in the class documentation.
     *
     * <p>Progress: usually one uncontended stripe lock and one compare-and-set; once per
     * magazine, a depot lock and one {@code advance()}.
     *
     * @param segment a segment this arena allocated, or a slice of one that starts where it
     *        starts and is not longer than its block
     * @throws NullPointerException if {@code segment} is null
     * @throws IllegalArgumentException if this arena did not allocate {@code segment} (names
     *         the arena and the address)
     * @throws IllegalStateException on a double free (names the arena and the address), or if
     *         the arena is closed
     */
    public void free(final MemorySegment segment) {
        if (segment == null) {
            throw new NullPointerException(describe("free(segment): segment is null"));
        }
        if (closedAcquire()) {
            throw closedException("free(0x" + Long.toHexString(segment.address()) + ")");
        }
        final MemorySegment.Scope scope = segment.scope();
        final Stripe st = stripe();
        final Slab hint = st.freeHint; // racy hint, verified by its scope: see StripeLayout
        final Slab slab;
        if (hint != null && hint.segment.scope() == scope) {
            slab = hint;
        } else {
            slab = table.byScope(scope);
            if (slab == null) {
                throw foreign(segment, "its scope is not one of the arena's slabs");
            }
            st.freeHint = slab;
        }
        final long off = segment.address() - slab.base;
        if (off < 0 || off >= slab.reservedBytes || (long) slab.blockAt(off) * slab.blockSize != off
                || (slab.large() && off != 0)) {
            throw foreign(segment, "it does not start a block of slab 0x" + Long.toHexString(slab.base)
                    + " (block size " + slab.blockSize + ")");
        }
        if (segment.byteSize() > slab.blockSize) {
            throw foreign(segment, "its size " + segment.byteSize() + " exceeds its block's " + slab.blockSize);
        }
        freeHandle(slab, ((long) slab.index << 32) | off);
    }

    private IllegalArgumentException foreign(final MemorySegment segment, final String why) {
        refusedFrees.increment();
        return new IllegalArgumentException(describe("free(0x" + Long.toHexString(segment.address())
                + ", " + segment.byteSize() + " bytes): not a segment this arena allocated: " + why));
    }

    /** Frees the block of handle {@code h} (module-internal callers pass handles they allocated). */
    void freeHandle(final long h) {
        freeHandle(table.get(Slab.slabIndex(h)), h);
    }

    private void freeHandle(final Slab slab, final long h) {
        final int b = slab.blockOf(h);
        // ORDER: acquire CAS, the one atomic step of the free path: of two frees of one block
        // exactly one succeeds (see Slab).
        if (!slab.casState(b, Slab.ALLOCATED, Slab.FREED)) {
            refusedFrees.increment();
            final byte st = slab.stateAcquire(b);
            throw new IllegalStateException(describe("free(0x" + Long.toHexString(slab.address(h))
                    + "): " + (st == Slab.FREED ? "double free: the block is already freed and not yet reclaimed"
                    : "double free: the block is not allocated (freed earlier and reclaimed)")
                    + " (block size " + slab.blockSize + ")"));
        }
        if (slab.large()) {
            freeLarge(slab);
            return;
        }
        final int c = slab.sizeClass;
        final Stripe s = stripe();
        s.lock();
        Magazine f = s.free[c];
        if (f == null) {
            f = s.spare;
            s.spare = null;
            if (f == null) {
                f = new Magazine(magazineSize);
            }
            s.free[c] = f;
        }
        f.items[f.count++] = h;
        s.frees++;
        s.freedBytes += slab.blockSize;
        Magazine full = null;
        if (f.full()) {
            full = f;
            s.free[c] = null;
        }
        s.unlock();
        if (full != null) {
            enqueue(c, full, List.of());
        }
    }

    /**
     * Queues FREE magazines of class {@code c} as batches tagged with one advance, or untagged
     * if the caller is inside a section of the domain (advance would be an error there).
     */
    private void enqueue(final int c, final Magazine m, final List<Magazine> more) {
        final boolean inSection = smr.entered();
        final Depot d = depots[c];
        final long now = System.nanoTime();
        if (immediateReuse) {
            brokenImmediateReuse(d, m, more);
            return;
        }
        d.lock.lock();
        try {
            if (inSection) {
                if (m != null) {
                    m.enqueuedNanos = now;
                    d.untagged.addLast(m);
                    d.untaggedBlocks += m.count;
                }
                return;
            }
            // ORDER: the advance is taken under the depot lock, after every free in these
            // magazines (they reached us through a stripe lock): tags stay non-decreasing and
            // each covers its batch.
            final long tag = smr.advance();
            batchesQueued.increment();
            d.queueLocked(m, tag, now);
            for (final Magazine x : more) {
                d.queueLocked(x, tag, now);
            }
        } finally {
            d.lock.unlock();
        }
    }

    /** The negative control's broken free path: FREED blocks become CACHED at once, no goal. */
    private void brokenImmediateReuse(final Depot d, final Magazine m, final List<Magazine> more) {
        final List<Magazine> all = new ArrayList<>(more);
        if (m != null) {
            all.add(m);
        }
        for (final Magazine x : all) {
            expire(x);
        }
        d.lock.lock();
        try {
            for (final Magazine x : all) {
                d.ready.addFirst(x);
                d.readyBlocks += x.count;
            }
        } finally {
            d.lock.unlock();
        }
    }

    // ------------------------------------------------------------------ large allocations

    private long allocateLarge(final long byteSize, final long byteAlignment) {
        final long bytes = Math.max(byteSize, 1);
        int tries = 0;
        while (!reserve(bytes)) {
            atLimit(byteSize, tries++);
        }
        final Slab slab = publish(newRegion(-1, byteSize, 1, bytes, Math.max(byteAlignment, SizeClasses.QUANTUM)));
        slab.setStateRelease(0, Slab.ALLOCATED);
        largeAllocations.increment();
        largeInUse.addAndGet(slab.reservedBytes);
        return ((long) slab.index) << 32;
    }

    private void freeLarge(final Slab slab) {
        largeFrees.increment();
        largeInUse.addAndGet(-slab.reservedBytes);
        final boolean inSection = smr.entered();
        largeLock.lock();
        try {
            largePendingBytes += slab.reservedBytes;
            if (inSection) {
                largeUntagged.addLast(slab);
                return;
            }
            final long tag = smr.advance();
            Slab u;
            while ((u = largeUntagged.pollFirst()) != null) {
                u.tag = tag;
                largePending.addLast(u);
            }
            slab.tag = tag;
            largePending.addLast(slab);
        } finally {
            largeLock.unlock();
        }
        if (!inSection) {
            releaseExpiredLarge();
        }
    }

    /** Releases large allocations from the head of the FIFO while their goal is reached. */
    private long releaseExpiredLarge() {
        final List<Slab> expired = new ArrayList<>();
        largeLock.lock();
        try {
            Slab l;
            while ((l = largePending.peekFirst()) != null && pollOrNudge(l.tag)) {
                largePending.pollFirst();
                largePendingBytes -= l.reservedBytes;
                l.setStateRelease(0, Slab.FREE);
                expired.add(l);
            }
        } finally {
            largeLock.unlock();
        }
        return release(expired);
    }

    // ------------------------------------------------------------------ reclaim, close

    /**
     * Gives back to the system every slab whose blocks no reader can hold, and every expired
     * large allocation: tags the partially filled free magazines of every per-thread cache
     * (one advance per class), returns the cached blocks of every cache and depot, and every
     * batch whose goal has been reached (oldest first, stopping at the first that has not), to
     * their slabs, and closes the arena of each slab that became wholly free. In lazy mode it
     * then sleeps until the domain's clock reaches the goal it just tagged (at most about one
     * tick; it never waits for readers) and gives back what that freed. So after the last
     * reader that could hold freed memory has left, one {@code reclaim()} returns it.
     *
     * <p>Progress: takes every stripe, depot and keg lock briefly; one arena close (a JDK
     * handshake) per slab released; never waits for readers.
     *
     * @return the bytes returned to the system
     * @throws IllegalStateException if the arena is closed, or if called inside a read section
     *         of the domain (it advances)
     */
    public long reclaim() {
        if (closedAcquire()) {
            throw closedException("reclaim()");
        }
        checkNotInSection("reclaim()");
        long released = collect();
        final long goal = newestTag();
        if (goal != SmrSeq.INVALID) {
            // Collect again whenever something is still pending, not only when this poll fails:
            // the goal may be reached between the first collect's polls and this one (a lazy
            // tick passing), and then the batches the first collect could not expire would stay
            // pending although nothing holds them (SmrArenaStalledReaderTest, LAZY, 1 run in 6).
            if (!smr.poll(goal)) {
                awaitClock(goal);
            }
            released += collect();
        }
        return released;
    }

    /**
     * Flushes the caches, gives back READY magazines and expired batches to the kegs, releases
     * emptied slabs and expired large allocations. Returns the bytes released to the system.
     */
    private long collect() {
        if (smr.entered()) {
            // Inside a section we cannot tag the caches' partial batches; give back what has expired.
            return releaseDepots() + releaseExpiredLarge() + retryUnreleased();
        }
        final List<List<Magazine>> frees = new ArrayList<>(SizeClasses.COUNT);
        final List<List<Magazine>> allocs = new ArrayList<>(SizeClasses.COUNT);
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            frees.add(new ArrayList<>(0));
            allocs.add(new ArrayList<>(0));
        }
        for (final Stripe s : stripes) {
            s.lock();
            for (int c = 0; c < SizeClasses.COUNT; c++) {
                final Magazine f = s.free[c];
                if (f != null && f.count > 0) {
                    s.free[c] = null;
                    frees.get(c).add(f);
                }
                final Magazine a = s.alloc[c];
                if (a != null && a.count > 0) {
                    s.alloc[c] = null;
                    allocs.get(c).add(a);
                }
            }
            s.unlock();
        }
        final List<Slab> emptied = new ArrayList<>();
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            // The untagged check is a racy hint: a batch untagged concurrently is tagged by the next call.
            if (!frees.get(c).isEmpty() || depots[c].untaggedBlocks > 0) {
                enqueue(c, null, frees.get(c));
            }
            for (final Magazine a : allocs.get(c)) {
                kegs[c].giveBack(a, table, emptied);
            }
        }
        largeLock.lock();
        try {
            if (!largeUntagged.isEmpty()) {
                final long tag = smr.advance();
                Slab u;
                while ((u = largeUntagged.pollFirst()) != null) {
                    u.tag = tag;
                    largePending.addLast(u);
                }
            }
        } finally {
            largeLock.unlock();
        }
        return release(emptied) + releaseDepots() + releaseExpiredLarge() + retryUnreleased();
    }

    /** Gives back every class's READY magazines and expired batches; releases emptied slabs. */
    private long releaseDepots() {
        final List<Slab> emptied = new ArrayList<>();
        final List<Magazine> back = new ArrayList<>();
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            final Depot d = depots[c];
            d.lock.lock();
            try {
                Magazine r;
                while ((r = d.ready.pollFirst()) != null) {
                    d.readyBlocks -= r.count;
                    back.add(r);
                }
                Magazine head;
                while ((head = d.pending.peekFirst()) != null && pollOrNudge(head.tag)) {
                    final Magazine m = d.dequeueHeadLocked();
                    expire(m);
                    back.add(m);
                }
            } finally {
                d.lock.unlock();
            }
            for (final Magazine m : back) {
                kegs[c].giveBack(m, table, emptied);
            }
            back.clear();
        }
        return release(emptied);
    }

    /** The newest tag of any pending batch or large allocation, or INVALID. */
    private long newestTag() {
        long newest = SmrSeq.INVALID;
        for (final Depot d : depots) {
            d.lock.lock();
            try {
                final Magazine last = d.pending.peekLast();
                if (last != null && (newest == SmrSeq.INVALID || SmrSeq.gt(last.tag, newest))) {
                    newest = last.tag;
                }
            } finally {
                d.lock.unlock();
            }
        }
        largeLock.lock();
        try {
            final Slab l = largePending.peekLast();
            if (l != null && (newest == SmrSeq.INVALID || SmrSeq.gt(l.tag, newest))) {
                newest = l.tag;
            }
        } finally {
            largeLock.unlock();
        }
        return newest;
    }

    /**
     * Waits until the domain's write sequence reaches {@code goal}, never for readers: in lazy
     * mode the clock passes it within a tick (we sleep); in deferred mode a few advances move
     * it; in default mode it is there already.
     */
    private void awaitClock(final long goal) {
        final long deadline = System.nanoTime() + CLOCK_WAIT_MAX_NANOS;
        boolean interrupted = false;
        while (SmrSeq.lt(smr.current(), goal) && System.nanoTime() - deadline < 0) {
            if (smr.mode() == Smr.Mode.LAZY) {
                if (smr.poll(goal)) {
                    break; // moves the clock forward and may find the goal reached
                }
                LockSupport.parkNanos(this, 50_000);
                interrupted |= Thread.interrupted();
            } else {
                smr.advance();
            }
        }
        smr.poll(goal);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Closes the arenas of {@code slabs} (wholly free, off every list); returns their bytes. */
    private long release(final List<Slab> slabs) {
        long bytes = 0;
        for (final Slab s : slabs) {
            bytes += releaseOne(s);
        }
        return bytes;
    }

    private long releaseOne(final Slab s) {
        try {
            s.arena.close(); // one JDK handshake: every segment into the slab becomes inaccessible
        } catch (final IllegalStateException held) {
            // A segment of this slab is held by a native call (acquired). Keep it; retried by reclaim.
            LOG.log(System.Logger.Level.WARNING, describe("slab 0x" + Long.toHexString(s.base)
                    + " could not be released yet: " + held.getMessage()));
            synchronized (unreleased) {
                unreleased.addLast(s);
            }
            return 0;
        }
        table.remove(s);
        reserved.addAndGet(-s.reservedBytes);
        slabsReleased.increment();
        for (final Stripe st : stripes) {
            if (st.freeHint == s) {
                st.freeHint = null; // racy, as every access of the hint: lets the slab's heap go
            }
        }
        if (OffHeapEvents.recording()) {
            final OffHeapEvents.SlabRelease e = new OffHeapEvents.SlabRelease();
            e.arena = name;
            e.blockSize = s.blockSize;
            e.bytes = s.reservedBytes;
            e.commit();
        }
        return s.reservedBytes;
    }

    private long retryUnreleased() {
        final List<Slab> again = new ArrayList<>();
        synchronized (unreleased) {
            again.addAll(unreleased);
            unreleased.clear();
        }
        return release(again);
    }

    /**
     * Closes the arena: afterwards {@code allocate}, {@code free} and {@code reclaim} throw
     * {@link IllegalStateException} naming the arena. Waits until no reader that entered a
     * section of the domain before the call can still be inside, then closes every slab's
     * shared arena (so every segment the arena ever handed out, freed or not, becomes
     * inaccessible: using one throws {@link IllegalStateException}), and unregisters the MBean.
     * A domain given to the builder is left open (it may be shared); one the arena created is
     * {@linkplain Smr#close() closed}, so its MBean goes too. Idempotent: later calls return at once.
     *
     * <p>Progress: blocking (it waits for readers); one JDK handshake per slab.
     *
     * @throws IllegalStateException if called inside a read section of the domain
     */
    @Override
    public void close() {
        checkNotInSection("close()");
        synchronized (closeLock) {
            if (closedAcquire()) {
                return;
            }
            // ORDER: release; pairs with the acquire loads of the entry points and publish().
            CLOSED.setRelease(this, true);
            VarHandle.fullFence(); // store-load: the table snapshot below comes after the flag is visible
        }
        for (final Stripe s : stripes) {
            s.lock(); // a call that saw the arena open under this lock has finished its magazine work
            s.unlock();
        }
        smr.synchronize();
        for (final Slab s : table.snapshot()) {
            try {
                s.arena.close();
            } catch (final IllegalStateException held) {
                LOG.log(System.Logger.Level.WARNING, describe("close(): slab 0x" + Long.toHexString(s.base)
                        + " is held by a native call and stays mapped: " + held.getMessage()));
                continue;
            }
            table.remove(s);
            reserved.addAndGet(-s.reservedBytes);
            slabsReleased.increment();
        }
        Jmx.unregister(mbeanName);
        OffHeapPeriodic.remove(periodic);
        if (ownsSmr) {
            smr.close();
        }
    }

    /**
     * Returns whether {@link #close()} has been called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closedAcquire();
    }

    // ------------------------------------------------------------------ checked mode

    /** Checked mode, a batch expired: poison its blocks; every batch: FREED -> CACHED. */
    private void expire(final Magazine m) {
        for (int i = 0; i < m.count; i++) {
            final long h = m.items[i];
            final Slab slab = table.get(Slab.slabIndex(h));
            if (checked) {
                slab.segment.asSlice(Slab.offset(h), slab.blockSize).fill((byte) POISON_BYTE);
            }
            slab.setStateRelease(slab.blockOf(h), Slab.CACHED);
        }
    }

    private void verifyPoison(final Slab slab, final long h, final Stripe s, final int c) {
        final long off = Slab.offset(h);
        final long at = MemorySegment.mismatch(slab.segment, off, off + slab.blockSize, poison, 0, slab.blockSize);
        if (at < 0) {
            return;
        }
        poisonViolations.increment();
        final int found = Byte.toUnsignedInt(slab.segment.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + at));
        slab.segment.asSlice(off, slab.blockSize).fill((byte) POISON_BYTE);
        s.lock();
        s.allocations--;
        s.allocatedBytes -= slab.blockSize;
        s.unlock();
        final Magazine back = new Magazine(1);
        back.items[back.count++] = h;
        final List<Slab> emptied = new ArrayList<>();
        kegs[c].giveBack(back, table, emptied);
        release(emptied);
        throw new IllegalStateException(describe("block 0x" + Long.toHexString(slab.address(h)) + " (size "
                + slab.blockSize + ") was written after it was freed: byte " + at + " is 0x"
                + Integer.toHexString(found) + ", not the poison 0x" + Integer.toHexString(POISON_BYTE)
                + " (a stale segment was used; the block was re-poisoned and not handed out)"));
    }

    // ------------------------------------------------------------------ internal accessors

    /** The segment of the slab that holds handle {@code h}; the block starts at {@link #offsetOf}. */
    MemorySegment segmentOf(final long h) {
        return table.get(Slab.slabIndex(h)).segment;
    }

    static long offsetOf(final long h) {
        return Slab.offset(h);
    }

    /** The block size behind handle {@code h}. */
    long blockSizeOf(final long h) {
        return table.get(Slab.slabIndex(h)).blockSize;
    }

    private Stripe stripe() {
        final long id = Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L; // Fibonacci hashing
        return stripes[(int) (id >>> 32) & (stripes.length - 1)];
    }

    private void checkNotInSection(final String what) {
        if (smr.entered()) {
            throw new IllegalStateException(describe(what + " inside a read section of domain '" + smr.name()
                    + "' (it advances the domain)"));
        }
    }

    IllegalStateException closedException(final String what) {
        return new IllegalStateException(describe(what + " after close()"));
    }

    String describe(final String what) {
        return "arena '" + name + "': " + what + " (thread " + Thread.currentThread() + ")";
    }

    private boolean closedAcquire() {
        return (boolean) CLOSED.getAcquire(this);
    }

    private boolean closedOpaque() {
        return (boolean) CLOSED.getOpaque(this); // under a stripe or depot lock, see the overview
    }

    private static int ceilPow2(final int n) {
        return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    // ------------------------------------------------------------------ statistics

    private long pendingBytesNow() {
        return stats().pendingBytes();
    }

    /**
     * Returns a snapshot of the arena's counters. It visits each stripe and each depot in
     * turn without stopping anyone, so it is not a consistent cut while other threads use the
     * arena. Works after close.
     *
     * @return the counters now
     */
    public Stats stats() {
        long allocations = 0;
        long frees = 0;
        long inUse = largeInUse.get();
        long pending = 0;
        for (final Stripe s : stripes) {
            s.lock();
            allocations += s.allocations;
            frees += s.frees;
            inUse += s.allocatedBytes - s.freedBytes;
            for (int c = 0; c < SizeClasses.COUNT; c++) {
                final Magazine f = s.free[c];
                if (f != null) {
                    pending += (long) f.count * SizeClasses.size(c);
                }
            }
            s.unlock();
        }
        int batches = 0;
        long oldest = Long.MAX_VALUE;
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            final Depot d = depots[c];
            d.lock.lock();
            try {
                batches += d.pending.size() + d.untagged.size();
                pending += (d.pendingBlocks + d.untaggedBlocks) * SizeClasses.size(c);
                final Magazine h = d.pending.peekFirst();
                if (h != null) {
                    oldest = Math.min(oldest, h.enqueuedNanos);
                }
                final Magazine u = d.untagged.peekFirst();
                if (u != null) {
                    oldest = Math.min(oldest, u.enqueuedNanos);
                }
            } finally {
                d.lock.unlock();
            }
        }
        largeLock.lock();
        try {
            pending += largePendingBytes;
            batches += largePending.size() + largeUntagged.size();
        } finally {
            largeLock.unlock();
        }
        final long res = reserved.get();
        final long cached = Math.max(0, res - inUse - pending);
        final Duration age = oldest == Long.MAX_VALUE ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - oldest);
        return new Stats(name, res, inUse, pending, cached, table.live(), slabsCreated.sum(), slabsReleased.sum(),
                batches, age, allocations + largeAllocations.sum(), frees + largeFrees.sum(), largeAllocations.sum(),
                waits.sum(), failures.sum(), refusedFrees.sum(), poisonViolations.sum(), batchesQueued.sum(), hardLimit);
    }

    /**
     * Returns the name under which this arena's MBean is registered.
     *
     * @return the object name ({@code org.smr4j:type=SmrArena,name=<name>}, with
     *         {@code ,instance=<n>} appended while another arena of the same name is
     *         registered), or null if JMX was disabled, registration failed, or the arena is closed
     */
    public String mbeanName() {
        final ObjectName on = mbeanName;
        return on == null || isClosed() ? null : on.getCanonicalName();
    }

    private void registerMBean() {
        final SmrArenaMXBean bean = new SmrArenaMXBean() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public long getReservedBytes() {
                return stats().reservedBytes();
            }

            @Override
            public long getInUseBytes() {
                return stats().inUseBytes();
            }

            @Override
            public long getPendingBytes() {
                return stats().pendingBytes();
            }

            @Override
            public long getCachedBytes() {
                return stats().cachedBytes();
            }

            @Override
            public int getSlabs() {
                return stats().slabs();
            }

            @Override
            public long getSlabsReleased() {
                return stats().slabsReleased();
            }

            @Override
            public int getBatchesPending() {
                return stats().batchesPending();
            }

            @Override
            public double getOldestPendingAgeMillis() {
                return stats().oldestPendingAge().toNanos() / 1e6;
            }

            @Override
            public long getAllocations() {
                return stats().allocations();
            }

            @Override
            public long getFrees() {
                return stats().frees();
            }

            @Override
            public long getWaits() {
                return stats().waits();
            }

            @Override
            public long getFailures() {
                return stats().failures();
            }

            @Override
            public long getRefusedFrees() {
                return stats().refusedFrees();
            }

            @Override
            public long getPoisonViolations() {
                return stats().poisonViolations();
            }

            @Override
            public String getHardLimit() {
                return Jmx.limit(hardLimit);
            }
        };
        final Map<String, String> d = Map.ofEntries(
                Map.entry("Name", "The arena's name"),
                Map.entry("ReservedBytes", "Bytes reserved from the system: slabs plus large allocations"),
                Map.entry("InUseBytes", "Bytes of blocks handed out and not freed (block sizes, at least the requests)"),
                Map.entry("PendingBytes", "Bytes freed and waiting for readers to leave their sections"),
                Map.entry("CachedBytes", "Bytes reserved, neither in use nor pending: reusable without a system call"),
                Map.entry("Slabs", "Slabs and large allocations held now"),
                Map.entry("SlabsReleased", "Slabs and large allocations returned to the system so far (one shared-arena close each)"),
                Map.entry("BatchesPending",
                        "Tagged batches of freed blocks waiting for their goal (and untagged ones freed inside sections)"),
                Map.entry("OldestPendingAgeMillis", "How long the oldest pending batch has waited, in milliseconds; 0 when none"),
                Map.entry("Allocations", "Allocations so far"),
                Map.entry("Frees", "Frees accepted so far"),
                Map.entry("Waits", "Allocations that waited at the hard limit"),
                Map.entry("Failures", "Allocations refused at the hard limit"),
                Map.entry("RefusedFrees", "Frees refused: double frees and segments this arena did not allocate"),
                Map.entry("PoisonViolations", "Late writes to freed blocks caught by a checked arena"),
                Map.entry("HardLimit", "The hard limit on reserved bytes, or \"unlimited\""));
        this.mbeanName = Jmx.register("SmrArena", name,
                new Jmx.Described<>(bean, SmrArenaMXBean.class, "smr4j off-heap arena '" + name + "'", d));
    }

    // ------------------------------------------------------------------ invariants

    /**
     * For tests, with the arena quiescent: checks invariants 1 and 3 of the overview and that
     * the block counts of stripes, depots and kegs add up. Throws {@link AssertionError}.
     */
    void checkInvariants() {
        long slabBytes = 0;
        final Slab[] live = table.snapshot();
        final java.util.HashMap<Slab, int[]> counts = new java.util.HashMap<>();
        for (final Slab s : live) {
            slabBytes += s.reservedBytes;
            final int[] n = new int[4];
            for (int b = 0; b < s.blocks; b++) {
                n[s.stateAcquire(b)]++;
            }
            counts.put(s, n);
            if (!s.large() && n[Slab.FREE] != s.freeCount) {
                throw new AssertionError(s + ": " + n[Slab.FREE] + " FREE states but freeCount " + s.freeCount);
            }
        }
        if (!isClosed() && slabBytes != reserved.get()) {
            throw new AssertionError(describe("reserved " + reserved.get() + " != live slabs' " + slabBytes));
        }
        if (reserved.get() > hardLimit) {
            throw new AssertionError(describe("reserved " + reserved.get() + " > hard limit " + hardLimit));
        }
        // Every cached or freed handle sits in exactly one magazine, in the matching state.
        final java.util.HashSet<Long> seen = new java.util.HashSet<>();
        final java.util.function.BiConsumer<Magazine, Byte> visit = (m, st) -> {
            for (int i = 0; i < m.count; i++) {
                final long h = m.items[i];
                if (!seen.add(h)) {
                    throw new AssertionError(describe("handle 0x" + Long.toHexString(h) + " in two magazines"));
                }
                final Slab s = table.get(Slab.slabIndex(h));
                if (s == null || s.stateAcquire(s.blockOf(h)) != st) {
                    throw new AssertionError(describe("handle 0x" + Long.toHexString(h) + " in a magazine of state "
                            + st + " but its block is " + (s == null ? "in no slab" : s.stateAcquire(s.blockOf(h)))));
                }
            }
        };
        for (final Stripe s : stripes) {
            s.lock();
            try {
                for (int c = 0; c < SizeClasses.COUNT; c++) {
                    if (s.alloc[c] != null) {
                        visit.accept(s.alloc[c], Slab.CACHED);
                    }
                    if (s.free[c] != null) {
                        visit.accept(s.free[c], Slab.FREED);
                    }
                }
            } finally {
                s.unlock();
            }
        }
        for (final Depot d : depots) {
            d.lock.lock();
            try {
                long p = 0;
                for (final Magazine m : d.pending) {
                    visit.accept(m, Slab.FREED);
                    p += m.count;
                }
                long r = 0;
                for (final Magazine m : d.ready) {
                    visit.accept(m, Slab.CACHED);
                    r += m.count;
                }
                long u = 0;
                for (final Magazine m : d.untagged) {
                    visit.accept(m, Slab.FREED);
                    u += m.count;
                }
                if (p != d.pendingBlocks || r != d.readyBlocks || u != d.untaggedBlocks) {
                    throw new AssertionError(describe("depot counts " + d.pendingBlocks + "/" + d.readyBlocks + "/"
                            + d.untaggedBlocks + " != magazines' " + p + "/" + r + "/" + u));
                }
                long last = SmrSeq.INVALID;
                for (final Magazine m : d.pending) {
                    if (last != SmrSeq.INVALID && SmrSeq.lt(m.tag, last)) {
                        throw new AssertionError(describe("pending tags decrease: " + last + " then " + m.tag));
                    }
                    last = m.tag;
                }
            } finally {
                d.lock.unlock();
            }
        }
        long cachedStates = 0;
        long freedStates = 0;
        for (final Slab s : live) {
            if (!s.large()) {
                cachedStates += counts.get(s)[Slab.CACHED];
                freedStates += counts.get(s)[Slab.FREED];
            }
        }
        long cachedSeen = 0;
        long freedSeen = 0;
        for (final Long h : seen) {
            final Slab s = table.get(Slab.slabIndex(h));
            if (s.stateAcquire(s.blockOf(h)) == Slab.CACHED) {
                cachedSeen++;
            } else {
                freedSeen++;
            }
        }
        if (cachedSeen != cachedStates || freedSeen != freedStates) {
            throw new AssertionError(describe("blocks in magazines (cached " + cachedSeen + ", freed " + freedSeen
                    + ") != block states (cached " + cachedStates + ", freed " + freedStates + "): a block was lost"));
        }
    }

    @Override
    public String toString() {
        return "SmrArena[" + name + ", domain " + smr.name() + (checked ? ", checked" : "")
                + (isClosed() ? ", closed" : ", reserved=" + reserved.get()) + ", hardLimit=" + Jmx.limit(hardLimit) + "]";
    }

    // ------------------------------------------------------------------ Builder

    /**
     * Configures an arena. Not thread-safe. Every setting has a default: an arena built from
     * {@code builder(name).build()} has its own default-mode domain, 1 MiB slabs, magazines of
     * {@value SmrArena#MAGAZINE_SIZE_DEFAULT}, no hard limit, no checks and an MBean.
     */
    public static final class Builder {
        private final String name;
        private Smr smr;
        private boolean checked;
        private long hardLimit = Long.MAX_VALUE;
        private LimitPolicy policy = LimitPolicy.WAIT;
        private long slabSize = SLAB_SIZE_DEFAULT;
        private int magazineSize = MAGAZINE_SIZE_DEFAULT;
        private boolean jmx = true;
        private boolean immediateReuse;

        private Builder(final String name) {
            this.name = name;
        }

        /**
         * Shares an existing domain: readers of the arena's memory then enter sections of it.
         * Without it the arena creates its own default-mode domain named after the arena. Any
         * mode works; in lazy mode freed memory is reused about one tick later.
         *
         * @param smr the domain
         * @return this builder
         * @throws NullPointerException if {@code smr} is null
         */
        public Builder smr(final Smr smr) {
            this.smr = Objects.requireNonNull(smr, "smr");
            return this;
        }

        /**
         * Turns checked mode on or off (off by default): expired blocks are poisoned and
         * verified before reuse; see the class documentation.
         *
         * @param on whether to check
         * @return this builder
         */
        public Builder checked(final boolean on) {
            this.checked = on;
            return this;
        }

        /**
         * Sets the hard limit on bytes reserved from the system (slabs and large
         * allocations). Unlimited by default.
         *
         * @param bytes at least the slab size
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is below the slab size (checked again at build)
         */
        public Builder hardLimit(final long bytes) {
            if (bytes < SLAB_SIZE_MIN) {
                throw new IllegalArgumentException("arena '" + name + "': hardLimit(bytes " + bytes
                        + "): bytes out of range [" + SLAB_SIZE_MIN + " (and at least the slab size), " + Long.MAX_VALUE + "]");
            }
            this.hardLimit = bytes;
            return this;
        }

        /**
         * Sets what an allocation does at the hard limit; {@link LimitPolicy#WAIT} by default.
         *
         * @param policy the policy
         * @return this builder
         * @throws NullPointerException if {@code policy} is null
         */
        public Builder limitPolicy(final LimitPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Sets the slab size: the unit in which memory is taken from and given back to the system
         * (one shared-arena close per slab given back). Default {@link SmrArena#SLAB_SIZE_DEFAULT}.
         *
         * @param bytes a power of two from {@link SmrArena#SLAB_SIZE_MIN} to {@link SmrArena#SLAB_SIZE_MAX}
         * @return this builder
         * @throws IllegalArgumentException if out of range or not a power of two
         */
        public Builder slabSize(final long bytes) {
            if (bytes < SLAB_SIZE_MIN || bytes > SLAB_SIZE_MAX || Long.bitCount(bytes) != 1) {
                throw new IllegalArgumentException("arena '" + name + "': slabSize(bytes " + bytes
                        + "): bytes must be a power of two in [" + SLAB_SIZE_MIN + ", " + SLAB_SIZE_MAX + "]");
            }
            this.slabSize = bytes;
            return this;
        }

        /**
         * Sets the number of blocks per magazine, and so per tagged batch (one advance each).
         *
         * @param n from 1 to {@value SmrArena#MAGAZINE_SIZE_MAX}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder magazineSize(final int n) {
            if (n < 1 || n > MAGAZINE_SIZE_MAX) {
                throw new IllegalArgumentException("arena '" + name + "': magazineSize(n " + n
                        + "): n out of range [1, " + MAGAZINE_SIZE_MAX + "]");
            }
            this.magazineSize = n;
            return this;
        }

        /**
         * Turns JMX registration on (the default) or off.
         *
         * @param on whether to register an MBean
         * @return this builder
         */
        public Builder jmx(final boolean on) {
            this.jmx = on;
            return this;
        }

        /**
         * Tests only: a deliberately broken arena whose frees are reused at once, without
         * waiting for readers (the torture test's negative control).
         *
         * @return this builder
         */
        Builder immediateReuseForTests() {
            this.immediateReuse = true;
            return this;
        }

        /**
         * Builds the arena and registers its MBean (last, so that a build that fails registers
         * nothing). Reserves no memory until the first allocation.
         *
         * @return a new arena
         * @throws IllegalArgumentException if the hard limit is below the slab size
         */
        public SmrArena build() {
            if (hardLimit < slabSize) {
                throw new IllegalArgumentException("arena '" + name + "': hard limit " + hardLimit
                        + " is below the slab size " + slabSize + ": range [" + slabSize + ", " + Long.MAX_VALUE + "]");
            }
            final SmrArena arena = new SmrArena(this);
            if (jmx) {
                arena.registerMBean();
            }
            arena.periodic = OffHeapPeriodic.add(arena);
            return arena;
        }
    }

    // ------------------------------------------------------------------ Stats

    /**
     * A snapshot of an arena's counters, as {@code vmstat -z} shows a zone.
     *
     * @param name             the arena's name
     * @param reservedBytes    bytes reserved from the system: slabs plus large allocations
     * @param inUseBytes       bytes of blocks handed out and not freed (block sizes)
     * @param pendingBytes     bytes freed and waiting for their grace period (in per-thread
     *                         magazines, untagged or tagged batches)
     * @param cachedBytes      bytes reserved that are neither in use nor pending
     * @param slabs            slabs and large allocations held now
     * @param slabsCreated     slabs and large allocations created so far
     * @param slabsReleased    slabs and large allocations returned to the system so far
     * @param batchesPending   batches waiting for their goal (tagged or not)
     * @param oldestPendingAge how long the oldest pending batch has waited, zero when none
     * @param allocations      allocations so far
     * @param frees            frees accepted so far
     * @param largeAllocations large allocations so far (included in {@code allocations})
     * @param waits            allocations that waited at the hard limit
     * @param failures         allocations refused at the hard limit
     * @param refusedFrees     frees refused: double frees and segments not from this arena
     * @param poisonViolations late writes to freed blocks caught by a checked arena
     * @param batchesQueued    tagged batches queued so far (one domain advance each)
     * @param hardLimit        the hard limit in bytes ({@link Long#MAX_VALUE}: unlimited)
     */
    public record Stats(String name, long reservedBytes, long inUseBytes, long pendingBytes, long cachedBytes,
                        int slabs, long slabsCreated, long slabsReleased, int batchesPending,
                        Duration oldestPendingAge, long allocations, long frees, long largeAllocations,
                        long waits, long failures, long refusedFrees, long poisonViolations, long batchesQueued,
                        long hardLimit) {
    }

    // ------------------------------------------------------------------ VarHandle mechanics

    private static final VarHandle CLOSED;

    static {
        try {
            CLOSED = MethodHandles.lookup().findVarHandle(SmrArena.class, "closed", boolean.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
