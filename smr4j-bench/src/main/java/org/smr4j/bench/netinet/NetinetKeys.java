package org.smr4j.bench.netinet;

import org.smr4j.Smr;
import org.smr4j.netinet.ConnectionKey;

/**
 * The keys and table settings {@link LookupBenchmark} shares with the churn harness of
 * {@code smr4j-demo} ({@code org.smr4j.demo.churn.ChurnKeys} and {@code ChurnConfig}), so that
 * the JMH scores and the harness's figures are of the same connections. The harness moved to
 * {@code smr4j-demo}; this module does not depend on it (the benchmark jar stays free of the
 * demo's chart and JSON libraries), so the address plan is repeated here: keep the two equal.
 *
 * <p>Address plan (IPv4, TCP): established connection {@code i} is
 * {@code 10.0.0.1:443 <- 198.18.0.0/15}, foreign port {@code 1024 + (i mod 32768)}, address
 * {@code 198.18.0.0 + i / 32768}; churn thread {@code t}'s key {@code j} is
 * {@code 10.0.1.(t+1):443 <- 198.19.x.y:port} the same way.
 */
final class NetinetKeys {

    /** The pending limit of the harness's tables ({@code ChurnConfig.PENDING_LIMIT_DEFAULT}). */
    static final int PENDING_LIMIT_DEFAULT = 4096;

    private static final int LOCAL = 0x0A000001; // 10.0.0.1
    private static final int CHURN_LOCAL = 0x0A000101; // 10.0.1.1
    private static final int ESTABLISHED_FOREIGN = 0xC6120000; // 198.18.0.0
    private static final int CHURN_FOREIGN = 0xC6130000; // 198.19.0.0

    private NetinetKeys() {
    }

    /**
     * The {@code i}-th established connection (a new object on every call, equal for equal
     * {@code i}).
     *
     * @param i 0 to 2^31-1
     * @return the key
     */
    static ConnectionKey establishedKey(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, LOCAL, 443, ESTABLISHED_FOREIGN + (i >>> 15),
                1024 + (i & 0x7FFF));
    }

    /**
     * The {@code j}-th key of churn thread {@code t}.
     *
     * @param t the thread, 0 to 253
     * @param j the key, 0 to 2^31-1
     * @return the key
     * @throws IllegalArgumentException if {@code t} is out of range
     */
    static ConnectionKey churnKey(final int t, final int j) {
        if (t < 0 || t > 253) {
            throw new IllegalArgumentException("churn thread must be 0..253: " + t);
        }
        return ConnectionKey.ipv4(ConnectionKey.TCP, CHURN_LOCAL + t, 443, CHURN_FOREIGN + (j >>> 15),
                1024 + (j & 0x7FFF));
    }

    /** @return whether a lazy domain built now gets fence-free readers (membarrier available) */
    static boolean lazyFenceFree() {
        return Smr.builder("lookup-benchmark-probe").lazy().build().fenceFreeReaders();
    }
}
