package org.smr4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * A safe memory reclamation domain: FreeBSD's {@code smr(9)} (Jeff Roberson's Global Unbounded
 * Sequences) for Java.
 *
 * <p>Readers bracket lock-free traversals of a shared structure with {@link #enter()} and
 * {@link #exit()} (or, on hot paths, with an explicit {@link Reader} handle). Writers, serialised
 * among themselves by their own lock, unlink an object and call {@link #advance()}, which
 * returns a <em>goal</em>. Once {@link #poll(long) poll(goal)} returns true, or
 * {@link #waitFor(long) waitFor(goal)} returns, no reader can still hold a reference it found
 * before the unlink, and the object may be reused, recycled, or its native memory freed.
 *
 * <h2>Example</h2>
 * <pre>{@code
 * Smr smr = Smr.create("sessions");
 * // reader, any thread
 * smr.enter();
 * try {
 *     Session s = table.lookup(id);   // lock-free traversal
 *     if (s != null) use(s);          // s cannot be recycled while we are inside
 * } finally {
 *     smr.exit();
 * }
 * // writer, under the table's lock
 * Session old = table.remove(id);
 * long goal = smr.advance();
 * ...
 * if (smr.poll(goal)) pool.recycle(old); // or smr.waitFor(goal)
 * }</pre>
 *
 * <h2>Modes</h2>
 * <ul>
 *   <li>{@linkplain #create default}: every {@link #advance()} increments the shared write
 *       sequence; every enter publishes with a store-load barrier (one locked instruction on
 *       x86, a full fence elsewhere).</li>
 *   <li>{@linkplain Builder#deferred(int) deferred} ({@code SMR_DEFERRED}): advances touch
 *       the shared write sequence only on every {@code limit}-th call per stripe of threads
 *       (FreeBSD counts per CPU; we count per stripe chosen by thread id, about one stripe
 *       per CPU, so short-lived threads share counters); the others return a
 *       goal one step in the future, which a non-blocking poll reports as not reached until
 *       some later advance moves the sequence past it.</li>
 *   <li>{@linkplain Builder#lazy() lazy} ({@code SMR_LAZY}): the write sequence moves with a
 *       coarse monotonic clock (one step per tick, 1 ms by default), goals lie one tick ahead,
 *       and readers publish with a plain store and <em>no fence</em>: the writer side pays one
 *       process-wide barrier ({@code membarrier(2)}) per tick instead. Where that barrier is
 *       unavailable, lazy readers fall back to the default fenced publication and a one-line
 *       notice is logged once.</li>
 * </ul>
 *
 * <h2>Readers</h2>
 * Sections nest: the outermost {@code enter} publishes, the matching outermost {@code exit}
 * clears, inner pairs only count (a documented difference from FreeBSD, which forbids
 * recursion). Readers must not block inside a section: a reader that parks holds back every
 * goal, and so the memory of every writer. Readers may be platform or virtual threads; each
 * thread has its own record, so no two live sections ever share a publication slot. A thread
 * that dies, even inside a section, stops holding reclamation back, and its record is
 * recycled.
 *
 * <h2>Misuse</h2>
 * {@link #exit()} without a matching enter, {@link #advance()}, {@link #waitFor(long)} or
 * {@link #synchronize()} inside a section of the same domain, and a {@link Reader} used from
 * a thread other than its owner each throw {@link IllegalStateException} naming the domain
 * and the thread, as do {@link #advance()} and a new reader thread after {@link #close()}.
 * A goal this domain cannot have produced throws {@link IllegalArgumentException} naming the
 * goal and the write sequence.
 *
 * <h2>Observability</h2>
 * Each domain registers an {@link SmrMXBean} as {@code org.smr4j:type=Smr,name=<name>}
 * (see {@link #mbeanName()}; off with {@link Builder#jmx(boolean)}), removed by
 * {@link #close()} or once the domain is unreachable. Flight Recorder events:
 * {@code org.smr4j.SmrStatistics} (periodic), {@code org.smr4j.GoalWait} (a blocking wait) and
 * {@code org.smr4j.StalledReader} (a reader that held the oldest sequence past a threshold,
 * named by thread), all from slow paths: {@code enter} and {@code exit} never touch them.
 * {@code docs/GUIDE.md} section 10 has the details.
 *
 * <h2>Progress</h2>
 * {@code enter}, {@code exit}, {@code current} are wait-free. {@code advance} is wait-free
 * (it may wait only if readers lag 2<sup>62</sup> sequence numbers behind, which cannot
 * happen with 64-bit sequences outside the wrap test configuration). {@code poll} is
 * lock-free and scans every registered reader. {@code waitFor} and {@code synchronize}
 * block: they spin briefly, then park with growing timeouts (never {@code Thread.yield}, which
 * would starve the carriers of virtual threads); in lazy mode they sleep until the clock
 * passes the goal. They are not interruptible; an interrupt is kept for the caller.
 *
 * <h2>Memory consistency effects</h2>
 * As {@code smr(9)} documents: {@code enter} has acquire semantics and {@code exit} has
 * release semantics. Actions of a reader before {@code exit()} <i>happen-before</i> the
 * actions of a thread that follow a {@code poll(goal)} returning true (or a {@code waitFor(goal)}
 * returning) for a goal obtained after the reader's matching {@code enter()}; and a reader
 * whose {@code enter()} could not be seen by such a poll sees every write its writer made
 * before calling {@code advance()} for that goal. {@code advance}, {@code poll}, {@code waitFor}
 * and {@code synchronize} promise nothing else; they are stronger in practice, do not rely on
 * it. Publish objects to readers with {@link SmrPointer} (release) and unlink them before
 * calling {@code advance()}.
 */
public final class Smr {
    /*
     * Overview
     * --------
     * Lineage. This is Jeff Roberson's "Global Unbounded Sequences" as FreeBSD's
     * sys/kern/subr_smr.c implements it (r357314, lazy mode r358236), rewritten for Java from
     * the algorithm's description; no FreeBSD text or code is copied. Like epoch-based
     * reclamation it lets readers run without locks or reference counts; unlike epochs it
     * decouples advancing from detecting: writers advance a global clock cheaply and only
     * look at the readers when they want the memory back, by which time it is usually free.
     *
     * What it is not. Not a garbage collector (Java already has one): what it protects is
     * reuse. A recycled object must never be seen through a reference found under its old
     * identity, and native memory must never be freed under a reader. Not RCU: there is no
     * grace-period callback machinery here (the pool module adds batching on top).
     *
     * The two-handed clock. Picture a clock face with two hands:
     *
     *        rdSeq                              wrSeq
     *          |<------ goals still pending ----->|
     *   -------+---------+-----------+------------+-----------> sequence (wraps)
     *          ^         ^           ^            ^
     *     oldest reader  reader B    goal g       newest goal
     *
     *   - wrSeq, the writers' hand: advance() moves it by INCR and returns the new value as
     *     the goal for everything the caller unlinked before the call.
     *   - each reader, on enter, copies wrSeq into its own record (0 = not in a section).
     *   - rdSeq, the readers' hand: the minimum sequence any reader held at the last scan
     *     (or wrSeq if none). poll(g) is true once rdSeq >= g.
     *   Invariant: a reader whose record holds s < g may hold an object unlinked for goal g;
     *   a reader whose record holds s >= g (or who entered after the scan) cannot.
     *
     * Sequences are longs that start at INIT = 1 and step by INCR = 2, so they stay odd and
     * INVALID = 0 is never produced. Comparisons go through SmrSeq (signed difference), which
     * is right across the wrap. At one advance per nanosecond a 64-bit sequence wraps after
     * about 146 years, so FreeBSD's wrap guards become unreachable; we keep the MAX_DELTA guard
     * in advance() anyway, and the test configuration (Builder.wrapTest) starts 1000 steps
     * before the wrap with a step of 2^50 and a small MAX_DELTA, as INVARIANTS kernels do.
     *
     * Reader, default and deferred modes (Reader.enter):
     *   w = wrSeq (opaque)          -- the fence below orders it before the data loads
     *   seq = w; store-load fence   -- x86: one locked XCHG (getAndSet), elsewhere an opaque
     *                                  store and VarHandle.fullFence()
     *   ... loads of protected data ...
     *   seq = 0 (release)           -- all section accesses complete before the slot reads idle
     * The store-load fence is the point: without it a later load of a protected pointer can
     * be satisfied before our sequence is visible, a writer scans, sees us idle and reuses
     * the object we are about to load. FreeBSD's arm64 port used an acquire-only RMW here for
     * two years (PR 265974, fixed by 8694fd333556): an acquire RMW lets later loads pass its
     * store. On arm64 HotSpot can compile getAndSet as an LL/SC pair with the same weakness,
     * which is why only x86 uses the RMW form; the choice is made once (X86).
     *
     * Writer (advance + poll): the unlink store, then a store-load fence (the volatile
     * getAndAdd of default advance; an explicit fullFence in the deferred and lazy paths,
     * which write nothing shared), then later, in poll, another fullFence and the loads of
     * every reader's slot. This is Dekker's pattern: either the poller sees the reader's
     * sequence, or the reader's loads see the unlink. A reader whose slot is < goal blocks
     * the goal; a reader who published s >= goal read a wrSeq value written after the
     * writer's fenced read, so its loads (ordered after its wrSeq read) see the unlink.
     *
     * Stale publication (benign, as in FreeBSD): a reader may read wrSeq, stall, and publish
     * a value below rdSeq after a scan already saw it idle. Only the number is stale: its data
     * loads come after its fence and see the current structure. The scan clamps such values to
     * rdSeq so the read hand never moves backward.
     *
     * Poll: rd = rdSeq (acquire); done if goal <= rd. wr = wrSeq (acquire; read before any
     * slot so that a stale slot can only reference time after wr). A goal ahead of wr is
     * "not yet" for deferred and lazy domains (within one step or one tick), and a caller
     * error otherwise. Then the scan: fullFence, min over every record's slot (opaque loads,
     * clamped to rd, records of dead threads skipped), publish min into rdSeq with a CAS
     * that only moves forward, and an acquire fence: it pairs with the readers' release on
     * exit, so the caller's reuse cannot be ordered before their last accesses.
     *
     * Deferred mode: advance() increments a counter of the caller's stripe (FreeBSD's per-CPU
     * c_deferred; stripes are chosen by thread id, a power of two at least the CPU count, each
     * on its own 128-byte span) and returns wrSeq + INCR without writing the shared line
     * until the counter reaches the limit. Per stripe and not per thread, because a thread
     * that advances fewer than `limit` times in its life (a short virtual thread) would
     * otherwise never move the sequence, and its goals would stay ahead of every poll. poll() reports such a future goal as not reached;
     * waitFor() forces wrSeq forward to it, as smr_poll(wait=true) does.
     *
     * Lazy mode. FreeBSD's lazy readers store their sequence without a fence and rely on the
     * periodic clock interrupt, which every CPU takes and which drains its store buffer,
     * plus a two-tick grace. The JVM has no tick interrupt; our replacement has three parts.
     *  1. The clock. wrSeq = INIT + INCR * tick, tick = (nanoTime - origin) / tickNanos, moved
     *     forward lazily (CAS) by whoever advances or polls. advance() returns
     *     clock + INCR: one tick ahead. No shared write on the common advance.
     *  2. The CPU half: an asymmetric barrier. Before a poll scans with write sequence wr
     *     (so for any goal g <= wr), it makes sure that a membarrier(PRIVATE_EXPEDITED) was
     *     begun after wrSeq >= wr had been observed (barrierSeq remembers the newest such wr,
     *     so one barrier serves every scan of a tick). Invariant: rdSeq <= barrierSeq, because
     *     a published rdSeq answers later polls without a scan. When membarrier returns, every thread of the process has executed a full
     *     barrier at some point during the call. For a reader R and a goal g whose unlink
     *     was ordered (the writer's fullFence) before the writer read a wrSeq < g:
     *       - if R's slot store came before R's barrier point, it is visible to our scan,
     *         which comes after the call: a value < g blocks the goal, and a value >= g was
     *         read from wrSeq after the unlink was visible, so R's loads (ordered after that
     *         read: it is an acquire load) see the unlink;
     *       - if R's slot store came after R's barrier point, so did all R's later loads, and
     *         the barrier began after the unlink was visible; R's loads see the unlink.
     *     Either way R cannot find the object after we report the goal reached. One tick of
     *     grace is enough (FreeBSD needs two because clock interrupts on different CPUs are
     *     not synchronised; membarrier is synchronous).
     *  3. The compiler half: the JMM alone does not forbid moving a later plain load above an
     *     opaque store. We rely on HotSpot, and say so: C2 compiles VarHandle field accesses
     *     through its Unsafe intrinsics and brackets every access that is not plain (opaque,
     *     acquire, release, volatile) with MemBarCPUOrder, a compiler-only barrier that emits
     *     no instruction but keeps other memory accesses from moving across it
     *     (C2Access::needs_cpu_membar in gc/shared/c2/barrierSetC2.cpp); C1 kills its value
     *     map at every Unsafe store (do_UnsafePut in c1_ValueMap.hpp), so it cannot reuse a
     *     load made before the enter, and does not schedule loads above stores; the
     *     interpreter executes bytecodes in order. The wrSeq load is an acquire, so neither the
     *     JIT nor an arm64 core moves the data loads above it. On another JVM, build domains
     *     with -Dorg.smr4j.membarrier=false to keep lazy readers fenced.
     *  Fallback: where membarrier is unavailable (not Linux, unknown CPU, native access not
     *  granted, or disabled), lazy domains keep the lazy clock but readers publish with the
     *  default store-load fence, and a one-line notice says why, once per process.
     *  Blocking waits in lazy mode (which FreeBSD forbids) sleep until the clock passes the
     *  goal, then scan; pools need them.
     *
     * Readers are records, not CPUs. A record per thread (ReaderRegistry), reached through a
     * ThreadLocal, or directly through a Reader handle on hot paths. Records of dead threads
     * are skipped by scans and recycled by sweeps, so the scan cost tracks live threads.
     *
     * Differences from FreeBSD
     *  1. Per-thread records instead of per-CPU state; no critical sections. A preempted
     *     reader only delays reclamation.
     *  2. 64-bit sequences: the wrap is unreachable in practice; a goal ahead of the write
     *     sequence is an IllegalArgumentException instead of "expired".
     *  3. Lazy mode: time-based clock plus membarrier instead of the tick interrupt; one tick
     *     of grace instead of two; waitFor/synchronize work in lazy mode.
     *  4. Nesting is counted instead of asserted away.
     *  5. Records of threads that died inside a section are treated as idle.
     *  6. poll() in FreeBSD runs in a critical section to avoid ABA across long preemption;
     *     with 64-bit sequences a preempted poller's minimum is still a valid lower bound and
     *     the read hand only moves forward by CAS.
     *  7. waitFor spins, then parks; it scans the whole registry each time instead of spinning
     *     on one CPU's slot.
     *
     * This file: the public API and configuration, then the writer paths (advance, poll,
     * scan, wait), then Reader, Builder and Stats.
     */

    /** Domain mode; see the class documentation. */
    public enum Mode {
        /** Shared write sequence, fenced readers. */
        DEFAULT,
        /** Shared write sequence touched every {@code limit} advances per thread. */
        DEFERRED,
        /** Clock-driven write sequence, fence-free readers, asymmetric writer barrier. */
        LAZY
    }

    /** System property: build every domain with checks on (see {@link Builder#checked(boolean)}). */
    public static final String CHECKS_PROP_NAME = "org.smr4j.checks";
    /** Default for {@link #CHECKS_PROP_NAME}. */
    public static final boolean CHECKS_DEFAULT = false;
    /** The default lazy tick: 1 ms. Shorter ticks free memory sooner and issue more barriers. */
    public static final Duration LAZY_TICK_DEFAULT = Duration.ofMillis(1);

    /** True on x86, where a locked XCHG is the store-load fence; see the overview. */
    static final boolean X86;

    static {
        final String arch = System.getProperty("os.arch", "");
        X86 = arch.equals("amd64") || arch.equals("x86_64");
    }

    /** Largest distance from rdSeq a goal may reach before advance() waits (SMR_SEQ_MAX_DELTA). */
    private static final long MAX_DELTA_DEFAULT = Long.MAX_VALUE / 2;
    /** Longs between two deferred counters: 128 bytes, see SmrLayout for why 128. */
    private static final int DEFERRED_STRIDE = SmrLayout.PAD_BYTES / Long.BYTES;
    private static final VarHandle DEFERRED_COUNTS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Set once the lazy-fallback notice has been logged. */
    private static final AtomicBoolean FALLBACK_NOTICE = new AtomicBoolean();

    private final String name;
    private final Mode mode;
    private final boolean checks;
    /** Lazy mode with a working membarrier: readers publish without a fence. */
    private final boolean fenceless;
    private final SmrShared shared;
    private final ReaderRegistry<Reader> registry;
    // One thread-local per domain on purpose: each domain has its own reader records.
    @SuppressWarnings("ThreadLocalUsage")
    private final ThreadLocal<Reader> local = new ThreadLocal<>();
    /** First sequence and step; SmrSeq.INIT and INCR except in the wrap test configuration. */
    private final long init;
    private final long incr;
    /** advance() waits when a goal would get this far ahead of rdSeq; see MAX_DELTA_DEFAULT. */
    private final long maxDelta;
    /** How far past wrSeq a valid goal may be: 0 (default), incr (deferred and lazy). */
    private final long maxFuture;
    /** Deferred mode: advances per stripe between real ones. */
    private final int limit;
    /**
     * Deferred mode: one counter per stripe, {@link #DEFERRED_STRIDE} longs (128 bytes) apart so
     * stripes do not share cache lines; null in other modes.
     */
    private final long[] deferredCounts;
    private final int deferredMask;
    /** Lazy mode: the tick length and the clock's origin. */
    private final long tickNanos;
    private final long originNanos;
    /**
     * Lazy mode: ticks the clock skipped for expedited waits (waitForExpedited); only grows.
     * Off the reader path (readers load wrSeq, never the clock).
     */
    private final java.util.concurrent.atomic.AtomicLong expeditedTicks = new java.util.concurrent.atomic.AtomicLong();

    private final LongAdder advances = new LongAdder();
    private final LongAdder advanceWaits = new LongAdder();
    private final LongAdder polls = new LongAdder();
    private final LongAdder scans = new LongAdder();
    private final LongAdder failedPolls = new LongAdder();
    private final LongAdder waits = new LongAdder();
    private final LongAdder barriers = new LongAdder();

    /** Set once by close(); read by advance() (a plain load on x86) and by reader registration. */
    private volatile boolean closed;
    /** The MBean, or null (disabled, or registration failed); see Mbeans. */
    private final Mbeans.Registration mbean;
    /** Membership of the periodic JFR statistics; see Periodic. */
    private final Periodic.Handle periodic;
    /** The stalled-reader detector, created by the first slow path that runs once a recorder exists. */
    private volatile StallWatch stallWatch;

    private Smr(final Builder b) {
        this.name = b.name;
        this.mode = b.lazy ? Mode.LAZY : b.limit > 0 ? Mode.DEFERRED : Mode.DEFAULT;
        this.checks = b.checks;
        this.init = b.init;
        this.incr = b.incr;
        this.maxDelta = b.maxDelta;
        this.maxFuture = mode == Mode.DEFAULT ? 0 : incr;
        this.limit = b.limit;
        if (mode == Mode.DEFERRED) {
            final int stripes = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 2 - 1);
            this.deferredCounts = new long[(stripes + 1) * DEFERRED_STRIDE];
            this.deferredMask = stripes - 1;
        } else {
            this.deferredCounts = null;
            this.deferredMask = 0;
        }
        this.tickNanos = b.tickNanos;
        this.originNanos = System.nanoTime();
        if (mode == Mode.LAZY && !AsymmetricFence.available()) {
            this.fenceless = false;
            if (FALLBACK_NOTICE.compareAndSet(false, true)) {
                System.getLogger("org.smr4j").log(System.Logger.Level.WARNING,
                        "smr4j: lazy domains use fenced readers (safe, slower): "
                                + AsymmetricFence.unavailableReason());
            }
        } else {
            this.fenceless = mode == Mode.LAZY;
        }
        this.shared = new SmrShared(init);
        final boolean fenceFree = this.fenceless;
        this.registry = new ReaderRegistry<>(() -> new Reader(this, shared, fenceFree),
                Reader::assign, Reader::release, Reader::ownerAlive);
        // ORDER: full fence, as smr_create ends with one: the initial sequences are visible
        // before any thread that learns of this domain can enter or poll. Before the MBean
        // and the statistics hook, which publish the domain to their threads.
        VarHandle.fullFence();
        // Last, as for pools: a failed build leaves nothing registered.
        this.mbean = b.jmx ? Mbeans.register("Smr", name, DomainJmx.smr(this), this) : null;
        this.periodic = Periodic.add(Periodic.Kind.SMR, this);
    }

    /**
     * Creates a default-mode domain.
     *
     * @param name the domain's name, used in messages and statistics; not empty
     * @return a new domain
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is empty
     */
    public static Smr create(final String name) {
        return builder(name).build();
    }

    /**
     * Starts building a domain, in default mode unless told otherwise.
     *
     * @param name the domain's name, used in messages and statistics; not empty
     * @return a builder
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is empty
     */
    public static Builder builder(final String name) {
        return new Builder(checkName(name));
    }

    /**
     * The name check every smr4j structure makes: null is an NPE naming {@code name}, empty an
     * IAE (an empty name makes messages, statistics and MBean names unreadable).
     */
    static String checkName(final String name) {
        if (Objects.requireNonNull(name, "name").isEmpty()) {
            throw new IllegalArgumentException("name must not be empty, was \"\"");
        }
        return name;
    }

    /**
     * Returns this domain's name.
     *
     * @return the name given at creation
     */
    public String name() {
        return name;
    }

    /**
     * Returns this domain's mode.
     *
     * @return the mode
     */
    public Mode mode() {
        return mode;
    }

    /**
     * Returns whether the precondition checks of {@link SmrPointer} are on.
     *
     * @return true if built with checks
     */
    public boolean checks() {
        return checks;
    }

    /**
     * Returns whether readers of this domain publish without a store-load fence: true for lazy
     * domains where the process-wide barrier works, false otherwise (including the lazy
     * fallback).
     *
     * @return true if readers are fence-free
     */
    public boolean fenceFreeReaders() {
        return fenceless;
    }

    // ------------------------------------------------------------------ readers

    /**
     * Enters a read section for the calling thread. Equivalent to {@code reader().enter()}.
     * Nested calls are counted; see the class documentation.
     *
     * <p>Memory consistency effects: acquire.
     */
    public void enter() {
        reader().enter();
    }

    /**
     * Leaves the innermost read section of the calling thread. Equivalent to
     * {@code reader().exit()}.
     *
     * <p>Memory consistency effects: release (for the outermost exit).
     *
     * @throws IllegalStateException if the calling thread is not in a section of this domain
     */
    public void exit() {
        final Reader reader = local.get();
        if (reader == null) {
            throw new IllegalStateException(describe("exit() without enter()"));
        }
        reader.exit();
    }

    /**
     * Returns whether the calling thread is inside a read section of this domain.
     *
     * @return true if inside
     */
    public boolean entered() {
        final Reader reader = local.get();
        return reader != null && reader.inSection();
    }

    /**
     * Returns the calling thread's reader handle for this domain, registering the thread on
     * first use. The handle saves the thread-local lookup of {@link #enter()} and
     * {@link #exit()} on hot paths; it may be used only by the calling thread.
     *
     * @return the calling thread's handle, the same on every call from this thread
     */
    public Reader reader() {
        final Reader reader = local.get();
        return reader != null ? reader : registerSlow();
    }

    private Reader registerSlow() {
        if (closed) {
            throw new IllegalStateException(describe("a new reader after close()"));
        }
        final Reader reader = registry.register(Thread.currentThread());
        local.set(reader);
        return reader;
    }

    // ------------------------------------------------------------------ close

    /**
     * Closes the domain: unregisters its MBean and its JFR statistics, and refuses later
     * {@link #advance()}, {@link #synchronize()} and the registration of new reader threads
     * ({@link #enter()} or {@link #reader()} on a thread that never used the domain) with
     * {@link IllegalStateException} naming the domain. Goals issued before stay valid:
     * {@link #poll(long)} and {@link #waitFor(long)} keep working, so a structure can still
     * drain what it retired. Threads that already have a record may keep entering and
     * leaving sections (their {@code enter} and {@code exit} are not checked: they are the
     * hot path); with no advance possible, their sections protect nothing new. Idempotent.
     *
     * <p>A domain that is never closed is unregistered from JMX and JFR once it becomes
     * unreachable; closing only makes that immediate. Close a domain after the pools and
     * structures built over it; a pool that created its own domain closes it.
     *
     * <p>Memory consistency effects: an {@code advance()} that begins after {@code close()}
     * returned, on any thread, throws.
     */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Mbeans.unregister(mbean);
        periodic.remove();
    }

    /**
     * Returns whether {@link #close()} has been called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Returns the name under which this domain's MBean is registered.
     *
     * @return the object name ({@code org.smr4j:type=Smr,name=<name>}, with
     *         {@code ,instance=<n>} appended while another domain of the same name is
     *         registered), or null if JMX was disabled or registration failed; the name is
     *         kept after {@link #close()}, when the MBean is gone
     */
    public String mbeanName() {
        return Mbeans.nameOf(mbean);
    }

    // ------------------------------------------------------------------ writers

    /**
     * Advances the write sequence and returns the goal for everything the caller unlinked
     * before this call: once {@code poll(goal)} is true, no reader can still hold a reference
     * to it. In deferred mode the shared sequence moves only on every {@code limit}-th call
     * per thread; in lazy mode it moves with the clock and the goal is one tick ahead.
     *
     * @return the goal
     * @throws IllegalStateException if the calling thread is inside a section of this domain
     */
    public long advance() {
        final Reader self = local.get();
        if (self != null && self.inSection()) {
            throw new IllegalStateException(describe("advance() inside a read section"));
        }
        if (closed) {
            throw new IllegalStateException(describe("advance() after close()"));
        }
        advances.increment();
        return switch (mode) {
            case DEFAULT -> defaultAdvance();
            case DEFERRED -> deferredAdvance();
            case LAZY -> lazyAdvance();
        };
    }

    private long defaultAdvance() {
        // ORDER: acquire; read before the increment so that rd is before the goal, which makes
        // the MAX_DELTA check below meaningful (smr_default_advance does the same).
        final long rd = shared.rdSeqAcquire();
        // ORDER: volatile RMW, a full fence: the caller's unlink stores are visible before the
        // new write sequence is, and before this thread's later loads of reader slots.
        final long goal = shared.getAndAddWrSeq(incr) + incr;
        if (SmrSeq.delta(goal, rd) >= maxDelta) {
            advanceWaitSlow(goal);
        }
        return goal;
    }

    private void advanceWaitSlow(final long goal) {
        // Readers lag so far behind that modular comparisons would break: wait for the read
        // hand to come within maxDelta / 2. Reachable only in the wrap test configuration.
        advanceWaits.increment();
        waitSlow(goal - maxDelta / 2);
    }

    private long deferredAdvance() {
        final int i = deferredIndex(Thread.currentThread());
        // ORDER: opaque read-increment-write, not atomic: two threads of one stripe may lose
        // an increment, which only delays one real advance by a call. Touches the stripe's own
        // line, never the shared one.
        final long count = (long) DEFERRED_COUNTS.getOpaque(deferredCounts, i) + 1;
        if (count < limit) {
            DEFERRED_COUNTS.setOpaque(deferredCounts, i, count);
            // ORDER: store-load fence between the caller's unlink and the load of wrSeq, as in
            // the default path's getAndAdd; this path writes nothing shared.
            VarHandle.fullFence();
            return shared.wrSeqAcquire() + incr;
        }
        DEFERRED_COUNTS.setOpaque(deferredCounts, i, 0L);
        return defaultAdvance();
    }

    private long lazyAdvance() {
        // ORDER: store-load fence: the caller's unlink is globally visible before we read the
        // clock, so a reader that later reads a wrSeq at or past our goal sees the unlink.
        VarHandle.fullFence();
        return lazyClock() + incr;
    }

    /** Index of the calling thread's deferred counter: a stripe chosen by thread id. */
    private int deferredIndex(final Thread thread) {
        final long id = thread.threadId() * 0x9E3779B97F4A7C15L; // Fibonacci hashing spreads sequential ids
        return (((int) (id >>> 32) & deferredMask) + 1) * DEFERRED_STRIDE; // +1: no counter next to the array header
    }

    /** Lazy mode: moves wrSeq forward to the clock's value if it lags, and returns it. */
    private long lazyClock() {
        final long now = clockSeq();
        // ORDER: acquire; pairs with the CAS below made by other threads.
        long wr = shared.wrSeqAcquire();
        while (SmrSeq.lt(wr, now)) {
            // ORDER: volatile CAS; only forward. Losing means someone else moved it.
            if (shared.casWrSeq(wr, now)) {
                return now;
            }
            wr = shared.wrSeqAcquire();
        }
        return wr;
    }

    /**
     * The lazy clock: INIT + INCR per elapsed tick since the domain was built, plus the ticks
     * expedited waits skipped (expeditedTicks).
     */
    private long clockSeq() {
        // ORDER: volatile read of a counter that only grows; a stale value is an older clock.
        return init + incr * ((System.nanoTime() - originNanos) / tickNanos + expeditedTicks.get());
    }

    /**
     * Returns the current write sequence. Not a goal: a goal may lie ahead of it.
     *
     * @return the write sequence
     */
    public long current() {
        return shared.wrSeqAcquire();
    }

    /**
     * Returns whether every reader has observed {@code goal}: true means no reader can still
     * hold a reference it found before the {@link #advance()} that returned the goal. Never
     * blocks. Scans the registered readers when the goal is not known to be reached, and then
     * moves the read sequence as far forward as it can. May be called inside a read section.
     *
     * <p>Memory consistency effects: the readers' exits that let it succeed <i>happen-before</i>
     * the caller's actions after it returns true.
     *
     * <p>Which goals are valid, in {@link SmrSeq}'s wrap-safe order: every sequence of a
     * domain is its first sequence plus a multiple of its step ({@link SmrSeq#INIT} and
     * {@link SmrSeq#INCR}, so odd), and a goal must be one the domain can have issued, i.e. in
     * [first sequence, write sequence + the furthest a goal runs ahead in this mode (0 in
     * default mode, one step in deferred and lazy mode)]. So {@code poll(0)}, an even value,
     * a goal before the first sequence (such as {@code -7} in a new domain) and a goal past
     * the window are all refused, each with its own message. (A domain that has advanced
     * 2<sup>62</sup> or more accepts every sequence of the half space behind its write
     * sequence: wrap-safe comparison cannot tell those from old goals.)
     *
     * @param goal a goal returned by {@link #advance()} of this domain
     * @return true if the goal has been reached
     * @throws IllegalArgumentException if {@code goal} is {@link SmrSeq#INVALID}, is not a
     *         sequence of this domain, or lies outside the window above
     */
    public boolean poll(final long goal) {
        checkGoal(goal);
        polls.increment();
        if (pollOnce(goal)) {
            return true;
        }
        failedPolls.increment();
        if (SmrPoolEvents.recording()) {
            watchStall();
        }
        return false;
    }

    private boolean pollOnce(final long goal) {
        if (mode == Mode.LAZY) {
            lazyClock();
        }
        // ORDER: acquire; pairs with the CAS that published rdSeq after a scan, whose acquire
        // fence followed the readers' release on exit: success here happens-after those exits.
        final long rd = shared.rdSeqAcquire();
        if (SmrSeq.leq(goal, rd)) {
            return true;
        }
        // ORDER: acquire, and before any slot load, so that a stale slot can only reference
        // time after wr (smr_poll does the same).
        final long wr = shared.wrSeqAcquire();
        final long ahead = SmrSeq.delta(goal, wr);
        if (ahead > 0) {
            if (ahead <= maxFuture) {
                return false; // deferred or lazy goal, valid but not yet reached
            }
            throw new IllegalArgumentException(describe("goal " + goal
                    + " is ahead of write sequence " + wr + ": not a goal of this domain"));
        }
        return scan(goal, rd, wr);
    }

    private boolean scan(final long goal, final long rd, final long wr) {
        scans.increment();
        // Lazy: the scan below may publish rdSeq up to wr, which then answers later polls for
        // any goal <= wr on the fast path, without a scan. So the barrier must cover wr, not
        // only our goal: keep rdSeq <= barrierSeq. (Comparing with the goal let a scan move
        // rdSeq past every barrier; a fence-free reader whose store was still buffered could
        // then be missed for a later goal. Found by smr4j-stress EnterPollRace.LazyOldestGoalFirst.)
        if (fenceless && SmrSeq.lt(shared.barrierSeqAcquire(), wr)) {
            lazyBarrier(wr);
        }
        // ORDER: full fence, the writer half of Dekker's pattern: the caller's stores (the
        // unlink) before the slot loads below; pairs with the store-load fence in
        // Reader.enter (or, for fence-free readers, with the barrier above).
        VarHandle.fullFence();
        long min = wr;
        boolean deadFound = false;
        final Object[] records = registry.snapshot();
        for (int i = 0; i < records.length; i++) {
            final Reader r = (Reader) ReaderRegistry.recordAcquire(records, i);
            if (r == null) {
                continue;
            }
            // ORDER: opaque; the full fence above orders it, the acquire fence below orders
            // what follows after it.
            long s = r.seqOpaque();
            if (s == SmrSeq.INVALID) {
                continue;
            }
            if (SmrSeq.lt(s, rd)) {
                s = rd; // stale publication, see the overview
            }
            if (SmrSeq.lt(s, goal) && !r.ownerAlive()) {
                deadFound = true; // died inside a section: cannot touch memory any more
                continue;
            }
            min = SmrSeq.min(min, s);
        }
        // ORDER: acquire fence; pairs with the release store of 0 in Reader.exit: the caller's
        // reuse cannot be ordered before the last accesses of the readers we saw idle.
        VarHandle.acquireFence();
        final long newRd = publishRdSeq(min);
        if (deadFound) {
            registry.requestSweep();
            registry.sweepIfRequested();
        }
        return SmrSeq.leq(goal, newRd);
    }

    /** Lazy mode: one process-wide barrier, begun after wrSeq >= wr was observed. */
    private void lazyBarrier(final long wr) {
        AsymmetricFence.fence();
        barriers.increment();
        long cur = shared.barrierSeqAcquire();
        while (SmrSeq.lt(cur, wr) && !shared.casBarrierSeq(cur, wr)) {
            cur = shared.barrierSeqAcquire();
        }
    }

    private long publishRdSeq(final long min) {
        long cur = shared.rdSeqAcquire();
        while (SmrSeq.lt(cur, min)) {
            // ORDER: volatile CAS, only forward; a poller that reads the new value with
            // acquire happens-after our acquire fence above.
            if (shared.casRdSeq(cur, min)) {
                return min;
            }
            cur = shared.rdSeqAcquire();
        }
        return cur;
    }

    /**
     * Blocks until {@code poll(goal)} would return true. Spins briefly, then parks with
     * growing timeouts; in lazy mode it sleeps until the clock passes the goal. In deferred
     * mode it first forces the write sequence up to a future goal.
     *
     * <p>Memory consistency effects: as {@link #poll(long)} returning true.
     *
     * @param goal a goal returned by {@link #advance()} of this domain
     * @throws IllegalStateException if the calling thread is inside a section of this domain
     *         (it would wait for itself)
     * @throws IllegalArgumentException as {@link #poll(long)}
     */
    public void waitFor(final long goal) {
        final Reader self = local.get();
        if (self != null && self.inSection()) {
            throw new IllegalStateException(describe("waitFor(" + goal + ") inside a read section"));
        }
        checkGoal(goal);
        polls.increment();
        if (!pollOnce(goal)) {
            waits.increment(); // here, not in waitSlow: an advance that waits is an advanceWait only
            final SmrEvents.GoalWait event = SmrPoolEvents.recording() ? new SmrEvents.GoalWait() : null;
            if (event != null) {
                event.begin();
                event.readSequence = shared.rdSeqAcquire();
            }
            waitSlow(goal);
            if (event != null) {
                event.end();
            }
            if (event != null && event.shouldCommit()) {
                event.domain = name;
                event.mode = mode.name();
                event.goal = goal;
                event.commit();
            }
        }
    }

    private void waitSlow(final long goal) {
        final Backoff backoff = new Backoff(this);
        while (true) {
            if (mode == Mode.DEFERRED) {
                forceWrSeq(goal);
            }
            if (pollOnce(goal)) {
                break;
            }
            if (mode == Mode.LAZY) {
                final long ticksAhead = SmrSeq.delta(goal, clockSeq()) / incr;
                if (ticksAhead > 0) {
                    // Sleep to the tick boundary that brings the clock to the goal.
                    final long intoTick = (System.nanoTime() - originNanos) % tickNanos;
                    backoff.park((ticksAhead - 1) * tickNanos + (tickNanos - intoTick));
                    continue;
                }
            }
            if (backoff.parking() && SmrPoolEvents.recording()) {
                watchStall();
            }
            backoff.pause();
        }
        backoff.restoreInterrupt();
    }

    /**
     * Blocks until {@code poll(goal)} would return true, expedited
     * ({@code synchronize_rcu_expedited}): instead of waiting for the deferred count or, in lazy
     * mode, for the tick that brings the clock to the goal, it moves the write sequence up to
     * the goal now (lazy: it moves the clock forward by the ticks missing, so the write
     * sequence follows it), so that the next poll scans at once, and a lazy scan pays the
     * process-wide barrier now. Then it polls, spinning briefly and parking: it waits only for readers that are inside a section
     * entered before the goal, and gives its CPU away to them. For the pools' pending limits
     * (SmrPoolDepot.makeRoom); package-private.
     *
     * <p>Why moving the sequence is safe: whoever calls this learnt {@code goal} after the
     * {@link #advance()} that returned it (through a lock or a volatile the advancing thread
     * wrote after it), so the unlinks ordered before that advance happen-before our CAS of
     * wrSeq (volatile), and a reader whose enter loads (acquire) a wrSeq at or past the goal
     * sees them: the same argument as a real advance's getAndAdd, and as forceWrSeq in
     * deferred mode. Lazy mode moves the clock instead of wrSeq alone: skipping ticks is what
     * the passing of time would have done (lazy safety rests on the scan's process-wide
     * barrier, not on real time), and keeps wrSeq &lt;= clock, so later goals stay one tick
     * ahead of the clock and the clock-driven sleeps of {@link #waitFor} stay right.
     *
     * <p>Memory consistency effects: as {@link #poll(long)} returning true.
     *
     * @param goal a goal returned by {@link #advance()} of this domain
     * @throws IllegalStateException if the calling thread is inside a section of this domain
     * @throws IllegalArgumentException as {@link #poll(long)}
     */
    void waitForExpedited(final long goal) {
        final Reader self = local.get();
        if (self != null && self.inSection()) {
            throw new IllegalStateException(describe("waitForExpedited(" + goal + ") inside a read section"));
        }
        checkGoal(goal);
        polls.increment();
        expedite(goal);
        if (pollOnce(goal)) {
            return;
        }
        waits.increment();
        // Spin, then park (Backoff): on an oversubscribed machine the reader we wait for may
        // be the thread that needs this CPU to leave its section.
        final Backoff backoff = new Backoff(this);
        while (true) {
            expedite(goal);
            if (pollOnce(goal)) {
                break;
            }
            backoff.pause();
        }
        backoff.restoreInterrupt();
    }

    /** waitForExpedited: moves wrSeq up to {@code goal} now (deferred: by CAS; lazy: the clock, then wrSeq). */
    private void expedite(final long goal) {
        if (mode == Mode.DEFERRED) {
            forceWrSeq(goal);
        } else if (mode == Mode.LAZY) {
            final long missing = SmrSeq.delta(goal, clockSeq());
            if (missing > 0) {
                // ORDER: volatile CAS on a counter that only grows; concurrent expeditors may
                // both add (the clock then runs ahead by a tick or two: harmless, as above).
                final long ticks = (missing + incr - 1) / incr;
                long cur = expeditedTicks.get();
                while (SmrSeq.delta(goal, init + incr * ((System.nanoTime() - originNanos) / tickNanos + cur)) > 0
                        && !expeditedTicks.compareAndSet(cur, cur + ticks)) {
                    cur = expeditedTicks.get();
                }
            }
            lazyClock(); // ORDER: volatile CAS of wrSeq up to the clock (see the javadoc)
        }
    }

    /**
     * Deferred mode: moves wrSeq up to {@code goal} if it lags (smr_poll with wait). Also used
     * by the pools' non-blocking refill (SmrPool.deferredNudge): one CAS instead of up to
     * {@code limit} deferred advances. Safe from any thread, inside a section too: it only
     * does what a real advance by some thread would have done.
     */
    void forceWrSeq(final long goal) {
        long wr = shared.wrSeqAcquire();
        while (SmrSeq.lt(wr, goal) && !shared.casWrSeq(wr, wr + incr)) {
            wr = shared.wrSeqAcquire();
        }
    }

    /**
     * Advances and waits for the goal: afterwards no reader holds a reference it found before
     * the call. Expensive; prefer keeping the goal from {@link #advance()} and polling later.
     *
     * @throws IllegalStateException if the calling thread is inside a section of this domain
     */
    public void synchronize() {
        final Reader self = local.get();
        if (self != null && self.inSection()) {
            throw new IllegalStateException(describe("synchronize() inside a read section"));
        }
        waitFor(advance());
    }

    /**
     * The goal rule of {@link #poll(long)} and {@link #waitFor(long)}, in SmrSeq's wrap-safe
     * arithmetic. Every sequence of a domain is {@code init + k * incr} (odd; incr a power of
     * two), so a goal must be congruent to init modulo incr: 0 ({@code INVALID}) and every
     * even value fail that, with their own messages. A valid goal lies in the window of
     * sequences the domain can have issued: at most {@code maxFuture} ahead of the write
     * sequence (checked in pollOnce, which reads wr anyway), and behind it by at most the
     * distance the domain has advanced since init ({@code delta(wr, init)}). A goal behind
     * init, such as -7 in a fresh domain, was never issued: refused like a goal from the far
     * future. Once a domain has advanced 2^62 or more from init (only wrapTest domains come
     * close), every older sequence in the half space behind wr is accepted: wrap-safe
     * comparison cannot tell them apart from old goals.
     */
    private void checkGoal(final long goal) {
        if (goal == SmrSeq.INVALID) {
            throw new IllegalArgumentException(describe("goal 0 is SmrSeq.INVALID, never a goal"));
        }
        if (((goal - init) & (incr - 1)) != 0) {
            throw new IllegalArgumentException(describe("goal " + goal + " is not a sequence of this domain"
                    + " (every sequence is " + init + " + k * " + incr + ")"));
        }
        if (SmrSeq.lt(goal, init)) {
            // ORDER: opaque is enough: wr only grows, so a goal judged against an older wr is
            // judged more strictly, never accepted wrongly; pollOnce reloads it with acquire.
            final long travelled = SmrSeq.delta(shared.wrSeqOpaque(), init);
            if (travelled >= 0 && travelled < HALF_SPACE) {
                throw new IllegalArgumentException(describe("goal " + goal + " is before this domain's first"
                        + " sequence " + init + ": valid goals are in [" + init + ", write sequence + "
                        + maxFuture + "]"));
            }
        }
    }

    /** 2^62: beyond this distance from init, checkPastGoal accepts every past sequence. */
    private static final long HALF_SPACE = 1L << 62;

    // ------------------------------------------------------------------ statistics

    /**
     * Returns a snapshot of this domain's counters, as FreeBSD's {@code debug.smr} sysctls
     * show them. The counters are kept off the reader path; reading them is not linearizable
     * with concurrent updates.
     *
     * @return the counters now
     */
    public Stats stats() {
        return new Stats(advances.sum(), advanceWaits.sum(), polls.sum(), scans.sum(),
                failedPolls.sum(), waits.sum(), barriers.sum(), registry.size(),
                shared.wrSeqAcquire(), shared.rdSeqAcquire());
    }

    // ------------------------------------------------------------------ observability

    /**
     * The record holding the oldest published sequence behind the write sequence, its owner
     * and that sequence, read without stopping anyone (a slow path: JMX, JFR).
     */
    record Oldest(Reader reader, Thread owner, long sequence, long writeSequence, long stepsBehind) {
    }

    /** Finds the oldest reader (see {@link Oldest}), or returns null when no reader lags. */
    Oldest oldestReader() {
        // ORDER: acquire, before the slot loads, as in pollOnce: a slot older than wr was
        // published before this load.
        final long wr = shared.wrSeqAcquire();
        Reader oldest = null;
        Thread owner = null;
        long min = wr;
        final Object[] records = registry.snapshot();
        for (int i = 0; i < records.length; i++) {
            final Reader r = (Reader) ReaderRegistry.recordAcquire(records, i);
            if (r == null) {
                continue;
            }
            final long s = r.seqOpaque(); // ORDER: opaque; a diagnostic, no decision rests on it
            final Thread t = r.ownerAcquire();
            if (s != SmrSeq.INVALID && SmrSeq.lt(s, min) && t != null && t.isAlive()) {
                oldest = r;
                owner = t;
                min = s;
            }
        }
        return oldest == null ? null : new Oldest(oldest, owner, min, wr, SmrSeq.delta(wr, min) / incr);
    }

    /** A slow path's sighting for the stalled-reader event; see StallWatch. */
    private void watchStall() {
        StallWatch w = stallWatch;
        if (w == null) {
            w = new StallWatch(name, "Smr", r -> ((Reader) r).seqOpaque(), r -> ((Reader) r).ownerAcquire());
            stallWatch = w; // racing creators: one watch wins, the other's sighting is lost
        }
        if (!w.due()) {
            return;
        }
        final Oldest o = oldestReader();
        if (o == null) {
            w.observe(null, null, 0, 0);
        } else {
            w.observe(o.reader(), o.owner(), o.sequence(), o.stepsBehind());
        }
    }

    /** The periodic JFR hook (Periodic): this domain's statistics, and a stalled-reader sighting. */
    void emitStatistics() {
        final SmrEvents.SmrStatistics e = new SmrEvents.SmrStatistics();
        if (e.shouldCommit()) {
            final Stats s = stats();
            e.domain = name;
            e.mode = mode.name();
            e.advances = s.advances();
            e.polls = s.polls();
            e.scans = s.scans();
            e.failedPolls = s.failedPolls();
            e.waits = s.waits();
            e.barriers = s.barriers();
            e.readers = s.readers();
            e.writeSequence = s.writeSequence();
            e.readSequence = s.readSequence();
            e.stepsBehind = SmrSeq.delta(s.writeSequence(), s.readSequence()) / incr;
            e.commit();
        }
        watchStall();
    }

    /** The step between two sequences (SmrSeq.INCR except in the wrap test configuration). */
    long increment() {
        return incr;
    }

    /** For tests: drops the records of dead threads now. */
    void sweepReaders() {
        registry.sweep();
    }

    /** For tests: the lazy clock's sequence now, without moving wrSeq. */
    long clockSequence() {
        return clockSeq();
    }

    /** For tests: the lazy barrier sequence (see SmrShared). */
    long barrierSequence() {
        return shared.barrierSeqAcquire();
    }

    /** For tests. */
    ReaderRegistry<Reader> registry() {
        return registry;
    }

    String describe(final String what) {
        return "smr domain '" + name + "': " + what + " (thread " + Thread.currentThread() + ")";
    }

    @Override
    public String toString() {
        return "Smr[" + name + ", " + mode + (fenceless ? ", fence-free readers" : "")
                + ", wrSeq=" + shared.wrSeqAcquire() + ", rdSeq=" + shared.rdSeqAcquire()
                + ", readers=" + registry.size() + "]";
    }

    // ------------------------------------------------------------------ Reader

    /**
     * One thread's reader record in one domain, usable as an explicit handle for hot paths:
     * {@code enter()} and {@code exit()} through a handle skip the thread-local lookup of
     * {@link Smr#enter()}. Obtain it with {@link Smr#reader()}; the same record backs
     * {@link Smr#enter()} on that thread, so the two may be mixed.
     *
     * <p>Assumptions: only the owning thread calls it; sections are short and do not block.
     *
     * <p>Memory consistency effects: {@link #enter()} has acquire semantics and
     * {@link #exit()} release semantics, as for the domain's methods.
     */
    public static final class Reader extends SmrLayout.ReaderPad1 {
        Reader(final Smr smr, final SmrShared shared, final boolean fenceless) {
            super(smr, shared, fenceless);
        }

        /**
         * Enters a read section. The outermost enter publishes the write sequence; nested
         * enters only count.
         *
         * <p>Progress: wait-free.
         *
         * @throws IllegalStateException if called from a thread other than the owner
         */
        public void enter() {
            if (owner != Thread.currentThread()) {
                throw wrongThread("enter()");
            }
            // The published sequence doubles as the "inside" flag (valid sequences are odd,
            // never 0): a plain read of the owner's own write, no depth store on the common path.
            if (seq != SmrSeq.INVALID) {
                nested++;
                return;
            }
            publish();
        }

        private void publish() {
            final SmrShared shared = this.shared;
            if (fenceless) {
                // Lazy mode. ORDER: acquire load of wrSeq, so neither the JIT nor the CPU moves
                // the section's loads above it; then an opaque store and no fence: the writer's
                // process-wide barrier orders it (see "Lazy mode" in the overview).
                SEQ.setOpaque(this, shared.wrSeqAcquire());
            } else if (X86) {
                // ORDER: the locked XCHG is the store-load fence (a locked instruction orders
                // every earlier store before every later load on x86-TSO) and a volatile RMW
                // for the JIT; it also orders the opaque wrSeq load before the section.
                SEQ.getAndSet(this, shared.wrSeqOpaque());
            } else {
                // ORDER: opaque store, then a full fence: the store-load barrier. Not an
                // acquire RMW: on arm64 later loads may pass its store (FreeBSD PR 265974).
                SEQ.setOpaque(this, shared.wrSeqOpaque());
                VarHandle.fullFence();
            }
        }

        /**
         * Leaves the innermost read section. The outermost exit clears the published
         * sequence with a release store.
         *
         * <p>Progress: wait-free.
         *
         * @throws IllegalStateException if not in a section, or if called from a thread other
         *         than the owner
         */
        public void exit() {
            if (owner != Thread.currentThread()) {
                throw wrongThread("exit()");
            }
            final int n = nested;
            if (n != 0) {
                nested = n - 1;
                return;
            }
            if (seq == SmrSeq.INVALID) {
                throw new IllegalStateException(smr.describe("exit() without enter()"));
            }
            // ORDER: release; every access of the section completes before the slot reads
            // idle. Pairs with the acquire fence after the scan in Smr.scan.
            SEQ.setRelease(this, SmrSeq.INVALID);
        }

        /** Owner only: whether this thread is inside a section (its sequence is published). */
        boolean inSection() {
            return seq != SmrSeq.INVALID;
        }

        /**
         * Returns whether the owning thread is inside a section of this domain.
         *
         * @return true if inside
         * @throws IllegalStateException if called from a thread other than the owner
         */
        public boolean entered() {
            if (owner != Thread.currentThread()) {
                throw wrongThread("entered()");
            }
            return inSection();
        }

        /**
         * Returns the domain of this handle.
         *
         * @return the domain
         */
        public Smr smr() {
            return smr;
        }

        private IllegalStateException wrongThread(final String what) {
            return new IllegalStateException(smr.describe("Reader." + what
                    + " from a thread that does not own the handle (owner " + owner + ")"));
        }

        long seqOpaque() {
            return (long) SEQ.getOpaque(this);
        }

        boolean ownerAlive() {
            final Thread t = (Thread) OWNER.getAcquire(this);
            return t != null && t.isAlive();
        }

        /** ORDER: acquire; pairs with the release in assign(). */
        Thread ownerAcquire() {
            return (Thread) OWNER.getAcquire(this);
        }

        /** Registry, under its lock: gives the record to {@code thread}. */
        void assign(final Thread thread) {
            nested = 0;
            SEQ.setRelease(this, SmrSeq.INVALID);
            // ORDER: release; pairs with the acquire in ownerAlive().
            OWNER.setRelease(this, thread);
        }

        /** Registry, under its lock: the owner is dead; forget it. */
        void release() {
            OWNER.setRelease(this, null);
            SEQ.setRelease(this, SmrSeq.INVALID);
        }

        @Override
        public String toString() {
            return "Smr.Reader[" + smr.name + ", owner=" + owner + ", seq=" + seqOpaque() + "]";
        }

        // VarHandle mechanics
        private static final VarHandle SEQ;
        private static final VarHandle OWNER;

        static {
            try {
                final MethodHandles.Lookup lookup = MethodHandles.lookup();
                SEQ = lookup.findVarHandle(SmrLayout.ReaderFields.class, "seq", long.class);
                OWNER = lookup.findVarHandle(SmrLayout.ReaderFields.class, "owner", Thread.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    // ------------------------------------------------------------------ Builder

    /**
     * Configures a domain. Default mode unless {@link #lazy()} or {@link #deferred(int)} is
     * called; the two exclude each other. Not thread-safe.
     */
    public static final class Builder {
        private final String name;
        private boolean lazy;
        private int limit;
        private long tickNanos = LAZY_TICK_DEFAULT.toNanos();
        private boolean checks = Boolean.parseBoolean(
                System.getProperty(CHECKS_PROP_NAME, Boolean.toString(CHECKS_DEFAULT)));
        private long init = SmrSeq.INIT;
        private long incr = SmrSeq.INCR;
        private long maxDelta = MAX_DELTA_DEFAULT;
        private boolean jmx = true;

        private Builder(final String name) {
            this.name = name;
        }

        /**
         * Selects lazy mode ({@code SMR_LAZY}) with the default tick of 1 ms.
         *
         * @return this builder
         */
        public Builder lazy() {
            return lazy(LAZY_TICK_DEFAULT);
        }

        /**
         * Selects lazy mode with the given tick: goals are reached about one tick after they
         * are issued, and the writer side issues at most about one process-wide barrier per
         * tick.
         *
         * @param tick the tick, from 10 microseconds to 1 second
         * @return this builder
         * @throws IllegalArgumentException if {@code tick} is out of range
         */
        public Builder lazy(final Duration tick) {
            // Compare as Durations: toNanos() overflows (ArithmeticException) beyond ~292 years.
            if (Objects.requireNonNull(tick, "tick").compareTo(Duration.ofNanos(10_000)) < 0
                    || tick.compareTo(Duration.ofSeconds(1)) > 0) {
                throw new IllegalArgumentException("lazy tick " + tick + " out of range [10us, 1s] for domain '"
                        + name + "'");
            }
            this.lazy = true;
            this.tickNanos = tick.toNanos();
            return this;
        }

        /**
         * Selects deferred mode ({@code SMR_DEFERRED}): advances write the shared sequence only
         * once every {@code limit} calls per stripe of threads (about one stripe per CPU).
         *
         * @param limit advances per real advance, at least 1 (1 behaves as default mode)
         * @return this builder
         * @throws IllegalArgumentException if {@code limit < 1}
         */
        public Builder deferred(final int limit) {
            if (limit < 1) {
                throw new IllegalArgumentException("deferred limit " + limit + " < 1 for domain '" + name
                        + "' (limit must be in [1, " + Integer.MAX_VALUE + "])");
            }
            this.limit = limit;
            return this;
        }

        /**
         * Turns the precondition checks of {@link SmrPointer} on or off. Off by default
         * unless the system property {@value Smr#CHECKS_PROP_NAME} is {@code true}.
         *
         * @param on whether to check
         * @return this builder
         */
        public Builder checked(final boolean on) {
            this.checks = on;
            return this;
        }

        /**
         * Registers the domain's MBean ({@code org.smr4j:type=Smr,name=<name>}; see
         * {@link SmrMXBean}) or not. On by default.
         *
         * @param on whether to register an MBean
         * @return this builder
         */
        public Builder jmx(final boolean on) {
            this.jmx = on;
            return this;
        }

        /**
         * Test configuration: starts the sequence 1000 steps before the signed wrap with a
         * step of 2<sup>50</sup>, and makes {@code advance()} wait when the write sequence
         * gets 1024 steps ahead of the read sequence, as FreeBSD's INVARIANTS kernels do.
         *
         * @return this builder
         */
        Builder wrapTest() {
            this.incr = 1L << 50;
            this.init = Long.MAX_VALUE - 1000 * incr; // odd minus even: odd, so never 0
            this.maxDelta = 1024 * incr;
            return this;
        }

        /**
         * Builds the domain.
         *
         * @return a new domain
         * @throws IllegalStateException if both lazy and deferred mode were selected
         */
        public Smr build() {
            if (lazy && limit > 0) {
                throw new IllegalStateException("domain '" + name
                        + "': lazy and deferred(" + limit + ") exclude each other (thread "
                        + Thread.currentThread() + ")");
            }
            return new Smr(this);
        }
    }

    // ------------------------------------------------------------------ Stats

    /**
     * A snapshot of a domain's counters.
     *
     * @param advances    calls to {@code advance()} (FreeBSD {@code debug.smr.advance})
     * @param advanceWaits advances that had to wait for lagging readers ({@code advance_wait})
     * @param polls       calls to {@code poll()} and {@code waitFor()} (FreeBSD {@code debug.smr.poll})
     * @param scans       polls that scanned the readers ({@code poll_scan})
     * @param failedPolls polls that returned false ({@code poll_fail})
     * @param waits       {@code waitFor()} calls that had to wait
     * @param barriers    process-wide barriers issued (lazy mode)
     * @param readers     reader records registered now
     * @param writeSequence the write sequence now
     * @param readSequence  the read sequence now
     */
    public record Stats(long advances, long advanceWaits, long polls, long scans, long failedPolls,
                        long waits, long barriers, int readers, long writeSequence, long readSequence) {
    }
}
