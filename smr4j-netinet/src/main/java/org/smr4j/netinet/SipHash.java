package org.smr4j.netinet;

import java.security.SecureRandom;

/**
 * SipHash-1-3 (Aumasson and Bernstein; one compression round per word and three finalisation
 * rounds, the variant Rust's standard hash map uses) over the five 64-bit words of a
 * connection tuple, keyed with a 128-bit secret drawn per table from {@link SecureRandom}.
 *
 * <p>Why a keyed hash: the foreign address and port of a connection are chosen by the remote
 * party. With an unkeyed hash (or a keyed hash whose key leaks through timing of a weak
 * function), an attacker can precompute tuples that land in one chain and turn every lookup
 * into a walk of that chain. SipHash is a pseudorandom function: without the secret, the
 * chain a tuple lands in cannot be predicted better than at random, so the longest chain
 * under a flood of chosen tuples stays what random placement gives (the balls-into-bins
 * bound, about {@code ln n / ln ln n} at load factor 1). FreeBSD hashes pcbs with
 * {@code jenkins_hash32} and a random seed ({@code in_pcbhashseed}) for the same reason.
 *
 * <p>The words: protocol and both ports packed in one word, then the addresses. An IPv6 tuple
 * hashes five words (the local and the foreign address, high and low: 40 bytes); an IPv4
 * tuple (both addresses mapped or unspecified) hashes two, the second holding both 32-bit
 * addresses (16 bytes), which saves three of the eight rounds on the common path. The message
 * length is folded into the last block as SipHash specifies.
 */
final class SipHash {

    private final long k0;
    private final long k1;

    /** A hash with a fresh random secret. */
    SipHash() {
        final SecureRandom random = new SecureRandom();
        this.k0 = random.nextLong();
        this.k1 = random.nextLong();
    }

    /** A hash with the given secret (tests and the reference vectors). */
    SipHash(final long k0, final long k1) {
        this.k0 = k0;
        this.k1 = k1;
    }

    /** Hashes a connection tuple; see the class comment for the word layout. */
    long hash(final int protocol, final long localHi, final long localLo, final int localPort,
            final long foreignHi, final long foreignLo, final int foreignPort) {
        return hash(ConnectionKey.ports(protocol, localPort, foreignPort), localHi, localLo, foreignHi, foreignLo);
    }

    /**
     * The 32-bit keyed hash the tables use: {@link #hash(long, long, long, long, long)} folded
     * (high half xor low half).
     */
    int folded(final long ports, final long localHi, final long localLo, final long foreignHi, final long foreignLo) {
        final long h = hash(ports, localHi, localLo, foreignHi, foreignLo);
        return (int) (h ^ (h >>> 32));
    }

    /**
     * Hashes a connection tuple whose protocol and ports are packed as
     * {@code protocol << 32 | localPort << 16 | foreignPort}; see the class comment.
     */
    long hash(final long ports, final long localHi, final long localLo, final long foreignHi, final long foreignLo) {
        if (localHi == 0L && foreignHi == 0L && (localLo >>> 32 | 0xFFFF) == 0xFFFF
                && (foreignLo >>> 32 | 0xFFFF) == 0xFFFF) {
            // IPv4 (mapped, or unspecified): the addresses fit one word. The message length
            // in the final block (16 rather than 40 bytes) keeps the two forms apart.
            // Injective: word 0 also records which address is mapped (rather than unspecified).
            final long mappedFlags = (localLo >>> 32 & 1L) << 48 | (foreignLo >>> 32 & 1L) << 49;
            return hash2(ports | mappedFlags, localLo << 32 | (foreignLo & 0xFFFF_FFFFL));
        }
        return hash5(ports, localHi, localLo, foreignHi, foreignLo);
    }

    /** SipHash-1-3 of two little-endian 64-bit words (16 bytes). */
    long hash2(final long m0, final long m1) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        v3 ^= m0;
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        v0 ^= m0;
        v3 ^= m1;
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        v0 ^= m1;
        final long b = 16L << 56;
        v3 ^= b;
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        v0 ^= b;
        v2 ^= 0xFF;
        for (int i = 0; i < 3; i++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /** SipHash-1-3 of five little-endian 64-bit words (40 bytes). */
    long hash5(final long m0, final long m1, final long m2, final long m3, final long m4) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        // One SipRound per message word (c = 1), written out so that C2 keeps v0..v3 in
        // registers; the same four lines each time.
        v3 ^= m0;
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        v0 ^= m0;
        v3 ^= m1;
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        v0 ^= m1;
        v3 ^= m2;
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        v0 ^= m2;
        v3 ^= m3;
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        v0 ^= m3;
        v3 ^= m4;
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        v0 ^= m4;
        // Final block: no tail bytes, length 40 in the top byte.
        final long b = 40L << 56;
        v3 ^= b;
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        v0 ^= b;
        v2 ^= 0xFF;
        for (int i = 0; i < 3; i++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
