package org.smr4j.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import org.smr4j.Smr;
import org.smr4j.SmrPool;

/**
 * Does the cost of an operation grow with the number of threads no faster than the cost model
 * of {@code docs/PERFORMANCE.md} ("Part 6: cost model as threads grow") says? A 2-CPU machine
 * cannot show scale past two cores, so this program oversubscribes it: 2, 64 and 512 platform
 * threads and 100,000 virtual threads, each a registered reader of one domain, run a bounded
 * number of operations each, and the program reports CPU nanoseconds per operation, the ratio
 * to the 2-thread figure of the same run, and the model's prediction for that thread count.
 *
 * <p>Workloads, each in a fresh domain (and pool) shared by all threads of the measurement:
 * <ul>
 *   <li>{@code EMPTY}: the threads start, register, wait for the start signal and end; no
 *       operation. Its CPU time per thread (waking up and ending) times the active threads of
 *       a workload is subtracted from that workload's ("net").</li>
 *   <li>{@code SECTIONS}: {@code Smr.Reader.enter()}, one load of a shared object, {@code exit()}.</li>
 *   <li>{@code ADVANCE_POLL}: {@code poll(advance())}, a fresh goal each time.</li>
 *   <li>{@code POOL}: {@code SmrPool.get()} then {@code put()} of the same object, a pool over
 *       the domain with default settings (magazines of 32, owned caches for up to
 *       {@link SmrPool#OWNED_CACHES_DEFAULT} platform threads, stripes for the rest).</li>
 *   <li>{@code POOL_STRIPED}: the same with {@code ownedCaches(0)}, 2 threads only: the
 *       striped path's cost, a constant of the model.</li>
 * </ul>
 * Every thread registers as a reader (one empty section) before the start signal, so a
 * measurement with N threads has N registered records, which every scan visits. Where the
 * budget of a workload is smaller than N times its minimum per thread (scans of 100,000
 * records), only the first threads are active; the others stay registered and parked until
 * the measurement is over, and are not timed.
 *
 * <p>Why CPU time and not wall time: the machine is shared, and the scheduler gives a process
 * with 512 runnable threads a larger share of it than one with 2, so wall-clock ratios would
 * measure the neighbours. The CPU time the operations took, divided by the operations, is the
 * cost per operation whatever share we get: each platform worker reads its own thread CPU
 * clock after the start signal and at its end; for virtual workers, the CPU time of the
 * carrier threads (and of every other live platform thread, the main thread included) over
 * the measured interval. JIT and GC threads are not Java threads and are not counted; the
 * process CPU time is not used because the JDK reads it in 10 ms ticks here. Wall time is
 * printed too.
 *
 * <p>Run (from the repository root, after {@code mvn -B -pl smr4j-bench -am package -Djmh.skip=true}):
 * <pre>
 * flock /tmp/jmh.lock java --enable-native-access=ALL-UNNAMED -Xmx4g \
 *      -cp smr4j-bench/target/benchmarks.jar org.smr4j.bench.ScaleCheck
 * </pre>
 * Properties ({@code -D}): {@code modes} (default {@code DEFAULT,LAZY}), {@code reps}
 * (measured repetitions, default 3, order reversed every other repetition; the table shows
 * medians), {@code scale} (multiplies every operation budget, default 1), {@code threads}
 * (default {@code p2,p64,p512,v100000}; {@code p} platform, {@code v} virtual; the first
 * entry is the reference the ratios divide by).
 */
public final class ScaleCheck {
    /** Bytes of one {@code Smr.Reader} record with its padding (JOL, SmrLayoutTest): about 300. */
    static final int RECORD_BYTES = 304;
    /** A record line found in L1/L2 by a scan: PollBenchmark, Part 1 (0.36 ns per idle record). */
    static final double C_REC_CACHED = 0.36;
    /** Upper bound while the records fit in the L2 of this machine kind: a blocking record's 1.3 ns. */
    static final double C_REC_CACHED_HI = 1.3;
    /** Upper bound once they do not (a miss to the last level or to memory, overlapped): 10 ns. */
    static final double C_REC_MEMORY_HI = 10.0;
    /** Records that fit in the caches counted as "cached" above: 512 KiB of L2 per core. */
    static final long L2_BYTES = 512L * 1024;
    /** Cost of one cache miss a thread pays on its first operation (its record, shared lines). */
    static final double C_MISS = 100.0;
    /** Allowance for context switches of oversubscribed threads (a few us per time slice of ms). */
    static final double SWITCH_ALLOWANCE = 0.05;
    /** Noise allowance for the verdict: ratios of a loaded machine vary by this much between repetitions. */
    static final double NOISE = 0.15;

    private ScaleCheck() {
    }

    /** What every thread of a measurement does. */
    enum Workload {
        EMPTY, SECTIONS, ADVANCE_POLL, POOL, POOL_STRIPED
    }

    /** A set of threads: how many, and whether virtual. */
    record ThreadSet(String label, int count, boolean virtual) {
        static ThreadSet parse(final String s) {
            final String t = s.trim().toLowerCase(Locale.ROOT);
            final boolean v = t.startsWith("v");
            if (!v && !t.startsWith("p")) {
                throw new IllegalArgumentException("threads: '" + s + "' must start with p (platform) or v (virtual)");
            }
            final int n = Integer.parseInt(t.substring(1));
            if (n < 1) {
                throw new IllegalArgumentException("threads: '" + s + "' needs at least one thread");
            }
            return new ThreadSet((v ? "virtual " : "platform ") + n, n, v);
        }
    }

    /** Operations per active thread, and how many of the threads are active. */
    record Plan(int perThread, int active) {
        long ops() {
            return (long) perThread * active;
        }
    }

    /** One measurement. */
    record Cell(long wallNanos, long cpuNanos, long ops, long scans, int readers, int ownedCaches,
                long contention) {
    }

    /**
     * The operation budget of a workload for {@code n} threads: a total bounded by a cap and,
     * for the workloads that scan, by a budget of record visits (a scan visits n records), so
     * that 100,000 registered readers do not make one measurement last minutes.
     */
    static Plan plan(final Workload w, final int n, final double scale) {
        final long total;
        final int minPerThread;
        switch (w) {
            case EMPTY -> {
                return new Plan(0, 0);
            }
            case SECTIONS -> {
                total = (long) (20_000_000 * scale);
                minPerThread = 2_000;
            }
            case ADVANCE_POLL -> {
                total = (long) (Math.min(1_000_000, 200_000_000.0 / n) * scale);
                minPerThread = 1;
            }
            default -> { // POOL, POOL_STRIPED: one scan per magazine of 32 operations
                total = (long) (Math.min(4_000_000, 32 * 200_000_000.0 / n) * scale);
                minPerThread = 8;
            }
        }
        final int perThread = (int) Math.max(minPerThread, total / n);
        final int active = (int) Math.max(1, Math.min(n, total / perThread));
        return new Plan(perThread, active);
    }

    /** The shared object the sections load. */
    static final class Node {
        int value = 1;
    }

    /** The pooled object: 64 bytes with its header, as in PoolBenchmark. */
    static final class Obj {
        long a;
        long b;
        long c;
        long d;
        long e;
        long f;
    }

    static Smr domain(final Smr.Mode mode) {
        final Smr.Builder b = Smr.builder("scale-" + mode).jmx(false);
        final Smr smr = switch (mode) {
            case DEFAULT -> b.build();
            case DEFERRED -> b.deferred(Domains.DEFERRED_LIMIT).build();
            case LAZY -> b.lazy().build();
        };
        if (mode == Smr.Mode.LAZY && !smr.fenceFreeReaders()) {
            throw new IllegalStateException("lazy domain has fenced readers (membarrier unavailable): "
                    + "run with --enable-native-access=ALL-UNNAMED on Linux; " + smr);
        }
        return smr;
    }

    /**
     * CPU time (ns, from the thread CPU clock) of every live platform thread that is not one of
     * {@code workers}: the main thread and, for virtual workers, the carriers that run them.
     */
    static Map<Long, Long> otherThreadsCpu(final ThreadMXBean mx, final Set<Long> workers) {
        final Map<Long, Long> m = new HashMap<>();
        for (final long id : mx.getAllThreadIds()) {
            if (!workers.contains(id)) {
                final long c = mx.getThreadCpuTime(id);
                if (c >= 0) {
                    m.put(id, c);
                }
            }
        }
        return m;
    }

    private static void await(final CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (final InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs one measurement: starts the threads, waits until all registered, times the operations. */
    static Cell run(final Smr.Mode mode, final Workload w, final ThreadSet ts, final Plan plan) throws InterruptedException {
        final Smr smr = domain(mode);
        final SmrPool<Obj> pool = w == Workload.POOL || w == Workload.POOL_STRIPED
                ? SmrPool.<Obj>builder("scale-pool", Obj::new).smr(smr).jmx(false)
                        .ownedCaches(w == Workload.POOL_STRIPED ? 0 : SmrPool.OWNED_CACHES_DEFAULT).build()
                : null;
        final Node node = new Node();
        final CountDownLatch ready = new CountDownLatch(ts.count());
        final CountDownLatch start = new CountDownLatch(1);
        final CountDownLatch done = new CountDownLatch(w == Workload.EMPTY ? ts.count() : plan.active());
        // Inactive threads stay registered and parked until the measurement is over, so that
        // N records exist while only the active threads' work is timed.
        final CountDownLatch release = new CountDownLatch(1);
        final LongAdder sink = new LongAdder();
        final LongAdder workerCpu = new LongAdder();
        final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        final Thread[] threads = new Thread[ts.count()];
        for (int i = 0; i < threads.length; i++) {
            final boolean active = w == Workload.EMPTY || i < plan.active();
            final int k = i < plan.active() ? plan.perThread() : 0;
            final Runnable body = () -> {
                try {
                    final Smr.Reader r = smr.reader(); // registers: every thread is a reader record
                    r.enter();
                    r.exit();
                    ready.countDown();
                    if (!active) {
                        await(release);
                        return;
                    }
                    await(start);
                    final long cpuStart = ts.virtual() ? 0 : mx.getCurrentThreadCpuTime();
                    long acc = 0;
                    switch (w) {
                        case SECTIONS -> {
                            for (int j = 0; j < k; j++) {
                                r.enter();
                                acc += node.value;
                                r.exit();
                            }
                        }
                        case ADVANCE_POLL -> {
                            for (int j = 0; j < k; j++) {
                                if (smr.poll(smr.advance())) {
                                    acc++;
                                }
                            }
                        }
                        case POOL, POOL_STRIPED -> {
                            for (int j = 0; j < k; j++) {
                                final Obj o = pool.get();
                                acc += o.a;
                                pool.put(o);
                            }
                        }
                        case EMPTY -> {
                        }
                    }
                    sink.add(acc);
                    if (!ts.virtual()) {
                        workerCpu.add(mx.getCurrentThreadCpuTime() - cpuStart);
                    }
                } finally {
                    if (active) {
                        done.countDown();
                    }
                }
            };
            threads[i] = ts.virtual() ? Thread.ofVirtual().unstarted(body) : Thread.ofPlatform().daemon().unstarted(body);
        }
        for (final Thread t : threads) {
            t.start();
        }
        await(ready);
        final Smr.Stats before = smr.stats();
        final Set<Long> workers = new HashSet<>();
        if (!ts.virtual()) {
            for (final Thread t : threads) {
                workers.add(t.threadId());
            }
        }
        final Map<Long, Long> others0 = otherThreadsCpu(mx, workers);
        final long t0 = System.nanoTime();
        start.countDown();
        await(done);
        final long t1 = System.nanoTime();
        final Map<Long, Long> others1 = otherThreadsCpu(mx, workers);
        release.countDown();
        for (final Thread t : threads) {
            t.join();
        }
        long cpu = workerCpu.sum();
        for (final Map.Entry<Long, Long> e : others1.entrySet()) {
            final Long was = others0.get(e.getKey());
            if (was != null) {
                cpu += e.getValue() - was;
            }
        }
        final Smr.Stats after = smr.stats();
        int owned = 0;
        long contention = 0;
        if (pool != null) {
            final SmrPool.Stats ps = pool.stats();
            owned = ps.ownedCaches();
            contention = ps.contention();
            pool.close();
        }
        smr.close();
        if (sink.sum() < 0) {
            System.out.println("impossible: " + sink.sum());
        }
        return new Cell(t1 - t0, cpu, plan.ops(), after.scans() - before.scans(), after.readers(), owned,
                contention);
    }

    static double median(final double[] xs) {
        final double[] s = xs.clone();
        Arrays.sort(s);
        final int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** Medians over repetitions of one (mode, workload, thread set). */
    record Summary(Plan plan, double wallPerOp, double cpuPerOp, double cpuTotal, double spread, Cell last) {
    }

    static Summary summarise(final Plan plan, final List<Cell> cells) {
        final double[] wall = new double[cells.size()];
        final double[] cpu = new double[cells.size()];
        final double[] cpuTotal = new double[cells.size()];
        for (int i = 0; i < cells.size(); i++) {
            final Cell c = cells.get(i);
            final long ops = Math.max(1, c.ops());
            wall[i] = (double) c.wallNanos() / ops;
            cpu[i] = (double) c.cpuNanos() / ops;
            cpuTotal[i] = c.cpuNanos();
        }
        final double[] sorted = cpu.clone();
        Arrays.sort(sorted);
        final double spread = sorted[0] > 0 ? sorted[sorted.length - 1] / sorted[0] : Double.NaN;
        return new Summary(plan, median(wall), median(cpu), median(cpuTotal), spread, cells.get(cells.size() - 1));
    }

    /**
     * The model's bound on the ratio of the net CPU cost per operation with {@code ts} threads
     * to the cost with the reference set, from the constants of the same run: {@code c2} (net
     * ns/op of this workload with the reference set), {@code cStriped} (POOL_STRIPED's), and the
     * record constants above. Returns {lower, upper}.
     */
    static double[] predict(final Smr.Mode mode, final Workload w, final ThreadSet ref, final ThreadSet ts,
                            final Summary s, final double c2, final double cStriped) {
        final int n = ts.count();
        final int extra = n - ref.count();
        final boolean fits = (long) n * RECORD_BYTES <= L2_BYTES;
        final double recLo = C_REC_CACHED;
        final double recHi = fits ? C_REC_CACHED_HI : C_REC_MEMORY_HI;
        final double over = n > 2 ? SWITCH_ALLOWANCE : 0;
        final double firstTouch = 2 * C_MISS / Math.max(1, s.plan().perThread());
        return switch (w) {
            case SECTIONS -> new double[] {1.0, 1.0 + over + firstTouch / c2};
            case ADVANCE_POLL -> mode == Smr.Mode.DEFAULT
                    ? new double[] {(c2 + extra * recLo) / c2, (c2 + extra * recHi) / c2 + over + firstTouch / c2}
                    // deferred: one poll in `limit` scans; lazy: a fresh goal never scans
                    : mode == Smr.Mode.DEFERRED
                    ? new double[] {(c2 + extra * recLo / Domains.DEFERRED_LIMIT) / c2,
                        (c2 + extra * recHi / Domains.DEFERRED_LIMIT) / c2 + over + firstTouch / c2}
                    : new double[] {1.0, 1.0 + over + firstTouch / c2};
            case POOL -> {
                final double active = s.plan().active();
                final double owned = Math.min(active, s.last().ownedCaches());
                final double fo = owned / active;
                final double mix = fo * c2 + (1 - fo) * cStriped;
                // one scan of n records per magazine of 32 operations (the refill's poll of the
                // head tag); lazy scans once per tick, negligible per operation
                final double scanLo = mode == Smr.Mode.LAZY ? 0 : extra * recLo / SmrPool.MAGAZINE_SIZE_DEFAULT;
                final double scanHi = mode == Smr.Mode.LAZY ? 0 : extra * recHi / SmrPool.MAGAZINE_SIZE_DEFAULT;
                yield new double[] {(mix + scanLo) / c2, (mix + scanHi) / c2 + over + firstTouch / c2};
            }
            default -> new double[] {Double.NaN, Double.NaN};
        };
    }

    public static void main(final String[] args) throws InterruptedException {
        final List<Smr.Mode> modes = new ArrayList<>();
        for (final String m : System.getProperty("modes", "DEFAULT,LAZY").split(",")) {
            modes.add(Smr.Mode.valueOf(m.trim().toUpperCase(Locale.ROOT)));
        }
        final int reps = Integer.getInteger("reps", 3);
        final double scale = Double.parseDouble(System.getProperty("scale", "1"));
        final List<ThreadSet> sets = new ArrayList<>();
        for (final String t : System.getProperty("threads", "p2,p64,p512,v100000").split(",")) {
            sets.add(ThreadSet.parse(t));
        }
        final ThreadSet ref = sets.get(0);
        final int cpus = Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "ScaleCheck: %d CPUs, modes %s, %d repetitions, scale %s, threads %s%n",
                cpus, modes, reps, scale, sets);

        final List<Workload> workloads = List.of(Workload.EMPTY, Workload.SECTIONS, Workload.ADVANCE_POLL,
                Workload.POOL, Workload.POOL_STRIPED);
        // warm-up: every workload on the reference set, a tenth of the budget, not recorded
        for (final Smr.Mode mode : modes) {
            for (final Workload w : workloads) {
                final Plan p = plan(w, ref.count(), scale * 0.3);
                run(mode, w, ref, p);
            }
        }
        final Map<Smr.Mode, Map<Workload, Map<ThreadSet, List<Cell>>>> cells = new EnumMap<>(Smr.Mode.class);
        final long began = System.nanoTime();
        for (int rep = 0; rep < reps; rep++) {
            final List<ThreadSet> order = new ArrayList<>(sets);
            if (rep % 2 == 1) {
                java.util.Collections.reverse(order);
            }
            for (final Smr.Mode mode : modes) {
                for (final ThreadSet ts : order) {
                    for (final Workload w : workloads) {
                        if (w == Workload.POOL_STRIPED && ts != ref) {
                            continue;
                        }
                        final Plan p = plan(w, ts.count(), scale);
                        final Cell c = run(mode, w, ts, p);
                        cells.computeIfAbsent(mode, k -> new EnumMap<>(Workload.class))
                                .computeIfAbsent(w, k -> new LinkedHashMap<>())
                                .computeIfAbsent(ts, k -> new ArrayList<>()).add(c);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "repetition %d done after %.1f s%n", rep + 1,
                    (System.nanoTime() - began) / 1e9);
        }

        for (final Smr.Mode mode : modes) {
            final Map<Workload, Map<ThreadSet, List<Cell>>> byW = cells.get(mode);
            final Map<ThreadSet, Double> emptyCpu = new LinkedHashMap<>();
            for (final ThreadSet ts : sets) {
                emptyCpu.put(ts, summarise(plan(Workload.EMPTY, ts.count(), scale), byW.get(Workload.EMPTY).get(ts)).cpuTotal());
            }
            final Summary stripedRef = summarise(plan(Workload.POOL_STRIPED, ref.count(), scale),
                    byW.get(Workload.POOL_STRIPED).get(ref));
            final double cStriped = (stripedRef.cpuTotal() - emptyCpu.get(ref) / ref.count() * stripedRef.plan().active())
                    / stripedRef.plan().ops();
            System.out.printf(Locale.ROOT, "%n## %s mode (POOL_STRIPED, %s: %.1f CPU ns/op net; thread overhead "
                    + "(EMPTY) per thread: %s)%n%n", mode, ref.label(), cStriped, overheads(sets, emptyCpu));
            System.out.println("| workload | threads | ops | wall ns/op | CPU ns/op | net CPU ns/op | ratio to "
                    + ref.label() + " | model: ratio | verdict | CPU spread of reps | scans/op | notes |");
            System.out.println("|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|---|");
            for (final Workload w : List.of(Workload.SECTIONS, Workload.ADVANCE_POLL, Workload.POOL)) {
                double c2 = Double.NaN;
                for (final ThreadSet ts : sets) {
                    final Plan p = plan(w, ts.count(), scale);
                    final Summary s = summarise(p, byW.get(w).get(ts));
                    // EMPTY woke all N threads: its CPU per thread is the wake-up and exit of one
                    final double net = (s.cpuTotal() - emptyCpu.get(ts) / ts.count() * p.active()) / p.ops();
                    if (ts == ref) {
                        c2 = net;
                    }
                    final double ratio = net / c2;
                    final String model;
                    final String verdict;
                    if (ts == ref) {
                        model = "1 (reference)";
                        verdict = "";
                    } else {
                        final double[] pr = predict(mode, w, ref, ts, s, c2, cStriped);
                        model = String.format(Locale.ROOT, "%.2f to %.2f", pr[0], pr[1]);
                        verdict = ratio <= pr[1] * (1 + NOISE) ? (ratio < pr[0] * (1 - NOISE) ? "better than model"
                                : "within") : "WORSE than model";
                    }
                    final Cell last = s.last();
                    String notes = "readers " + last.readers();
                    if (w == Workload.POOL) {
                        notes += ", owned caches " + last.ownedCaches() + String.format(Locale.ROOT,
                                ", contention/op %.4f", (double) last.contention() / Math.max(1, last.ops()));
                    }
                    if (p.active() < ts.count()) {
                        notes += ", " + p.active() + " active";
                    }
                    System.out.printf(Locale.ROOT, "| %s | %s | %,d | %.1f | %.1f | %.1f | %.2f | %s | %s | %.2f | %.3f | %s |%n",
                            w, ts.label(), p.ops(), s.wallPerOp(), s.cpuPerOp(), net, ratio, model, verdict,
                            s.spread(), (double) last.scans() / Math.max(1, last.ops()), notes);
                }
            }
        }
    }

    private static String overheads(final List<ThreadSet> sets, final Map<ThreadSet, Double> emptyCpu) {
        final StringBuilder b = new StringBuilder();
        for (final ThreadSet ts : sets) {
            if (b.length() > 0) {
                b.append(", ");
            }
            b.append(String.format(Locale.ROOT, "%s %.1f us", ts.label(), emptyCpu.get(ts) / ts.count() / 1e3));
        }
        return b.toString();
    }
}
