package org.smr4j.bench.peers;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.smr4j.Pserialize;
import org.smr4j.Smr;
import org.smr4j.SmrPool;
import org.smr4j.SmrRetireQueue;

/**
 * The native peers' workloads (liburcu, ConcurrencyKit's {@code ck_epoch}, crossbeam-epoch, in
 * {@code ../shared/peers/}) written for smr4j, so that all of them can be measured in one run on
 * one machine and each compared with its own baseline. The peers are not copied: this program
 * reproduces their workloads and their output lines ({@code A ...} and {@code B ... | C ...},
 * {@code key=value}), so that {@code peers.py} reads every program the same way.
 *
 * <ul>
 * <li><b>A, read-side cost.</b> {@code loop { enter; v += gp.val; exit }} on 1 and 2 threads,
 *     beside the same loop with no section (the baseline of the same run), through the
 *     per-thread handle ({@link Smr.Reader}, {@link Pserialize.Reader}) as liburcu's registered
 *     threads do. The protected load is a {@code getAcquire} ({@code rcu_dereference}).</li>
 * <li><b>B, lookups under a writer.</b> Readers pick random slots of a 1,024-slot protected
 *     array (xorshift, as the peers) inside a section, check the key and add the value, while one
 *     writer replaces random slots: a new node, {@code getAndSet} of the slot ({@code
 *     rcu_xchg_pointer}), and the old node retired. Writers: {@code none}; {@code retire}
 *     ({@link SmrRetireQueue}, the {@code call_rcu} analogue; the action counts the free, the
 *     GC takes the node); {@code retire_paced100k}; {@code pool} ({@link SmrPool}: the node comes
 *     from the pool, counted as allocated by its {@code construct} hook, and goes back to it,
 *     UMA-style; it counts as freed when the pool runs its deferred {@code destruct} hook, once
 *     its batch has expired); {@code synchronize} ({@link Smr#synchronize()} per update, then
 *     free; pserialize: {@link Pserialize#perform()}). Pserialize has no retire queue: its
 *     {@code retire} writer keeps the old nodes and frees 64 at a time after one
 *     {@code perform()}, as a {@code PR_PSERIALIZE} pool batches its destruction.</li>
 * <li><b>C, objects pending</b> ({@code allocated - freed - live}), sampled every 1 ms by the
 *     main thread during B; mean, max, at stop, and the time of the final barrier
 *     ({@code awaitAll}/{@code drain}, {@code rcu_barrier}).</li>
 * </ul>
 *
 * <p>As in the peers, reader {@code i} is pinned to CPU {@code i % 2} and the writer to the CPU
 * after the readers ({@code sched_setaffinity(2)} through {@code java.lang.foreign}); each test
 * runs for the given milliseconds after an unprinted warm-up of the same code (the JIT's, which
 * the C and Rust programs do not need).
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp smr4j-bench/target/benchmarks.jar \
 *      org.smr4j.bench.peers.PeerWorkloads 1000 AB smr-default,smr-lazy,pserialize
 * smr4j-bench/peers.sh 1000 3      # this and every native peer, interleaved, one table
 * </pre>
 */
public final class PeerWorkloads {

    static final int NSLOTS = 1024;
    static final int INNER = 4096;
    /** The writer backs off above this many pending objects (the peers' PENDING_CAP). */
    static final long PENDING_CAP = 20_000_000L;

    /** A 64-byte node, as the peers' {@code struct node}: key, value, padding. */
    static final class Node {
        long key;
        long val;
        long p0, p1, p2, p3;

        Node(final long k) {
            set(k);
        }

        void set(final long k) {
            key = k;
            val = k * 3 + 1;
        }
    }

    /** One flavor: how a section is entered and left, and how a writer retires. */
    enum Flavor {
        SMR_DEFAULT("smr-default"), SMR_DEFERRED("smr-deferred32"), SMR_LAZY("smr-lazy"), PSERIALIZE("pserialize");

        final String label;

        Flavor(final String label) {
            this.label = label;
        }

        static Flavor of(final String s) {
            for (final Flavor f : values()) {
                if (f.label.equals(s)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("flavor: unknown '" + s + "'; valid: smr-default, smr-deferred32, smr-lazy, pserialize");
        }
    }

    /** A section, the same shape for every flavor, so that one reader loop serves all. */
    interface Section {
        void enter();

        void exit();
    }

    static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Node[].class);

    final Flavor flavor;
    final int durMs;
    final Smr smr;
    final Pserialize psz;
    final Node[] table = new Node[NSLOTS];
    volatile Node gp;
    volatile boolean stop;
    volatile boolean go;
    final AtomicLong nAlloc = new AtomicLong();
    final AtomicLong nFreed = new AtomicLong();
    long liveSet;
    int capHits;

    PeerWorkloads(final Flavor flavor, final int durMs) {
        this.flavor = flavor;
        this.durMs = durMs;
        switch (flavor) {
            case SMR_DEFAULT -> {
                smr = Smr.create("peers");
                psz = null;
            }
            case SMR_DEFERRED -> {
                smr = Smr.builder("peers").deferred(32).build();
                psz = null;
            }
            case SMR_LAZY -> {
                smr = Smr.builder("peers").lazy().build();
                psz = null;
            }
            default -> {
                smr = null;
                psz = Pserialize.create("peers");
            }
        }
        gp = newNode(0);
        for (int i = 0; i < NSLOTS; i++) {
            table[i] = newNode(i);
        }
        liveSet = NSLOTS + 1;
    }

    Node newNode(final long k) {
        nAlloc.incrementAndGet();
        return new Node(k);
    }

    /** A section handle for the calling thread (the registered reader of liburcu). */
    Section section() {
        if (smr != null) {
            final Smr.Reader r = smr.reader();
            return new Section() {
                @Override
                public void enter() {
                    r.enter();
                }

                @Override
                public void exit() {
                    r.exit();
                }
            };
        }
        final Pserialize.Reader r = psz.reader();
        return new Section() {
            @Override
            public void enter() {
                r.enter();
            }

            @Override
            public void exit() {
                r.exit();
            }
        };
    }

    // ------------------------------------------------------------------ A: read-side cost

    static long loopBaseline(final PeerWorkloads w, long sum) {
        for (int i = 0; i < INNER; i++) {
            sum += w.gpAcquire().val;
        }
        return sum;
    }

    static long loopSection(final PeerWorkloads w, final Section s, long sum) {
        for (int i = 0; i < INNER; i++) {
            s.enter();
            sum += w.gpAcquire().val;
            s.exit();
        }
        return sum;
    }

    private static final VarHandle GP;

    static {
        try {
            GP = MethodHandles.lookup().findVarHandle(PeerWorkloads.class, "gp", Node.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** ORDER: acquire, the rcu_dereference of the peers; pairs with the volatile store in the constructor. */
    Node gpAcquire() {
        return (Node) GP.getAcquire(this);
    }

    double[] runA(final int nthreads, final boolean section) throws InterruptedException {
        stop = false;
        go = false;
        final double[] nsPerOp = new double[nthreads];
        final long[] ops = new long[nthreads];
        final List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < nthreads; t++) {
            final int id = t;
            ts.add(Thread.ofPlatform().name("peers-A-" + id).start(() -> {
                Affinity.pin(id);
                final Section s = section ? section() : null;
                long sum = 0;
                long iters = 0;
                while (!go) {
                    Thread.onSpinWait();
                }
                final long t0 = System.nanoTime();
                while (!stop) {
                    sum = s == null ? loopBaseline(this, sum) : loopSection(this, s, sum);
                    iters += INNER;
                }
                final long t1 = System.nanoTime();
                nsPerOp[id] = (double) (t1 - t0) / iters;
                ops[id] = iters + (sum == 42 ? 1 : 0);
            }));
        }
        Thread.sleep(20);
        go = true;
        Thread.sleep(durMs);
        stop = true;
        for (final Thread t : ts) {
            t.join();
        }
        double ns = 0;
        double tot = 0;
        for (int i = 0; i < nthreads; i++) {
            ns += nsPerOp[i];
            tot += ops[i];
        }
        return new double[] {ns / nthreads, tot / (durMs / 1000.0) / 1e6};
    }

    void printA(final int nthreads, final boolean section) throws InterruptedException {
        final double[] r = runA(nthreads, section);
        System.out.printf(Locale.ROOT, "A lib=smr4j flavor=%s test=%s threads=%d ns_per_op(avg per thread)=%.3f total_Mops=%.1f%n",
                flavor.label, section ? "enter_exit_pair" : "baseline_no_section", nthreads, r[0], r[1]);
    }

    // ------------------------------------------------------------------ B/C: table under a writer

    enum Writer {
        NONE("none"), RETIRE("retire"), RETIRE_PACED("retire_paced100k"), POOL("pool"), SYNC("synchronize");

        final String label;

        Writer(final String label) {
            this.label = label;
        }
    }

    static long lookups(final PeerWorkloads w, final Section s, final long[] rs, long sum) {
        long x = rs[0];
        final Node[] table = w.table;
        for (int i = 0; i < INNER; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            final int idx = (int) (x & (NSLOTS - 1));
            s.enter();
            // ORDER: acquire, the rcu_dereference of the peers; pairs with the writer's getAndSet.
            final Node p = (Node) SLOT.getAcquire(table, idx);
            if (p.key == idx) {
                sum += p.val;
            }
            s.exit();
        }
        rs[0] = x;
        return sum;
    }

    @SuppressWarnings("ThreadPriorityCheck") // the writer yields at its pending cap, as the peers' programs do
    void runB(final int nreaders, final Writer wm, final boolean print) throws InterruptedException {
        stop = false;
        go = false;
        capHits = 0;
        final long a0 = nAlloc.get();
        final long[] lookupCount = new long[Math.max(1, nreaders)];
        final List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < nreaders; t++) {
            final int id = t;
            readers.add(Thread.ofPlatform().name("peers-B-reader-" + id).start(() -> {
                Affinity.pin(id);
                final Section s = section();
                final long[] rs = {0x9E3779B97F4A7C15L * (id + 1)};
                long sum = 0;
                long n = 0;
                while (!go) {
                    Thread.onSpinWait();
                }
                while (!stop) {
                    sum = lookups(this, s, rs, sum);
                    n += INNER;
                }
                lookupCount[id] = n + (sum == 42 ? 1 : 0);
            }));
        }
        final SmrRetireQueue queue = smr != null && (wm == Writer.RETIRE || wm == Writer.RETIRE_PACED)
                ? SmrRetireQueue.builder("peers", smr).build() : null;
        final SmrPool<Node> pool = smr != null && wm == Writer.POOL
                ? SmrPool.<Node>builder("peers", () -> new Node(0)).smr(smr).jmx(false)
                        .construct(n -> nAlloc.incrementAndGet())
                        .destruct(n -> nFreed.incrementAndGet()).build()
                : null;
        final long[] updates = new long[1];
        final double[] syncNs = new double[1];
        final Thread writer = wm == Writer.NONE ? null : Thread.ofPlatform().name("peers-B-writer").start(() -> {
            Affinity.pin(nreaders);
            long s = 0xD1B54A32D192ED03L;
            long n = 0;
            long tsync = 0;
            while (!go) {
                Thread.onSpinWait();
            }
            final long t0 = System.nanoTime();
            long next = t0;
            while (!stop) {
                if (nAlloc.get() - nFreed.get() - liveSet > PENDING_CAP) {
                    capHits++;
                    Thread.yield();
                    continue;
                }
                if (wm == Writer.RETIRE_PACED) {
                    next += 10_000; // 100k updates/s
                    while (System.nanoTime() < next && !stop) {
                        Thread.onSpinWait();
                    }
                }
                s ^= s << 13;
                s ^= s >>> 7;
                s ^= s << 17;
                final int idx = (int) (s & (NSLOTS - 1));
                final Node nn;
                if (pool != null) {
                    nn = pool.get();
                    nn.set(idx);
                } else {
                    nn = newNode(idx);
                }
                // ORDER: getAndSet is volatile: the node's fields are published before readers can load it.
                final Node old = (Node) SLOT.getAndSet(table, idx, nn);
                switch (wm) {
                    case RETIRE, RETIRE_PACED -> {
                        if (queue != null) {
                            queue.retire(old, o -> nFreed.incrementAndGet());
                        } else {
                            retirePserialize(old);
                        }
                    }
                    case POOL -> {
                        if (pool != null) {
                            pool.put(old);
                        } else {
                            retirePserialize(old);
                        }
                    }
                    case SYNC -> {
                        final long a = System.nanoTime();
                        if (smr != null) {
                            smr.synchronize();
                        } else {
                            psz.perform();
                        }
                        tsync += System.nanoTime() - a;
                        nFreed.incrementAndGet();
                    }
                    default -> { }
                }
                n++;
            }
            updates[0] = n;
            syncNs[0] = n == 0 ? 0 : (double) tsync / n;
        });
        Thread.sleep(20);
        double sumP = 0;
        double maxP = 0;
        long ns = 0;
        final long t0 = System.nanoTime();
        go = true;
        while (System.nanoTime() - t0 < durMs * 1_000_000L) {
            LockSupport.parkNanos(1_000_000L);
            final long p = nAlloc.get() - nFreed.get() - liveSet;
            sumP += p;
            maxP = Math.max(maxP, p);
            ns++;
        }
        stop = true;
        final double el = (System.nanoTime() - t0) / 1e9;
        for (final Thread t : readers) {
            t.join();
        }
        if (writer != null) {
            writer.join();
        }
        final long pendStop = nAlloc.get() - nFreed.get() - liveSet;
        final long tb = System.nanoTime();
        if (queue != null) {
            queue.close(); // awaitAll, then close: rcu_barrier
        }
        if (pool != null) {
            pool.drain(); // tag every cache, wait, run the deferred destructs
        }
        if (psz != null && wm != Writer.NONE && wm != Writer.SYNC) {
            psz.perform();
            nFreed.addAndGet(psPending);
            psPending = 0;
        }
        final double tbar = (System.nanoTime() - tb) / 1e6;
        final long pendAfter = nAlloc.get() - nFreed.get() - liveSet;
        if (pool != null) {
            pool.close();
        }
        double lk = 0;
        for (int i = 0; i < nreaders; i++) {
            lk += lookupCount[i];
        }
        if (print) {
            System.out.printf(Locale.ROOT,
                    "B lib=smr4j flavor=%s readers=%d writer=%s lookups_Mops=%.2f (per reader ns/lookup=%.2f) "
                            + "updates_Mops=%.3f sync_latency_us=%.2f | C pending_mean=%.0f pending_max=%.0f "
                            + "pending_at_stop=%d barrier_ms=%.2f pending_after_barrier=%d cap_hits=%d samples=%d allocs=%d%n",
                    flavor.label, nreaders, wm.label, lk / el / 1e6,
                    nreaders == 0 ? 0.0 : el * 1e9 * nreaders / Math.max(1, lk), updates[0] / el / 1e6,
                    syncNs[0] / 1e3, ns == 0 ? 0 : sumP / ns, maxP, pendStop, tbar, pendAfter, capHits, ns,
                    nAlloc.get() - a0);
        }
    }

    /** Pserialize has no retire queue: the writer keeps a batch and performs once per 64 retires. */
    private long psPending;

    private void retirePserialize(final Node old) {
        if (++psPending == 64) {
            psz.perform();
            nFreed.addAndGet(psPending);
            psPending = 0;
        }
    }

    // ------------------------------------------------------------------ main

    /**
     * Runs the workloads.
     *
     * @param args {@code DURATION_MS [AB] [flavor,...]}
     * @throws InterruptedException if interrupted while a test runs
     */
    public static void main(final String[] args) throws InterruptedException {
        final int dur = args.length > 0 ? parseDuration(args[0]) : 1000;
        final String which = args.length > 1 ? args[1] : "AB";
        final String flavors = args.length > 2 ? args[2] : "smr-default,smr-lazy,pserialize";
        System.out.printf(Locale.ROOT, "# smr4j %s, %s %s, dur_ms=%d, fence-free lazy readers: %s%n",
                PeerWorkloads.class.getPackage().getImplementationVersion(), System.getProperty("java.vm.name"),
                Runtime.version(), dur, Smr.builder("probe").lazy().build().fenceFreeReaders());
        for (final String f : flavors.split(",", -1)) {
            final Flavor flavor = Flavor.of(f.trim());
            final PeerWorkloads w = new PeerWorkloads(flavor, dur);
            final PeerWorkloads warm = new PeerWorkloads(flavor, Math.min(dur, 300));
            if (which.contains("A")) {
                for (int t = 1; t <= 2; t++) {
                    warm.runA(t, false);
                    warm.runA(t, true);
                    w.printA(t, false);
                    w.printA(t, true);
                }
            }
            if (which.contains("B")) {
                final Writer[] writers = flavor == Flavor.PSERIALIZE
                        ? new Writer[] {Writer.NONE, Writer.RETIRE, Writer.RETIRE_PACED, Writer.SYNC}
                        : new Writer[] {Writer.NONE, Writer.RETIRE, Writer.RETIRE_PACED, Writer.POOL, Writer.SYNC};
                for (final Writer wm : writers) {
                    warm.runB(1, wm, false);
                }
                w.runB(1, Writer.NONE, true);
                w.runB(2, Writer.NONE, true);
                w.runB(0, Writer.RETIRE, true);
                w.runB(1, Writer.RETIRE, true);
                w.runB(1, Writer.RETIRE_PACED, true);
                if (flavor != Flavor.PSERIALIZE) {
                    w.runB(1, Writer.POOL, true);
                }
                w.runB(1, Writer.SYNC, true);
                w.runB(0, Writer.SYNC, true);
            }
        }
    }

    private static int parseDuration(final String s) {
        final int d;
        try {
            d = Integer.parseInt(s);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("DURATION_MS: not a number: '" + s + "'", e);
        }
        if (d < 10 || d > 60_000) {
            throw new IllegalArgumentException("DURATION_MS: " + d + " is out of range [10, 60000]");
        }
        return d;
    }

    /** {@code sched_setaffinity(0, ...)} of the calling thread, as the peers' {@code pin_cpu}. */
    @SuppressWarnings("restricted") // a downcall to libc sched_setaffinity(2); needs --enable-native-access
    static final class Affinity {
        private static final MethodHandle SET;

        static {
            MethodHandle h = null;
            try {
                final Linker linker = Linker.nativeLinker();
                h = linker.downcallHandle(linker.defaultLookup().find("sched_setaffinity").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                                ValueLayout.ADDRESS));
            } catch (final RuntimeException | LinkageError e) {
                System.out.println("# affinity: not pinned (" + e + ")");
            }
            SET = h;
        }

        static void pin(final int cpu) {
            if (SET == null) {
                return;
            }
            try (Arena a = Arena.ofConfined()) {
                final MemorySegment mask = a.allocate(128);
                mask.set(ValueLayout.JAVA_LONG, 0, 1L << (cpu % 2));
                final int rc = (int) SET.invokeExact(0, 128L, mask);
                if (rc != 0) {
                    System.out.println("# affinity: sched_setaffinity returned " + rc);
                }
            } catch (final Throwable e) {
                System.out.println("# affinity: not pinned (" + e + ")");
            }
        }
    }
}
