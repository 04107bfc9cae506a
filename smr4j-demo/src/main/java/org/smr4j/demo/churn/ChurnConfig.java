package org.smr4j.demo.churn;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * What one {@link ChurnHarness} run does. Build with {@link #builder()}; every setting has a
 * default suitable for a 10 s run per strategy on a small machine.
 *
 * @param strategies the strategies to run, one after the other in this order, in one JVM
 * @param connections established connections, inserted before the threads start and never
 *        removed; the lookup threads look them up
 * @param lookupThreads threads doing lookups ("packets"); 0 for none
 * @param lookupRate lookups per second over all lookup threads; 0 = full speed
 * @param readPercent percent of lookups done with the lock-free {@code read(key, fn)} instead of
 *        {@code lookup(key, READ)} + {@code unlock()} (0 to 100; default 0)
 * @param churnLookupPercent percent of lookups aimed at keys the churn threads open and close,
 *        which may legitimately miss (0 to 100; default 0: every lookup is of an established
 *        connection, and a miss is a violation)
 * @param churnThreads threads opening and closing connections; 0 for none
 * @param churnRate connections opened and closed per second over all churn threads; 0 = full
 *        speed
 * @param churnWindow connections each churn thread keeps open: every open beyond it closes the
 *        thread's oldest (so at steady state one churn operation is one insert and one remove)
 * @param flood whether an "attacker" thread inserts half-open connections from random tuples
 * @param floodRate half-open inserts per second; 0 = full speed
 * @param floodTtl how long a half-open connection stays before it expires (is removed)
 * @param floodMax the most half-open connections at once (a SYN cache's limit): at the limit
 *        the oldest is dropped early, counted as evicted
 * @param warmup time every thread runs before measuring starts (not reported)
 * @param duration measured time per strategy; ignored when {@code operations > 0}
 * @param operations when positive, measure until the lookup threads have done this many
 *        lookups (the churn threads' closes if there are no lookup threads, else the flood's
 *        inserts) instead of for {@code duration}
 * @param lookupSampleEvery time one lookup in this many (latency histogram); the others run
 *        without a timer
 * @param writerSampleEvery time one insert and one remove in this many (writer cost, and the
 *        delay from delete to reuse)
 * @param samplePeriod how often the sampler reads {@code stats().blocksPending()}
 * @param progressEvery how often a progress line goes to the progress stream during the
 *        measured time; {@link Duration#ZERO} for none
 * @param timelinePeriod how often the sampler records a {@link Timeline.Tick} (counters,
 *        pending, allocation, GC) for the report's charts
 * @param limits whether tables get {@code limits(maxConnections, pendingLimit)}, with
 *        {@code maxConnections} = every connection the run can hold at once (established, churn
 *        windows, flood limit) plus a small slack
 * @param pendingLimit the pending limit when {@code limits} is set
 * @param seed the seed of every random choice (key order, flood tuples)
 */
public record ChurnConfig(List<Strategy> strategies, int connections, int lookupThreads, long lookupRate,
        int readPercent, int churnLookupPercent, int churnThreads, long churnRate, int churnWindow, boolean flood,
        long floodRate, Duration floodTtl, int floodMax, Duration warmup, Duration duration, long operations,
        int lookupSampleEvery, int writerSampleEvery, Duration samplePeriod, Duration progressEvery,
        Duration timelinePeriod, boolean limits, int pendingLimit, long seed) {

    /** Default {@link #connections()}. */
    public static final int CONNECTIONS_DEFAULT = 100_000;
    /** Default {@link #churnWindow()}: open connections per churn thread. */
    public static final int CHURN_WINDOW_DEFAULT = 1024;
    /** Default {@link #floodTtl()}: short enough that a 10 s run reaches steady state. */
    public static final Duration FLOOD_TTL_DEFAULT = Duration.ofSeconds(1);
    /** Default {@link #floodMax()}. */
    public static final int FLOOD_MAX_DEFAULT = 65_536;
    /**
     * Default {@link #lookupSampleEvery()}: a {@code System.nanoTime()} pair costs about 20 to
     * 40 ns on these guests, a lookup 50 to 200 ns; one timed lookup in 64 keeps the timer
     * below 1% of the throughput and still gives 10^5 samples per second.
     */
    public static final int LOOKUP_SAMPLE_EVERY_DEFAULT = 64;
    /** Default {@link #writerSampleEvery()}. */
    public static final int WRITER_SAMPLE_EVERY_DEFAULT = 16;
    /** Default {@link #pendingLimit()}: the pool issue's bound on pending objects. */
    public static final int PENDING_LIMIT_DEFAULT = 4096;
    /**
     * Default {@link #timelinePeriod()}: ten points a second, enough to show a grace period
     * held back or a GC pause in a two-second run, few enough to cost nothing.
     */
    public static final Duration TIMELINE_PERIOD_DEFAULT = Duration.ofMillis(100);
    /** Default {@link #seed()}. */
    public static final long SEED_DEFAULT = 0x5EEDL;

    /** Checks the ranges; see the builder's setters. */
    public ChurnConfig {
        strategies = List.copyOf(strategies);
        Objects.requireNonNull(floodTtl, "floodTtl");
        Objects.requireNonNull(warmup, "warmup");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(samplePeriod, "samplePeriod");
        Objects.requireNonNull(progressEvery, "progressEvery");
        Objects.requireNonNull(timelinePeriod, "timelinePeriod");
        check(!strategies.isEmpty(), "no strategy");
        check(strategies.size() == EnumSet.copyOf(strategies).size(), "a strategy is listed twice: " + strategies);
        check(connections >= 0, "connections < 0");
        check(lookupThreads >= 0 && churnThreads >= 0, "negative thread count");
        check(lookupThreads + churnThreads > 0 || flood, "no lookup, churn or flood thread");
        check(lookupThreads == 0 || connections > 0 || (churnLookupPercent == 100 && churnThreads > 0),
                "lookup threads need connections (or churn lookups)");
        check(churnLookupPercent == 0 || churnThreads > 0, "churnLookupPercent needs churn threads");
        check(lookupRate >= 0 && churnRate >= 0 && floodRate >= 0, "negative rate");
        check(readPercent >= 0 && readPercent <= 100, "readPercent must be 0..100");
        check(churnLookupPercent >= 0 && churnLookupPercent <= 100, "churnLookupPercent must be 0..100");
        check(churnWindow >= 1, "churnWindow must be at least 1");
        check(floodMax >= 1, "floodMax must be at least 1");
        check(!floodTtl.isNegative() && !warmup.isNegative(), "negative time");
        check(operations > 0 || duration.toNanos() > 0, "need a duration or a number of operations");
        check(operations >= 0, "operations < 0");
        check(lookupSampleEvery >= 1 && writerSampleEvery >= 1, "sample intervals must be at least 1");
        check(samplePeriod.toNanos() > 0, "samplePeriod must be positive");
        check(!progressEvery.isNegative(), "negative progress period");
        check(timelinePeriod.compareTo(samplePeriod) >= 0, "timelinePeriod must be at least samplePeriod");
        check(pendingLimit >= 1, "pendingLimit must be at least 1");
    }

    private static void check(final boolean ok, final String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * The {@code maxConnections} given to {@code limits}: everything that can be present at
     * once (established, each churn thread's window plus the one being opened, the flood's
     * limit plus one) and a slack of 64.
     *
     * @return the table's connection limit in this run
     */
    public long maxConnections() {
        return (long) connections + (long) churnThreads * (churnWindow + 1) + (flood ? floodMax + 1L : 0L) + 64L;
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this configuration */
    public Builder toBuilder() {
        final Builder b = new Builder();
        b.strategies = strategies;
        b.connections = connections;
        b.lookupThreads = lookupThreads;
        b.lookupRate = lookupRate;
        b.readPercent = readPercent;
        b.churnLookupPercent = churnLookupPercent;
        b.churnThreads = churnThreads;
        b.churnRate = churnRate;
        b.churnWindow = churnWindow;
        b.flood = flood;
        b.floodRate = floodRate;
        b.floodTtl = floodTtl;
        b.floodMax = floodMax;
        b.warmup = warmup;
        b.duration = duration;
        b.operations = operations;
        b.lookupSampleEvery = lookupSampleEvery;
        b.writerSampleEvery = writerSampleEvery;
        b.samplePeriod = samplePeriod;
        b.progressEvery = progressEvery;
        b.timelinePeriod = timelinePeriod;
        b.limits = limits;
        b.pendingLimit = pendingLimit;
        b.seed = seed;
        return b;
    }

    /** Builds a {@link ChurnConfig}; each setter documents its default. */
    public static final class Builder {
        private List<Strategy> strategies = List.of(Strategy.values());
        private int connections = CONNECTIONS_DEFAULT;
        private int lookupThreads = 1;
        private long lookupRate;
        private int readPercent;
        private int churnLookupPercent;
        private int churnThreads = 1;
        private long churnRate;
        private int churnWindow = CHURN_WINDOW_DEFAULT;
        private boolean flood;
        private long floodRate;
        private Duration floodTtl = FLOOD_TTL_DEFAULT;
        private int floodMax = FLOOD_MAX_DEFAULT;
        private Duration warmup = Duration.ofSeconds(1);
        private Duration duration = Duration.ofSeconds(10);
        private long operations;
        private int lookupSampleEvery = LOOKUP_SAMPLE_EVERY_DEFAULT;
        private int writerSampleEvery = WRITER_SAMPLE_EVERY_DEFAULT;
        private Duration samplePeriod = Duration.ofMillis(1);
        private Duration progressEvery = Duration.ofSeconds(5);
        private Duration timelinePeriod = TIMELINE_PERIOD_DEFAULT;
        private boolean limits = true;
        private int pendingLimit = PENDING_LIMIT_DEFAULT;
        private long seed = SEED_DEFAULT;

        private Builder() {
        }

        /**
         * @param s the strategies, run in this order (default: all, in declaration order)
         * @return this builder
         */
        public Builder strategies(final List<Strategy> s) {
            this.strategies = List.copyOf(s);
            return this;
        }

        /**
         * @param s the strategies, run in this order
         * @return this builder
         */
        public Builder strategies(final Strategy... s) {
            return strategies(List.of(s));
        }

        /**
         * @param n established connections (default 100,000)
         * @return this builder
         */
        public Builder connections(final int n) {
            this.connections = n;
            return this;
        }

        /**
         * @param n lookup threads (default 1)
         * @return this builder
         */
        public Builder lookupThreads(final int n) {
            this.lookupThreads = n;
            return this;
        }

        /**
         * @param perSecond lookups per second over all lookup threads, 0 = full speed (default)
         * @return this builder
         */
        public Builder lookupRate(final long perSecond) {
            this.lookupRate = perSecond;
            return this;
        }

        /**
         * @param percent lookups done with {@code read(key, fn)}, 0 to 100 (default 0)
         * @return this builder
         */
        public Builder readPercent(final int percent) {
            this.readPercent = percent;
            return this;
        }

        /**
         * @param percent lookups aimed at churning keys, 0 to 100 (default 0)
         * @return this builder
         */
        public Builder churnLookupPercent(final int percent) {
            this.churnLookupPercent = percent;
            return this;
        }

        /**
         * @param n churn threads (default 1)
         * @return this builder
         */
        public Builder churnThreads(final int n) {
            this.churnThreads = n;
            return this;
        }

        /**
         * @param perSecond connections opened and closed per second, all churn threads; 0 =
         *        full speed (default)
         * @return this builder
         */
        public Builder churnRate(final long perSecond) {
            this.churnRate = perSecond;
            return this;
        }

        /**
         * @param n connections each churn thread keeps open (default 1024)
         * @return this builder
         */
        public Builder churnWindow(final int n) {
            this.churnWindow = n;
            return this;
        }

        /**
         * @param on whether the flood thread runs (default off)
         * @return this builder
         */
        public Builder flood(final boolean on) {
            this.flood = on;
            return this;
        }

        /**
         * @param perSecond half-open inserts per second, 0 = full speed (default)
         * @return this builder
         */
        public Builder floodRate(final long perSecond) {
            this.floodRate = perSecond;
            return this;
        }

        /**
         * @param ttl lifetime of a half-open connection (default 1 s)
         * @return this builder
         */
        public Builder floodTtl(final Duration ttl) {
            this.floodTtl = ttl;
            return this;
        }

        /**
         * @param n the most half-open connections at once (default 65,536)
         * @return this builder
         */
        public Builder floodMax(final int n) {
            this.floodMax = n;
            return this;
        }

        /**
         * @param d unmeasured time before measuring (default 1 s)
         * @return this builder
         */
        public Builder warmup(final Duration d) {
            this.warmup = d;
            return this;
        }

        /**
         * @param d measured time per strategy (default 10 s); clears {@link #operations(long)}
         * @return this builder
         */
        public Builder duration(final Duration d) {
            this.duration = d;
            this.operations = 0;
            return this;
        }

        /**
         * @param n measure until this many lookups (see {@link ChurnConfig#operations()})
         * @return this builder
         */
        public Builder operations(final long n) {
            this.operations = n;
            return this;
        }

        /**
         * @param every time one lookup in this many (default 64)
         * @return this builder
         */
        public Builder lookupSampleEvery(final int every) {
            this.lookupSampleEvery = every;
            return this;
        }

        /**
         * @param every time one insert and one remove in this many (default 16)
         * @return this builder
         */
        public Builder writerSampleEvery(final int every) {
            this.writerSampleEvery = every;
            return this;
        }

        /**
         * @param d pending-objects sampling period (default 1 ms)
         * @return this builder
         */
        public Builder samplePeriod(final Duration d) {
            this.samplePeriod = d;
            return this;
        }

        /**
         * @param d progress line period (default 5 s; zero for none)
         * @return this builder
         */
        public Builder progressEvery(final Duration d) {
            this.progressEvery = d;
            return this;
        }

        /**
         * @param d how often a timeline point is recorded (default 100 ms; at least the
         *        sample period)
         * @return this builder
         */
        public Builder timelinePeriod(final Duration d) {
            this.timelinePeriod = d;
            return this;
        }

        /**
         * @param on whether tables get limits (default on)
         * @return this builder
         */
        public Builder limits(final boolean on) {
            this.limits = on;
            return this;
        }

        /**
         * @param n the pending limit (default 4096)
         * @return this builder
         */
        public Builder pendingLimit(final int n) {
            this.pendingLimit = n;
            return this;
        }

        /**
         * @param s the random seed (default 0x5EED)
         * @return this builder
         */
        public Builder seed(final long s) {
            this.seed = s;
            return this;
        }

        /**
         * @return the configuration
         * @throws IllegalArgumentException if a setting is out of range
         */
        public ChurnConfig build() {
            return new ChurnConfig(strategies, connections, lookupThreads, lookupRate, readPercent,
                    churnLookupPercent, churnThreads, churnRate, churnWindow, flood, floodRate, floodTtl, floodMax,
                    warmup, duration, operations, lookupSampleEvery, writerSampleEvery, samplePeriod, progressEvery,
                    timelinePeriod, limits, pendingLimit, seed);
        }
    }
}
