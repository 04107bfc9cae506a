package org.smr4j.demo.churn;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * The results of one {@link ChurnHarness} run: every strategy, with its configuration and the
 * machine's state, as a markdown table ({@link #table()}), a second table of details
 * ({@link #details()}) and JSON ({@link #toJson()}).
 *
 * <p>Ratios are against {@link Strategy#CONCURRENT_HASH_MAP} and {@link Strategy#RW_LOCK}
 * measured in the same run (a dash where that strategy was not run): the targets are
 * lazy-SMR lookups at least 0.9x {@code ConcurrentHashMap} and at least 3x the reader-writer
 * lock under churn.
 *
 * @param config the configuration
 * @param environment the machine and JVM
 * @param results one per strategy, in run order
 */
public record ChurnReport(ChurnConfig config, Environment environment, List<ChurnResult> results) {

    /** Copies the list. */
    public ChurnReport {
        results = List.copyOf(results);
    }

    /**
     * The machine and JVM the run saw.
     *
     * @param started when the run started
     * @param java {@code java.vm.name} and {@code java.runtime.version}
     * @param cpus available processors
     * @param loadBefore the one-minute load average when the run started (-1 if unknown)
     * @param loadAfter the same at the end
     * @param timerNanos the cheapest {@code System.nanoTime()} pair seen (included in every
     *        latency sample)
     * @param lazyFenceFree whether lazy SMR readers were fence-free (membarrier available); null
     *        where the run had no SMR_LAZY and did not look (the probe costs a fork 0.1 to 0.2 s)
     * @param pid the process that ran the strategies
     * @param jvmArguments that JVM's arguments ({@code RuntimeMXBean.getInputArguments()})
     * @param collectors its garbage collector beans, e.g. {@code G1 Young Generation}
     * @param maxHeapBytes its maximum heap ({@code Runtime.maxMemory()})
     */
    public record Environment(Instant started, String java, int cpus, double loadBefore, double loadAfter,
            long timerNanos, Boolean lazyFenceFree, long pid, List<String> jvmArguments, List<String> collectors,
            long maxHeapBytes) {

        /** Copies the lists. */
        public Environment {
            jvmArguments = List.copyOf(jvmArguments);
            collectors = List.copyOf(collectors);
        }

        static Environment probe(final long timerNanos, final Boolean lazyFenceFree) {
            return new Environment(Instant.now(), System.getProperty("java.vm.name") + " "
                    + System.getProperty("java.runtime.version"), Runtime.getRuntime().availableProcessors(),
                    load(), -1, timerNanos, lazyFenceFree, ProcessHandle.current().pid(),
                    ManagementFactory.getRuntimeMXBean().getInputArguments(), GcWatch.collectors(),
                    Runtime.getRuntime().maxMemory());
        }

        Environment withLoadAfter() {
            return new Environment(started, java, cpus, loadBefore, load(), timerNanos, lazyFenceFree, pid,
                    jvmArguments, collectors, maxHeapBytes);
        }

        /** @return the one-minute load average now, -1 if unknown */
        public static double load() {
            return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        }
    }

    /** @return the sum of every strategy's violations */
    public long violations() {
        long n = 0;
        for (final ChurnResult r : results) {
            n += r.violations().total();
        }
        return n;
    }

    /** @return true if no strategy saw a violation or an error */
    public boolean clean() {
        return results.stream().allMatch(ChurnResult::clean);
    }

    /**
     * @param s a strategy
     * @return its result in this run, or null
     */
    public ChurnResult result(final Strategy s) {
        for (final ChurnResult r : results) {
            if (r.strategy() == s) {
                return r;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ text

    /** @return the header, the main table, the details table and the verdict on violations */
    @Override
    public String toString() {
        return header() + "\n" + table() + "\n" + details() + "\n" + verdict();
    }

    /** @return comment lines: what ran, and how each column is measured */
    public String header() {
        final ChurnConfig c = config;
        final Environment e = environment;
        final StringBuilder sb = new StringBuilder();
        line(sb, "# churn harness, %s, %s, %d cpus, load %.2f -> %.2f", e.started(), e.java(), e.cpus(),
                e.loadBefore(), e.loadAfter());
        line(sb, "# %d established connections; %d lookup thread(s) %s, %d%% lookup(READ)+unlock / %d%% read(key, fn),"
                        + " %d%% of lookups on churning keys",
                c.connections(), c.lookupThreads(), rate(c.lookupRate()), 100 - c.readPercent(), c.readPercent(),
                c.churnLookupPercent());
        line(sb, "# %d churn thread(s) %s, window %d open per thread; flood %s", c.churnThreads(),
                rate(c.churnRate()), c.churnWindow(), c.flood()
                        ? String.format(Locale.ROOT, "on (%s, ttl %s, at most %d half-open)", rate(c.floodRate()),
                                seconds(c.floodTtl()), c.floodMax())
                        : "off");
        line(sb, "# per strategy, one after the other in this JVM: warmup %s, then %s; limits %s; seed %#x",
                seconds(c.warmup()), c.operations() > 0 ? c.operations() + " operations" : seconds(c.duration()),
                c.limits() ? "(" + c.maxConnections() + " connections, " + c.pendingLimit() + " pending)" : "off",
                c.seed());
        line(sb, "# lookup latency: 1 in %d lookups timed with a System.nanoTime() pair (its own ~%d ns included); "
                + "throughput counts every lookup, untimed", c.lookupSampleEvery(), e.timerNanos());
        line(sb, "# pending: stats().blocksPending() sampled every %s by the sampler thread; n/a = the GC owns "
                + "removed blocks", seconds(c.samplePeriod()));
        line(sb, "# writers: 1 in %d inserts and removes timed; reuse = now - lastFreedNanos() at a timed insert "
                + "that got a recycled block (n/a: blocks are never reused)", c.writerSampleEvery());
        line(sb, "# read() raced remove (details): fn saw a churning block already freed by a concurrent remove; "
                + "allowed by read's contract, not a violation (under lookup's lock it would be)");
        line(sb, "# allocation: ThreadMXBean.getThreadAllocatedBytes of the worker threads (sampler excluded); "
                + "GC: all collectors, measured time only");
        if (Boolean.FALSE.equals(e.lazyFenceFree())) {
            line(sb, "# WARNING: lazy SMR readers were FENCED (membarrier unavailable); SMR_LAZY ran in its fallback");
        }
        return sb.toString();
    }

    /** @return the main markdown table: one row per strategy, ratios against CHM and RW_LOCK */
    public String table() {
        final ChurnResult chm = result(Strategy.CONCURRENT_HASH_MAP);
        final ChurnResult rw = result(Strategy.RW_LOCK);
        final boolean flood = config.flood();
        final StringBuilder sb = new StringBuilder();
        sb.append("| strategy | lookups/s | xCHM | xRW | churn/s | xCHM | xRW |")
                .append(flood ? " flood/s |" : "")
                .append(" lookup ns p50 | p99 | p99.9 | max | pending mean | peak | reuse µs p50 | p99 |")
                .append(" remove ns mean | p99 | B/lookup | B/churn |").append(flood ? " B/flood |" : "")
                .append(" alloc MB/s | GC ms (n) | violations |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|").append(flood ? "---:|" : "")
                .append("---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|").append(flood ? "---:|" : "")
                .append("---:|---:|---:|\n");
        for (final ChurnResult r : results) {
            final ChurnResult.Percentiles l = r.lookupNanos();
            final ChurnResult.Percentiles reuse = r.reuseDelayNanos();
            final ChurnResult.Percentiles rm = r.removeNanos();
            sb.append("| ").append(r.strategy())
                    .append(" | ").append(si(r.lookupsPerSecond()))
                    .append(" | ").append(ratio(r.lookupsPerSecond(), chm == null ? Double.NaN : chm.lookupsPerSecond()))
                    .append(" | ").append(ratio(r.lookupsPerSecond(), rw == null ? Double.NaN : rw.lookupsPerSecond()))
                    .append(" | ").append(si(r.churnPerSecond()))
                    .append(" | ").append(ratio(r.churnPerSecond(), chm == null ? Double.NaN : chm.churnPerSecond()))
                    .append(" | ").append(ratio(r.churnPerSecond(), rw == null ? Double.NaN : rw.churnPerSecond()))
                    .append(" |");
            if (flood) {
                sb.append(' ').append(si(r.floodPerSecond())).append(" |");
            }
            sb.append(' ').append(ns(l, l.p50())).append(" | ").append(ns(l, l.p99())).append(" | ")
                    .append(ns(l, l.p999())).append(" | ").append(ns(l, l.max()))
                    .append(" | ").append(r.pendingUnknown() ? "n/a" : fmt("%.1f", r.pendingMean()))
                    .append(" | ").append(r.pendingUnknown() ? "n/a" : Long.toString(r.pendingPeak()))
                    .append(" | ").append(micros(reuse, reuse.p50())).append(" | ").append(micros(reuse, reuse.p99()))
                    .append(" | ").append(rm.count() == 0 ? "-" : fmt("%.0f", rm.mean())).append(" | ")
                    .append(ns(rm, rm.p99()))
                    .append(" | ").append(bytes(r.bytesPerLookup())).append(" | ").append(bytes(r.bytesPerChurn()))
                    .append(" |");
            if (flood) {
                sb.append(' ').append(bytes(r.bytesPerFlood())).append(" |");
            }
            sb.append(' ').append(fmt("%.1f", r.allocMBPerSecond()))
                    .append(" | ").append(r.gcMillis()).append(" (").append(r.gcCount()).append(')')
                    .append(" | ").append(r.violations().total() == 0 && r.error() == null ? "0"
                            : "**" + r.violations().total() + (r.error() == null ? "" : " + ERROR") + "**")
                    .append(" |\n");
        }
        return sb.toString();
    }

    /** @return a second markdown table: the table's own counters and sample sizes */
    public String details() {
        final StringBuilder sb = new StringBuilder();
        sb.append("| strategy | seconds | lookups | of which read() | churn lookups hit/miss | read() raced remove |")
                .append(" churn closed |")
                .append(" flood inserted/expired/evicted | reused blocks | blocks created (total) |")
                .append(" insert ns mean | p99 | locked fallbacks | ref paths | miss retries | resizes |")
                .append(" longest chain | size end/expected | lookup samples | pending samples |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (final ChurnResult r : results) {
            final ChurnResult.Percentiles ins = r.insertNanos();
            sb.append("| ").append(r.strategy())
                    .append(" | ").append(fmt("%.2f", r.seconds()))
                    .append(" | ").append(r.lookups())
                    .append(" | ").append(r.reads())
                    .append(" | ").append(r.churnLookupHits()).append('/').append(r.churnLookupMisses())
                    .append(" | ").append(r.readRacedRemove())
                    .append(" | ").append(r.closed())
                    .append(" | ").append(r.floodInserts()).append('/').append(r.floodExpired()).append('/')
                    .append(r.floodEvicted())
                    .append(" | ").append(r.reusedInserts())
                    .append(" | ").append(r.blocksCreated()).append(" (").append(r.blocksCreatedTotal()).append(')')
                    .append(" | ").append(ins.count() == 0 ? "-" : fmt("%.0f", ins.mean()))
                    .append(" | ").append(ns(ins, ins.p99()))
                    .append(" | ").append(r.lockedFallbacks())
                    .append(" | ").append(r.referencePaths())
                    .append(" | ").append(r.missRetries())
                    .append(" | ").append(r.resizes())
                    .append(" | ").append(r.longestChain() < 0 ? "n/a" : Integer.toString(r.longestChain()))
                    .append(" | ").append(r.sizeAtEnd()).append('/').append(r.sizeExpected())
                    .append(" | ").append(r.lookupNanos().count())
                    .append(" | ").append(r.pendingSamples())
                    .append(" |\n");
        }
        return sb.toString();
    }

    /** @return "no violations", or one loud line per strategy that had any (or an error) */
    public String verdict() {
        if (clean()) {
            return "violations: 0 in every strategy (" + sumLookups() + " verified lookups)\n";
        }
        final StringBuilder sb = new StringBuilder();
        for (final ChurnResult r : results) {
            if (!r.clean()) {
                sb.append("!!! ").append(r.strategy()).append(": ").append(r.violations().total())
                        .append(" VIOLATIONS (").append(r.violations()).append(')');
                if (r.error() != null) {
                    sb.append(", ERROR: ").append(r.error());
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    private long sumLookups() {
        return results.stream().mapToLong(ChurnResult::lookups).sum();
    }

    // ------------------------------------------------------------------ JSON

    /** @return the whole report as one JSON object (see {@link Json}) */
    public String toJson() {
        return Json.write(this);
    }

    /**
     * @param json what {@link #toJson()} wrote
     * @return the report
     * @throws IllegalArgumentException if it is not a report
     */
    public static ChurnReport fromJson(final String json) {
        return Json.read(json, ChurnReport.class);
    }

    // ------------------------------------------------------------------ formatting

    @SuppressWarnings("AnnotateFormatMethod") // a private helper; its callers pass literal formats
    private static void line(final StringBuilder sb, final String format, final Object... args) {
        sb.append(String.format(Locale.ROOT, format, args)).append('\n');
    }

    private static String fmt(final String format, final double v) {
        return String.format(Locale.ROOT, format, v);
    }

    /**
     * @param d a duration
     * @return it in seconds or milliseconds, e.g. {@code 10 s}, {@code 1 ms}, {@code 0.5 s}
     */
    static String seconds(final Duration d) {
        final long ns = d.toNanos();
        if (ns != 0 && ns < 1_000_000_000L) {
            return plain(ns / 1e6) + " ms";
        }
        return plain(ns / 1e9) + " s";
    }

    private static String plain(final double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
    }

    /**
     * @param v a count or rate
     * @return it with a k/M/G suffix, three significant digits
     */
    static String si(final double v) {
        if (!Double.isFinite(v)) {
            return "-";
        }
        final double a = Math.abs(v);
        if (a >= 1e9) {
            return fmt("%.3g", v / 1e9) + "G";
        }
        if (a >= 1e6) {
            return fmt("%.3g", v / 1e6) + "M";
        }
        if (a >= 1e3) {
            return fmt("%.3g", v / 1e3) + "k";
        }
        return fmt("%.3g", v);
    }

    private static String rate(final long perSecond) {
        return perSecond == 0 ? "at full speed" : "at " + si(perSecond) + "/s";
    }

    private static String ratio(final double v, final double base) {
        return Double.isFinite(v) && Double.isFinite(base) && base > 0 ? fmt("%.2f", v / base) : "-";
    }

    private static String ns(final ChurnResult.Percentiles p, final long v) {
        return p.count() == 0 ? "-" : Long.toString(v);
    }

    private static String micros(final ChurnResult.Percentiles p, final long ns) {
        return p.count() == 0 ? "n/a" : fmt("%.1f", ns / 1e3);
    }

    private static String bytes(final double v) {
        return Double.isFinite(v) ? fmt("%.1f", v) : "-";
    }
}
