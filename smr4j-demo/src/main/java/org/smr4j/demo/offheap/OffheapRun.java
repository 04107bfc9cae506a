package org.smr4j.demo.offheap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.DoubleConsumer;
import org.smr4j.demo.churn.ChurnReport;
import org.smr4j.demo.churn.GcWatch;
import org.smr4j.demo.fork.JvmFork;

/**
 * The {@code offheap} scenario: how should a JVM server free native memory that many threads
 * read? A session cache holds one native {@link SessionBlock} per session; reader threads read
 * random sessions' blocks and check them; one writer replaces random sessions' blocks as fast as
 * it can (allocate a new block, publish it with a release store, free the old one) in the way of
 * an {@link OffheapStrategy}; an unrelated {@link Bystander} thread runs its own loop beside
 * them.
 *
 * <h2>One strategy ({@link #measure})</h2>
 * <ol>
 *   <li>Fill the cache (one block per session).</li>
 *   <li>The bystander alone: {@value OffheapConfig#BYSTANDER_WARMUP_SECONDS} s unmeasured, then a
 *       window of {@link OffheapConfig#aloneSeconds()}.</li>
 *   <li>Start the readers and the writer; {@code warmup} s unmeasured.</li>
 *   <li>The measured time: reads, frees, the bystander's cost, collector pauses; the native
 *       bytes reserved and pending are sampled every {@value OffheapConfig#SAMPLE_MILLIS} ms.</li>
 *   <li>Stop the readers and the writer; the bystander alone again, a second window. Its cost
 *       alone is the mean of the two windows, so that a drift of the machine during the run
 *       counts half against the strategy at most.</li>
 * </ol>
 * Torn, foreign and refused reads are counted over every read, warm-up included: a violation
 * at any time is one.
 *
 * <h2>Every strategy ({@link #runAll})</h2>
 * One after another, each in a JVM of its own (a {@link JvmFork} running
 * {@link OffheapForkMain}) or, for tests and quick looks, in this JVM. Why a JVM each: the
 * strategies share the reader and writer loops, whose call sites the first strategy would make
 * monomorphic and the later ones megamorphic; {@code AUTO_ARENA} leaves garbage and native
 * memory to the collector that would be collected during the next strategy's measurement;
 * {@code SHARED_ARENA}'s handshakes deoptimise frames; and a bystander slowed by one strategy's
 * aftermath would be blamed on the next.
 *
 * <h2>Threads</h2>
 * {@link #measure} is called from one thread, which starts and joins the others. Memory
 * consistency: each reader's counters are its own, published with opaque stores for the
 * sampler's snapshots (which need recent values, not an ordering) and read plainly after
 * {@link Thread#join}, which orders them; likewise the writer's count.
 */
public final class OffheapRun {

    /** Reads between two publications of a reader's counters. */
    static final int READ_BATCH = 256;

    /** Index of each counter in a reader's array, spaced from the array header and its neighbours. */
    private static final int READS = 8;
    private static final int TORN = 9;
    private static final int FOREIGN = 10;
    private static final int REFUSED = 11;
    private static final int COUNTERS_LENGTH = 24;
    private static final VarHandle COUNTER = MethodHandles.arrayElementVarHandle(long[].class);

    private OffheapRun() {
    }

    /** Told how the run goes; called from the thread that called {@link #runAll}. */
    public interface Progress {
        /**
         * @param fraction of the whole run done, 0 to 1
         * @param what the strategy under way
         */
        void update(double fraction, String what);

        /**
         * A strategy finished.
         *
         * @param m its measurement
         * @param done strategies finished so far
         * @param total strategies in the run
         */
        void finished(Measurement m, int done, int total);
    }

    /**
     * What to run.
     *
     * @param config the work
     * @param fork a JVM per strategy (true) or this JVM
     * @param jvmOptions the forks' JVM options
     * @param workDir where the forks' requests, results and logs go
     * @param jfrDir where the forks' flight recordings go, or null
     */
    public record Plan(OffheapConfig config, boolean fork, List<String> jvmOptions, Path workDir, Path jfrDir) {

        /** Checks and copies. */
        public Plan {
            Objects.requireNonNull(config, "config");
            Objects.requireNonNull(workDir, "workDir");
            jvmOptions = List.copyOf(jvmOptions);
        }
    }

    /**
     * One strategy's measurement.
     *
     * @param position its place in the run, from 1
     * @param forked whether it had a JVM of its own
     * @param wallSeconds its whole time, JVM start and fill included
     * @param log its fork's log (relative to the work directory), or null in process
     * @param jfr its fork's flight recording (relative to the work directory), or null
     * @param result what it measured
     */
    public record Measurement(int position, boolean forked, double wallSeconds, String log, String jfr,
            OffheapResult result) {
    }

    /**
     * Runs every strategy of a plan, in order.
     *
     * @param plan what to run
     * @param progress told as it goes
     * @return a measurement per strategy, in order
     * @throws org.smr4j.demo.fork.FairHarness.ForkFailure if a fork failed
     * @throws IllegalStateException if a measurement in this JVM failed
     */
    public static List<Measurement> runAll(final Plan plan, final Progress progress) {
        final List<OffheapStrategy> strategies = plan.config().strategies();
        final List<Measurement> out = new ArrayList<>();
        for (int k = 0; k < strategies.size(); k++) {
            final OffheapStrategy s = strategies.get(k);
            final double base = (double) k / strategies.size();
            final DoubleConsumer within = f -> progress.update(base + f / strategies.size(), s.name());
            within.accept(0);
            final Measurement m = plan.fork() ? forked(plan, s, k + 1, within) : inProcess(plan, s, k + 1, within);
            out.add(m);
            progress.finished(m, k + 1, strategies.size());
        }
        progress.update(1.0, "done");
        return out;
    }

    private static Measurement forked(final Plan plan, final OffheapStrategy s, final int position,
            final DoubleConsumer within) {
        final String stem = "offheap-" + s.name().toLowerCase(Locale.ROOT);
        final Path jfr = plan.jfrDir() == null ? null : plan.jfrDir().resolve(stem + ".jfr");
        // Start-up, fill and exit: about a second, and the fill's microsecond per session.
        final double expected = plan.config().plannedSeconds() + 1.0 + plan.config().sessions() * 1e-6;
        final JvmFork.Outcome<OffheapResult> o = JvmFork.run(stem, OffheapForkMain.class, plan.config().only(s),
                OffheapResult.class, plan.jvmOptions(), plan.workDir(), jfr, expected, within);
        return new Measurement(position, true, o.wallSeconds(), plan.workDir().relativize(o.log()).toString(),
                jfr == null ? null : plan.workDir().relativize(jfr).toString(), o.result());
    }

    private static Measurement inProcess(final Plan plan, final OffheapStrategy s, final int position,
            final DoubleConsumer within) {
        final long t0 = System.nanoTime();
        final OffheapResult r = measure(plan.config().only(s), s, true, within);
        return new Measurement(position, false, (System.nanoTime() - t0) / 1e9, null, null, r);
    }

    /**
     * Measures one strategy in this JVM.
     *
     * @param cfg the work
     * @param s the strategy (one of {@code cfg}'s)
     * @param teardown whether to free the cache at the end (a fork that exits next need not:
     *        closing 100,000 shared arenas costs as many handshakes)
     * @param within told the fraction of this measurement done (by time), or null
     * @return what it measured
     * @throws IllegalStateException if a reader or the writer failed, or a thread did not stop
     */
    public static OffheapResult measure(final OffheapConfig cfg, final OffheapStrategy s, final boolean teardown,
            final DoubleConsumer within) {
        Objects.requireNonNull(cfg, "cfg");
        Objects.requireNonNull(s, "s");
        final DoubleConsumer progress = within == null ? f -> { } : within;
        final double loadBefore = ChurnReport.Environment.load();
        final long start = System.nanoTime();
        final double planned = cfg.plannedSeconds();
        final SessionCache cache = SessionCache.create(s, cfg.sessions(), cfg.seed());
        final Bystander bystander = new Bystander();
        final Thread by = Thread.ofPlatform().name("offheap-bystander").daemon(true).start(bystander);
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final List<Thread> workers = new ArrayList<>();
        try {
            sleep(OffheapConfig.BYSTANDER_WARMUP_SECONDS, start, planned, progress);
            final Bystander.Mark a0 = bystander.mark();
            bystander.startWindow();
            sleep(cfg.aloneSeconds(), start, planned, progress);
            final Bystander.Mark a1 = bystander.mark();
            final double aWall = bystander.windowMedianNanosPerIteration();

            final int n = cfg.readers();
            final long[][] counters = new long[n][];
            final AtomicLong frees = new AtomicLong();
            final CountDownLatch ready = new CountDownLatch(n + 1);
            final CountDownLatch go = new CountDownLatch(1);
            for (int r = 0; r < n; r++) {
                final int id = r;
                workers.add(Thread.ofPlatform().name("offheap-reader-" + r).daemon(true).unstarted(
                        () -> read(cache, cfg.seed() + 1 + id, counters, id, ready, go, stop)));
            }
            workers.add(Thread.ofPlatform().name("offheap-writer").daemon(true).unstarted(
                    () -> write(cache, cfg.seed() ^ 0x5EEDL, frees, ready, go, stop)));
            for (final Thread t : workers) {
                t.setUncaughtExceptionHandler((th, e) -> {
                    failure.compareAndSet(null, new IllegalStateException(th.getName() + " failed: " + e, e));
                    stop.set(true);
                });
                t.start();
            }
            await(ready, s);
            go.countDown();
            sleep(cfg.warmup(), start, planned, progress);

            // The measured time.
            final long gc0 = GcWatch.pauseMillis();
            final long gcn0 = collections();
            final long reads0 = sum(counters, READS);
            final long frees0 = frees.getOpaque();
            final Bystander.Mark b0 = bystander.mark();
            bystander.startWindow();
            final long readerCpu0 = cpuNanos(workers.subList(0, n));
            final long writerCpu0 = cpuNanos(workers.subList(n, n + 1));
            final long t0 = System.nanoTime();
            final long end = t0 + (long) (cfg.seconds() * 1e9);
            final List<OffheapResult.Sample> timeline = new ArrayList<>();
            long reservedPeak = 0;
            long pendingPeak = 0;
            long reserved;
            long pending;
            long now = t0;
            while (true) {
                reserved = cache.reservedBytes();
                pending = cache.pendingBytes();
                reservedPeak = Math.max(reservedPeak, reserved);
                pendingPeak = Math.max(pendingPeak, pending);
                timeline.add(new OffheapResult.Sample((now - t0) / 1e9, frees.getOpaque() - frees0, reserved, pending));
                if (now - end >= 0 || stop.get()) {
                    break;
                }
                LockSupport.parkNanos(Math.min(end - now, TimeUnit.MILLISECONDS.toNanos(OffheapConfig.SAMPLE_MILLIS)));
                now = System.nanoTime();
                progress.accept(Math.min(1, (now - start) / 1e9 / planned));
            }
            final Bystander.Mark b1 = bystander.mark();
            final double bWall = bystander.windowMedianNanosPerIteration();
            final long t1 = System.nanoTime();
            final long reads1 = sum(counters, READS);
            final long frees1 = frees.getOpaque();
            final long readerCpu = cpuNanos(workers.subList(0, n)) - readerCpu0;
            final long writerCpu = cpuNanos(workers.subList(n, n + 1)) - writerCpu0;
            final long gc1 = GcWatch.pauseMillis();
            final long gcn1 = collections();

            stop.set(true);
            join(workers, s);
            if (failure.get() != null) {
                throw new IllegalStateException(s + ": " + failure.get().getMessage(), failure.get());
            }
            final Bystander.Mark c0 = bystander.mark();
            bystander.startWindow();
            sleep(cfg.aloneSeconds(), start, planned, progress);
            final Bystander.Mark c1 = bystander.mark();
            final double cWall = bystander.windowMedianNanosPerIteration();
            bystander.stop();
            join(List.of(by), s);
            progress.accept(1.0);
            return new OffheapResult(s, (t1 - t0) / 1e9, frees1 - frees0, reads1 - reads0, sum(counters, READS),
                    sum(counters, TORN), sum(counters, FOREIGN), sum(counters, REFUSED), cache.liveBytes(),
                    reservedPeak, reserved, pendingPeak, pending, cache.accounting(), gc1 - gc0, gcn1 - gcn0,
                    a1.nanosPerIterationSince(a0), c1.nanosPerIterationSince(c0), b1.nanosPerIterationSince(b0),
                    b1.cpuShareSince(b0), bystander.clock(), (aWall + cWall) / 2, bWall,
                    reads1 == reads0 ? Double.NaN : (double) readerCpu / (reads1 - reads0),
                    frees1 == frees0 ? Double.NaN : (double) writerCpu / (frees1 - frees0), cache.lazyFenceFree(),
                    ProcessHandle.current().pid(),
                    loadBefore, ChurnReport.Environment.load(), ManagementFactory.getRuntimeMXBean().getInputArguments(),
                    timeline);
        } finally {
            stop.set(true);
            bystander.stop();
            if (teardown) {
                joinQuietly(workers);
                joinQuietly(List.of(by));
                if (workers.stream().noneMatch(Thread::isAlive)) {
                    cache.close();
                }
            }
        }
    }

    /** A reader: random sessions' blocks, checked, counted. */
    private static void read(final SessionCache cache, final long seed, final long[][] counters, final int id,
            final CountDownLatch ready, final CountDownLatch go, final AtomicBoolean stop) {
        final SessionCache.ReadSide side = cache.readSide();
        final SplittableRandom rnd = new SplittableRandom(seed);
        final int sessions = cache.sessions();
        final long[] c = new long[COUNTERS_LENGTH]; // allocated by this thread, away from the others'
        counters[id] = c; // published to the measuring thread by the latch
        ready.countDown();
        await(go, null);
        long reads = 0;
        long torn = 0;
        long foreign = 0;
        long refused = 0;
        while (!stop.get()) {
            for (int k = 0; k < READ_BATCH; k++) {
                switch (side.read(rnd.nextInt(sessions))) {
                    case SessionBlock.OK -> { }
                    case SessionBlock.TORN -> torn++;
                    case SessionBlock.FOREIGN -> foreign++;
                    default -> refused++;
                }
            }
            reads += READ_BATCH;
            // ORDER: opaque; the sampler wants a recent count, join() orders the final one.
            COUNTER.setOpaque(c, READS, reads);
            COUNTER.setOpaque(c, TORN, torn);
            COUNTER.setOpaque(c, FOREIGN, foreign);
            COUNTER.setOpaque(c, REFUSED, refused);
        }
    }

    /** The writer: replaces random sessions' blocks as fast as it can. */
    private static void write(final SessionCache cache, final long seed, final AtomicLong frees,
            final CountDownLatch ready, final CountDownLatch go, final AtomicBoolean stop) {
        final SplittableRandom rnd = new SplittableRandom(seed);
        final int sessions = cache.sessions();
        ready.countDown();
        await(go, null);
        long n = 0;
        while (!stop.get()) {
            cache.replace(rnd.nextInt(sessions));
            frees.setOpaque(++n); // ORDER: opaque, as the readers' counts
        }
    }

    private static long sum(final long[][] counters, final int which) {
        long n = 0;
        for (final long[] c : counters) {
            n += (long) COUNTER.getOpaque(c, which);
        }
        return n;
    }

    /** @return the CPU time of {@code threads} so far, ns; 0 where the JVM cannot tell */
    private static long cpuNanos(final List<Thread> threads) {
        final java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isThreadCpuTimeSupported()) {
            return 0;
        }
        long n = 0;
        for (final Thread t : threads) {
            n += Math.max(0, mx.getThreadCpuTime(t.threadId()));
        }
        return n;
    }

    /** @return collections so far by the pause collectors (as {@link GcWatch} counts them) */
    private static long collections() {
        long n = 0;
        for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (GcWatch.isPause(gc.getName())) {
                n += Math.max(0, gc.getCollectionCount());
            }
        }
        return n;
    }

    /** Sleeps {@code seconds}, telling the progress the fraction of {@code planned} done since {@code start}. */
    private static void sleep(final double seconds, final long start, final double planned,
            final DoubleConsumer progress) {
        final long end = System.nanoTime() + (long) (seconds * 1e9);
        long now;
        while ((now = System.nanoTime()) - end < 0) {
            LockSupport.parkNanos(Math.min(end - now, TimeUnit.MILLISECONDS.toNanos(100)));
            progress.accept(Math.min(1, (System.nanoTime() - start) / 1e9 / planned));
        }
    }

    private static void await(final CountDownLatch latch, final OffheapStrategy s) {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException((s == null ? "offheap" : s.name())
                        + ": threads did not start within 60 s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void join(final List<Thread> threads, final OffheapStrategy s) {
        for (final Thread t : threads) {
            try {
                if (!t.join(Duration.ofSeconds(30))) {
                    throw new IllegalStateException(s + ": " + t.getName() + " did not stop within 30 s");
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(s + ": interrupted while stopping " + t.getName(), e);
            }
        }
    }

    private static void joinQuietly(final List<Thread> threads) {
        for (final Thread t : threads) {
            try {
                t.join(Duration.ofSeconds(30));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
