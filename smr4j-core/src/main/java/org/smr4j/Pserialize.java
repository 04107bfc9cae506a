package org.smr4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Passive serialisation: NetBSD's {@code pserialize(9)} for Java. Readers run without locks,
 * without atomic instructions and without fences; a writer that has unlinked an object calls
 * {@link #perform()}, which returns once every reader that could still see the object has
 * left its section.
 *
 * <p>Readers bracket lock-free lookups with {@link #enter()} and {@link #exit()} (or, on hot
 * paths, with an explicit {@link Reader} handle from {@link #reader()}). Writers unlink an
 * object from the shared structure, call {@code perform()}, and may then destroy, reuse or
 * recycle it. Compared with {@link Smr}: the read side is cheaper (no store-load fence where
 * {@code membarrier(2)} works), the write side is synchronous and costs a process-wide barrier
 * per call, so writers batch their unlinks (see {@link PserializePool}).
 *
 * <h2>Example</h2>
 * <pre>{@code
 * Pserialize psz = Pserialize.create("routes");
 * // reader, any thread
 * psz.enter();
 * try {
 *     Route r = table.lookup(dst);    // lock-free traversal, acquire loads
 *     if (r != null) use(r);          // r is not destroyed while we are inside
 * } finally {
 *     psz.exit();
 * }
 * // writer, under the table's lock
 * Route old = table.remove(dst);
 * psz.perform();                      // every reader that could see old has left
 * old.destroy();
 * }</pre>
 *
 * <h2>Readers</h2>
 * Sections nest: the outermost {@code enter} publishes, the matching outermost {@code exit}
 * clears, inner pairs only count. Readers must not block inside a section: a reader that
 * parks makes every {@code perform()} wait for it. Readers may be platform or virtual
 * threads; each thread has its own record. A thread that dies, even inside a section, stops
 * holding {@code perform()} back, and its record is recycled.
 *
 * <h2>Writers</h2>
 * As in NetBSD, writers of one structure serialise among themselves with their own lock; this
 * class does not lock the structure for them. Concurrent {@code perform()} calls (writers of
 * different structures sharing one instance, or of one structure without a common lock) are
 * safe: they queue on an internal lock, and a caller that finds that a whole barrier round
 * began and ended after its call started returns without running its own ("coalesced").
 * {@code perform()} blocks; calling it inside a section of another instance makes that
 * instance's writers wait too, and a cycle of such calls deadlocks.
 *
 * <h2>Fallback</h2>
 * Where {@code membarrier(2)} is unavailable (not Linux, unknown CPU, native access not
 * granted, or {@code -Dorg.smr4j.membarrier=false}), readers publish with a store-load fence
 * instead (one locked instruction on x86): safe, a few nanoseconds slower, and a one-line
 * notice says so once per process. {@link #fenceFreeReaders()} tells which applies.
 *
 * <h2>Misuse</h2>
 * {@link #perform()} inside a section of the same instance (it would wait for itself),
 * {@link #exit()} without a matching enter, and a {@link Reader} used from a thread other
 * than its owner each throw {@link IllegalStateException} naming the instance and the thread,
 * as do {@link #perform()} and a new reader thread after {@link #close()}.
 *
 * <h2>Progress</h2>
 * {@code enter}, {@code exit} and {@code entered} are wait-free (the first call on a thread
 * registers it, under a lock). {@code perform} blocks: it spins briefly, then parks with
 * growing timeouts (never {@code Thread.yield}, which would starve the carriers of virtual
 * threads); it is not interruptible, and an interrupt is kept for the caller.
 *
 * <h2>Memory consistency effects</h2>
 * Actions of a reader inside a section <i>happen-before</i> the actions of a thread that
 * follow a {@code perform()} that began while the reader was in that section. A reader whose
 * section began after a {@code perform()} began sees every write the performing thread made
 * before calling it. (The second statement rests on {@code membarrier(2)} and on HotSpot's
 * compilers, not on the Java Memory Model alone, unless {@link #fenceFreeReaders()} is false;
 * see the implementation overview.) {@code enter} and {@code exit} promise nothing else;
 * publish objects to readers with release stores and read them with acquire loads.
 *
 * <h2>Observability</h2>
 * Each instance registers a {@link PserializeMXBean} as
 * {@code org.smr4j:type=Pserialize,name=<name>} (see {@link #mbeanName()}), removed by
 * {@link #close()} or once the instance is unreachable. Flight Recorder events:
 * {@code org.smr4j.PserializeStatistics} (periodic), {@code org.smr4j.PerformWait} and
 * {@code org.smr4j.StalledReader} (a reader a {@code perform()} waited for past a threshold,
 * named by thread), from slow paths only.
 */
public final class Pserialize {
    /*
     * Overview
     * --------
     * Lineage. NetBSD's pserialize(9) (sys/kern/subr_pserialize.c): readers raise the IPL and
     * bump a per-CPU counter, with only a compiler barrier; pserialize_perform() broadcasts a
     * no-op cross-call (xc_barrier) that cannot run on a CPU until that CPU has left its
     * section, and the cross-call machinery supplies the memory ordering. Rewritten for Java
     * from that description; no NetBSD text or code is copied.
     *
     * Reader record (PserializeLayout.ReaderFields.state), one per thread:
     *   state = 2 * sections begun + inside      (odd while inside)
     *   enter (outermost): state = state + 1     opaque store, no fence (fenceless)
     *   exit  (outermost): state = state + 1     release store
     * Inner enters and exits change only the owner-private depth.
     *
     * perform():
     *   1. fullFence                        -- the caller's unlink is globally visible
     *   2. generation check, barrier lock   -- coalescing, below
     *   3. records = registry array         -- after the fence (see ReaderRegistry)
     *   4. membarrier(PRIVATE_EXPEDITED)    -- only if there is some record and readers are
     *                                          fence-free
     *   5. fullFence; snapshot: for every record, (owner, state) with state odd
     *   6. wait until each snapshotted record's state changed, or its owner changed or died:
     *      spin Backoff.SPINS times, then park 1 us doubling to 1 ms (Backoff)
     *   7. acquireFence                     -- pairs with the readers' release on exit
     *
     * Correctness (fence-free readers). Let W unlink object X, then perform(). Let R be a
     * reader whose section (store S = odd state; loads L1..Ln of the structure; release store
     * E = even state) could find X. membarrier returns only after every thread of the
     * process executed a full barrier at some point B_R between the call's entry and its
     * return (or was switched out, which is a full barrier as well), and W's unlink was
     * globally visible before the call (step 1).
     *   - B_R after S in R's program order: S is globally visible before membarrier returns,
     *     so the snapshot (step 5) reads the odd state or a later one. If odd, W waits for a
     *     change, which only E (or R's death) makes; E is a release store, so every L
     *     happens-before W's actions after step 7. If already even, E came before the snapshot.
     *   - B_R before S: every L comes after B_R in program order, hence after the barrier,
     *     hence after the unlink was visible. R cannot find X.
     * This needs the loads L to stay after S in the machine code, which the JMM does not
     * promise for an opaque store followed by plain loads. We rely on HotSpot, exactly as
     * Smr's "Lazy mode" overview does (point 3 there): C2 compiles VarHandle field accesses
     * through its Unsafe intrinsics and brackets every non-plain access with MemBarCPUOrder,
     * a compiler-only barrier that keeps other memory accesses from moving across it
     * (C2Access::needs_cpu_membar, gc/shared/c2/barrierSetC2.cpp); C1 kills its value map at
     * every Unsafe store (do_UnsafePut, c1_ValueMap.hpp), so no load made before enter is
     * reused inside the section; the interpreter runs bytecodes in order. The CPU may still
     * satisfy an L before S drains from its store buffer; that is the case membarrier covers
     * (B_R is a full barrier in program order, either before S or after it). On another JVM,
     * run with -Dorg.smr4j.membarrier=false to keep readers fenced.
     *
     * Correctness (fenced readers, the fallback). S is followed by a store-load fence
     * (locked XADD on x86, opaque store + fullFence elsewhere). Dekker's pattern between
     * (unlink; fullFence; load state) and (store state; fence; load structure): either the
     * snapshot sees the odd state or R's loads see the unlink. No membarrier is issued.
     *
     * Records registered during a perform are covered by the registration fence
     * (ReaderRegistry overview). A record given to a new owner after the snapshot read it
     * means its old owner died (the registry recycles only dead owners' records), so the
     * waiter counts "owner changed" as "left"; new owners' sections all began after step 5.
     * A dead owner's section is over too: a terminated thread touches no memory, and
     * Thread.isAlive() returning false synchronises with the thread's end.
     *
     * Coalescing (Taylor Campbell's suggestion on tech-kern). `generation` counts completed
     * barrier rounds; rounds run one at a time under barrierLock. A caller reads generation
     * g after its fullFence. Round g+1 may have begun before the caller's unlink; round g+2
     * began after round g+1 completed, which is after the caller read g, hence after the
     * unlink was visible. So a caller that, holding the lock, finds generation >= g + 2
     * returns at once: that round covered it, and the lock orders the round's acquire fence
     * before the caller's return. Otherwise it runs a round itself. N callers that pile up
     * during one round are served by one more round.
     *
     * Differences from NetBSD
     *  1. membarrier(2) instead of xc_barrier: it interrupts only CPUs running our threads
     *     and needs no handler; waiting for readers is a separate step (6), because a Java
     *     reader can be preempted inside a section, which a NetBSD reader at IPL_SOFTSERIAL
     *     cannot.
     *  2. Per-thread records instead of per-CPU state: readers may migrate, be preempted, or
     *     be virtual threads. Scan cost follows the threads alive, not the CPUs.
     *  3. A perform waits only for readers that were inside when it began, not for every
     *     CPU to pass a point: a reader that entered later does not delay it.
     *  4. Concurrent performs are safe and coalesced; NetBSD requires callers to serialise.
     *  5. Nested sections are counted; a thread that dies inside a section is treated as
     *     having left it.
     *  6. Where the asymmetric barrier is missing, readers pay a store-load fence instead.
     *
     * This file: configuration and the public reader API, then perform() and its barrier
     * round, then Reader and Stats.
     */

    /** Set once the fallback notice has been logged. */
    private static final AtomicBoolean FALLBACK_NOTICE = new AtomicBoolean();

    private final String name;
    /** Readers publish without a store-load fence; perform issues membarrier. */
    private final boolean fenceless;
    private final ReaderRegistry<Reader> registry;
    // One thread-local per domain on purpose: each domain has its own reader records.
    @SuppressWarnings("ThreadLocalUsage")
    private final ThreadLocal<Reader> local = new ThreadLocal<>();
    /** Serialises barrier rounds; see "Coalescing". */
    private final ReentrantLock barrierLock = new ReentrantLock();
    /**
     * Completed barrier rounds. Written under barrierLock (volatile store), read with volatile
     * loads. Invariant: only increases, by one per round.
     */
    @SuppressWarnings("UnusedVariable") // read and written only through GENERATION, which Error Prone does not follow
    private long generation;

    private final LongAdder performs = new LongAdder();
    private final LongAdder rounds = new LongAdder();
    private final LongAdder membarriers = new LongAdder();
    private final LongAdder waits = new LongAdder();
    private final LongAdder coalesced = new LongAdder();
    private final LongAdder deadSkipped = new LongAdder();

    /** Set once by close(); read by perform() and by reader registration (slow paths). */
    private volatile boolean closed;
    /** The MBean, or null if registration failed; see Mbeans. */
    private final Mbeans.Registration mbean;
    /** Membership of the periodic JFR statistics; see Periodic. */
    private final Periodic.Handle periodic;
    /** The stalled-reader detector, created by the first slow path that runs once a recorder exists. */
    private volatile StallWatch stallWatch;

    private Pserialize(final String name, final boolean fenced) {
        this.name = Smr.checkName(name);
        if (!fenced && !AsymmetricFence.available()) {
            if (FALLBACK_NOTICE.compareAndSet(false, true)) {
                System.getLogger("org.smr4j").log(System.Logger.Level.WARNING,
                        "smr4j: pserialize readers use a store-load fence (safe, slower): "
                                + AsymmetricFence.unavailableReason());
            }
            this.fenceless = false;
        } else {
            this.fenceless = !fenced;
        }
        final boolean fenceFree = this.fenceless;
        this.registry = new ReaderRegistry<>(() -> new Reader(this, fenceFree),
                Reader::assign, Reader::release, Reader::ownerAlive);
        // ORDER: full fence, so the instance's initial state is visible before any thread that
        // learns of it can enter or perform (as Smr's constructor does), the MBean's and the
        // statistics hook's threads among them.
        VarHandle.fullFence();
        this.mbean = Mbeans.register("Pserialize", name, DomainJmx.pserialize(this), this);
        this.periodic = Periodic.add(Periodic.Kind.PSERIALIZE, this);
    }

    /**
     * Creates an instance. Readers are fence-free where {@code membarrier(2)} works, fenced
     * otherwise (see {@link #fenceFreeReaders()}).
     *
     * @param name the instance's name, used in messages and statistics
     * @return a new instance
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is empty
     */
    public static Pserialize create(final String name) {
        return new Pserialize(name, false);
    }

    /** For tests: an instance whose readers are always fenced, as in the fallback. */
    static Pserialize createFenced(final String name) {
        return new Pserialize(name, true);
    }

    /**
     * Returns this instance's name.
     *
     * @return the name given at creation
     */
    public String name() {
        return name;
    }

    /**
     * Returns whether readers publish without a store-load fence: true where the process-wide
     * barrier works, false in the fallback.
     *
     * @return true if readers are fence-free
     */
    public boolean fenceFreeReaders() {
        return fenceless;
    }

    // ------------------------------------------------------------------ readers

    /**
     * Enters a read section for the calling thread. Equivalent to {@code reader().enter()}.
     * Nested calls are counted.
     *
     * <p>Memory consistency effects: see the class documentation.
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
     * @throws IllegalStateException if the calling thread is not in a section of this instance
     */
    public void exit() {
        final Reader reader = local.get();
        if (reader == null) {
            throw new IllegalStateException(describe("exit() without enter()"));
        }
        reader.exit();
    }

    /**
     * Returns whether the calling thread is inside a read section of this instance.
     *
     * @return true if inside
     */
    public boolean entered() {
        final Reader reader = local.get();
        return reader != null && reader.depth != 0;
    }

    /**
     * Returns the calling thread's reader handle, registering the thread on first use. The
     * handle saves the thread-local lookup of {@link #enter()} and {@link #exit()} on hot
     * paths; only the calling thread may use it.
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
     * Closes the instance: unregisters its MBean and its JFR statistics, and refuses later
     * {@link #perform()} calls and the registration of new reader threads ({@link #enter()}
     * or {@link #reader()} on a thread that never used the instance) with
     * {@link IllegalStateException} naming the instance. Threads that already have a record
     * may keep entering and leaving sections (not checked: the hot path); with no perform
     * possible, their sections protect nothing new. Idempotent.
     *
     * <p>An instance that is never closed is unregistered once it becomes unreachable;
     * closing only makes that immediate. Close it after the pools and tables built over it.
     *
     * <p>Memory consistency effects: a {@code perform()} that begins after {@code close()}
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
     * Returns the name under which this instance's MBean is registered.
     *
     * @return the object name ({@code org.smr4j:type=Pserialize,name=<name>}, with
     *         {@code ,instance=<n>} appended while another instance of the same name is
     *         registered), or null if registration failed; kept after {@link #close()}
     */
    public String mbeanName() {
        return Mbeans.nameOf(mbean);
    }

    // ------------------------------------------------------------------ writers

    /**
     * Waits until every reader that was inside a section of this instance when this call
     * began has left that section. Readers that enter after the call began do not delay it.
     * Concurrent calls are safe and may share one barrier round.
     *
     * <p>Progress: blocking, not interruptible (an interrupt is kept for the caller). Costs
     * one {@code membarrier(2)} call (a few microseconds) per round where readers are
     * fence-free; batch the unlinks it covers.
     *
     * <p>Memory consistency effects: see the class documentation.
     *
     * @throws IllegalStateException if the calling thread is inside a section of this
     *         instance (it would wait for itself)
     */
    public void perform() {
        final Reader self = local.get();
        if (self != null && self.depth != 0) {
            throw new IllegalStateException(describe("perform() inside a read section"));
        }
        if (closed) {
            throw new IllegalStateException(describe("perform() after close()"));
        }
        performs.increment();
        // ORDER: full fence: the caller's unlink is globally visible before we read the
        // generation (coalescing) and before any round that serves this call begins.
        VarHandle.fullFence();
        // ORDER: volatile load after the fence: a round that completes after this load began
        // after the caller's unlink was visible (see "Coalescing").
        final long seen = generationVolatile();
        barrierLock.lock();
        try {
            // ORDER: volatile load under the lock (the lock alone would do; kept for clarity).
            final long now = generationVolatile();
            if (now - seen >= 2) {
                // Round seen + 2 began after we read seen: it covered us; the lock orders its
                // acquire fence before our return. See "Coalescing".
                coalesced.increment();
                return;
            }
            round();
            // ORDER: volatile store under the lock; read by later callers' generationVolatile.
            setGenerationVolatile(now + 1);
        } finally {
            barrierLock.unlock();
        }
    }

    /** One barrier round, steps 3 to 7 of the overview. Called under barrierLock. */
    private void round() {
        rounds.increment();
        final Object[] records = registry.snapshot();
        if (fenceless && hasRecord(records)) {
            // The asymmetric barrier: every running thread executes a full barrier.
            AsymmetricFence.fence();
            membarriers.increment();
        }
        // ORDER: full fence between the barrier (or, for fenced readers, the caller's unlink)
        // and the state loads below: the writer half of Dekker's pattern.
        VarHandle.fullFence();
        Reader[] pending = null;
        long[] states = null;
        Thread[] owners = null;
        int n = 0;
        boolean dead = false;
        for (int i = 0; i < records.length; i++) {
            final Reader r = (Reader) ReaderRegistry.recordAcquire(records, i);
            if (r == null) {
                continue;
            }
            // ORDER: acquire; pairs with the registry's release in assign(): a non-null owner
            // comes with the record's normalised state.
            final Thread owner = r.ownerAcquire();
            // ORDER: opaque; ordered by the fences around the scan.
            final long s = r.stateOpaque();
            if ((s & 1) == 0 || owner == null) {
                continue;
            }
            if (!owner.isAlive()) {
                dead = true; // died inside a section: cannot touch memory any more
                continue;
            }
            if (pending == null) {
                pending = new Reader[4];
                states = new long[4];
                owners = new Thread[4];
            } else if (n == pending.length) {
                pending = Arrays.copyOf(pending, n * 2);
                states = Arrays.copyOf(states, n * 2);
                owners = Arrays.copyOf(owners, n * 2);
            }
            pending[n] = r;
            states[n] = s;
            owners[n] = owner;
            n++;
        }
        if (n > 0) {
            waits.increment();
            final SmrEvents.PerformWait event = SmrPoolEvents.recording() ? new SmrEvents.PerformWait() : null;
            if (event != null) {
                event.begin();
            }
            dead |= waitFor(pending, states, owners, n);
            if (event != null) {
                event.end();
            }
            if (event != null && event.shouldCommit()) {
                event.pserialize = name;
                event.readers = n;
                event.commit();
            }
        }
        // ORDER: acquire fence; pairs with the release store in Reader.exit: the caller's
        // actions after perform() cannot be ordered before the last accesses of the sections
        // we waited for (or saw finished).
        VarHandle.acquireFence();
        if (dead) {
            deadSkipped.increment();
            registry.requestSweep();
            registry.sweepIfRequested();
        }
    }

    private static boolean hasRecord(final Object[] records) {
        return records.length > 0 && ReaderRegistry.recordAcquire(records, 0) != null;
    }

    /**
     * Waits until every pending record has left the section it was in: its state changed, or
     * its owner changed or died. Returns whether a dead owner was seen.
     */
    private boolean waitFor(final Reader[] pending, final long[] states, final Thread[] owners, final int count) {
        int n = count;
        boolean dead = false;
        final Backoff backoff = new Backoff(this);
        while (true) {
            for (int i = 0; i < n; ) {
                final Reader r = pending[i];
                final Thread owner = owners[i];
                // ORDER: opaque state and acquire owner loads; the acquire fence at the end of
                // round() orders what follows perform() after them.
                final boolean left = r.stateOpaque() != states[i] || r.ownerAcquire() != owner;
                final boolean died = !left && !owner.isAlive();
                if (left || died) {
                    dead |= died;
                    n--;
                    pending[i] = pending[n];
                    states[i] = states[n];
                    owners[i] = owners[n];
                    pending[n] = null;
                    owners[n] = null;
                } else {
                    i++;
                }
            }
            if (n == 0) {
                break;
            }
            if (backoff.parking() && SmrPoolEvents.recording()) {
                watchStall(pending[0], owners[0], states[0]);
            }
            backoff.pause();
        }
        backoff.restoreInterrupt();
        return dead;
    }

    // ------------------------------------------------------------------ observability

    /**
     * A sighting for the stalled-reader event (see StallWatch): {@code r} is a reader a
     * perform waits for, or null; from slow paths only.
     */
    private void watchStall(final Reader r, final Thread owner, final long state) {
        StallWatch w = stallWatch;
        if (w == null) {
            w = new StallWatch(name, "Pserialize", x -> ((Reader) x).stateOpaque(), x -> ((Reader) x).ownerAcquire());
            stallWatch = w; // racing creators: one watch wins, the other's sighting is lost
        }
        if (w.due()) {
            w.observe(r, owner, state, 0);
        }
    }

    /**
     * The first record inside a section whose owner is alive, as {@code {reader, owner}}, and
     * its state in {@code state[0]}; null when none is inside. A diagnostic read.
     */
    Object[] readerInside(final long[] state) {
        final Object[] records = registry.snapshot();
        for (int i = 0; i < records.length; i++) {
            final Reader r = (Reader) ReaderRegistry.recordAcquire(records, i);
            if (r == null) {
                continue;
            }
            final Thread owner = r.ownerAcquire();
            final long s = r.stateOpaque(); // ORDER: opaque; a diagnostic, no decision rests on it
            if ((s & 1) != 0 && owner != null && owner.isAlive()) {
                state[0] = s;
                return new Object[] {r, owner};
            }
        }
        return null;
    }

    /** Readers inside a section now (a diagnostic scan, for the MBean). */
    int readersInside() {
        int n = 0;
        final Object[] records = registry.snapshot();
        for (int i = 0; i < records.length; i++) {
            final Reader r = (Reader) ReaderRegistry.recordAcquire(records, i);
            if (r != null && (r.stateOpaque() & 1) != 0 && r.ownerAlive()) {
                n++;
            }
        }
        return n;
    }

    /** The periodic JFR hook (Periodic): this instance's statistics, and a stall sighting. */
    void emitStatistics() {
        final SmrEvents.PserializeStatistics e = new SmrEvents.PserializeStatistics();
        if (e.shouldCommit()) {
            final Stats s = stats();
            e.pserialize = name;
            e.performs = s.performs();
            e.barriers = s.barriers();
            e.membarriers = s.membarriers();
            e.waits = s.waits();
            e.coalesced = s.coalesced();
            e.readers = s.readers();
            e.commit();
        }
        final long[] state = new long[1];
        final Object[] inside = readerInside(state);
        if (inside == null) {
            watchStall(null, null, 0);
        } else {
            watchStall((Reader) inside[0], (Thread) inside[1], state[0]);
        }
    }

    // ------------------------------------------------------------------ statistics

    /**
     * Returns a snapshot of this instance's counters. The counters are kept off the reader
     * path; reading them is not linearizable with concurrent updates.
     *
     * @return the counters now
     */
    public Stats stats() {
        return new Stats(performs.sum(), rounds.sum(), membarriers.sum(), waits.sum(),
                coalesced.sum(), deadSkipped.sum(), registry.size());
    }

    /** For tests: drops the records of dead threads now. */
    void sweepReaders() {
        registry.sweep();
    }

    /** For tests. */
    ReaderRegistry<Reader> registry() {
        return registry;
    }

    String describe(final String what) {
        return "pserialize '" + name + "': " + what + " (thread " + Thread.currentThread() + ")";
    }

    @Override
    public String toString() {
        return "Pserialize[" + name + (fenceless ? ", fence-free readers" : ", fenced readers")
                + ", readers=" + registry.size() + "]";
    }

    private long generationVolatile() {
        return (long) GENERATION.getVolatile(this);
    }

    private void setGenerationVolatile(final long value) {
        GENERATION.setVolatile(this, value);
    }

    // ------------------------------------------------------------------ Reader

    /**
     * One thread's reader record in one {@link Pserialize} instance, usable as an explicit
     * handle on hot paths: its {@link #enter()} and {@link #exit()} skip the thread-local
     * lookup of {@link Pserialize#enter()}. Obtain it with {@link Pserialize#reader()}; the
     * same record backs {@link Pserialize#enter()} on that thread, so the two may be mixed.
     *
     * <p>Assumptions: only the owning thread calls it; sections are short and do not block.
     *
     * <p>Memory consistency effects: as for {@link Pserialize#enter()} and
     * {@link Pserialize#exit()}.
     */
    public static final class Reader extends PserializeLayout.ReaderPad1 {
        Reader(final Pserialize pserialize, final boolean fenceless) {
            super(pserialize, fenceless);
        }

        /**
         * Enters a read section. The outermost enter publishes; nested enters only count.
         *
         * <p>Progress: wait-free.
         *
         * @throws IllegalStateException if called from a thread other than the owner
         */
        public void enter() {
            if (owner != Thread.currentThread()) {
                throw wrongThread("enter()");
            }
            final int d = depth;
            depth = d + 1;
            if (d == 0) {
                publish();
            }
        }

        private void publish() {
            final long s = state; // plain: only the owner writes state while it owns the record
            if (fenceless) {
                // ORDER: opaque store and no fence. The performer's membarrier orders it for
                // the CPU; C2's MemBarCPUOrder around the opaque access keeps the section's
                // loads after it for the compiler. See "Correctness (fence-free readers)".
                STATE.setOpaque(this, s + 1);
            } else if (Smr.X86) {
                // ORDER: locked XADD, the store-load fence on x86-TSO and a volatile RMW for
                // the JIT: the section's loads cannot pass the publication.
                STATE.getAndAdd(this, 1L);
            } else {
                // ORDER: opaque store, then a full fence: the store-load barrier (an acquire
                // RMW would let later loads pass its store on arm64, FreeBSD PR 265974).
                STATE.setOpaque(this, s + 1);
                VarHandle.fullFence();
            }
        }

        /**
         * Leaves the innermost read section. The outermost exit publishes with a release
         * store.
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
            final int d = depth;
            if (d <= 1) {
                if (d == 0) {
                    throw new IllegalStateException(pserialize.describe("exit() without enter()"));
                }
                depth = 0;
                // ORDER: release; every access of the section completes before the state
                // reads as left. Pairs with the acquire fence at the end of Pserialize.round.
                STATE.setRelease(this, state + 1);
            } else {
                depth = d - 1;
            }
        }

        /**
         * Returns whether the owning thread is inside a section of this instance.
         *
         * @return true if inside
         * @throws IllegalStateException if called from a thread other than the owner
         */
        public boolean entered() {
            if (owner != Thread.currentThread()) {
                throw wrongThread("entered()");
            }
            return depth != 0;
        }

        /**
         * Returns the instance of this handle.
         *
         * @return the instance
         */
        public Pserialize pserialize() {
            return pserialize;
        }

        private IllegalStateException wrongThread(final String what) {
            return new IllegalStateException(pserialize.describe("Reader." + what
                    + " from a thread that does not own the handle (owner " + owner + ")"));
        }

        long stateOpaque() {
            return (long) STATE.getOpaque(this);
        }

        Thread ownerAcquire() {
            return (Thread) OWNER.getAcquire(this);
        }

        boolean ownerAlive() {
            final Thread t = ownerAcquire();
            return t != null && t.isAlive();
        }

        /** Registry, under its lock: gives the record to {@code thread}. */
        void assign(final Thread thread) {
            depth = 0;
            normaliseState();
            // ORDER: release; pairs with the acquire in ownerAcquire().
            OWNER.setRelease(this, thread);
        }

        /** Registry, under its lock: the owner is dead; forget it. */
        void release() {
            // ORDER: release; a waiter that reads null counts the old owner's section as left.
            OWNER.setRelease(this, null);
            normaliseState();
        }

        /** A dead owner may have left the state odd (died inside): make it even again. */
        private void normaliseState() {
            final long s = state;
            if ((s & 1) != 0) {
                // ORDER: release; a waiter that reads the new value counts the section as left,
                // which is right: the owner is dead.
                STATE.setRelease(this, s + 1);
            }
        }

        @Override
        public String toString() {
            return "Pserialize.Reader[" + pserialize.name + ", owner=" + owner + ", state=" + stateOpaque() + "]";
        }

        // VarHandle mechanics
        private static final VarHandle STATE;
        private static final VarHandle OWNER;

        static {
            try {
                final MethodHandles.Lookup lookup = MethodHandles.lookup();
                STATE = lookup.findVarHandle(PserializeLayout.ReaderFields.class, "state", long.class);
                OWNER = lookup.findVarHandle(PserializeLayout.ReaderFields.class, "owner", Thread.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    // ------------------------------------------------------------------ Stats

    /**
     * A snapshot of an instance's counters.
     *
     * @param performs    calls to {@code perform()}
     * @param barriers    barrier rounds run (each scans the readers once)
     * @param membarriers process-wide barriers issued ({@code membarrier(2)} calls); 0 with
     *                    fenced readers, and fewer than {@code barriers} when no reader was
     *                    registered
     * @param waits       rounds that found a reader inside and had to wait for it
     * @param coalesced   calls served by another caller's round
     * @param deadSkipped rounds that met a thread that had died inside a section
     * @param readers     reader records registered now
     */
    public record Stats(long performs, long barriers, long membarriers, long waits, long coalesced,
                        long deadSkipped, int readers) {
    }

    // VarHandle mechanics
    private static final VarHandle GENERATION;

    static {
        try {
            GENERATION = MethodHandles.lookup().findVarHandle(Pserialize.class, "generation", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
