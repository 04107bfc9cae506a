package org.smr4j.bench.pool;

/**
 * The pooled object of these benchmarks: six {@code long} fields and an object header, 64 bytes
 * on a 64-bit HotSpot with its default 12-byte header (compressed class pointers): 12 + 48 = 60,
 * aligned to 8 = 64. {@code -prof gc} confirms it: {@code PoolBenchmark}'s {@code NEW} case
 * allocates 64 B/op. (With {@code -XX:+UseCompactObjectHeaders} it would be 56.)
 *
 * <p>{@link #gen} is the object's generation: {@link ChurnMemory}'s writers give every object a
 * new generation when they take it from the pool and set {@link #check} to a function of it, and
 * the pool's destruct hook overwrites both with {@link #DEAD} once no reader can hold the
 * object. A reader that sees {@code DEAD}, or a generation that changes inside its section, has
 * seen an object reused under it.
 */
public final class Obj64 {
    /** What the destruct hook writes into {@link #gen} and {@link #check}. */
    public static final long DEAD = -1L;

    /** The generation: set at every get by the churn writers. */
    public long gen;
    /** {@code gen * 31 + 7} while the generation is valid. */
    public long check;
    /** Payload. */
    public long a;
    /** Payload. */
    public long b;
    /** Payload. */
    public long c;
    /** Payload. */
    public long d;

    /** A zeroed object. */
    public Obj64() {
    }

    /**
     * The value {@link #check} holds for generation {@code g}.
     *
     * @param g a generation
     * @return {@code g * 31 + 7}
     */
    public static long checkOf(final long g) {
        return g * 31 + 7;
    }
}
