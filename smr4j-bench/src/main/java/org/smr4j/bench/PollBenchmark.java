package org.smr4j.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.smr4j.Smr;

/**
 * What does a writer pay to learn whether its goal is reached, as the number of registered
 * readers grows? Each operation of {@link #advanceAndPoll} takes a fresh goal and polls it
 * once; {@link #advance()}, in the same fork, is the baseline, so
 * {@code advanceAndPoll - advance} is the poll. A fresh goal is never reached by the read
 * sequence yet, so in default mode every poll scans every record: the cost of the scan (one
 * full fence, one load per record, the read-sequence CAS) is what grows with {@code readers}.
 *
 * <p>The readers are parked platform threads that registered with the domain before the
 * measurement. {@code IDLE}: each entered and left one section, so its record is in the
 * registry but holds nothing back; the poll succeeds. {@code INSIDE}: each entered a section
 * and parked inside it (which real readers must not do), so its record pins the read sequence
 * and every poll fails after a full scan: the worst case for a scan, since it can never stop
 * early and the read sequence never moves.
 *
 * <p>The modes answer differently, by design, and the {@link Outcomes} counters
 * ({@code @AuxCounters}: polls reached and not reached per second) show which path ran:
 * <ul>
 *   <li>default: every poll scans;</li>
 *   <li>deferred: seven goals in eight lie one step ahead of the write sequence, and the poll
 *       answers "not yet" without scanning; the eighth advance is real and its poll scans;</li>
 *   <li>lazy: every fresh goal lies one tick (1 ms) ahead, so the poll answers "not yet"
 *       without scanning: what a lazy writer that polls right away pays. A lazy scan (with
 *       its {@code membarrier(2)}, at most one per tick) happens only once a goal matures.</li>
 * </ul>
 *
 * <p>Run:
 * <pre>
 * java -jar smr4j-bench/target/benchmarks.jar 'PollBenchmark' -f 2 -wi 3 -w 1s -i 5 -r 1s \
 *      -rf json -rff poll.json
 * java -jar smr4j-bench/target/benchmarks.jar 'PollBenchmark.advanceAndPoll' -p mode=DEFAULT \
 *      -p readers=64 -f 1 -prof 'perfasm:events=cpu-clock'
 * </pre>
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class PollBenchmark {
    /** What the registered readers do while the writer polls. */
    public enum ReaderState {
        /** Entered and left one section, then parked outside: registered, holding nothing. */
        IDLE,
        /** Entered a section and parked inside it: every goal after it is blocked. */
        INSIDE
    }

    /** The domain's mode. */
    @Param({"DEFAULT", "DEFERRED", "LAZY"})
    public Smr.Mode mode;

    /** Registered reader threads, besides the benchmark thread. */
    @Param({"1", "8", "64"})
    public int readers;

    /** Whether the readers are parked outside or inside a section. */
    @Param({"IDLE", "INSIDE"})
    public ReaderState state;

    private Smr smr;
    private Thread[] threads;
    private volatile boolean stop;

    /**
     * Polls that returned true and false, per second of measurement (JMH reports them next to
     * the score as {@code reached} and {@code notReached}).
     */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Outcomes {
        /** Polls that returned true. */
        public long reached;
        /** Polls that returned false. */
        public long notReached;

        /** Starts every iteration from zero. */
        @Setup(Level.Iteration)
        public void reset() {
            reached = 0;
            notReached = 0;
        }
    }

    /**
     * Builds the domain and starts the reader threads; returns once every one of them is
     * registered (and, for {@code INSIDE}, inside its section).
     *
     * @throws InterruptedException if interrupted while waiting for the readers
     */
    @Setup(Level.Trial)
    public void setup() throws InterruptedException {
        smr = Domains.create(mode);
        stop = false;
        final CountDownLatch ready = new CountDownLatch(readers);
        final boolean stayInside = state == ReaderState.INSIDE;
        threads = new Thread[readers];
        for (int i = 0; i < readers; i++) {
            threads[i] = Thread.ofPlatform().daemon().name("smr-bench-reader-" + i).start(() -> {
                final Smr.Reader r = smr.reader();
                r.enter();
                if (!stayInside) {
                    r.exit();
                }
                ready.countDown();
                while (!stop) {
                    LockSupport.park(this);
                }
                if (r.entered()) {
                    r.exit();
                }
            });
        }
        ready.await();
        if (smr.stats().readers() < readers) {
            throw new IllegalStateException("expected " + readers + " registered readers: " + smr);
        }
    }

    /**
     * Stops and joins the reader threads.
     *
     * @throws InterruptedException if interrupted while joining
     */
    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        stop = true;
        for (final Thread t : threads) {
            LockSupport.unpark(t);
        }
        for (final Thread t : threads) {
            t.join();
        }
    }

    /**
     * One advance: the baseline.
     *
     * @return the goal
     */
    @Benchmark
    public long advance() {
        return smr.advance();
    }

    /**
     * One advance and one poll of its goal.
     *
     * @param outcomes counts the poll's answer
     * @return the poll's answer
     */
    @Benchmark
    public boolean advanceAndPoll(final Outcomes outcomes) {
        final Smr s = smr;
        final long goal = s.advance();
        if (s.poll(goal)) {
            outcomes.reached++;
            return true;
        }
        outcomes.notReached++;
        return false;
    }
}
