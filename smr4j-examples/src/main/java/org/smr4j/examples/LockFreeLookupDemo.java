package org.smr4j.examples;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

import org.smr4j.Smr;
import org.smr4j.SmrPointer;

/**
 * A lock-free lookup table whose nodes are recycled, kept safe by SMR.
 *
 * <h2>The problem</h2>
 * A table of sessions is read at packet rate by many threads and changed by a few. Readers
 * must not lock. Sessions come and go quickly, so their nodes are recycled instead of being
 * left to the garbage collector. Recycling is where it goes wrong without help: a reader that
 * found node N for key 17 may still be looking at it when a writer removes 17, recycles N as
 * key 42 and publishes it again. The reader then reads key 42's value as key 17's. The garbage
 * collector does not prevent that, because nothing was freed.
 *
 * <h2>The fix</h2>
 * Readers walk the table inside an SMR read section ({@link Smr.Reader#enter()} /
 * {@link Smr.Reader#exit()}). A writer that unlinks a node calls {@link Smr#advance()} and
 * keeps the node with the returned goal in a FIFO; it reuses the node only once
 * {@link Smr#poll(long) poll(goal)} is true, and allocates a new node otherwise. So no node is
 * recycled while a reader that could have found it is still inside.
 *
 * <h2>What it shows</h2>
 * For each mode it runs reader and writer threads for a while and prints lookups per second,
 * how many nodes were recycled and how many were allocated, and the number of violations: a
 * reader whose node changed identity (its generation changed) while the reader was inside.
 * With SMR that number is zero; the run with {@code -Dsmr4j.demo.unsafe=true} recycles nodes
 * at once, without waiting for the goal, and shows what SMR prevents.
 *
 * <p>Configuration ({@code -D} properties):
 * <ul>
 *   <li>{@code smr4j.demo.seconds}: seconds per mode, default 2;</li>
 *   <li>{@code smr4j.demo.readers}: reader threads, default 2;</li>
 *   <li>{@code smr4j.demo.keys}: live keys in the table, default 4096;</li>
 *   <li>{@code smr4j.demo.unsafe}: recycle without waiting, default false.</li>
 * </ul>
 * The process exits with status 1 if a violation was seen in a safe run.
 */
public final class LockFreeLookupDemo {
    private static final int SECONDS = Integer.getInteger("smr4j.demo.seconds", 2);
    private static final int READERS = Integer.getInteger("smr4j.demo.readers", 2);
    private static final int KEYS = Integer.getInteger("smr4j.demo.keys", 4096);
    private static final boolean UNSAFE = Boolean.getBoolean("smr4j.demo.unsafe");

    private LockFreeLookupDemo() {
    }

    /** A table entry. Fields are plain: SMR orders the writer's reuse after every reader that saw them. */
    static final class Node {
        long key;
        long value;
        /** Bumped on every reuse; a reader that sees it change while inside has seen a recycled node. */
        long generation;
        final SmrPointer<Node> next;

        Node(final Smr smr, final ReentrantLock lock) {
            this.next = new SmrPointer<>(smr, lock::isHeldByCurrentThread, null);
        }
    }

    /** A chained hash table with lock-free readers and one writer lock. */
    static final class Table {
        final Smr smr;
        final ReentrantLock lock = new ReentrantLock();
        final List<SmrPointer<Node>> buckets = new ArrayList<>();
        final int mask;
        /** Unlinked nodes with their goals, oldest first. Guarded by lock. */
        final ArrayDeque<Node> retired = new ArrayDeque<>();
        final ArrayDeque<Long> goals = new ArrayDeque<>();
        long recycled;
        long allocated;
        /** The newest key inserted; readers look up keys near it. Written by the writer only. */
        volatile long newest;

        /** Recycle without waiting for the goal: the bug SMR prevents, for the demonstration. */
        final boolean unsafe;

        Table(final Smr smr, final int buckets, final boolean unsafe) {
            this.smr = smr;
            this.unsafe = unsafe;
            int n = 1;
            while (n < buckets) {
                n <<= 1;
            }
            this.mask = n - 1;
            for (int i = 0; i < n; i++) {
                this.buckets.add(new SmrPointer<>(smr, lock::isHeldByCurrentThread, null));
            }
        }

        SmrPointer<Node> bucket(final long key) {
            return buckets.get(((int) ((key * 0x9E3779B97F4A7C15L) >>> 40)) & mask);
        }

        /** Reader: returns the value for key, or -1; records a violation if the node was recycled meanwhile. */
        long lookup(final Smr.Reader reader, final long key, final LongAdder violations) {
            reader.enter();
            try {
                for (Node n = bucket(key).enteredLoad(); n != null; n = n.next.enteredLoad()) {
                    if (n.key == key) {
                        final long generation = n.generation;
                        final long value = n.value;
                        Thread.onSpinWait(); // a little time inside, as a real reader would spend
                        if (n.generation != generation || n.key != key) {
                            violations.increment();
                        }
                        return value;
                    }
                }
                return -1;
            } finally {
                reader.exit();
            }
        }

        /** Writer: inserts key at the head of its chain, reusing a retired node whose goal is reached. */
        void insert(final long key, final long value) {
            lock.lock();
            try {
                final Node n = allocate();
                n.key = key;
                n.value = value;
                final SmrPointer<Node> head = bucket(key);
                n.next.serializedStore(head.serializedLoad());
                head.serializedStore(n); // ORDER: release publishes the initialised node
            } finally {
                lock.unlock();
            }
        }

        /** Writer: unlinks key and retires its node with a goal. */
        boolean remove(final long key) {
            lock.lock();
            try {
                SmrPointer<Node> link = bucket(key);
                for (Node n = link.serializedLoad(); n != null; n = link.serializedLoad()) {
                    if (n.key == key) {
                        link.serializedStore(n.next.serializedLoad());
                        retired.addLast(n);
                        goals.addLast(smr.advance());
                        return true;
                    }
                    link = n.next;
                }
                return false;
            } finally {
                lock.unlock();
            }
        }

        private Node allocate() {
            if (!retired.isEmpty() && (unsafe || smr.poll(goals.peekFirst()))) {
                goals.pollFirst();
                final Node n = retired.pollFirst();
                n.generation++;
                n.next.unserializedStore(null); // no reader can see n any more
                recycled++;
                return n;
            }
            allocated++;
            return new Node(smr, lock);
        }
    }

    /**
     * Runs the demo in every mode.
     *
     * @param args unused
     * @throws InterruptedException if interrupted while waiting for the threads
     */
    public static void main(final String[] args) throws InterruptedException {
        System.out.printf(Locale.ROOT, "smr4j lock-free lookup demo: %d readers, 1 writer, %d keys, %d s per mode%s%n",
                READERS, KEYS, SECONDS, UNSAFE ? ", UNSAFE recycling (no goal check)" : "");
        long totalViolations = 0;
        for (final Smr smr : List.of(Smr.create("demo-default"),
                Smr.builder("demo-deferred").deferred(8).build(),
                Smr.builder("demo-lazy").lazy(Duration.ofMillis(1)).build())) {
            totalViolations += run(smr, Duration.ofSeconds(SECONDS), UNSAFE);
        }
        if (totalViolations > 0 && !UNSAFE) {
            System.out.println("FAILED: a reader saw a recycled node");
            System.exit(1);
        }
    }

    /**
     * Runs readers and one writer against a table in {@code smr} for {@code duration}.
     *
     * @return the number of violations seen
     */
    static long run(final Smr smr, final Duration duration, final boolean unsafe) throws InterruptedException {
        final Table table = new Table(smr, KEYS / 4, unsafe);
        for (long k = 0; k < KEYS; k++) {
            table.insert(k, k * 10);
        }
        table.newest = KEYS - 1L;
        final AtomicBoolean stop = new AtomicBoolean();
        final LongAdder lookups = new LongAdder();
        final LongAdder hits = new LongAdder();
        final LongAdder violations = new LongAdder();
        final CountDownLatch done = new CountDownLatch(READERS + 1);
        final List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < READERS; r++) {
            threads.add(Thread.ofPlatform().name("reader-" + r).unstarted(() -> {
                final Smr.Reader reader = smr.reader();
                final ThreadLocalRandom random = ThreadLocalRandom.current();
                long n = 0;
                long h = 0;
                while (!stop.get()) {
                    for (int i = 0; i < 1024; i++) {
                        // Mostly live keys, some just removed, some not yet inserted.
                        final long key = table.newest - KEYS - KEYS / 8 + random.nextLong(KEYS + KEYS / 4);
                        if (table.lookup(reader, key, violations) >= 0) {
                            h++;
                        }
                    }
                    n += 1024;
                }
                lookups.add(n);
                hits.add(h);
                done.countDown();
            }));
        }
        final long[] churn = new long[1];
        threads.add(Thread.ofPlatform().name("writer").unstarted(() -> {
            final ThreadLocalRandom random = ThreadLocalRandom.current();
            long next = KEYS;
            long oldest = 0;
            while (!stop.get()) {
                // Replace the oldest key by a new one: the table keeps KEYS live keys.
                table.remove(oldest++);
                table.insert(next, next * 10);
                table.newest = next++;
                churn[0]++;
                if ((churn[0] & 1023) == 0 && random.nextBoolean()) {
                    Thread.onSpinWait();
                }
            }
            done.countDown();
        }));
        final long start = System.nanoTime();
        threads.forEach(Thread::start);
        Thread.sleep(duration.toMillis());
        stop.set(true);
        done.await();
        final double seconds = (System.nanoTime() - start) / 1e9;
        final Smr.Stats stats = smr.stats();
        System.out.printf(Locale.ROOT,
                "%-14s %-8s lookups %,7.1f M/s (hits %4.1f%%)  churn %,6.0f k/s  recycled %,10d  allocated %,8d  "
                        + "violations %d  [advances %,d, polls %,d, failed %,d, scans %,d, barriers %,d]%n",
                smr.name(), smr.mode(), lookups.sum() / seconds / 1e6, 100.0 * hits.sum() / Math.max(1, lookups.sum()),
                churn[0] / seconds / 1e3, table.recycled, table.allocated, violations.sum(),
                stats.advances(), stats.polls(), stats.failedPolls(), stats.scans(), stats.barriers());
        return violations.sum();
    }
}
