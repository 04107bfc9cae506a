package org.smr4j.demo.churn;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * What one strategy did in a {@link ChurnHarness} run, over the measured time only (the warmup
 * is excluded from every count, histogram, allocation and GC figure).
 *
 * @param strategy the strategy
 * @param seconds measured wall-clock time
 * @param lookups lookups done (both kinds), all lookup threads
 * @param reads of which with {@code read(key, fn)}
 * @param churnLookupHits lookups of churning keys that found them
 * @param churnLookupMisses lookups of churning keys that did not (legitimate: closed)
 * @param readRacedRemove {@code ConnectionTable.read(key, fn)} calls on churning keys whose {@code fn} saw the
 *        block already freed by a concurrent remove: allowed by the contract of {@code ConnectionTable.read}
 *        (the block "as of some instant during the call"), so not a violation; under the block
 *        lock ({@code ConnectionTable.lookup}) the same observation is one
 * @param opened connections opened by the churn threads
 * @param closed connections closed by the churn threads: the churn count
 * @param floodInserts half-open connections inserted by the flood
 * @param floodExpired half-open connections removed at their TTL
 * @param floodEvicted half-open connections removed early at the flood limit
 * @param reusedInserts inserts (churn and flood) that got a block freed before (SMR and
 *        pserialize pools); 0 where every block is new
 * @param lookupNanos sampled lookup latency, ns, timer included
 * @param insertNanos sampled insert cost (churn and flood), ns
 * @param removeNanos sampled remove cost (churn and flood): the writer's cost per delete, ns
 * @param reuseDelayNanos sampled delay from a block's free to its reuse by an insert, ns
 * @param pendingMean mean of {@code stats().blocksPending()} over the samples; -1 where the
 *        garbage collector owns removed blocks
 * @param pendingPeak largest sample; -1 as above
 * @param pendingSamples samples taken
 * @param lookupBytes heap allocated by the lookup threads
 * @param churnBytes heap allocated by the churn threads
 * @param floodBytes heap allocated by the flood thread
 * @param gcCount collections (all collectors) during the measured time
 * @param gcMillis collection time (all collectors, as the MXBeans report it), ms
 * @param blocksCreated blocks created during the measured time (pool growth, or one per
 *        insert where blocks are not pooled)
 * @param blocksCreatedTotal blocks created since the table was built
 * @param lockedFallbacks lookups that fell back to the locked lookup (lockless strategies)
 * @param referencePaths lookups that found the block lock busy and took a reference
 * @param missRetries lockless misses confirmed under the hash lock
 * @param resizes times the table grew during the measured time
 * @param sizeAtEnd {@code size()} after the threads stopped
 * @param sizeExpected what the harness holds open: established + churn windows + flood
 * @param longestChain {@code longestChain()} after the threads stopped (-1: not chained)
 * @param violations what a correct table never shows
 * @param error the first worker failure or stall, or null
 * @param gcPauseMillis collector pause time during the measured time, ms: the collectors
 *        that stop the application ({@code G1 Young Generation}, {@code G1 Old Generation},
 *        ...), not the concurrent ones ({@code G1 Concurrent GC}) whose time runs beside it
 * @param lookupHistogram every sampled lookup latency of the measured time, as HdrHistogram's
 *        compressed encoding in Base64 (see {@link #lookupHistogram()}), so that the
 *        repetitions of a strategy can be merged exactly; null where nothing was measured
 * @param timeline throughput, pending, allocation and GC pauses over the measured time
 */
public record ChurnResult(Strategy strategy, double seconds, long lookups, long reads, long churnLookupHits,
        long churnLookupMisses, long readRacedRemove, long opened, long closed, long floodInserts, long floodExpired, long floodEvicted,
        long reusedInserts, Percentiles lookupNanos, Percentiles insertNanos, Percentiles removeNanos,
        Percentiles reuseDelayNanos, double pendingMean, long pendingPeak, long pendingSamples, long lookupBytes,
        long churnBytes, long floodBytes, long gcCount, long gcMillis, long blocksCreated, long blocksCreatedTotal,
        long lockedFallbacks, long referencePaths, long missRetries, long resizes, long sizeAtEnd,
        long sizeExpected, int longestChain, Violations violations, String error, long gcPauseMillis,
        String lookupHistogram, Timeline timeline) {

    /** Supplies an empty timeline where none was given. */
    public ChurnResult {
        timeline = timeline == null ? Timeline.NONE : timeline;
    }

    /**
     * @return the sampled lookup latencies of the measured time, decoded (empty if nothing was
     *         measured)
     */
    public Histogram lookupLatencies() {
        return lookupHistogram == null ? new Histogram(1, ChurnWorkers.HIGHEST, ChurnWorkers.DIGITS)
                : decode(lookupHistogram);
    }

    /**
     * @param h a histogram
     * @return its compressed encoding, Base64
     */
    static String encode(final Histogram h) {
        final ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        final int n = h.encodeIntoCompressedByteBuffer(buf);
        return Base64.getEncoder().encodeToString(Arrays.copyOf(buf.array(), n));
    }

    /**
     * @param base64 what {@link #encode} wrote
     * @return the histogram
     * @throws IllegalArgumentException if it is not such an encoding
     */
    static Histogram decode(final String base64) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)),
                    ChurnWorkers.HIGHEST);
        } catch (final DataFormatException e) {
            throw new IllegalArgumentException("lookupHistogram is not a compressed HdrHistogram: " + e.getMessage(), e);
        }
    }

    /** @return lookups per second */
    public double lookupsPerSecond() {
        return lookups / seconds;
    }

    /** @return connections closed (and opened) per second by the churn threads */
    public double churnPerSecond() {
        return closed / seconds;
    }

    /** @return half-open inserts per second */
    public double floodPerSecond() {
        return floodInserts / seconds;
    }

    /** @return heap bytes per lookup (lookup threads' allocation / lookups); NaN without lookups */
    public double bytesPerLookup() {
        return lookups == 0 ? Double.NaN : (double) lookupBytes / lookups;
    }

    /**
     * @return heap bytes per churn operation (one open and one close; churn threads'
     *         allocation / closes); NaN without churn
     */
    public double bytesPerChurn() {
        return closed == 0 ? Double.NaN : (double) churnBytes / closed;
    }

    /** @return heap bytes per half-open insert (flood thread); NaN without flood */
    public double bytesPerFlood() {
        return floodInserts == 0 ? Double.NaN : (double) floodBytes / floodInserts;
    }

    /** @return heap allocation rate of all worker threads, MB (10^6 bytes) per second */
    public double allocMBPerSecond() {
        return (lookupBytes + churnBytes + floodBytes) / seconds / 1e6;
    }

    /** @return whether the GC owns removed blocks (no pending count) */
    public boolean pendingUnknown() {
        return pendingPeak < 0;
    }

    /** @return true if there is no violation and no error */
    public boolean clean() {
        return violations.total() == 0 && error == null;
    }

    /**
     * A histogram's summary.
     *
     * @param count values recorded
     * @param mean mean
     * @param p50 median
     * @param p90 90th percentile
     * @param p99 99th percentile
     * @param p999 99.9th percentile
     * @param max largest value
     */
    public record Percentiles(long count, double mean, long p50, long p90, long p99, long p999, long max) {
        /** No values. */
        public static final Percentiles NONE = new Percentiles(0, Double.NaN, 0, 0, 0, 0, 0);

        /**
         * @param h a histogram
         * @return its summary, or {@link #NONE} if empty
         */
        public static Percentiles of(final Histogram h) {
            if (h.getTotalCount() == 0) {
                return NONE;
            }
            return new Percentiles(h.getTotalCount(), h.getMean(), h.getValueAtPercentile(50),
                    h.getValueAtPercentile(90), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9),
                    h.getMaxValue());
        }
    }

    /**
     * Violations of the table's contract seen by the harness. Each must be 0.
     *
     * @param wrongKey lookups that returned a block whose key differs from the key looked up
     * @param freed lookups that returned a freed block: {@code lookup} (under the block lock),
 *        or {@code read} of an established connection
     * @param establishedMisses lookups of an established connection (present for the whole run)
     *        that found nothing
     * @param duplicateInserts inserts refused although the key had been closed (or never used)
     * @param lostRemoves removes of a connection the harness holds open that found nothing
     * @param sizeMismatch {@code |size() - expected|} after the threads stopped
     */
    public record Violations(long wrongKey, long freed, long establishedMisses, long duplicateInserts,
            long lostRemoves, long sizeMismatch) {
        /** @return the sum */
        public long total() {
            return wrongKey + freed + establishedMisses + duplicateInserts + lostRemoves + sizeMismatch;
        }

        @Override
        public String toString() {
            return "wrongKey=" + wrongKey + " freed=" + freed + " establishedMisses=" + establishedMisses
                    + " duplicateInserts=" + duplicateInserts + " lostRemoves=" + lostRemoves + " sizeMismatch="
                    + sizeMismatch;
        }
    }
}
