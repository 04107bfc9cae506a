package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * {@link SmrSeq} against unbounded reference arithmetic: for any base {@code a} and any distance
 * {@code d} with {@code |d| < 2^63}, the sequence {@code b = a + d} (wrapping) compares, subtracts
 * and orders exactly as the unbounded integers {@code A} and {@code A + d} do, including every
 * case that straddles {@code Long.MAX_VALUE -> Long.MIN_VALUE}.
 */
class SmrSeqPropertiesTest {
    private static final long MAX_DISTANCE = Long.MAX_VALUE; // |d| <= 2^63 - 1

    @Property(tries = 5000)
    void comparisonsMatchUnboundedArithmetic(@ForAll final long a,
                                             @ForAll @LongRange(min = -MAX_DISTANCE, max = MAX_DISTANCE) final long d) {
        check(a, d);
    }

    @Property(tries = 5000)
    void comparisonsMatchNearTheWrap(@ForAll @IntRange(min = -100_000, max = 100_000) final int offset,
                                     @ForAll @LongRange(min = -1_000_000, max = 1_000_000) final long d) {
        check(Long.MAX_VALUE + offset, d); // bases on both sides of the wrap, small distances across it
    }

    @Property(tries = 2000)
    void farDistancesAcrossTheWrap(@ForAll @IntRange(min = -1000, max = 1000) final int offset,
                                   @ForAll @LongRange(min = Long.MAX_VALUE - 1_000_000, max = MAX_DISTANCE) final long d) {
        check(Long.MAX_VALUE + offset, d);
        check(Long.MAX_VALUE + offset, -d);
    }

    private static void check(final long a, final long d) {
        final long b = a + d; // wraps
        final BigInteger ua = BigInteger.valueOf(a);
        final BigInteger ub = ua.add(BigInteger.valueOf(d)); // unbounded: no wrap
        final int cmp = ub.compareTo(ua);
        final String what = "a=" + a + " d=" + d + " b=" + b;
        assertThat(SmrSeq.lt(b, a)).as(what).isEqualTo(cmp < 0);
        assertThat(SmrSeq.leq(b, a)).as(what).isEqualTo(cmp <= 0);
        assertThat(SmrSeq.gt(b, a)).as(what).isEqualTo(cmp > 0);
        assertThat(SmrSeq.geq(b, a)).as(what).isEqualTo(cmp >= 0);
        assertThat(SmrSeq.lt(a, b)).as(what).isEqualTo(cmp > 0);
        assertThat(SmrSeq.geq(a, b)).as(what).isEqualTo(cmp <= 0);
        assertThat(SmrSeq.delta(b, a)).as(what).isEqualTo(ub.subtract(ua).longValueExact());
        assertThat(SmrSeq.delta(a, b)).as(what).isEqualTo(ua.subtract(ub).longValueExact());
        final long min = cmp < 0 ? b : a;
        final long max = cmp < 0 ? a : b;
        assertThat(SmrSeq.min(a, b)).as(what).isEqualTo(min);
        assertThat(SmrSeq.min(b, a)).as(what).isEqualTo(min);
        assertThat(SmrSeq.max(a, b)).as(what).isEqualTo(max);
        assertThat(SmrSeq.max(b, a)).as(what).isEqualTo(max);
    }

    @Property(tries = 2000)
    void advancingNeverProducesInvalid(@ForAll final long k) {
        assertThat(SmrSeq.INIT + k * SmrSeq.INCR).isNotEqualTo(SmrSeq.INVALID).isOdd();
        final long wrapInit = Long.MAX_VALUE - 1000 * (1L << 50);
        assertThat(wrapInit + k * (1L << 50)).isNotEqualTo(SmrSeq.INVALID).isOdd();
    }

    @Example
    void theWrapItself() {
        assertThat(SmrSeq.lt(Long.MAX_VALUE, Long.MIN_VALUE)).isTrue();
        assertThat(SmrSeq.delta(Long.MIN_VALUE, Long.MAX_VALUE)).isEqualTo(1);
        assertThat(SmrSeq.max(Long.MAX_VALUE, Long.MIN_VALUE + 1)).isEqualTo(Long.MIN_VALUE + 1);
        assertThat(SmrSeq.min(Long.MAX_VALUE, Long.MIN_VALUE + 1)).isEqualTo(Long.MAX_VALUE);
    }

    @Example
    void exactlyHalfTheSpaceApartIsAmbiguousAsDocumented() {
        // 2^63 apart is outside the valid range: each value is "before" the other.
        final long a = 12345;
        final long b = a + Long.MIN_VALUE;
        assertThat(SmrSeq.lt(a, b)).isTrue();
        assertThat(SmrSeq.lt(b, a)).isTrue();
    }
}
