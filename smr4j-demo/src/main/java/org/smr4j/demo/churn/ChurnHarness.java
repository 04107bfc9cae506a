package org.smr4j.demo.churn;

import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import org.smr4j.Smr;
import org.smr4j.demo.churn.ChurnWorkers.Churn;
import org.smr4j.demo.churn.ChurnWorkers.Flood;
import org.smr4j.demo.churn.ChurnWorkers.Lookups;
import org.smr4j.demo.churn.ChurnWorkers.Shared;
import org.smr4j.demo.churn.ChurnWorkers.Worker;
import org.smr4j.demo.churn.ChurnWorkers.Writer;
import org.smr4j.netinet.ConnectionKey;
import org.smr4j.netinet.ConnectionTable;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.netinet.ControlBlock;

/**
 * The churn and flood harness: every {@link ConnectionTable.Strategy} on the same work, one
 * after the other in one JVM, with the same keys, so that their numbers can be compared
 * within one run.
 *
 * <h2>What runs, per strategy</h2>
 * <ol>
 *   <li>A new table ({@code limits(maxConnections, pendingLimit)} unless disabled; see
 *       {@link ChurnConfig#maxConnections()}); {@code connections} established connections are
 *       inserted.</li>
 *   <li>Threads start together: {@code lookupThreads} lookup threads walk a random permutation
 *       of (copies of) the established keys, each from its own offset, doing
 *       {@code lookup(key, READ)} + {@code unlock()} or {@code read(key, fn)} (see
 *       {@link ChurnConfig#readPercent()}); {@code churnThreads} churn threads open connections
 *       from their own keys ({@code insert} + {@code unlock}) and close their oldest
 *       ({@code remove}) beyond a window; with {@code flood}, one attacker thread inserts
 *       half-open connections from random tuples that are removed after {@code floodTtl}.
 *       Each kind runs at its configured rate or at full speed.</li>
 *   <li>After the warmup, the calling thread becomes the sampler: it snapshots counters,
 *       histograms, allocation and GC, then reads {@code stats().blocksPending()} every
 *       {@code samplePeriod} (mean and peak), prints a progress line every
 *       {@code progressEvery}, and at the end (time or operations) snapshots again.</li>
 *   <li>Threads stop; the table's size must equal what the harness holds open, and the longest
 *       chain is read; the table is closed.</li>
 * </ol>
 *
 * <h2>What is checked</h2>
 * Every lookup verifies what it got: a block (or, for {@code read}, the block's state inside
 * the read) whose key equals the key looked up and that is not freed; an established
 * connection must be found. Churn and flood check that an insert of a closed key succeeds and
 * that a remove of an open one finds it. Each failure is counted in
 * {@link ChurnResult.Violations}; a non-zero total is a bug in the table.
 *
 * <h2>What is measured, and how</h2>
 * <ul>
 *   <li>Throughput counts every operation; latency is sampled: one lookup in
 *       {@code lookupSampleEvery} is timed with a {@link System#nanoTime()} pair (whose own cost,
 *       {@link ChurnReport.Environment#timerNanos()}, is included in those samples), so the
 *       timer stays out of the throughput.</li>
 *   <li>Writer cost: one insert and one remove in {@code writerSampleEvery} are timed; the
 *       delay from delete to reuse is {@code now - ControlBlock.lastFreedNanos()} on those
 *       timed inserts that got a recycled block.</li>
 *   <li>Allocation: {@code com.sun.management.ThreadMXBean.getThreadAllocatedBytes} of the
 *       worker threads (the sampler is excluded), per kind of thread; GC: the sum over the
 *       {@link GarbageCollectorMXBean}s of count and time.</li>
 * </ul>
 * Garbage made by one strategy can be collected during the next one: the harness calls
 * {@code System.gc()} before each strategy to keep that small.
 *
 * <h2>Use</h2>
 * <pre>{@code
 * ChurnReport report = ChurnHarness.run(ChurnConfig.builder()
 *         .connections(100_000).lookupThreads(1).churnThreads(1)
 *         .duration(Duration.ofSeconds(10)).build());
 * System.out.println(report.table());
 * }</pre>
 * or the command line, {@link ChurnCommand}. Lazy SMR needs
 * {@code --enable-native-access=ALL-UNNAMED} for fence-free readers; without it the report says
 * that lazy readers were fenced.
 */
public final class ChurnHarness {

    /** How long a worker may take to notice the end before the run is reported stalled. */
    static final long STOP_TIMEOUT_SECONDS = 30;

    private ChurnHarness() {
    }

    /**
     * Runs every configured strategy, printing progress to {@code System.err}.
     *
     * @param cfg the configuration
     * @return the report
     */
    public static ChurnReport run(final ChurnConfig cfg) {
        return run(cfg, System.err);
    }

    /**
     * Runs every configured strategy.
     *
     * @param cfg the configuration
     * @param progress where progress lines go, or null for none
     * @return the report
     */
    public static ChurnReport run(final ChurnConfig cfg, final PrintStream progress) {
        final ChurnKeys keys = new ChurnKeys(cfg);
        final ChurnReport.Environment env = ChurnReport.Environment.probe(timerNanos(),
                cfg.strategies().contains(Strategy.SMR_LAZY) ? lazyFenceFree() : null);
        if (progress != null && Boolean.FALSE.equals(env.lazyFenceFree())) {
            progress.println("# WARNING: lazy SMR domains have fenced readers here (no membarrier: run with "
                    + "--enable-native-access=ALL-UNNAMED on Linux); SMR_LAZY is measured in its fallback");
        }
        final List<ChurnResult> results = new ArrayList<>();
        for (final Strategy s : cfg.strategies()) {
            results.add(runOne(cfg, keys, s, progress));
        }
        return new ChurnReport(cfg, env.withLoadAfter(), results);
    }

    /** Whether a lazy domain built now gets fence-free readers (membarrier available). */
    static boolean lazyFenceFree() {
        return Smr.builder("churn-harness-probe").lazy().build().fenceFreeReaders();
    }

    /** The cheapest of many back-to-back {@code System.nanoTime()} pairs, in ns. */
    static long timerNanos() {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 20_000; i++) {
            final long t0 = System.nanoTime();
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }

    // ------------------------------------------------------------------ one strategy

    private static ChurnResult runOne(final ChurnConfig cfg, final ChurnKeys keys, final Strategy strategy,
            final PrintStream progress) {
        System.gc();
        final ConnectionTable.Builder tb = ConnectionTable.builder(strategy)
                .name("churn-" + strategy.name().toLowerCase(Locale.ROOT));
        if (cfg.limits()) {
            tb.limits(cfg.maxConnections(), cfg.pendingLimit());
        }
        try (ConnectionTable table = tb.build()) {
            final long p0 = System.nanoTime();
            for (final ConnectionKey k : keys.established) {
                final ControlBlock b = table.insert(k);
                if (b == null) {
                    throw new IllegalStateException("established key inserted twice: " + k);
                }
                b.unlock();
            }
            if (progress != null && !cfg.progressEvery().isZero()) {
                progress.printf(Locale.ROOT, "# %s: %d connections inserted in %.2f s; warmup %s, then %s%n",
                        strategy, keys.established.length, (System.nanoTime() - p0) / 1e9,
                        ChurnReport.seconds(cfg.warmup()), cfg.operations() > 0
                                ? cfg.operations() + " operations" : ChurnReport.seconds(cfg.duration()));
            }
            return measure(cfg, keys, table, progress);
        }
    }

    private static ChurnResult measure(final ChurnConfig cfg, final ChurnKeys keys, final ConnectionTable table,
            final PrintStream progress) {
        final Strategy strategy = table.strategy();
        final String tag = strategy.name().toLowerCase(Locale.ROOT);
        final List<Lookups> lookups = new ArrayList<>();
        final List<Writer> writers = new ArrayList<>();
        final int workerCount = cfg.lookupThreads() + cfg.churnThreads() + (cfg.flood() ? 1 : 0);
        final Shared shared = new Shared(table, workerCount);
        for (int i = 0; i < cfg.lookupThreads(); i++) {
            final int start = (int) ((long) keys.sequence.length * i / cfg.lookupThreads());
            lookups.add(new Lookups(shared, "churn-lookup-" + i + "-" + tag, keys, start, cfg.lookupSampleEvery(),
                    perThread(cfg.lookupRate(), cfg.lookupThreads())));
        }
        for (int i = 0; i < cfg.churnThreads(); i++) {
            writers.add(new Churn(shared, "churn-writer-" + i + "-" + tag, keys.churn[i], cfg.churnWindow(),
                    cfg.writerSampleEvery(), perThread(cfg.churnRate(), cfg.churnThreads())));
        }
        final Flood flood = cfg.flood() ? new Flood(shared, "churn-flood-" + tag, keys.flood, cfg.floodMax(),
                cfg.floodTtl().toNanos(), cfg.writerSampleEvery(), cfg.floodRate()) : null;
        if (flood != null) {
            writers.add(flood);
        }
        final List<Worker> all = new ArrayList<>(lookups);
        all.addAll(writers);
        for (final Worker w : all) {
            w.thread = Thread.ofPlatform().name(w.name).daemon(true).unstarted(w);
            w.thread.start();
        }
        String error = null;
        Snapshot s0 = null;
        Snapshot s1 = null;
        double pendingSum = 0;
        long pendingPeak = -1;
        long pendingSamples = 0;
        final List<Timeline.Tick> ticks = new ArrayList<>();
        List<Timeline.GcPause> pauses = List.of();
        try (GcWatch gc = GcWatch.start()) {
            awaitUninterruptibly(shared.ready);
            shared.go.countDown();
            sleepWhileRunning(shared, cfg.warmup().toNanos());

            gc.origin();
            s0 = Snapshot.take(table, lookups, writers, flood);
            ticks.add(tick(s0, s0, -1));
            final long period = cfg.samplePeriod().toNanos();
            final long progressEvery = cfg.progressEvery().toNanos();
            final long tickEvery = cfg.timelinePeriod().toNanos();
            final long end = s0.nanos + cfg.duration().toNanos();
            long nextSample = s0.nanos + period;
            long nextProgress = progressEvery > 0 ? s0.nanos + progressEvery : Long.MAX_VALUE;
            long nextTick = s0.nanos + tickEvery;
            long tickPeak = -1;
            for (;;) {
                long now = System.nanoTime();
                if (!shared.running || (cfg.operations() > 0 ? done(cfg, s0, lookups, writers, flood) : now >= end)) {
                    break;
                }
                if (nextSample - now > 0) {
                    LockSupport.parkNanos(nextSample - now);
                    now = System.nanoTime();
                }
                nextSample = Math.max(nextSample + period, now);
                final long p = table.stats().blocksPending();
                if (p >= 0) {
                    pendingSum += p;
                    pendingPeak = Math.max(pendingPeak, p);
                    pendingSamples++;
                    tickPeak = Math.max(tickPeak, p);
                }
                if (now - nextTick >= 0) {
                    // A sampler that was descheduled past a whole period does not catch up with
                    // ticks in a burst (rates over slivers of time): the next is a period away.
                    nextTick = now - (nextTick + tickEvery) >= 0 ? now + tickEvery : nextTick + tickEvery;
                    ticks.add(tick(s0, Snapshot.counters(table, lookups, writers, flood, p), tickPeak));
                    tickPeak = -1;
                }
                if (progress != null && now - nextProgress >= 0) {
                    nextProgress += progressEvery;
                    progress.println(progressLine(cfg, strategy, s0, now, lookups, writers, flood, p, pendingPeak));
                }
            }
            s1 = Snapshot.take(table, lookups, writers, flood);
            // The last interval ends with the measured time. If it is shorter than half a
            // period, fold it into the one before, so that no rate is of a sliver of time.
            final Timeline.Tick last = ticks.getLast();
            if (ticks.size() > 1 && (s1.nanos - s0.nanos) / 1e9 - last.seconds() < tickEvery / 2e9) {
                ticks.removeLast();
                ticks.add(tick(s0, s1, Math.max(tickPeak, last.pendingPeak())));
            } else {
                ticks.add(tick(s0, s1, tickPeak));
            }
            // The last pause's notification may still be on its way: give the service thread
            // a moment, bounded, rather than drop a pause that the pause time counts.
            final long pausedMillis = s1.gcPauseMillis - s0.gcPauseMillis;
            final double measured = (s1.nanos - s0.nanos) / 1e9;
            final long settle = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            do {
                pauses = gc.pauses(measured);
            } while (pauses.stream().mapToDouble(Timeline.GcPause::millis).sum() < pausedMillis
                    && System.nanoTime() - settle < 0 && sleepMillis(10));
        } finally {
            shared.running = false;
            error = joinAll(all);
        }
        if (shared.error != null) {
            final StringBuilder sb = new StringBuilder(String.valueOf(shared.error));
            for (Throwable c = shared.error.getCause(); c != null; c = c.getCause()) {
                sb.append(" <- ").append(c);
            }
            error = error == null ? sb.toString() : sb + "; " + error;
        }
        long open = keys.established.length;
        for (final Writer w : writers) {
            open += w.openNow();
        }
        final long size = table.size();
        final int longest = table.longestChain();
        final Timeline timeline = s0 == null || s1 == null ? Timeline.NONE
                : new Timeline(cfg.timelinePeriod().toNanos() / 1e9, ticks, pauses);
        return result(strategy, s0, s1, pendingSum, pendingPeak, pendingSamples, lookups, writers, size, open,
                longest, error, timeline);
    }

    /** A timeline point: {@code s}'s counters relative to {@code s0}. */
    private static Timeline.Tick tick(final Snapshot s0, final Snapshot s, final long peak) {
        return new Timeline.Tick((s.nanos - s0.nanos) / 1e9, s.lookups - s0.lookups, s.churnRemoves - s0.churnRemoves,
                s.floodInserts - s0.floodInserts, s.pending, peak < 0 ? s.pending : peak,
                s.lookupBytes + s.churnBytes + s.floodBytes - s0.lookupBytes - s0.churnBytes - s0.floodBytes,
                s.gcPauseMillis - s0.gcPauseMillis);
    }

    private static boolean sleepMillis(final long ms) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ms));
        return true;
    }

    private static long perThread(final long rate, final int threads) {
        return rate <= 0 ? 0L : Math.max(1L, rate / threads);
    }

    private static boolean done(final ChurnConfig cfg, final Snapshot s0, final List<Lookups> lookups,
            final List<Writer> writers, final Flood flood) {
        final long n;
        final long base;
        if (!lookups.isEmpty()) {
            n = sum(lookups, Lookups.LOOKUPS);
            base = s0.lookups;
        } else if (cfg.churnThreads() > 0) {
            n = sumChurn(writers, flood, Writer.REMOVES);
            base = s0.churnRemoves;
        } else {
            n = flood.read(Writer.INSERTS);
            base = s0.floodInserts;
        }
        return n - base >= cfg.operations();
    }

    private static String progressLine(final ChurnConfig cfg, final Strategy strategy, final Snapshot s0,
            final long now, final List<Lookups> lookups, final List<Writer> writers, final Flood flood,
            final long pending, final long peak) {
        final double t = (now - s0.nanos) / 1e9;
        long violations = 0;
        for (final Lookups l : lookups) {
            violations += l.read(Lookups.WRONG_KEY) + l.read(Lookups.FREED_SEEN) + l.read(Lookups.ESTABLISHED_MISSES);
        }
        for (final Writer w : writers) {
            violations += w.read(Writer.DUPLICATE_INSERTS) + w.read(Writer.LOST_REMOVES);
        }
        final String of = cfg.operations() > 0 ? "" : " / " + ChurnReport.seconds(cfg.duration());
        return String.format(Locale.ROOT, "# %s %.1f s%s: %s lookups/s, %s churn/s%s, pending %s (peak %s), "
                        + "violations %d%s",
                strategy, t, of, ChurnReport.si((sum(lookups, Lookups.LOOKUPS) - s0.lookups) / t),
                ChurnReport.si((sumChurn(writers, flood, Writer.REMOVES) - s0.churnRemoves) / t),
                flood == null ? "" : ", " + ChurnReport.si((flood.read(Writer.INSERTS) - s0.floodInserts) / t)
                        + " flood/s",
                pending < 0 ? "n/a" : Long.toString(pending), peak < 0 ? "n/a" : Long.toString(peak), violations,
                violations > 0 ? "  <-- VIOLATIONS" : "");
    }

    private static ChurnResult result(final Strategy strategy, final Snapshot s0, final Snapshot s1,
            final double pendingSum, final long pendingPeak, final long pendingSamples, final List<Lookups> lookups,
            final List<Writer> writers, final long size, final long open, final int longest,
            final String error, final Timeline timeline) {
        final ChurnResult.Violations v = new ChurnResult.Violations(
                sum(lookups, Lookups.WRONG_KEY), sum(lookups, Lookups.FREED_SEEN),
                sum(lookups, Lookups.ESTABLISHED_MISSES), sum(writers, Writer.DUPLICATE_INSERTS),
                sum(writers, Writer.LOST_REMOVES), Math.abs(size - open));
        if (s0 == null || s1 == null) { // failed before or while measuring
            final ChurnResult.Percentiles none = ChurnResult.Percentiles.NONE;
            return new ChurnResult(strategy, Double.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, none, none, none, none, -1, -1,
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, size, open, longest, v, error == null ? "no measurement" : error,
                    0, null, Timeline.NONE);
        }
        final ConnectionTable.Stats a = s0.stats;
        final ConnectionTable.Stats b = s1.stats;
        return new ChurnResult(strategy, (s1.nanos - s0.nanos) / 1e9,
                s1.lookups - s0.lookups, s1.reads - s0.reads, s1.churnHits - s0.churnHits,
                s1.churnMisses - s0.churnMisses, s1.readRaced - s0.readRaced,
                s1.churnInserts - s0.churnInserts, s1.churnRemoves - s0.churnRemoves,
                s1.floodInserts - s0.floodInserts, s1.floodExpired - s0.floodExpired,
                s1.floodEvicted - s0.floodEvicted, s1.reused - s0.reused,
                ChurnResult.Percentiles.of(s1.lookupNanos), ChurnResult.Percentiles.of(s1.insertNanos),
                ChurnResult.Percentiles.of(s1.removeNanos), ChurnResult.Percentiles.of(s1.reuseDelayNanos),
                pendingSamples == 0 ? -1 : pendingSum / pendingSamples, pendingPeak, pendingSamples,
                s1.lookupBytes - s0.lookupBytes, s1.churnBytes - s0.churnBytes, s1.floodBytes - s0.floodBytes,
                s1.gcCount - s0.gcCount, s1.gcMillis - s0.gcMillis,
                b.blocksCreated() - a.blocksCreated(), b.blocksCreated(),
                b.lockedFallbacks() - a.lockedFallbacks(), b.referencePaths() - a.referencePaths(),
                b.missRetries() - a.missRetries(), b.resizes() - a.resizes(), size, open, longest, v, error,
                s1.gcPauseMillis - s0.gcPauseMillis, ChurnResult.encode(s1.lookupNanos), timeline);
    }

    // ------------------------------------------------------------------ snapshots

    /** Counters, histograms, allocation and GC at one instant (start or end of measuring). */
    private static final class Snapshot {
        final long nanos;
        final long lookups;
        final long reads;
        final long churnHits;
        final long churnMisses;
        final long readRaced;
        final long churnInserts;
        final long churnRemoves;
        final long floodInserts;
        final long floodExpired;
        final long floodEvicted;
        final long reused;
        final long lookupBytes;
        final long churnBytes;
        final long floodBytes;
        final long gcCount;
        final long gcMillis;
        final long gcPauseMillis;
        /** {@code stats().blocksPending()} at this instant (-1: the GC owns removed blocks). */
        final long pending;
        /** The table's counters; null in a {@link #counters} snapshot. */
        final ConnectionTable.Stats stats;
        final Histogram lookupNanos;
        final Histogram insertNanos;
        final Histogram removeNanos;
        final Histogram reuseDelayNanos;

        private Snapshot(final ConnectionTable table, final List<Lookups> lookups, final List<Writer> writers,
                final Flood flood, final boolean full, final long pendingNow) {
            // Histograms first: what a worker records after this belongs to the next interval.
            // A counters-only snapshot (a timeline tick) leaves the intervals alone.
            lookupNanos = full ? interval(lookups.stream().map(l -> l.latency).toList()) : null;
            insertNanos = full ? interval(writers.stream().map(w -> w.insertNanos).toList()) : null;
            removeNanos = full ? interval(writers.stream().map(w -> w.removeNanos).toList()) : null;
            reuseDelayNanos = full ? interval(writers.stream().map(w -> w.reuseDelayNanos).toList()) : null;
            nanos = System.nanoTime();
            this.lookups = sum(lookups, Lookups.LOOKUPS);
            reads = sum(lookups, Lookups.READS);
            churnHits = sum(lookups, Lookups.CHURN_HITS);
            churnMisses = sum(lookups, Lookups.CHURN_MISSES);
            readRaced = sum(lookups, Lookups.READ_RACED_REMOVE);
            // A consistent pair while the churn threads run: re-read the inserts until no
            // insert happened around the read of the removes. Without it a preempted reader
            // saw k whole open+close iterations between the two reads, and opened - closed of
            // an interval drifted by k (ChurnHarnessTest caught 2).
            long ins;
            long rem;
            do {
                ins = sumChurn(writers, flood, Writer.INSERTS);
                rem = sumChurn(writers, flood, Writer.REMOVES);
            } while (ins != sumChurn(writers, flood, Writer.INSERTS));
            churnInserts = ins;
            churnRemoves = rem;
            floodInserts = flood == null ? 0 : flood.read(Writer.INSERTS);
            floodExpired = flood == null ? 0 : flood.read(Writer.EXPIRED);
            floodEvicted = flood == null ? 0 : flood.read(Writer.EVICTED);
            reused = sum(writers, Writer.REUSED);
            lookupBytes = allocated(lookups);
            churnBytes = allocated(writers.stream().filter(w -> w != flood).toList());
            floodBytes = flood == null ? 0 : allocated(List.of(flood));
            long count = 0;
            long millis = 0;
            for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                count += Math.max(0, gc.getCollectionCount());
                millis += Math.max(0, gc.getCollectionTime());
            }
            gcCount = count;
            gcMillis = millis;
            gcPauseMillis = GcWatch.pauseMillis();
            stats = full ? table.stats() : null;
            pending = full ? stats.blocksPending() : pendingNow;
        }

        /** The full snapshot at the start or end of the measured time. */
        static Snapshot take(final ConnectionTable table, final List<Lookups> lookups, final List<Writer> writers,
                final Flood flood) {
            return new Snapshot(table, lookups, writers, flood, true, 0);
        }

        /** Counters, allocation and GC only, with the pending count just sampled: a tick. */
        static Snapshot counters(final ConnectionTable table, final List<Lookups> lookups, final List<Writer> writers,
                final Flood flood, final long pendingNow) {
            return new Snapshot(table, lookups, writers, flood, false, pendingNow);
        }

        private static Histogram interval(final List<SingleWriterRecorder> recorders) {
            final Histogram h = new Histogram(1, ChurnWorkers.HIGHEST, ChurnWorkers.DIGITS);
            for (final SingleWriterRecorder r : recorders) {
                h.add(r.getIntervalHistogram());
            }
            return h;
        }
    }

    private static long sum(final List<? extends Worker> workers, final int counter) {
        long n = 0;
        for (final Worker w : workers) {
            n += w.read(counter);
        }
        return n;
    }

    private static long sumChurn(final List<Writer> writers, final Flood flood, final int counter) {
        long n = 0;
        for (final Writer w : writers) {
            if (w != flood) {
                n += w.read(counter);
            }
        }
        return n;
    }

    private static long allocated(final List<? extends Worker> workers) {
        if (workers.isEmpty()) {
            return 0;
        }
        final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory
                .getThreadMXBean();
        final long[] ids = new long[workers.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = workers.get(i).thread.threadId();
        }
        long n = 0;
        for (final long b : mx.getThreadAllocatedBytes(ids)) {
            n += Math.max(0, b);
        }
        return n;
    }

    // ------------------------------------------------------------------ threads

    private static String joinAll(final List<Worker> workers) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_TIMEOUT_SECONDS);
        final StringBuilder stalled = new StringBuilder();
        for (final Worker w : workers) {
            final long left = deadline - System.nanoTime();
            try {
                if (left <= 0 || !w.thread.join(java.time.Duration.ofNanos(left))) {
                    stalled.append(stalled.isEmpty() ? "" : ", ").append(w.name);
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                stalled.append(stalled.isEmpty() ? "" : ", ").append(w.name).append(" (interrupted)");
            }
        }
        return stalled.isEmpty() ? null
                : "did not stop within " + STOP_TIMEOUT_SECONDS + " s: " + stalled;
    }

    private static void awaitUninterruptibly(final java.util.concurrent.CountDownLatch latch) {
        boolean interrupted = false;
        for (;;) {
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

    private static void sleepWhileRunning(final Shared shared, final long nanos) {
        final long end = System.nanoTime() + nanos;
        long left;
        while (shared.running && (left = end - System.nanoTime()) > 0) {
            LockSupport.parkNanos(Math.min(left, 10_000_000L));
        }
    }
}
