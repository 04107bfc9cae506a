package org.smr4j.bench.pool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.smr4j.Smr;
import org.smr4j.SmrPointer;
import org.smr4j.SmrPool;

/**
 * How many objects does an {@link SmrPool} hold back from reuse while writers churn at full
 * speed and a reader keeps entering sections? The target: never more than 4,096
 * objects pending. For scale, the native peers measured on this project's machines (not by
 * this program): crossbeam-epoch about 30,000 garbage objects on average and 119,000 at peak,
 * liburcu {@code call_rcu} 200,000 to 1,000,000.
 *
 * <p>The scenario, per domain mode, for a fixed time:
 * <ul>
 *   <li>{@code writers} threads (default 2) loop: take an object from the pool, give it a new
 *       generation, publish it in a random slot of a shared array of {@link SmrPointer}s
 *       ({@code serializedSwap}, which unpublishes the slot's previous object) and put the
 *       previous object back. No pause, no work besides that.</li>
 *   <li>one reader thread loops: enter a section, load a random slot, check the object's
 *       generation against its check field (a reused object would show {@link Obj64#DEAD},
 *       written by the pool's destruct hook, or a torn pair), exit.</li>
 *   <li>the main thread samples {@link SmrPool#stats()} every {@code sampleMillis} (default
 *       10 ms): {@code objectsPending}, the objects in tagged batches not yet taken back by a
 *       {@code get}. That includes batches whose goal was reached but that no {@code get} has
 *       needed yet (the pool takes one batch per refill), which the statistics do not tell
 *       apart. Objects in partially filled free magazines are not in that count and
 *       the stats do not expose them separately; there are at most
 *       {@code stripes x magazine} of them, printed as a bound.</li>
 * </ul>
 * After a warm-up that is not sampled, it prints per mode the mean, p99 and peak of the
 * pending objects, the live objects (created minus finalised: the pool's footprint, including
 * the {@code slots} published ones), the oldest pending batch's age, churn operations per
 * second (get + publish + put, all writers), reader sections per second, and reuse violations
 * (must be 0), then a markdown table of all modes.
 *
 * <p>Run (from the repository root, after {@code mvn -pl smr4j-bench -am package}):
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp smr4j-bench/target/benchmarks.jar \
 *      org.smr4j.bench.pool.ChurnMemory
 * # a shorter lazy tick, smaller magazines, one mode:
 * java --enable-native-access=ALL-UNNAMED -Dmodes=LAZY -DtickMicros=250 -Dmagazine=16 \
 *      -cp smr4j-bench/target/benchmarks.jar org.smr4j.bench.pool.ChurnMemory
 * </pre>
 * Properties (all {@code -D}): {@code modes} (comma-separated, default
 * {@code DEFAULT,DEFERRED,LAZY}), {@code seconds} (measured, default 10), {@code warmupSeconds}
 * (default 2), {@code writers} (2), {@code slots} (1024), {@code magazine} (SmrPool's default,
 * 32), {@code tickMicros} (lazy tick, default 1000), {@code deferredLimit} (8),
 * {@code sampleMillis} (10), and the pool's limits: {@code hiwat}, {@code hardLimit} (objects;
 * default unlimited), {@code trimMillis} (working-set trim interval, default 5000);
 * {@code trace=N} prints every Nth sample. Without {@code --enable-native-access=ALL-UNNAMED} a lazy domain
 * has fenced readers, and the program refuses to call that lazy mode.
 */
public final class ChurnMemory {
    private ChurnMemory() {
    }

    /** The configuration, from system properties. */
    record Config(List<Smr.Mode> modes, double seconds, double warmupSeconds, int writers, int slots,
                  int magazine, long tickMicros, int deferredLimit, long sampleMillis, long hiwat,
                  long hardLimit, long trimMillis, int trace) {
        static Config fromProperties() {
            final List<Smr.Mode> modes = new ArrayList<>();
            for (final String m : System.getProperty("modes", "DEFAULT,DEFERRED,LAZY").split(",")) {
                modes.add(Smr.Mode.valueOf(m.trim().toUpperCase(Locale.ROOT)));
            }
            return new Config(modes,
                    Double.parseDouble(System.getProperty("seconds", "10")),
                    Double.parseDouble(System.getProperty("warmupSeconds", "2")),
                    Integer.getInteger("writers", 2),
                    Integer.getInteger("slots", 1024),
                    Integer.getInteger("magazine", SmrPool.MAGAZINE_SIZE_DEFAULT),
                    Long.getLong("tickMicros", Smr.LAZY_TICK_DEFAULT.toNanos() / 1000),
                    Integer.getInteger("deferredLimit", 8),
                    Long.getLong("sampleMillis", 10),
                    Long.getLong("hiwat", Long.MAX_VALUE),
                    Long.getLong("hardLimit", Long.MAX_VALUE),
                    Long.getLong("trimMillis", SmrPool.TRIM_INTERVAL_DEFAULT.toMillis()),
                    Integer.getInteger("trace", 0));
        }
    }

    /** One mode's results. */
    record Result(String mode, int samples, double pendingMean, long pendingP99, long pendingMax,
                  long freeBound, double liveMean, long liveMax, double oldestMaxMillis, double opsPerSec,
                  double readsPerSec, long violations, long batchesQueued, long createdMeasured,
                  long waits, long trims) {
    }

    /**
     * Runs every configured mode, one after the other, and prints the results.
     *
     * @param args ignored; configuration is by system properties
     * @throws InterruptedException if interrupted while waiting for the threads
     */
    public static void main(final String[] args) throws InterruptedException {
        final Config cfg = Config.fromProperties();
        System.out.println("# " + cfg);
        final List<Result> results = new ArrayList<>();
        for (final Smr.Mode mode : cfg.modes()) {
            final Result r = run(cfg, mode);
            System.out.println(r);
            results.add(r);
        }
        System.out.println();
        System.out.println("| mode | pending mean | pending p99 | pending peak | + free-magazine bound | live mean "
                + "| live peak | oldest batch max (ms) | churn ops/s | reader sections/s | created | waits "
                + "| trims | violations |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (final Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %.0f | %d | %d | %d | %.0f | %d | %.2f | %.3g | %.3g | %d | %d | %d | %d |%n",
                    r.mode(), r.pendingMean(), r.pendingP99(), r.pendingMax(), r.freeBound(), r.liveMean(),
                    r.liveMax(), r.oldestMaxMillis(), r.opsPerSec(), r.readsPerSec(), r.createdMeasured(), r.waits(),
                    r.trims(), r.violations());
        }
    }

    static Smr domain(final Config cfg, final Smr.Mode mode) {
        final String name = "churn-" + mode;
        final Smr smr = switch (mode) {
            case DEFAULT -> Smr.create(name);
            case DEFERRED -> Smr.builder(name).deferred(cfg.deferredLimit()).build();
            case LAZY -> Smr.builder(name).lazy(Duration.ofNanos(cfg.tickMicros() * 1000)).build();
        };
        if (mode == Smr.Mode.LAZY && !smr.fenceFreeReaders()) {
            throw new IllegalStateException("lazy domain has fenced readers (membarrier unavailable): "
                    + "run with --enable-native-access=ALL-UNNAMED on Linux; " + smr);
        }
        return smr;
    }

    static Result run(final Config cfg, final Smr.Mode mode) throws InterruptedException {
        final Smr smr = domain(cfg, mode);
        final SmrPool<Obj64> pool = SmrPool.builder("churn-" + mode, Obj64::new)
                .smr(smr)
                .magazineSize(cfg.magazine())
                .hiwat(cfg.hiwat())
                .hardLimit(cfg.hardLimit())
                .trimInterval(Duration.ofMillis(cfg.trimMillis()))
                .destruct(o -> {
                    o.gen = Obj64.DEAD;
                    o.check = Obj64.DEAD;
                })
                .jmx(false)
                .build();
        @SuppressWarnings({"unchecked", "rawtypes"})
        final SmrPointer<Obj64>[] slots = new SmrPointer[cfg.slots()];
        for (int i = 0; i < slots.length; i++) {
            final Obj64 o = pool.get();
            o.gen = i;
            o.check = Obj64.checkOf(i);
            slots[i] = new SmrPointer<>(smr, () -> true, o);
        }
        final AtomicLong violations = new AtomicLong();
        final AtomicLong ops = new AtomicLong();
        final AtomicLong reads = new AtomicLong();
        final long[] opsAtStart = new long[cfg.writers() + 1];
        final Worker[] workers = new Worker[cfg.writers() + 1];
        for (int w = 0; w < cfg.writers(); w++) {
            final int id = w;
            workers[w] = new Worker("churn-writer-" + w, () -> writerLoop(pool, slots, id, cfg.writers()));
        }
        workers[cfg.writers()] = new Worker("churn-reader", () -> readerLoop(smr, slots, violations));
        for (final Worker w : workers) {
            w.start();
        }
        Thread.sleep((long) (cfg.warmupSeconds() * 1000));
        for (int i = 0; i < workers.length; i++) {
            opsAtStart[i] = workers[i].count();
        }
        final SmrPool.Stats atStart = pool.stats();
        final long t0 = System.nanoTime();
        final long end = t0 + (long) (cfg.seconds() * 1e9);
        final int cap = (int) (cfg.seconds() * 1000 / cfg.sampleMillis()) + 16;
        final long[] pending = new long[cap];
        final long[] live = new long[cap];
        int n = 0;
        double oldestMax = 0;
        int stripes = 0;
        while (System.nanoTime() < end && n < cap) {
            Thread.sleep(cfg.sampleMillis());
            final SmrPool.Stats s = pool.stats();
            pending[n] = s.objectsPending();
            live[n] = s.live();
            oldestMax = Math.max(oldestMax, s.oldestPendingAge().toNanos() / 1e6);
            stripes = Math.max(stripes, s.stripes());
            n++;
            if (cfg.trace() > 0 && n % cfg.trace() == 0) {
                System.out.printf(Locale.ROOT, "  t=%.2fs pending=%d batches=%d live=%d oldest=%.2fms%n",
                        (System.nanoTime() - t0) / 1e9, s.objectsPending(), s.batchesPending(), s.live(),
                        s.oldestPendingAge().toNanos() / 1e6);
            }
        }
        final double elapsed = (System.nanoTime() - t0) / 1e9;
        for (int i = 0; i < workers.length; i++) {
            final long d = workers[i].count() - opsAtStart[i];
            (i < cfg.writers() ? ops : reads).addAndGet(d);
        }
        for (final Worker w : workers) {
            w.halt();
        }
        for (final Worker w : workers) {
            w.join();
            if (w.failure != null) {
                throw new IllegalStateException(w.getName() + " failed", w.failure);
            }
        }
        final SmrPool.Stats fin = pool.stats();
        pool.close();
        final long[] p = Arrays.copyOf(pending, n);
        final long[] l = Arrays.copyOf(live, n);
        Arrays.sort(p);
        Arrays.sort(l);
        return new Result(mode + (mode == Smr.Mode.LAZY ? " (tick " + cfg.tickMicros() + " us)" : "")
                        + (mode == Smr.Mode.DEFERRED ? " (limit " + cfg.deferredLimit() + ")" : "")
                        + (cfg.magazine() != SmrPool.MAGAZINE_SIZE_DEFAULT ? ", magazine " + cfg.magazine() : "")
                        + (cfg.hiwat() != Long.MAX_VALUE ? ", hiwat " + cfg.hiwat() : "")
                        + (cfg.hardLimit() != Long.MAX_VALUE ? ", hardLimit " + cfg.hardLimit() : "")
                        + (cfg.trimMillis() != SmrPool.TRIM_INTERVAL_DEFAULT.toMillis()
                                ? ", trim " + cfg.trimMillis() + " ms" : ""),
                n, mean(p), p[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)], p[n - 1],
                (long) stripes * cfg.magazine(), mean(l), l[n - 1], oldestMax, ops.get() / elapsed,
                reads.get() / elapsed, violations.get(), fin.batchesQueued() - atStart.batchesQueued(),
                fin.created() - atStart.created(), fin.waits() - atStart.waits(), fin.trims() - atStart.trims());
    }

    private static double mean(final long[] xs) {
        double s = 0;
        for (final long x : xs) {
            s += x;
        }
        return xs.length == 0 ? Double.NaN : s / xs.length;
    }

    /** One iteration of a worker's loop. */
    @FunctionalInterface
    interface Step {
        void step();
    }

    private static Step writerLoop(final SmrPool<Obj64> pool, final SmrPointer<Obj64>[] slots, final int id,
                                   final int writers) {
        final int mask = slots.length - 1;
        final boolean pow2 = (slots.length & mask) == 0;
        final long[] state = {0x9E3779B97F4A7C15L * (id + 1), id + slots.length};
        return () -> {
            final Obj64 o = pool.get();
            final long g = state[1] += writers;
            o.gen = g;
            o.check = Obj64.checkOf(g);
            o.a = g;
            final int i = index(state, pow2, mask, slots.length);
            final Obj64 old = slots[i].serializedSwap(o);
            pool.put(old);
        };
    }

    private static Step readerLoop(final Smr smr, final SmrPointer<Obj64>[] slots, final AtomicLong violations) {
        final int mask = slots.length - 1;
        final boolean pow2 = (slots.length & mask) == 0;
        final long[] state = {0xD1B54A32D192ED03L, 0};
        final Smr.Reader[] reader = new Smr.Reader[1];
        return () -> {
            Smr.Reader r = reader[0];
            if (r == null) {
                r = smr.reader(); // registered by the reader thread itself
                reader[0] = r;
            }
            final int i = index(state, pow2, mask, slots.length);
            r.enter();
            try {
                final Obj64 o = slots[i].enteredLoad();
                final long g = o.gen;
                final long c = o.check;
                if (g == Obj64.DEAD || c != Obj64.checkOf(g)) {
                    violations.incrementAndGet();
                }
            } finally {
                r.exit();
            }
        };
    }

    private static int index(final long[] state, final boolean pow2, final int mask, final int n) {
        long x = state[0];
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        state[0] = x;
        return pow2 ? (int) x & mask : (int) Long.remainderUnsigned(x, n);
    }

    /** A thread that repeats a step until halted and counts its steps (published every 1024). */
    private static final class Worker extends Thread {
        private final java.util.function.Supplier<Step> body;
        private volatile boolean stop;
        private volatile long published;
        private volatile Throwable failure;

        private Worker(final String name, final java.util.function.Supplier<Step> body) {
            super(name);
            this.body = body;
            setDaemon(true);
        }

        @Override
        public void run() {
            final Step s = body.get();
            long count = 0;
            try {
                while (!stop) {
                    s.step();
                    if ((++count & 1023) == 0) {
                        published = count;
                    }
                }
            } catch (final RuntimeException | Error e) {
                failure = e;
            }
            published = count;
        }

        long count() {
            return published;
        }

        void halt() {
            stop = true;
        }
    }
}
