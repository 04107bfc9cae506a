package org.smr4j;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.Timespan;
import org.jspecify.annotations.Nullable;

/**
 * The JDK Flight Recorder events of {@link Smr} domains, {@link Pserialize} instances and
 * {@link PserializePool}s, and the periodic statistics of every structure of this package
 * ({@link SmrPoolEvents} has the SMR pool's waits and refills). Show them with
 * {@code jfr print --categories smr4j rec.jfr} or {@code jfr summary rec.jfr}.
 *
 * <p>Cost: none until a Flight Recorder exists. Every event is created behind
 * {@link SmrPoolEvents#recording()}, on slow paths only (a wait that blocks, a failed poll, a
 * refill after a miss); readers' {@code enter}/{@code exit} never touch this class. The
 * periodic events are registered once, by {@link Periodic}, when the recorder is initialised.
 */
final class SmrEvents {
    private SmrEvents() {
    }

    // ------------------------------------------------------------------ waits

    /** A waitFor() (or synchronize(), or a pool's wait on a batch) that blocked on a goal. */
    @Name("org.smr4j.GoalWait")
    @Label("SMR Goal Wait")
    @Category({"smr4j", "Domain"})
    @Description("A waitFor() or synchronize() on an SMR domain blocked until every reader had left the sections that "
            + "could hold the goal back")
    @Threshold("1 ms")
    @StackTrace(true)
    static final class GoalWait extends Event {
        @Label("Domain")
        @Nullable String domain;
        @Label("Mode")
        @Nullable String mode;
        @Label("Goal")
        long goal;
        @Label("Read Sequence")
        @Description("The domain's read sequence when the wait began")
        long readSequence;
    }

    /** A perform() that found readers inside and waited for them. */
    @Name("org.smr4j.PerformWait")
    @Label("Pserialize Perform Wait")
    @Category({"smr4j", "Pserialize"})
    @Description("A pserialize perform() found readers inside a section and waited for them to leave")
    @Threshold("1 ms")
    @StackTrace(true)
    static final class PerformWait extends Event {
        @Label("Pserialize")
        @Nullable String pserialize;
        @Label("Readers")
        @Description("Readers inside a section when the barrier round began")
        int readers;
    }

    /**
     * A reader seen holding the oldest read sequence (SMR) or the section a perform waits for
     * (pserialize), unchanged for at least the threshold. Begun when a slow path first sees
     * that reader stuck, committed by a later one once the stall exceeds the threshold; so the
     * duration is a lower bound of how long the reader has been inside.
     */
    @Name("org.smr4j.StalledReader")
    @Label("SMR Stalled Reader")
    @Category({"smr4j", "Domain"})
    @Description("A reader stayed inside one read section, holding back every goal (SMR) or perform (pserialize) "
            + "behind it, for longer than the threshold; the duration is how long it was seen stuck")
    @Threshold("100 ms")
    @StackTrace(false)
    static final class StalledReader extends Event {
        @Label("Domain")
        @Description("The SMR domain or pserialize instance")
        @Nullable String domain;
        @Label("Domain Type")
        @Description("Smr or Pserialize")
        @Nullable String domainType;
        @Label("Reader Thread")
        @Description("The thread inside the section")
        @Nullable Thread readerThread;
        @Label("Reader")
        @Description("The reader thread as Thread.toString() shows it (virtual threads have no name by default)")
        @Nullable String reader;
        @Label("Read Sequence")
        @Description("The sequence the reader published (SMR), or its section counter (pserialize)")
        long sequence;
        @Label("Steps Behind")
        @Description("SMR: how many advances of the write sequence the reader's sequence lags behind; pserialize: 0")
        long stepsBehind;
    }

    // ------------------------------------------------------------------ periodic statistics

    /** One domain's counters, every second while a recording enables it. */
    @Name("org.smr4j.SmrStatistics")
    @Label("SMR Domain Statistics")
    @Category({"smr4j", "Domain"})
    @Description("The counters of one SMR domain (Smr.stats())")
    @Period("1 s")
    @StackTrace(false)
    static final class SmrStatistics extends Event {
        @Label("Domain")
        @Nullable String domain;
        @Label("Mode")
        @Nullable String mode;
        @Label("Advances")
        long advances;
        @Label("Polls")
        long polls;
        @Label("Scans")
        long scans;
        @Label("Failed Polls")
        long failedPolls;
        @Label("Waits")
        long waits;
        @Label("Barriers")
        @Description("Process-wide barriers (membarrier) issued by lazy-mode scans")
        long barriers;
        @Label("Readers")
        @Description("Reader records registered")
        int readers;
        @Label("Write Sequence")
        long writeSequence;
        @Label("Read Sequence")
        long readSequence;
        @Label("Goals Pending")
        @Description("Advances of the write sequence not yet covered by the read sequence")
        long stepsBehind;
    }

    /** One pserialize instance's counters. */
    @Name("org.smr4j.PserializeStatistics")
    @Label("Pserialize Statistics")
    @Category({"smr4j", "Pserialize"})
    @Description("The counters of one pserialize instance (Pserialize.stats())")
    @Period("1 s")
    @StackTrace(false)
    static final class PserializeStatistics extends Event {
        @Label("Pserialize")
        @Nullable String pserialize;
        @Label("Performs")
        long performs;
        @Label("Barrier Rounds")
        long barriers;
        @Label("Membarriers")
        long membarriers;
        @Label("Waits")
        long waits;
        @Label("Coalesced")
        long coalesced;
        @Label("Readers")
        int readers;
    }

    /** One SMR pool's counters. */
    @Name("org.smr4j.SmrPoolStatistics")
    @Label("SMR Pool Statistics")
    @Category({"smr4j", "Pool"})
    @Description("The counters of one SMR pool (SmrPool.stats())")
    @Period("1 s")
    @StackTrace(false)
    static final class SmrPoolStatistics extends Event {
        @Label("Pool")
        @Nullable String pool;
        @Label("Requests")
        long requests;
        @Label("Puts")
        long puts;
        @Label("Failures")
        long failures;
        @Label("Created")
        long created;
        @Label("Live")
        long live;
        @Label("Cached")
        long cached;
        @Label("Batches Pending")
        int batchesPending;
        @Label("Objects Pending")
        long objectsPending;
        @Label("Oldest Pending Age")
        @Timespan
        long oldestPendingAge;
        @Label("Waits")
        long waits;
    }

    /** One pserialize pool's counters. */
    @Name("org.smr4j.PserializePoolStatistics")
    @Label("Pserialize Pool Statistics")
    @Category({"smr4j", "Pool"})
    @Description("The counters of one pserialize pool (PserializePool.stats())")
    @Period("1 s")
    @StackTrace(false)
    static final class PserializePoolStatistics extends Event {
        @Label("Pool")
        @Nullable String pool;
        @Label("Gets")
        long gets;
        @Label("Hits")
        long hits;
        @Label("Puts")
        long puts;
        @Label("Created")
        long created;
        @Label("Finalised")
        long finalised;
        @Label("Batches")
        long batches;
        @Label("Limit Waits")
        long limitWaits;
        @Label("Allocated")
        long allocated;
        @Label("Cached")
        long cached;
    }

    // ------------------------------------------------------------------ pserialize pool

    /** A pserialize pool's get() that missed its stripe and the depot and was slow to get an object. */
    @Name("org.smr4j.PserializePoolRefill")
    @Label("Pserialize Pool Slow Refill")
    @Category({"smr4j", "Pool"})
    @Description("A get() that found nothing cached and was slow to obtain an object (created by the factory, or "
            + "waited for at the hard limit)")
    @Threshold("1 ms")
    @StackTrace(true)
    static final class PserializePoolRefill extends Event {
        @Label("Pool")
        @Nullable String pool;
        @Label("Source")
        @Description("created, waited (at the hard limit), or none (tryGet at the hard limit)")
        @Nullable String source;
        @Label("Hard Limit")
        @Description("The pool's hard limit, Integer.MAX_VALUE when unlimited")
        long limit;
    }
}
