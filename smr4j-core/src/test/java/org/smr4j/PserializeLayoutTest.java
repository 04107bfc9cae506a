package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.FieldLayout;

/**
 * Checks with JOL, under the running JVM's header layout, that the hot fields of a
 * {@link Pserialize.Reader} and a {@link PserializePool.Stripe} have at least
 * {@link SmrLayout#PAD_BYTES} of padding on each side (see {@link PserializeLayout}). Run it
 * under {@code -XX:+UseCompactObjectHeaders} too (it passed on JDK 25 with both layouts).
 */
class PserializeLayoutTest {
    private static void assertPadded(final Class<?> type, final String first, final String last) {
        final ClassLayout layout = ClassLayout.parseClass(type);
        long firstOffset = -1;
        long lastEnd = -1;
        for (final FieldLayout f : layout.fields()) {
            if (f.name().equals(first)) {
                firstOffset = f.offset();
            }
            if (f.name().equals(last)) {
                lastEnd = f.offset() + f.size();
            }
        }
        assertThat(firstOffset).as("%s.%s found", type, first).isNotNegative();
        assertThat(lastEnd).as("%s.%s found", type, last).isNotNegative();
        long hotLo = Long.MAX_VALUE;
        long hotHi = 0;
        for (final FieldLayout f : layout.fields()) {
            if (!f.name().matches("[pq][0-9a-f]+")) {
                hotLo = Math.min(hotLo, f.offset());
                hotHi = Math.max(hotHi, f.offset() + f.size());
            }
        }
        assertThat(hotLo).as("padding before the hot fields of %s:%n%s", type, layout.toPrintable())
                .isGreaterThanOrEqualTo(SmrLayout.PAD_BYTES);
        assertThat(layout.instanceSize() - hotHi).as("padding after the hot fields of %s:%n%s", type, layout.toPrintable())
                .isGreaterThanOrEqualTo(SmrLayout.PAD_BYTES);
    }

    @Test
    void readerRecordIsPadded() {
        assertPadded(Pserialize.Reader.class, "state", "owner");
    }

    @Test
    void stripeIsPadded() {
        assertPadded(PserializePool.Stripe.class, "locked", "puts");
    }
}
