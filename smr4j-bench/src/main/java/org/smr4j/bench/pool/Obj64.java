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

    /**
     * The pool's state word for {@code PoolBenchmark}'s {@code SMR_STATE_WORD} case, through
     * {@link #STATE}. It fills the 4-byte gap after the 12-byte header, so the object stays 64
     * bytes (with compact headers, 8 + 48 + 4 rounds up to 64 rather than 56).
     */
    public int poolState;

    private static final java.lang.invoke.VarHandle POOL_STATE;

    static {
        try {
            POOL_STATE = java.lang.invoke.MethodHandles.lookup().findVarHandle(Obj64.class, "poolState", int.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** {@link #poolState} as an {@link org.smr4j.SmrPool.StateWord}. */
    public static final org.smr4j.SmrPool.StateWord<Obj64> STATE = new org.smr4j.SmrPool.StateWord<>() {
        @Override
        public int compareAndExchange(final Obj64 o, final int expected, final int next) {
            return (int) POOL_STATE.compareAndExchange(o, expected, next);
        }

        @Override
        public void setRelease(final Obj64 o, final int value) {
            POOL_STATE.setRelease(o, value);
        }
    };

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
