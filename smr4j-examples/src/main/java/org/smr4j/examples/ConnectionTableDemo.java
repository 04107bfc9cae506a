package org.smr4j.examples;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

import org.smr4j.netinet.ConnectionKey;
import org.smr4j.netinet.ConnectionTable;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.netinet.ControlBlock;

/**
 * A server's connection table under connection churn, in every strategy of
 * {@link ConnectionTable}: the story smr4j exists for.
 *
 * <h2>The problem</h2>
 * Every packet looks up its connection by (protocol, local address and port, foreign address
 * and port). Lookups must not take a table lock, connections open and close at attack rates,
 * and the control blocks must not pile up as garbage. FreeBSD's answer ({@code in_pcb.c}) is
 * a lockless lookup over SMR: readers enter a section, walk the hash chain and try-lock the
 * block they find; freed blocks go back to an SMR pool that hands them out again only once no
 * reader can still hold them.
 *
 * <h2>What it shows</h2>
 * For each strategy, lookup threads look up established connections (and check that every
 * block they get is locked, live and has the key they asked for) while a churn thread opens
 * and closes other connections as fast as it can. It prints lookups and churn per second,
 * how many blocks were ever created (SMR and pserialize recycle them; the lock and
 * ConcurrentHashMap strategies create one per connection and leave the rest to the garbage
 * collector), the most blocks seen waiting for reuse, and violations, which must be zero.
 * The SMR tables are built with {@code limits(connections, 4096)}, so at most 4,096 removed
 * blocks wait for their grace period. Numbers from this demo are a story, not a measurement:
 * see {@code docs/PERFORMANCE.md} for the JMH and harness results.
 *
 * <p>Configuration ({@code -D}): {@code smr4j.demo.seconds} per strategy (default 1),
 * {@code smr4j.demo.readers} lookup threads (default 2), {@code smr4j.demo.connections}
 * established connections (default 10000). Exits with status 1 on a violation.
 */
public final class ConnectionTableDemo {

    private ConnectionTableDemo() {
    }

    /** What one strategy did. */
    record Result(Strategy strategy, double lookupsPerSecond, double churnPerSecond, long blocksCreated,
            long pendingPeak, long violations) {
    }

    /**
     * Runs the demo.
     *
     * @param args ignored; see the class comment for the properties
     * @throws InterruptedException if interrupted
     */
    public static void main(final String[] args) throws InterruptedException {
        final Duration time = Duration.ofMillis((long) (1000 * Double.parseDouble(
                System.getProperty("smr4j.demo.seconds", "1"))));
        final int readers = Integer.getInteger("smr4j.demo.readers", 2);
        final int connections = Integer.getInteger("smr4j.demo.connections", 10_000);
        System.out.printf(Locale.ROOT, "Connection table: %d established connections, %d lookup threads, "
                + "1 churn thread, %d ms per strategy%n", connections, readers, time.toMillis());
        System.out.printf(Locale.ROOT, "%-20s %14s %12s %14s %13s %10s%n", "strategy", "lookups/s", "churn/s",
                "blocks created", "pending peak", "violations");
        long violations = 0;
        for (final Strategy s : Strategy.values()) {
            final Result r = run(s, connections, readers, time);
            violations += r.violations();
            System.out.printf(Locale.ROOT, "%-20s %14.0f %12.0f %14d %13s %10d%n", s, r.lookupsPerSecond(),
                    r.churnPerSecond(), r.blocksCreated(), r.pendingPeak() < 0 ? "GC's" : r.pendingPeak(),
                    r.violations());
        }
        if (violations != 0) {
            System.out.println("VIOLATIONS: a lookup returned a block that was freed or had another key");
            System.exit(1);
        }
    }

    static ConnectionKey established(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A00_0001, 443, 0xC633_6400 + (i >>> 16), i & 0xFFFF);
    }

    static ConnectionKey churning(final long i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A00_0001, 443, 0xCB00_7100 + (int) ((i >>> 16) & 0xFF),
                (int) (i & 0xFFFF));
    }

    /** Runs one strategy for {@code time}; returns what it measured. */
    static Result run(final Strategy strategy, final int connections, final int readers, final Duration time)
            throws InterruptedException {
        try (ConnectionTable table = ConnectionTable.builder(strategy).limits(connections, 4096).build()) {
            final ConnectionKey[] keys = new ConnectionKey[connections];
            for (int i = 0; i < connections; i++) {
                keys[i] = established(i);
                table.insert(keys[i]).unlock();
            }
            final AtomicBoolean stop = new AtomicBoolean();
            final LongAdder lookups = new LongAdder();
            final LongAdder violations = new LongAdder();
            final LongAdder churn = new LongAdder();
            final LongAccumulator pendingPeak = new LongAccumulator(Math::max, Long.MIN_VALUE);
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < readers; t++) {
                threads.add(Thread.ofPlatform().name("lookup-" + t).start(() -> {
                    final ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    long n = 0;
                    while (!stop.get()) {
                        final ConnectionKey k = keys[rnd.nextInt(keys.length)];
                        final ControlBlock b = table.lookup(k, LockMode.READ);
                        if (b == null || b.isFreed() || !k.equals(b.key())) {
                            violations.increment();
                        }
                        if (b != null) {
                            b.unlock();
                        }
                        n++;
                    }
                    lookups.add(n);
                }));
            }
            threads.add(Thread.ofPlatform().name("churn").start(() -> {
                long i = 0;
                while (!stop.get()) {
                    final ConnectionKey k = churning(i);
                    final ControlBlock b = table.insert(k);
                    if (b != null) {
                        b.unlock();
                        table.remove(k);
                    }
                    if ((++i & 255) == 0) {
                        pendingPeak.accumulate(table.stats().blocksPending());
                    }
                }
                churn.add(i);
            }));
            final long start = System.nanoTime();
            Thread.sleep(time);
            stop.set(true);
            for (final Thread t : threads) {
                t.join();
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            final ConnectionTable.Stats stats = table.stats();
            return new Result(strategy, lookups.sum() / seconds, churn.sum() / seconds, stats.blocksCreated(),
                    stats.blocksPending() < 0 ? -1 : Math.max(0, pendingPeak.get()), violations.sum());
        }
    }
}
