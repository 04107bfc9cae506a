package org.smr4j;

/**
 * Wrap-safe arithmetic on SMR sequence numbers, after {@code SMR_SEQ_LT}, {@code SMR_SEQ_LEQ},
 * {@code SMR_SEQ_GT}, {@code SMR_SEQ_GEQ} and {@code SMR_SEQ_DELTA} in FreeBSD's
 * {@code sys/sys/smr.h}.
 *
 * <p>Sequences are {@code long} values that start at {@link #INIT} and step by
 * {@link #INCR}, so every valid sequence is odd and {@link #INVALID} ({@code 0}) is never
 * produced by advancing, even across the wrap. Two sequences are compared by the sign of their
 * difference, TCP style: {@code a} is before {@code b} when {@code a - b} is negative. This is
 * right across the wrap from {@link Long#MAX_VALUE} to {@link Long#MIN_VALUE} and is valid
 * while the two values are less than 2<sup>63</sup> apart. A plain {@code <} is wrong across
 * the wrap; always compare through these helpers.
 *
 * <p>With 64-bit sequences and a step of 2, a domain advanced once per nanosecond wraps after
 * about 146 years, so in production the wrap is unreachable; tests start domains just before
 * the wrap with a large step to prove the arithmetic anyway.
 *
 * <p>This class is stateless and thread-safe.
 */
public final class SmrSeq {
    /** The sequence of a reader that is not in a read section; never a valid goal. */
    public static final long INVALID = 0L;
    /** The first write sequence of a new domain. Odd, so that no advance produces 0. */
    public static final long INIT = 1L;
    /** The step of one advance. Even, so that every sequence stays odd. */
    public static final long INCR = 2L;

    private SmrSeq() {
    }

    /**
     * Returns whether {@code a} comes strictly before {@code b}.
     *
     * @param a a sequence
     * @param b a sequence
     * @return {@code a - b < 0}
     */
    public static boolean lt(final long a, final long b) {
        return a - b < 0;
    }

    /**
     * Returns whether {@code a} comes before or equals {@code b}.
     *
     * @param a a sequence
     * @param b a sequence
     * @return {@code a - b <= 0}
     */
    public static boolean leq(final long a, final long b) {
        return a - b <= 0;
    }

    /**
     * Returns whether {@code a} comes strictly after {@code b}.
     *
     * @param a a sequence
     * @param b a sequence
     * @return {@code a - b > 0}
     */
    public static boolean gt(final long a, final long b) {
        return a - b > 0;
    }

    /**
     * Returns whether {@code a} comes after or equals {@code b}.
     *
     * @param a a sequence
     * @param b a sequence
     * @return {@code a - b >= 0}
     */
    public static boolean geq(final long a, final long b) {
        return a - b >= 0;
    }

    /**
     * Returns the signed distance from {@code b} to {@code a}.
     *
     * @param a a sequence
     * @param b a sequence
     * @return {@code a - b}, positive when {@code a} is after {@code b}
     */
    public static long delta(final long a, final long b) {
        return a - b;
    }

    /**
     * Returns the earlier of two sequences.
     *
     * @param a a sequence
     * @param b a sequence
     * @return {@code a} if it comes before {@code b}, else {@code b}
     */
    public static long min(final long a, final long b) {
        return lt(a, b) ? a : b;
    }

    /**
     * Returns the later of two sequences.
     *
     * @param a a sequence
     * @param b a sequence
     * @return {@code a} if it comes after {@code b}, else {@code b}
     */
    public static long max(final long a, final long b) {
        return gt(a, b) ? a : b;
    }
}
