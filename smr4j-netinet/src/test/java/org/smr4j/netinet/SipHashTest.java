package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.smr4j.testsupport.Seed;

/**
 * {@link SipHash} against an independent SipHash-c-d written here from the paper's
 * description (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012), which is
 * itself checked against published vectors: the paper's 64 SipHash-2-4 vectors (key
 * {@code 00..0f}, message {@code 00..len-1} for len 0..63; the paper's worked example is the
 * 15-byte message) and SipHash-1-3 vectors of the reference implementation
 * (github.com/veorq/SipHash, zero key). The table's unrolled SipHash-1-3 of five words must
 * equal the generic one on the 40-byte little-endian message, for random keys and words.
 */
@ExtendWith(Seed.Extension.class)
class SipHashTest {

    /** SipHash-2-4, key 00..0f, message 00..len-1, len = index (the paper, Appendix A). */
    private static final long[] SIPHASH_2_4 = {
        0x726fdb47dd0e0e31L, 0x74f839c593dc67fdL, 0x0d6c8009d9a94f5aL, 0x85676696d7fb7e2dL,
        0xcf2794e0277187b7L, 0x18765564cd99a68dL, 0xcbc9466e58fee3ceL, 0xab0200f58b01d137L,
        0x93f5f5799a932462L, 0x9e0082df0ba9e4b0L, 0x7a5dbbc594ddb9f3L, 0xf4b32f46226bada7L,
        0x751e8fbc860ee5fbL, 0x14ea5627c0843d90L, 0xf723ca908e7af2eeL, 0xa129ca6149be45e5L,
        0x3f2acc7f57c29bdbL, 0x699ae9f52cbe4794L, 0x4bc1b3f0968dd39cL, 0xbb6dc91da77961bdL,
        0xbed65cf21aa2ee98L, 0xd0f2cbb02e3b67c7L, 0x93536795e3a33e88L, 0xa80c038ccd5ccec8L,
        0xb8ad50c6f649af94L, 0xbce192de8a85b8eaL, 0x17d835b85bbb15f3L, 0x2f2e6163076bcfadL,
        0xde4daaaca71dc9a5L, 0xa6a2506687956571L, 0xad87a3535c49ef28L, 0x32d892fad841c342L,
        0x7127512f72f27cceL, 0xa7f32346f95978e3L, 0x12e0b01abb051238L, 0x15e034d40fa197aeL,
        0x314dffbe0815a3b4L, 0x027990f029623981L, 0xcadcd4e59ef40c4dL, 0x9abfd8766a33735cL,
        0x0e3ea96b5304a7d0L, 0xad0c42d6fc585992L, 0x187306c89bc215a9L, 0xd4a60abcf3792b95L,
        0xf935451de4f21df2L, 0xa9538f0419755787L, 0xdb9acddff56ca510L, 0xd06c98cd5c0975ebL,
        0xe612a3cb9ecba951L, 0xc766e62cfcadaf96L, 0xee64435a9752fe72L, 0xa192d576b245165aL,
        0x0a8787bf8ecb74b2L, 0x81b3e73d20b49b6fL, 0x7fa8220ba3b2eceaL, 0x245731c13ca42499L,
        0xb78dbfaf3a8d83bdL, 0xea1ad565322a1a0bL, 0x60e61c23a3795013L, 0x6606d7e446282b93L,
        0x6ca4ecb15c5f91e1L, 0x9f626da15c9625f3L, 0xe51b38608ef25f57L, 0x958a324ceb064572L,
    };

    /** SipHash-1-3, zero key, message 00..len-1, len = index (reference implementation). */
    private static final long[] SIPHASH_1_3_ZERO_KEY = {
        0xd1fba762150c532cL, 0x68a914128e01e473L, 0x010bac45c41e3669L, 0x4d4c9a4a8ef6e0adL,
        0x7cc43f98813e4dbdL, 0x5abe2169dff36275L, 0xe3c25f87624f1cdbL, 0x2f098ab0c751325aL,
        0xead411e67ebe2eeaL, 0x75927f9d95124362L, 0xaf9f77a65ab51a1dL, 0xfe64ce8b6617fcffL,
        0xa6baf4fb0f9fe1c2L, 0xa0cf3211850f8e0dL, 0x7f86049379fbfe67L, 0xf30eb725bb91c9eaL,
        0x8972188433a5c5b7L,
    };

    private static final long KEY0 = 0x0706050403020100L;
    private static final long KEY1 = 0x0f0e0d0c0b0a0908L;

    // ------------------------------------------------------------------ the reference

    /**
     * Generic SipHash-c-d of a byte message: little-endian 64-bit words, the last word holding
     * the tail bytes and the length (mod 256) in its top byte; c SipRounds per word, then
     * {@code v2 ^= 0xff} and d SipRounds; the result is {@code v0 ^ v1 ^ v2 ^ v3}.
     */
    static long sipHash(final int c, final int d, final long k0, final long k1, final byte[] m) {
        final long[] v = {k0 ^ 0x736f6d6570736575L, k1 ^ 0x646f72616e646f6dL, k0 ^ 0x6c7967656e657261L,
            k1 ^ 0x7465646279746573L};
        final int words = m.length / 8;
        for (int i = 0; i <= words; i++) {
            long w = 0;
            if (i < words) {
                for (int j = 7; j >= 0; j--) {
                    w = w << 8 | (m[8 * i + j] & 0xFF);
                }
            } else {
                for (int j = m.length - 1; j >= 8 * words; j--) {
                    w = w << 8 | (m[j] & 0xFF);
                }
                w |= (long) m.length << 56;
            }
            v[3] ^= w;
            for (int r = 0; r < c; r++) {
                sipRound(v);
            }
            v[0] ^= w;
        }
        v[2] ^= 0xFF;
        for (int r = 0; r < d; r++) {
            sipRound(v);
        }
        return v[0] ^ v[1] ^ v[2] ^ v[3];
    }

    private static void sipRound(final long[] v) {
        v[0] += v[1];
        v[1] = Long.rotateLeft(v[1], 13);
        v[1] ^= v[0];
        v[0] = Long.rotateLeft(v[0], 32);
        v[2] += v[3];
        v[3] = Long.rotateLeft(v[3], 16);
        v[3] ^= v[2];
        v[0] += v[3];
        v[3] = Long.rotateLeft(v[3], 21);
        v[3] ^= v[0];
        v[2] += v[1];
        v[1] = Long.rotateLeft(v[1], 17);
        v[1] ^= v[2];
        v[2] = Long.rotateLeft(v[2], 32);
    }

    private static byte[] counting(final int len) {
        final byte[] m = new byte[len];
        for (int i = 0; i < len; i++) {
            m[i] = (byte) i;
        }
        return m;
    }

    private static byte[] littleEndian(final long... words) {
        final byte[] m = new byte[8 * words.length];
        for (int i = 0; i < words.length; i++) {
            for (int j = 0; j < 8; j++) {
                m[8 * i + j] = (byte) (words[i] >>> (8 * j));
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ the reference is right

    @Test
    void referenceSipHash24MatchesThePapersVectors() {
        assertThat(sipHash(2, 4, KEY0, KEY1, new byte[0])).isEqualTo(0x726fdb47dd0e0e31L);
        assertThat(sipHash(2, 4, KEY0, KEY1, counting(15))).as("the paper's worked example")
                .isEqualTo(0xa129ca6149be45e5L);
        for (int len = 0; len < SIPHASH_2_4.length; len++) {
            assertThat(sipHash(2, 4, KEY0, KEY1, counting(len))).as("SipHash-2-4 of %d bytes", len)
                    .isEqualTo(SIPHASH_2_4[len]);
        }
    }

    @Test
    void referenceSipHash13MatchesTheReferenceImplementation() {
        for (int len = 0; len < SIPHASH_1_3_ZERO_KEY.length; len++) {
            assertThat(sipHash(1, 3, 0L, 0L, counting(len))).as("SipHash-1-3 of %d bytes", len)
                    .isEqualTo(SIPHASH_1_3_ZERO_KEY[len]);
        }
    }

    // ------------------------------------------------------------------ the table's hash

    @Test
    void hash5IsSipHash13OfTheFortyByteMessage(final Seed seed) {
        final SplittableRandom r = seed.random();
        assertThat(new SipHash(KEY0, KEY1).hash5(0, 0, 0, 0, 0))
                .isEqualTo(sipHash(1, 3, KEY0, KEY1, new byte[40]));
        for (int i = 0; i < 50_000; i++) {
            final long k0 = r.nextLong();
            final long k1 = r.nextLong();
            final long[] m = {r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong()};
            assertThat(new SipHash(k0, k1).hash5(m[0], m[1], m[2], m[3], m[4]))
                    .as("key %x %x", k0, k1)
                    .isEqualTo(sipHash(1, 3, k0, k1, littleEndian(m)));
        }
    }

    @Test
    void hash2IsSipHash13OfTheSixteenByteMessage(final Seed seed) {
        final SplittableRandom r = seed.random();
        assertThat(new SipHash(KEY0, KEY1).hash2(0, 0)).isEqualTo(sipHash(1, 3, KEY0, KEY1, new byte[16]));
        for (int i = 0; i < 50_000; i++) {
            final long k0 = r.nextLong();
            final long k1 = r.nextLong();
            final long[] m = {r.nextLong(), r.nextLong()};
            assertThat(new SipHash(k0, k1).hash2(m[0], m[1])).as("key %x %x", k0, k1)
                    .isEqualTo(sipHash(1, 3, k0, k1, littleEndian(m)));
        }
    }

    /** IPv4 tuples (mapped or unspecified addresses) hash two words: ports, then both addresses. */
    @Test
    void ipv4TuplesHashTwoWords(final Seed seed) {
        final SplittableRandom r = seed.random();
        final Set<Long> seen = new HashSet<>();
        final SipHash h = new SipHash(r.nextLong(), r.nextLong());
        for (int i = 0; i < 10_000; i++) {
            final int protocol = r.nextInt(256);
            final int lp = r.nextInt(65_536);
            final int fp = r.nextInt(65_536);
            final int la = r.nextInt();
            final int fa = r.nextInt();
            final ConnectionKey k = ConnectionKey.ipv4(protocol, la, lp, fa, fp);
            final long mapped = (la == 0 ? 0L : 1L << 48) | (fa == 0 ? 0L : 1L << 49);
            assertThat(h.hash(protocol, k.localHi(), k.localLo(), lp, k.foreignHi(), k.foreignLo(), fp))
                    .isEqualTo(h.hash2((long) protocol << 32 | (long) lp << 16 | fp | mapped,
                            (long) la << 32 | (fa & 0xFFFF_FFFFL)));
            seen.add(h.hash(protocol, k.localHi(), k.localLo(), lp, k.foreignHi(), k.foreignLo(), fp));
        }
        assertThat(seen).as("no collisions among 10,000 random IPv4 tuples (64-bit hashes)").hasSize(10_000);
        // the unspecified address and the mapped 0.0.0.0 cannot both occur (the factories map
        // 0.0.0.0 to unspecified), but the packing still tells mapped from unspecified
        assertThat(h.hash(6, 0, 0, 80, 0, 0, 0)).isNotEqualTo(h.hash(6, 0, 0xFFFF_0000_0000L, 80, 0, 0, 0));
    }

    @Test
    void hashPacksProtocolAndPortsIntoTheFirstWord(final Seed seed) {
        final SplittableRandom r = seed.random();
        for (int i = 0; i < 10_000; i++) {
            final SipHash h = new SipHash(r.nextLong(), r.nextLong());
            final int protocol = r.nextInt(256);
            final int lp = r.nextInt(65_536);
            final int fp = r.nextInt(65_536);
            final long lhi = r.nextLong() | 1L; // IPv6: five words (IPv4 hashes two, above)
            final long llo = r.nextLong();
            final long fhi = r.nextLong() | 1L;
            final long flo = r.nextLong();
            assertThat(h.hash(protocol, lhi, llo, lp, fhi, flo, fp))
                    .isEqualTo(h.hash5((long) protocol << 32 | (long) lp << 16 | fp, lhi, llo, fhi, flo));
            // The two sides are not interchangeable: a reply tuple hashes elsewhere.
            if (lp != fp || lhi != fhi || llo != flo) {
                assertThat(h.hash(protocol, lhi, llo, lp, fhi, flo, fp))
                        .isNotEqualTo(h.hash(protocol, fhi, flo, fp, lhi, llo, lp));
            }
        }
    }

    @Test
    void eachInstanceDrawsItsOwnSecret() {
        final Set<Long> hashes = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            hashes.add(new SipHash().hash(ConnectionKey.TCP, 0, 0xFFFF_0A00_0001L, 80, 0, 0xFFFF_C000_0201L, 40_000));
        }
        assertThat(hashes).as("100 tables, one tuple").hasSize(100);
    }

    /**
     * Sequential foreign ports (what a client's ephemeral port allocator or a scan produces)
     * spread evenly over the low bits: a chi-square test over 1024 buckets with a bound far in
     * the tail (1023 degrees of freedom, mean 1023, standard deviation 45; the bound is 10
     * standard deviations out), so that it fails only on structure, not on luck.
     */
    @Test
    void sequentialPortsSpreadEvenly() {
        final SipHash h = new SipHash();
        final int buckets = 1024;
        final int n = 65_536;
        final int[] count = new int[buckets];
        for (int port = 0; port < n; port++) {
            count[(int) h.hash(ConnectionKey.TCP, 0, 0xFFFF_0A00_0001L, 443, 0, 0xFFFF_C000_0201L, port)
                    & (buckets - 1)]++;
        }
        final double expected = (double) n / buckets;
        double chi2 = 0;
        for (final int c : count) {
            chi2 += (c - expected) * (c - expected) / expected;
        }
        assertThat(chi2).as("chi-square over %d buckets", buckets).isLessThan(1023 + 10 * 45.2);
    }
}
