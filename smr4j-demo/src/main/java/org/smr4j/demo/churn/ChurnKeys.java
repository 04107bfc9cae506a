package org.smr4j.demo.churn;

import java.util.HashSet;
import java.util.SplittableRandom;
import org.smr4j.netinet.ConnectionKey;

/**
 * Every key a {@link ChurnHarness} run uses, built before the threads start so that the
 * measured loops allocate nothing of their own: the harness's allocation figures are then the
 * table's.
 *
 * <p>Address plan (IPv4, TCP; the three sets cannot collide):
 * <ul>
 *   <li>established: {@code 10.0.0.1:443 <- 198.18.0.0/15}, foreign port {@code 1024 + (i mod
 *       32768)}, address {@code 198.18.0.0 + i / 32768};</li>
 *   <li>churn thread {@code t}: {@code 10.0.1.(t+1):443 <- 198.19.x.y:port}, {@code ring}
 *       keys per thread, reused cyclically (a key comes back only after it was closed);</li>
 *   <li>flood: {@code 10.0.0.1:80 <- random address:random port}, distinct.</li>
 * </ul>
 * Lookups use <em>copies</em> (equal, not the same object) of the inserted keys, as a packet
 * path builds its key from the header; the lookup order is a random permutation.
 */
public final class ChurnKeys {

    /** Bit in {@link #flags}: the lookup is of an established connection and must hit. */
    static final byte MUST_HIT = 1;
    /** Bit in {@link #flags}: this lookup uses {@code read(key, fn)}. */
    static final byte USE_READ = 2;

    private static final int LOCAL = 0x0A000001; // 10.0.0.1
    private static final int CHURN_LOCAL = 0x0A000101; // 10.0.1.1
    private static final int ESTABLISHED_FOREIGN = 0xC6120000; // 198.18.0.0
    private static final int CHURN_FOREIGN = 0xC6130000; // 198.19.0.0

    /** The established connections, as inserted. */
    final ConnectionKey[] established;
    /** Per churn thread, its ring of keys, as inserted. */
    final ConnectionKey[][] churn;
    /** The flood's keys, as inserted (empty without flood). */
    final ConnectionKey[] flood;
    /** The lookup sequence: copies, random order; lookup threads start at different offsets. */
    final ConnectionKey[] sequence;
    /** Per entry of {@link #sequence}: {@link #MUST_HIT}, {@link #USE_READ}. */
    final byte[] flags;

    ChurnKeys(final ChurnConfig cfg) {
        final SplittableRandom rnd = new SplittableRandom(cfg.seed());
        established = new ConnectionKey[cfg.connections()];
        for (int i = 0; i < established.length; i++) {
            established[i] = establishedKey(i);
        }
        final int ring = 2 * cfg.churnWindow() + 2;
        churn = new ConnectionKey[cfg.churnThreads()][ring];
        for (int t = 0; t < churn.length; t++) {
            for (int j = 0; j < ring; j++) {
                churn[t][j] = churnKey(t, j);
            }
        }
        flood = cfg.flood() ? floodKeys(rnd, Math.max(2 * cfg.floodMax() + 2, 1 << 16)) : new ConnectionKey[0];

        // The lookup sequence: every established connection once, plus churn lookups in the
        // configured proportion, shuffled.
        final int p = cfg.churnLookupPercent();
        final int churnEntries = cfg.lookupThreads() == 0 || p == 0 ? 0
                : p == 100 ? Math.max(established.length, 1 << 16)
                : (int) Math.min(1 << 26, (long) established.length * p / (100 - p));
        final int n = (p == 100 ? 0 : established.length) + churnEntries;
        sequence = new ConnectionKey[cfg.lookupThreads() == 0 ? 0 : n];
        flags = new byte[sequence.length];
        if (sequence.length == 0) {
            return;
        }
        int k = 0;
        if (p != 100) {
            for (int i = 0; i < established.length; i++, k++) {
                sequence[k] = establishedKey(i);
                flags[k] = MUST_HIT;
            }
        }
        for (int i = 0; i < churnEntries; i++, k++) {
            final int t = rnd.nextInt(churn.length);
            final int j = rnd.nextInt(ring);
            sequence[k] = churnKey(t, j);
        }
        for (int i = sequence.length - 1; i > 0; i--) { // Fisher-Yates, both arrays together
            final int j = rnd.nextInt(i + 1);
            final ConnectionKey key = sequence[i];
            sequence[i] = sequence[j];
            sequence[j] = key;
            final byte f = flags[i];
            flags[i] = flags[j];
            flags[j] = f;
        }
        for (int i = 0; i < flags.length; i++) {
            if (rnd.nextInt(100) < cfg.readPercent()) {
                flags[i] |= USE_READ;
            }
        }
    }

    /**
     * The {@code i}-th established connection (a new object on every call, equal for equal
     * {@code i}).
     *
     * @param i 0 to 2^31-1
     * @return the key
     */
    public static ConnectionKey establishedKey(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, LOCAL, 443, ESTABLISHED_FOREIGN + (i >>> 15),
                1024 + (i & 0x7FFF));
    }

    /**
     * The {@code j}-th key of churn thread {@code t}.
     *
     * @param t the thread, 0 to 253
     * @param j the key, 0 to 2^31-1
     * @return the key
     */
    public static ConnectionKey churnKey(final int t, final int j) {
        if (t > 253) {
            throw new IllegalArgumentException("at most 254 churn threads: " + t);
        }
        return ConnectionKey.ipv4(ConnectionKey.TCP, CHURN_LOCAL + t, 443, CHURN_FOREIGN + (j >>> 15),
                1024 + (j & 0x7FFF));
    }

    private static ConnectionKey[] floodKeys(final SplittableRandom rnd, final int n) {
        final ConnectionKey[] keys = new ConnectionKey[n];
        final HashSet<ConnectionKey> seen = HashSet.newHashSet(n);
        int i = 0;
        while (i < n) {
            final ConnectionKey k = ConnectionKey.ipv4(ConnectionKey.TCP, LOCAL, 80, rnd.nextInt(),
                    1024 + rnd.nextInt(65536 - 1024));
            if (seen.add(k)) {
                keys[i++] = k;
            }
        }
        return keys;
    }
}
