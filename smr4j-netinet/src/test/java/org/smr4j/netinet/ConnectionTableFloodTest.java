package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.testsupport.Seed;
import org.smr4j.testsupport.TestSupport;

/**
 * The flood test of issue 4: one "attacker" thread inserts {@value #INSERTS_DEFAULT}
 * half-open connections with random foreign addresses and ports against one local address
 * and port (a SYN flood), expiring the oldest so that at most {@value #MAX_PRESENT} are
 * present, into each lockless table built with {@code limits(65_536, 4_096)}. Meanwhile a
 * reader looks up {@value #ESTABLISHED} established connections, which must always be found.
 *
 * <h2>The chain bound: {@value #CHAIN_BOUND}</h2>
 * The table hashes with SipHash keyed by a per-table secret, so the attacker's tuples fall
 * into buckets as independent uniform draws. The table doubles at load factor 1, and also
 * when an insert makes a chain of {@code maxChain} (8) while the load is at least 1/2. So:
 * <ul>
 * <li>while the load is at least 1/2, no insert leaves a chain of 8 or more behind (it
 *     doubles the table instead);</li>
 * <li>otherwise the load {@code a = n/m} is below 1/2, and with {@code n} balls in
 *     {@code m} bins, P(some chain >= k) <= m * C(n, k) / m^k <= m * a^k / k!. Once the flood
 *     is in steady state, {@code m >= 131,072} and {@code a <= 1/2}:
 *     131,072 * 2^-12 / 12! < 7e-8 per measurement, under 2e-6 over a run's measurements. At
 *     load 1 (no growth on long chains) the same bound gives 65,536 / 12! = 1.4e-4, and the
 *     expected longest chain would be about ln n / ln ln n ~ 4.6 (in practice 7-8 for
 *     n = 65,536); the chain rule keeps it lower.</li>
 * </ul>
 * The longest chain is measured every 2^16 inserts and at the end.
 *
 * <h2>The memory bound: {@value #MAX_PRESENT} + {@value #PENDING_LIMIT}</h2>
 * {@code limits(65_536, 4_096)} sets the block pool's hard limit to the sum; an insert at the
 * limit waits for a grace period (SMR) or a put (pserialize). So {@code blocksLive} (blocks
 * that exist: present, pending or cached) must never exceed 69,632 however many connections
 * come and go, while the garbage-collected strategies create one block per insert.
 * {@code blocksCreated} is not bounded by it: the pool's working-set trim gives idle blocks
 * back (every 5 s by default) and later inserts create others, so over a long or slow run the
 * count of blocks ever created passes the limit (70,265 in one CI run of SMR_LAZY at load 8)
 * while no more than 69,632 ever existed at once.
 *
 * <h2>Why the key matters</h2>
 * {@link #unkeyedHashCollidesOnChosenTuples} builds tuples with one and the same
 * {@link ConnectionKey#hashCode()} by varying only the low 64 bits of an IPv6 source
 * address (what an attacker owning one /64 controls), and shows that a table chaining by that
 * hash would put them all in one chain, while the keyed table spreads them.
 *
 * <p>{@code -Pslow}: {@value #INSERTS_SLOW} inserts; {@code -Dsmr4j.flood.inserts=N} overrides.
 */
@ExtendWith(Seed.Extension.class)
class ConnectionTableFloodTest {

    static final long INSERTS_DEFAULT = 1_000_000;
    static final long INSERTS_SLOW = 10_000_000;
    static final long INSERTS = TestSupport.knob("smr4j.flood.inserts", INSERTS_DEFAULT, INSERTS_SLOW);
    static final int MAX_PRESENT = 65_536;
    static final int PENDING_LIMIT = 4_096;
    static final int ESTABLISHED = 1_024;
    static final int CHAIN_BOUND = 12;
    static final int LOCAL = 0x0A000001;

    @ParameterizedTest
    @EnumSource(names = {"SMR_LAZY", "SMR_DEFAULT", "PSERIALIZE"})
    @Timeout(600)
    void synFloodKeepsChainsShortAndMemoryBounded(final Strategy strategy, final Seed seed) throws Exception {
        final SplittableRandom r = seed.random();
        final long start = System.nanoTime();
        try (ConnectionTable t = ConnectionTable.builder(strategy).limits(MAX_PRESENT, PENDING_LIMIT).build()) {
            final ConnectionKey[] established = new ConnectionKey[ESTABLISHED];
            for (int i = 0; i < ESTABLISHED; i++) {
                established[i] = ConnectionKey.ipv4(ConnectionKey.TCP, LOCAL, 80, 0xC6336400 + i, 50_000);
                t.insert(established[i]).unlock();
            }
            final AtomicBoolean done = new AtomicBoolean();
            final AtomicLong legitLookups = new AtomicLong();
            final AtomicReference<String> miss = new AtomicReference<>();
            final Thread reader = Thread.ofPlatform().name("flood-legit-reader").start(() -> {
                int i = 0;
                while (!done.get() && miss.get() == null) {
                    final ConnectionKey k = established[i++ & (ESTABLISHED - 1)];
                    final ControlBlock b = t.lookup(k, LockMode.READ);
                    if (b == null || !k.equals(b.key())) {
                        miss.set("established " + k + " -> " + b);
                    }
                    if (b != null) {
                        b.unlock();
                    }
                    legitLookups.incrementAndGet();
                }
            });
            // The flood: a ring of the half-open tuples present, oldest expired first.
            final int ring = MAX_PRESENT - ESTABLISHED;
            final ConnectionKey[] halfOpen = new ConnectionKey[ring];
            int head = 0;
            int count = 0;
            long duplicates = 0;
            int longest = 0;
            long maxCreated = 0;
            long maxLive = 0;
            for (long i = 1; i <= INSERTS; i++) {
                if (count == ring) {
                    assertThat(t.remove(halfOpen[head])).as("expire %s", halfOpen[head]).isTrue();
                    head = (head + 1) % ring;
                    count--;
                }
                final ConnectionKey k = ConnectionKey.ipv4(ConnectionKey.TCP, LOCAL, 80, r.nextInt(), r.nextInt(65_536));
                final ControlBlock b = t.insert(k);
                if (b == null) {
                    duplicates++; // the same random tuple twice: refused, like EADDRINUSE
                } else {
                    b.unlock();
                    halfOpen[(head + count) % ring] = k;
                    count++;
                }
                if ((i & 0xFFFF) == 0 || i == INSERTS) {
                    final int chain = t.longestChain();
                    longest = Math.max(longest, chain);
                    final ConnectionTable.Stats s = t.stats();
                    maxCreated = Math.max(maxCreated, s.blocksCreated());
                    maxLive = Math.max(maxLive, s.blocksLive());
                    assertThat(chain).as("longest chain after %,d inserts (%s)", i, s).isLessThanOrEqualTo(CHAIN_BOUND);
                    assertThat(s.blocksLive()).as("blocks live after %,d inserts (%s)", i, s)
                            .isBetween(s.size(), (long) MAX_PRESENT + PENDING_LIMIT);
                    assertThat(s.size()).isLessThanOrEqualTo(MAX_PRESENT);
                }
            }
            done.set(true);
            TestSupport.join(reader, "legit reader");
            assertThat(miss.get()).as("an established connection was missed during the flood").isNull();
            final ConnectionTable.Stats s = t.stats();
            System.out.printf("flood %-11s %,d inserts (%d duplicate tuples), longest chain %d (bound %d), "
                    + "%,d buckets after %d resizes, %,d blocks live at most (bound %,d), %,d created, %,d pending at end, "
                    + "%,d legit lookups, %.1f s%n", strategy, INSERTS, duplicates, longest, CHAIN_BOUND, s.buckets(),
                    s.resizes(), maxLive, MAX_PRESENT + PENDING_LIMIT, maxCreated, s.blocksPending(), legitLookups.get(),
                    (System.nanoTime() - start) / 1e9);
            assertThat(s.size()).isEqualTo(count + ESTABLISHED);
            assertThat(legitLookups.get()).isPositive();
        }
    }

    // ------------------------------------------------------------------ the unkeyed hash

    private static final long C1 = 0x9E3779B97F4A7C15L;
    private static final long C2 = 0xBF58476D1CE4E5B9L;
    private static final long C3 = 0x94D049BB133111EBL;

    /** The multiplicative inverse of an odd number modulo 2^64 (Newton's iteration). */
    static long inverse(final long odd) {
        long x = odd; // correct to 3 bits; each step doubles the correct bits
        for (int i = 0; i < 5; i++) {
            x *= 2 - odd * x;
        }
        return x;
    }

    /**
     * Tuples from one /64 (source 2001:db8:bad:1::/64, any port) to one server port, all with
     * the same {@link ConnectionKey#hashCode()}. The construction mirrors
     * {@code ConnectionKey.unkeyedHash} (the test asserts that the hash codes really are
     * equal, so it notices if that function changes): every step before the last is fixed, the
     * last multiplies {@code h ^ foreignLo} by an odd constant, which is invertible, and the
     * final fold {@code (int) (h ^ h >>> 32)} maps 2^32 values of {@code h} to each result.
     */
    @SuppressWarnings("ConstantOverflow") // a hash: multiplication is meant to wrap
    static ConnectionKey[] collidingKeys(final int n, final int target) {
        final long localHi = 0x20010db800000000L;
        final long localLo = 1L;
        final long foreignHi = 0x20010db80bad0001L;
        final int lport = 443;
        final int fport = 40_000;
        long h = ConnectionKey.TCP * C1;
        h = (h ^ localHi) * C2;
        h = (h ^ localLo) * C3;
        h = (h ^ ((long) lport << 16 | fport)) * C1;
        h = (h ^ foreignHi) * C2;
        final long inv = inverse(C3);
        final ConnectionKey[] keys = new ConnectionKey[n];
        for (int x = 0; x < n; x++) {
            final long fin = (long) (x + 1) << 32 | ((x + 1) ^ target) & 0xFFFF_FFFFL;
            final long foreignLo = fin * inv ^ h;
            keys[x] = ConnectionKey.ipv6(ConnectionKey.TCP, localHi, localLo, lport, foreignHi, foreignLo, fport);
        }
        return keys;
    }

    @Test
    @Timeout(120)
    void unkeyedHashCollidesOnChosenTuples() {
        final int n = 8_192;
        final ConnectionKey[] keys = collidingKeys(n, 0x5EED);
        final Set<ConnectionKey> distinct = new HashSet<>();
        for (final ConnectionKey k : keys) {
            assertThat(k.hashCode()).as("crafted %s", k).isEqualTo(0x5EED);
            distinct.add(k);
        }
        assertThat(distinct).as("distinct tuples").hasSize(n);
        // A table chaining by hashCode, at any size, puts all of them in one chain.
        final int[] chain = new int[16_384];
        int unkeyedLongest = 0;
        for (final ConnectionKey k : keys) {
            unkeyedLongest = Math.max(unkeyedLongest, ++chain[k.hashCode() & (chain.length - 1)]);
        }
        assertThat(unkeyedLongest).isEqualTo(n);
        // The keyed table does not care.
        try (ConnectionTable t = ConnectionTable.create(Strategy.SMR_LAZY)) {
            for (final ConnectionKey k : keys) {
                t.insert(k).unlock();
            }
            final int keyedLongest = t.longestChain();
            System.out.printf("unkeyed hash: %,d chosen tuples share one hashCode, one chain of %,d; "
                    + "the SipHash table's longest chain is %d%n", n, unkeyedLongest, keyedLongest);
            assertThat(keyedLongest).isLessThanOrEqualTo(CHAIN_BOUND);
        }
    }
}
