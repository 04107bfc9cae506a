package org.smr4j.demo.soak;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.smr4j.Smr;
import org.smr4j.SmrPool;
import org.smr4j.demo.churn.ChurnConfig;
import org.smr4j.demo.churn.ChurnHarness;
import org.smr4j.demo.churn.ChurnReport;
import org.smr4j.demo.churn.ChurnResult;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * The soak behind {@code smr4j soak}: the connection table under churn and a SYN flood, and an
 * {@link SmrPool} under readers, at the same time in one JVM, for a given time, with every
 * detector on; a progress line per period and a {@link Summary} at the end.
 *
 * <h2>What runs</h2>
 * <ul>
 *   <li><b>Table</b> (one thread driving {@link ChurnHarness}): the lockless strategies
 *       ({@code SMR_DEFAULT}, {@code SMR_LAZY}, {@code PSERIALIZE}) one after another in
 *       rounds, each a fresh table with {@code limits(connections + ..., pendingLimit)}, one
 *       lookup thread, one churn thread and the flood attacker; every lookup, read, insert
 *       and remove is checked by the harness (wrong key, freed block, an established
 *       connection missed, a duplicate insert, a lost remove, the size at the end) and each
 *       failure counted in {@link ChurnResult.Violations}.</li>
 *   <li><b>Pool</b>: a checked {@link SmrPool} on a checked {@link Smr} domain (misuse,
 *       double and foreign puts, gets inside a section are refused); one writer replaces
 *       cells in shared slots with cells from the pool and puts the old ones back; readers
 *       (platform threads, and short virtual threads) enter, load a slot, read the cell's
 *       generation, dwell, and read it again. The pool's construct hook gives a reused cell a
 *       new generation, so a reader that sees it change inside its section met a cell reused
 *       under it: a violation. The pool's poison hook marks expired cells; a reader that sees
 *       the mark met a cell that expired under it. Hook failures (a hook that threw) count
 *       too.</li>
 *   <li><b>Monitor</b> (the calling thread): every 100 ms the heap in use and the pool's
 *       pending objects (peaks kept); a progress line every {@code progressEvery}.</li>
 * </ul>
 * The negative control ({@link Config#control()}) has the pool writer give a cell a new
 * generation itself right after unlinking it, without waiting for the grace period: the
 * readers must see it.
 */
public final class SoakRun {

    /** The table strategies a soak cycles through: the pooled, lockless ones. */
    public static final List<Strategy> STRATEGIES = List.of(Strategy.SMR_DEFAULT, Strategy.SMR_LAZY,
            Strategy.PSERIALIZE);
    /** Longest table run per strategy before the next one starts (a fresh table each). */
    static final Duration ROUND = Duration.ofSeconds(20);
    /** Shortest table run worth starting. */
    static final Duration ROUND_MIN = Duration.ofMillis(100);
    static final int SLOTS = 64;
    static final long MONITOR_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private SoakRun() {
    }

    /**
     * What a soak runs.
     *
     * @param duration how long
     * @param progressEvery how often a progress line is printed
     * @param connections established connections in each table
     * @param poolReaders platform reader threads on the pool (a virtual-thread spawner runs beside them)
     * @param pendingLimit each table's pending limit
     * @param seed the seed of every random choice
     * @param control the negative control (the pool writer reuses cells without a grace period)
     */
    public record Config(Duration duration, Duration progressEvery, int connections, int poolReaders,
            int pendingLimit, long seed, boolean control) {
        /** Checks the values. */
        public Config {
            Objects.requireNonNull(duration, "duration");
            Objects.requireNonNull(progressEvery, "progressEvery");
            if (duration.isNegative() || duration.isZero() || progressEvery.isNegative() || progressEvery.isZero()
                    || connections < 1 || poolReaders < 1 || pendingLimit < 1) {
                throw new IllegalArgumentException("bad soak configuration: " + duration + ", " + progressEvery + ", "
                        + connections + " connections, " + poolReaders + " pool readers, pending limit "
                        + pendingLimit);
            }
        }
    }

    /**
     * What a soak counted.
     *
     * @param seconds how long it ran
     * @param tableRuns table runs (one strategy each)
     * @param tableOperations lookups, reads, churn opens and closes, flood inserts
     * @param poolOperations pool gets and puts, and reader sections
     * @param tableViolations {@link ChurnResult.Violations#total()} summed
     * @param poolViolations readers that saw a cell reused or poisoned under them
     * @param hookFailures pool hooks that threw
     * @param failures worker failures (exceptions, stalls), each a line; a clean soak has none
     * @param tablePendingPeak largest pending sample of any table
     * @param poolPendingPeak largest pending sample of the pool
     * @param heapPeakBytes largest heap in use sampled
     * @param heapMaxBytes the heap's maximum ({@code -Xmx}), or -1 if undefined
     */
    public record Summary(double seconds, int tableRuns, long tableOperations, long poolOperations,
            long tableViolations, long poolViolations, long hookFailures, List<String> failures,
            long tablePendingPeak, long poolPendingPeak, long heapPeakBytes, long heapMaxBytes) {

        /** @return every operation counted */
        public long operations() {
            return tableOperations + poolOperations;
        }

        /** @return every violation counted (table, pool, hook failures) */
        public long violations() {
            return tableViolations + poolViolations + hookFailures;
        }

        /** @return true if nothing was violated and nothing failed */
        public boolean clean() {
            return violations() == 0 && failures.isEmpty();
        }

        /** @return the summary, one fact a line */
        public List<String> lines() {
            final List<String> l = new ArrayList<>();
            l.add(String.format(Locale.ROOT, "soak: %.1f s, %d table runs (%s in turn, churn + flood each), a checked "
                    + "SmrPool with readers beside them", seconds, tableRuns, String.join(", ",
                    STRATEGIES.stream().map(Strategy::name).toList())));
            l.add(String.format(Locale.ROOT, "operations: %,d (table %,d, pool %,d)", operations(), tableOperations,
                    poolOperations));
            l.add(String.format(Locale.ROOT, "violations: %,d (table %,d, pool reuse %,d, pool hook failures %,d)",
                    violations(), tableViolations, poolViolations, hookFailures));
            l.add(String.format(Locale.ROOT, "peak pending: table %,d blocks, pool %,d objects", tablePendingPeak,
                    poolPendingPeak));
            l.add(String.format(Locale.ROOT, "peak heap: %.1f MiB%s", heapPeakBytes / 1048576.0,
                    heapMaxBytes > 0 ? String.format(Locale.ROOT, " of %.0f MiB", heapMaxBytes / 1048576.0) : ""));
            l.add("failures: " + (failures.isEmpty() ? "none" : String.join("; ", failures)));
            return l;
        }
    }

    /** A pooled cell: its generation changes on every reuse; poisoned once expired. */
    static final class Cell {
        volatile long gen;
        volatile boolean poisoned;
    }

    /**
     * Runs a soak.
     *
     * @param cfg what to run
     * @param progress receives each progress line
     * @return what was counted
     */
    public static Summary run(final Config cfg, final Consumer<String> progress) {
        final long t0 = System.nanoTime();
        final long deadline = t0 + cfg.duration().toNanos();
        final AtomicBoolean stop = new AtomicBoolean();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

        // --- table: the lockless strategies in turn, churn and flood together
        final LongAdder tableOps = new LongAdder();
        final LongAdder tableViolations = new LongAdder();
        final AtomicReference<Long> tablePeak = new AtomicReference<>(0L);
        final int[] tableRuns = {0};
        final Thread table = Thread.ofPlatform().name("soak-table").start(() -> {
            int round = 0;
            while (!stop.get()) {
                final long left = deadline - System.nanoTime();
                if (left < ROUND_MIN.toNanos()) {
                    break;
                }
                final Strategy s = STRATEGIES.get(round % STRATEGIES.size());
                final Duration d = Duration.ofNanos(Math.min(ROUND.toNanos(), left));
                try {
                    final ChurnReport r = ChurnHarness.run(ChurnConfig.builder().strategies(s)
                            .connections(cfg.connections()).lookupThreads(1).churnThreads(1).flood(true)
                            .floodMax(Math.max(1024, cfg.connections() / 4)).warmup(Duration.ZERO).duration(d)
                            .progressEvery(Duration.ZERO).pendingLimit(cfg.pendingLimit())
                            .seed(cfg.seed() + round).build(), null);
                    for (final ChurnResult c : r.results()) {
                        tableOps.add(c.lookups() + c.reads() + c.opened() + c.closed() + c.floodInserts());
                        tableViolations.add(c.violations().total());
                        tablePeak.accumulateAndGet(c.pendingPeak(), Math::max);
                        if (c.error() != null) {
                            failures.add("table " + s + ": " + c.error());
                        }
                    }
                } catch (final RuntimeException | Error e) {
                    failures.add("table " + s + ": " + e);
                    break;
                }
                round++;
                tableRuns[0] = round;
            }
        });

        // --- pool: a writer replacing cells, readers checking them
        final Smr smr = Smr.builder("soak-pool").checked(true).build();
        final LongAdder poolOps = new LongAdder();
        final LongAdder poolViolations = new LongAdder();
        final AtomicReference<String> firstViolation = new AtomicReference<>();
        final SmrPool<Cell> pool = SmrPool.builder("soak-pool", Cell::new).smr(smr).checked(true)
                .construct(c -> {
                    c.poisoned = false;
                    c.gen = c.gen + 1;
                })
                .poison(c -> c.poisoned = true)
                .jmx(false).build();
        final AtomicReferenceArray<Cell> slots = new AtomicReferenceArray<>(SLOTS);
        for (int i = 0; i < SLOTS; i++) {
            slots.set(i, pool.get());
        }
        final SplittableRandom master = new SplittableRandom(cfg.seed());
        final List<Thread> poolThreads = new ArrayList<>();
        final SplittableRandom wr = master.split();
        poolThreads.add(Thread.ofPlatform().name("soak-pool-writer").start(guard(failures, "pool writer", () -> {
            while (!stop.get()) {
                final Cell fresh = pool.get();
                // ORDER: the slot's volatile set publishes the constructed cell (and its gen).
                final Cell old = slots.getAndSet(wr.nextInt(SLOTS), fresh);
                if (cfg.control()) {
                    old.gen = old.gen + 1; // the control: a reuse without a grace period, readers may hold it
                }
                pool.put(old);
                poolOps.add(2);
                if ((poolOps.sum() & 0xFF) == 0) {
                    Thread.yield(); // leave the readers and the table room on small machines
                }
            }
        })));
        for (int r = 0; r < cfg.poolReaders(); r++) {
            final SplittableRandom rnd = master.split();
            poolThreads.add(Thread.ofPlatform().name("soak-pool-reader-" + r).start(guard(failures, "pool reader",
                    () -> {
                        final Smr.Reader reader = smr.reader();
                        while (!stop.get()) {
                            reader.enter();
                            try {
                                readOnce(slots, rnd, poolViolations, firstViolation);
                            } finally {
                                reader.exit();
                            }
                            poolOps.increment();
                        }
                    })));
        }
        final SplittableRandom spawn = master.split();
        poolThreads.add(Thread.ofPlatform().name("soak-pool-vspawner").start(guard(failures, "virtual readers", () -> {
            final Thread.Builder vb = Thread.ofVirtual().name("soak-vreader-", 0);
            while (!stop.get()) {
                final SplittableRandom rnd = spawn.split();
                final Thread v = vb.start(() -> {
                    for (int k = 0; k < 100; k++) {
                        smr.enter();
                        try {
                            readOnce(slots, rnd, poolViolations, firstViolation);
                        } finally {
                            smr.exit();
                        }
                        poolOps.increment();
                    }
                });
                join(v, failures);
            }
        })));

        // --- monitor
        long heapPeak = 0;
        long poolPendingPeak = 0;
        long nextProgress = t0 + cfg.progressEvery().toNanos();
        while (System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(Math.min(MONITOR_PERIOD_NANOS, Math.max(1, deadline - System.nanoTime())));
            final long heap = memory.getHeapMemoryUsage().getUsed();
            heapPeak = Math.max(heapPeak, heap);
            final long pending = pool.stats().objectsPending();
            poolPendingPeak = Math.max(poolPendingPeak, pending);
            final long now = System.nanoTime();
            if (now - nextProgress >= 0 || now - deadline >= 0) {
                nextProgress += cfg.progressEvery().toNanos();
                progress.accept(String.format(Locale.ROOT, "soak %s / %s  operations %,d  violations %,d  pending "
                        + "table peak %,d, pool %,d  heap %.0f MiB (peak %.0f MiB)%s", clock(now - t0),
                        clock(cfg.duration().toNanos()), tableOps.sum() + poolOps.sum(),
                        tableViolations.sum() + poolViolations.sum() + pool.stats().hookFailures(), tablePeak.get(),
                        pending, heap / 1048576.0, heapPeak / 1048576.0,
                        failures.isEmpty() ? "" : "  failures " + failures.size()));
            }
        }
        stop.set(true);
        join(table, failures);
        for (final Thread t : poolThreads) {
            join(t, failures);
        }
        for (int i = 0; i < SLOTS; i++) {
            pool.put(slots.getAndSet(i, null));
        }
        final long hookFailures = pool.stats().hookFailures();
        pool.close();
        if (firstViolation.get() != null) {
            failures.add("first pool violation: " + firstViolation.get());
        }
        final long max = memory.getHeapMemoryUsage().getMax();
        return new Summary((System.nanoTime() - t0) / 1e9, tableRuns[0], tableOps.sum(), poolOps.sum(),
                tableViolations.sum(), poolViolations.sum(), hookFailures, List.copyOf(failures), tablePeak.get(),
                poolPendingPeak, Math.max(heapPeak, memory.getHeapMemoryUsage().getUsed()), max);
    }

    /** One pool read section: the cell's generation must not change, nor the cell expire, under the reader. */
    private static void readOnce(final AtomicReferenceArray<Cell> slots, final SplittableRandom rnd,
            final LongAdder violations, final AtomicReference<String> first) {
        final Cell c = slots.get(rnd.nextInt(SLOTS));
        final long g1 = c.gen;
        final boolean p1 = c.poisoned;
        final int dwell = rnd.nextInt(64);
        for (int s = 0; s < dwell; s++) {
            Thread.onSpinWait();
        }
        final long g2 = c.gen;
        if (g1 != g2 || p1 || c.poisoned) {
            violations.increment();
            first.compareAndSet(null, Thread.currentThread().getName() + " saw gen " + g1 + " -> " + g2
                    + (p1 || c.poisoned ? ", poisoned" : ""));
        }
    }

    private static Runnable guard(final ConcurrentLinkedQueue<String> failures, final String what, final Runnable r) {
        return () -> {
            try {
                r.run();
            } catch (final RuntimeException | Error e) {
                failures.add(what + ": " + e);
            }
        };
    }

    private static void join(final Thread t, final ConcurrentLinkedQueue<String> failures) {
        try {
            if (!t.join(Duration.ofSeconds(60))) {
                failures.add("thread " + t.getName() + " did not stop within 60 s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            failures.add("interrupted while joining " + t.getName());
        }
    }

    /**
     * A duration as a clock.
     *
     * @param nanos the duration
     * @return {@code m:ss}, or {@code h:mm:ss} from an hour
     */
    public static String clock(final long nanos) {
        final long s = TimeUnit.NANOSECONDS.toSeconds(nanos);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
