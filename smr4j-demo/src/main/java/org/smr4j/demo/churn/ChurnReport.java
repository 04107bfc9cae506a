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
     * @param lazyFenceFree whether lazy SMR readers were fence-free (membarrier available)
     */
    public record Environment(Instant started, String java, int cpus, double loadBefore, double loadAfter,
            long timerNanos, boolean lazyFenceFree) {

        static Environment probe(final long timerNanos, final boolean lazyFenceFree) {
            return new Environment(Instant.now(), System.getProperty("java.vm.name") + " "
                    + System.getProperty("java.runtime.version"), Runtime.getRuntime().availableProcessors(),
                    load(), -1, timerNanos, lazyFenceFree);
        }

        Environment withLoadAfter() {
            return new Environment(started, java, cpus, loadBefore, load(), timerNanos, lazyFenceFree);
        }

        private static double load() {
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
        if (!e.lazyFenceFree() && c.strategies().contains(Strategy.SMR_LAZY)) {
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

    /** @return the whole report as one JSON object */
    public String toJson() {
        final Json j = new Json();
        j.begin();
        j.key("config").begin();
        final ChurnConfig c = config;
        j.key("strategies").raw(c.strategies().stream().map(s -> '"' + s.name() + '"').toList().toString());
        j.field("connections", c.connections()).field("lookupThreads", c.lookupThreads())
                .field("lookupRate", c.lookupRate()).field("readPercent", c.readPercent())
                .field("churnLookupPercent", c.churnLookupPercent()).field("churnThreads", c.churnThreads())
                .field("churnRate", c.churnRate()).field("churnWindow", c.churnWindow()).field("flood", c.flood())
                .field("floodRate", c.floodRate()).field("floodTtlSeconds", secs(c.floodTtl()))
                .field("floodMax", c.floodMax()).field("warmupSeconds", secs(c.warmup()))
                .field("durationSeconds", secs(c.duration())).field("operations", c.operations())
                .field("lookupSampleEvery", c.lookupSampleEvery()).field("writerSampleEvery", c.writerSampleEvery())
                .field("samplePeriodSeconds", secs(c.samplePeriod())).field("limits", c.limits())
                .field("maxConnections", c.maxConnections()).field("pendingLimit", c.pendingLimit())
                .field("seed", c.seed());
        j.end();
        final Environment e = environment;
        j.key("environment").begin().field("started", e.started().toString()).field("java", e.java())
                .field("cpus", e.cpus()).field("loadBefore", e.loadBefore()).field("loadAfter", e.loadAfter())
                .field("timerNanos", e.timerNanos()).field("lazyFenceFree", e.lazyFenceFree()).end();
        j.key("results").beginArray();
        final ChurnResult chm = result(Strategy.CONCURRENT_HASH_MAP);
        final ChurnResult rw = result(Strategy.RW_LOCK);
        for (final ChurnResult r : results) {
            j.begin().field("strategy", r.strategy().name()).field("seconds", r.seconds())
                    .field("lookups", r.lookups()).field("reads", r.reads())
                    .field("lookupsPerSecond", r.lookupsPerSecond())
                    .field("lookupsVsConcurrentHashMap", chm == null ? Double.NaN
                            : r.lookupsPerSecond() / chm.lookupsPerSecond())
                    .field("lookupsVsRwLock", rw == null ? Double.NaN : r.lookupsPerSecond() / rw.lookupsPerSecond())
                    .field("churnLookupHits", r.churnLookupHits()).field("churnLookupMisses", r.churnLookupMisses())
                    .field("readRacedRemove", r.readRacedRemove())
                    .field("opened", r.opened()).field("closed", r.closed())
                    .field("churnPerSecond", r.churnPerSecond())
                    .field("churnVsConcurrentHashMap", chm == null ? Double.NaN
                            : r.churnPerSecond() / chm.churnPerSecond())
                    .field("churnVsRwLock", rw == null ? Double.NaN : r.churnPerSecond() / rw.churnPerSecond())
                    .field("floodInserts", r.floodInserts()).field("floodPerSecond", r.floodPerSecond())
                    .field("floodExpired", r.floodExpired()).field("floodEvicted", r.floodEvicted())
                    .field("reusedInserts", r.reusedInserts());
            percentiles(j, "lookupNanos", r.lookupNanos());
            percentiles(j, "insertNanos", r.insertNanos());
            percentiles(j, "removeNanos", r.removeNanos());
            percentiles(j, "reuseDelayNanos", r.reuseDelayNanos());
            j.field("pendingMean", r.pendingMean()).field("pendingPeak", r.pendingPeak())
                    .field("pendingSamples", r.pendingSamples()).field("lookupBytes", r.lookupBytes())
                    .field("churnBytes", r.churnBytes()).field("floodBytes", r.floodBytes())
                    .field("bytesPerLookup", r.bytesPerLookup()).field("bytesPerChurn", r.bytesPerChurn())
                    .field("bytesPerFlood", r.bytesPerFlood()).field("allocMBPerSecond", r.allocMBPerSecond())
                    .field("gcCount", r.gcCount()).field("gcMillis", r.gcMillis())
                    .field("blocksCreated", r.blocksCreated()).field("blocksCreatedTotal", r.blocksCreatedTotal())
                    .field("lockedFallbacks", r.lockedFallbacks()).field("referencePaths", r.referencePaths())
                    .field("missRetries", r.missRetries()).field("resizes", r.resizes())
                    .field("sizeAtEnd", r.sizeAtEnd()).field("sizeExpected", r.sizeExpected())
                    .field("longestChain", r.longestChain());
            final ChurnResult.Violations v = r.violations();
            j.key("violations").begin().field("total", v.total()).field("wrongKey", v.wrongKey())
                    .field("freed", v.freed()).field("establishedMisses", v.establishedMisses())
                    .field("duplicateInserts", v.duplicateInserts()).field("lostRemoves", v.lostRemoves())
                    .field("sizeMismatch", v.sizeMismatch()).end();
            j.field("error", r.error());
            j.end();
        }
        j.endArray();
        j.end();
        return j.toString();
    }

    private static void percentiles(final Json j, final String name, final ChurnResult.Percentiles p) {
        j.key(name).begin().field("count", p.count()).field("mean", p.mean()).field("p50", p.p50())
                .field("p90", p.p90()).field("p99", p.p99()).field("p999", p.p999()).field("max", p.max()).end();
    }

    /** A minimal JSON writer (objects, arrays, numbers, strings, booleans, null). */
    private static final class Json {
        private final StringBuilder sb = new StringBuilder();
        private boolean first = true;

        Json begin() {
            comma();
            sb.append('{');
            first = true;
            return this;
        }

        Json end() {
            sb.append('}');
            first = false;
            return this;
        }

        Json beginArray() {
            comma();
            sb.append('[');
            first = true;
            return this;
        }

        Json endArray() {
            sb.append(']');
            first = false;
            return this;
        }

        Json key(final String k) {
            comma();
            string(k);
            sb.append(':');
            first = true; // the value follows without a comma
            return this;
        }

        Json raw(final String v) {
            comma();
            sb.append(v);
            first = false;
            return this;
        }

        Json field(final String k, final long v) {
            return key(k).raw(Long.toString(v));
        }

        Json field(final String k, final double v) {
            return key(k).raw(Double.isFinite(v) ? Double.toString(v) : "null");
        }

        Json field(final String k, final boolean v) {
            return key(k).raw(Boolean.toString(v));
        }

        Json field(final String k, final String v) {
            key(k);
            if (v == null) {
                return raw("null");
            }
            comma();
            string(v);
            first = false;
            return this;
        }

        private void comma() {
            if (!first) {
                sb.append(',');
            }
        }

        private void string(final String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                final char ch = s.charAt(i);
                switch (ch) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (ch < 0x20) {
                            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                        } else {
                            sb.append(ch);
                        }
                    }
                }
            }
            sb.append('"');
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }

    // ------------------------------------------------------------------ formatting

    private static void line(final StringBuilder sb, final String format, final Object... args) {
        sb.append(String.format(Locale.ROOT, format, args)).append('\n');
    }

    private static String fmt(final String format, final double v) {
        return String.format(Locale.ROOT, format, v);
    }

    private static double secs(final Duration d) {
        return d.toNanos() / 1e9;
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
