package org.smr4j.demo.hazard;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.DoubleConsumer;
import org.smr4j.Smr;
import org.smr4j.demo.churn.ChurnKeys;
import org.smr4j.netinet.ConnectionKey;
import org.smr4j.netinet.ConnectionTable;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.netinet.ControlBlock;

/**
 * The {@code hazard} scenario: what SMR prevents, shown by counting readers that used a block
 * after it had been recycled for another connection.
 *
 * <h2>What runs, per subject</h2>
 * A table holds {@code connections} established connections; {@code churnThreads} threads
 * open and close connections from a small ring of keys ({@value #WINDOW} open per thread at a
 * time), so removed blocks come back quickly; {@code readers} threads look up keys of that
 * ring with the lock-free {@code read(key, fn)}, and {@code fn} (a {@link Probe}) reads the
 * block's key and generation, stays a little ({@code dwell} spin-waits, as a reader that does
 * some work on what it found), and reads them again. A block whose key is not the one looked
 * up, or whose generation moved, was recycled under the reader.
 *
 * <h2>What is counted</h2>
 * <ul>
 *   <li><em>acted on a recycled block</em>: {@code read} returned what {@code fn} saw on a
 *       recycled block. Zero for every real strategy: SMR defers reuse past the read section,
 *       pserialize's {@code read} notices the generation change and retries, the lock and
 *       {@code ConcurrentHashMap} tables never reuse a block.</li>
 *   <li><em>saw a recycled block, retried</em>: {@code fn} saw one, but {@code read} threw the
 *       result away. Only {@code PSERIALIZE}, whose {@code PR_PSERIALIZE} pool reuses blocks at
 *       once by design, can show these.</li>
 * </ul>
 * The subjects are the {@link ConnectionTable} strategies and the {@link ControlTable}, an
 * SMR table of the same shape whose reuse is not deferred ({@code NO_DEFER}, the negative
 * control: it must show readers acting on recycled blocks, or the detector is blind) and the
 * same table with deferral ({@code DEFERRED}: same code, one switch, zero again).
 *
 * <p>Threads: {@link #run} is called from one thread and starts the workers itself. Memory
 * consistency effects: each worker's counts are written by that worker only and read after
 * {@link Thread#join}, which orders them; the workers share nothing else but the table.
 */
public final class HazardRun {

    /** Connections each churn thread keeps open; small, so that blocks are recycled often. */
    static final int WINDOW = 64;

    /** The two control subjects, by name. */
    public static final String NO_DEFER = "NO_DEFER";
    /** The control with deferral on. */
    public static final String DEFERRED = "DEFERRED";

    /** What {@link Probe} returns for a block that kept its identity. */
    static final Object SAME = new Object() {
        @Override
        public String toString() {
            return "SAME";
        }
    };
    /** What {@link Probe} returns for a block recycled under it. */
    static final Object RECYCLED = new Object() {
        @Override
        public String toString() {
            return "RECYCLED";
        }
    };

    private HazardRun() {
    }

    /**
     * What to run.
     *
     * @param strategies the real strategies, in order (the two controls follow them)
     * @param connections established connections in every table
     * @param readers reader threads
     * @param churnThreads churn threads
     * @param seconds run time per subject
     * @param dwell spin-waits between the probe's two reads
     * @param seed the seed of the readers' key choice
     */
    public record Config(List<Strategy> strategies, int connections, int readers, int churnThreads, double seconds,
            int dwell, long seed) {

        /** Checks the ranges. */
        public Config {
            strategies = List.copyOf(Objects.requireNonNull(strategies, "strategies"));
            if (connections < 0 || readers < 1 || churnThreads < 1 || churnThreads > 254 || !(seconds > 0)
                    || dwell < 0) {
                throw new IllegalArgumentException("hazard config out of range: " + connections + " connections, "
                        + readers + " readers, " + churnThreads + " churn threads (1..254), " + seconds + " s, dwell "
                        + dwell);
            }
        }
    }

    /**
     * What one subject did.
     *
     * @param subject a strategy's name, {@link #NO_DEFER} or {@link #DEFERRED}
     * @param control whether it is one of the two controls
     * @param seconds measured time
     * @param reads {@code ConnectionTable.read} calls
     * @param hits of which found the key
     * @param actedOnRecycled reads whose result came from a recycled block
     * @param sawRecycledRetried {@code fn} calls that saw a recycled block whose result the
     *        table discarded (pserialize's retry)
     * @param churn connections opened and closed
     * @param blocksCreated blocks created during the run (fill included)
     */
    public record Result(String subject, boolean control, double seconds, long reads, long hits, long actedOnRecycled,
            long sawRecycledRetried, long churn, long blocksCreated) {

        /** @return reads that acted on a recycled block per million reads */
        public double perMillion() {
            return reads == 0 ? 0 : actedOnRecycled * 1e6 / reads;
        }

        /** @return whether this subject is one that must show zero */
        public boolean mustBeZero() {
            return !subject.equals(NO_DEFER);
        }
    }

    /**
     * Reads a block twice, around a short stay, and says whether it kept its identity. One per
     * reader thread (its fields are that thread's), so {@code read} gets no lambda to allocate.
     */
    static final class Probe implements Function<ControlBlock, Object> {
        private final int dwell;
        ConnectionKey expected;
        long calls;
        long recycled;

        Probe(final int dwell) {
            this.dwell = dwell;
        }

        @Override
        public Object apply(final ControlBlock b) {
            // ORDER: generation() is an acquire load, so the key read after it and the second
            // generation read are not satisfied before the stay (the compiler cannot merge them).
            final long g0 = b.generation();
            final ConnectionKey k0 = b.key();
            stay();
            final long g1 = b.generation();
            final ConnectionKey k1 = b.key();
            return judge(g0, k0, g1, k1);
        }

        Object applyControl(final ControlTable.Block b) {
            final long g0 = b.generationOpaque();
            final ConnectionKey k0 = b.keyOpaque();
            stay();
            final long g1 = b.generationOpaque();
            final ConnectionKey k1 = b.keyOpaque();
            return judge(g0, k0, g1, k1);
        }

        private void stay() {
            for (int i = 0; i < dwell; i++) {
                Thread.onSpinWait();
            }
        }

        private Object judge(final long g0, final ConnectionKey k0, final long g1, final ConnectionKey k1) {
            calls++;
            if (g0 != g1 || !expected.equals(k0) || !expected.equals(k1)) {
                recycled++;
                return RECYCLED;
            }
            return SAME;
        }
    }

    /** A table under test, real or control, through one interface. */
    interface Subject extends AutoCloseable {
        String name();

        boolean control();

        boolean open(ConnectionKey k);

        boolean close(ConnectionKey k);

        /** Looks {@code k} up with the probe; returns null, {@link #SAME} or {@link #RECYCLED}. */
        Object probe(ConnectionKey k, Probe p);

        /** Called once per reader thread before its first probe. */
        default void readerStart() {
        }

        long blocksCreated();

        @Override
        void close();
    }

    private static Subject real(final Strategy s, final long maxConnections) {
        final ConnectionTable t = ConnectionTable.builder(s).name("hazard-" + s.name().toLowerCase(Locale.ROOT))
                .limits(maxConnections, 4096).build();
        return new Subject() {
            @Override
            public String name() {
                return s.name();
            }

            @Override
            public boolean control() {
                return false;
            }

            @Override
            public boolean open(final ConnectionKey k) {
                final ControlBlock b = t.insert(k);
                if (b == null) {
                    return false;
                }
                b.unlock();
                return true;
            }

            @Override
            public boolean close(final ConnectionKey k) {
                return t.remove(k);
            }

            @Override
            public Object probe(final ConnectionKey k, final Probe p) {
                return t.read(k, p);
            }

            @Override
            public long blocksCreated() {
                return t.stats().blocksCreated();
            }

            @Override
            public void close() {
                t.close();
            }
        };
    }

    private static Subject control(final boolean deferred, final int connections) {
        final ControlTable t = new ControlTable("hazard-" + (deferred ? "deferred" : "no-defer"),
                Math.max(1024, Integer.highestOneBit(Math.max(1, connections)) << 1), deferred);
        final ThreadLocal<Smr.Reader> readers = ThreadLocal.withInitial(() -> t.smr().reader());
        return new Subject() {
            @Override
            public String name() {
                return deferred ? DEFERRED : NO_DEFER;
            }

            @Override
            public boolean control() {
                return true;
            }

            @Override
            public boolean open(final ConnectionKey k) {
                return t.insert(k);
            }

            @Override
            public boolean close(final ConnectionKey k) {
                return t.remove(k);
            }

            @Override
            public Object probe(final ConnectionKey k, final Probe p) {
                return t.read(readers.get(), k, p::applyControl);
            }

            @Override
            public long blocksCreated() {
                return t.blocksCreated();
            }

            @Override
            public void close() {
                t.close();
            }
        };
    }

    /**
     * Runs every subject, one after another in this JVM (a correctness count, not a
     * measurement of speed: no fork needed).
     *
     * @param cfg what to run
     * @param progress told the fraction done (0 to 1), or null
     * @return one result per subject: the strategies in order, then {@code NO_DEFER}, then
     *         {@code DEFERRED}
     */
    public static List<Result> run(final Config cfg, final DoubleConsumer progress) {
        Objects.requireNonNull(cfg, "cfg");
        final List<Result> out = new ArrayList<>();
        final int total = cfg.strategies().size() + 2;
        final long maxConnections = cfg.connections() + (long) cfg.churnThreads() * (WINDOW + 1) + 64L;
        for (int i = 0; i < total; i++) {
            final int done = i;
            final DoubleConsumer within = progress == null ? f -> { } : f -> progress.accept((done + f) / total);
            try (Subject s = i < cfg.strategies().size() ? real(cfg.strategies().get(i), maxConnections)
                    : control(i == total - 1, cfg.connections())) {
                out.add(runOne(cfg, s, within));
            }
        }
        if (progress != null) {
            progress.accept(1.0);
        }
        return out;
    }

    private static Result runOne(final Config cfg, final Subject s, final DoubleConsumer within) {
        for (int i = 0; i < cfg.connections(); i++) {
            if (!s.open(ChurnKeys.establishedKey(i))) {
                throw new IllegalStateException(s.name() + ": established key inserted twice: " + i);
            }
        }
        final int ring = 2 * WINDOW + 2;
        final ConnectionKey[][] keys = new ConnectionKey[cfg.churnThreads()][ring];
        for (int t = 0; t < keys.length; t++) {
            for (int j = 0; j < ring; j++) {
                keys[t][j] = ChurnKeys.churnKey(t, j);
            }
        }
        final int threads = cfg.readers() + cfg.churnThreads();
        final CountDownLatch ready = new CountDownLatch(threads);
        final CountDownLatch go = new CountDownLatch(1);
        final long[][] counts = new long[threads][4];
        final Throwable[] failure = new Throwable[1];
        final AtomicBoolean stop = new AtomicBoolean();
        final List<Thread> all = new ArrayList<>();
        for (int r = 0; r < cfg.readers(); r++) {
            final int id = r;
            all.add(Thread.ofPlatform().name("hazard-reader-" + r + "-" + s.name()).daemon(true).unstarted(() -> {
                final Probe p = new Probe(cfg.dwell());
                final SplittableRandom rnd = new SplittableRandom(cfg.seed() + id);
                long reads = 0;
                long hits = 0;
                long acted = 0;
                ready.countDown();
                await(go);
                while (!stop.get()) {
                    for (int n = 0; n < 256; n++) {
                        final ConnectionKey k = keys[rnd.nextInt(keys.length)][rnd.nextInt(ring)];
                        p.expected = k;
                        final Object seen = s.probe(k, p);
                        reads++;
                        if (seen != null) {
                            hits++;
                            if (seen == RECYCLED) {
                                acted++;
                            }
                        }
                    }
                }
                counts[id][0] = reads;
                counts[id][1] = hits;
                counts[id][2] = acted;
                counts[id][3] = p.recycled - acted;
            }));
        }
        for (int c = 0; c < cfg.churnThreads(); c++) {
            final int id = cfg.readers() + c;
            final ConnectionKey[] mine = keys[c];
            all.add(Thread.ofPlatform().name("hazard-churn-" + c + "-" + s.name()).daemon(true).unstarted(() -> {
                final ConnectionKey[] open = new ConnectionKey[WINDOW + 1];
                int head = 0;
                int count = 0;
                int next = 0;
                long closed = 0;
                ready.countDown();
                await(go);
                while (!stop.get()) {
                    final ConnectionKey k = mine[next];
                    next = next + 1 == mine.length ? 0 : next + 1;
                    if (!s.open(k)) {
                        throw new IllegalStateException(s.name() + ": insert of a closed key refused: " + k);
                    }
                    open[(head + count) % open.length] = k;
                    count++;
                    if (count > WINDOW) {
                        if (!s.close(open[head])) {
                            throw new IllegalStateException(s.name() + ": remove of an open key found nothing");
                        }
                        head = (head + 1) % open.length;
                        count--;
                        closed++;
                    }
                }
                counts[id][0] = closed;
            }));
        }
        for (final Thread t : all) {
            t.setUncaughtExceptionHandler((th, e) -> {
                synchronized (failure) {
                    if (failure[0] == null) {
                        failure[0] = e;
                    }
                }
                stop.set(true);
            });
            t.start();
        }
        await(ready);
        final long t0 = System.nanoTime();
        go.countDown();
        final long end = t0 + (long) (cfg.seconds() * 1e9);
        long now;
        while ((now = System.nanoTime()) - end < 0 && !stop.get()) {
            within.accept((now - t0) / (cfg.seconds() * 1e9));
            java.util.concurrent.locks.LockSupport.parkNanos(Math.min(end - now, TimeUnit.MILLISECONDS.toNanos(100)));
        }
        stop.set(true);
        for (final Thread t : all) {
            try {
                if (!t.join(java.time.Duration.ofSeconds(30))) {
                    throw new IllegalStateException(t.getName() + " did not stop within 30 s");
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while stopping " + s.name(), e);
            }
        }
        final double seconds = (System.nanoTime() - t0) / 1e9;
        synchronized (failure) {
            if (failure[0] != null) {
                throw new IllegalStateException(s.name() + " failed: " + failure[0], failure[0]);
            }
        }
        long reads = 0;
        long hits = 0;
        long acted = 0;
        long retried = 0;
        long churn = 0;
        for (int i = 0; i < cfg.readers(); i++) {
            reads += counts[i][0];
            hits += counts[i][1];
            acted += counts[i][2];
            retried += counts[i][3];
        }
        for (int i = cfg.readers(); i < threads; i++) {
            churn += counts[i][0];
        }
        return new Result(s.name(), s.control(), seconds, reads, hits, acted, retried, churn, s.blocksCreated());
    }

    private static void await(final CountDownLatch latch) {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("hazard threads did not start within 60 s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
