package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.FieldLayout;

/** The stripes' and owned caches' hot fields sit 128 bytes away from anything another object can put there. */
class SmrPoolLayoutTest {
    static {
        // JOL otherwise tries to attach the serviceability agent, which takes seconds and fails.
        System.setProperty("jol.skipHotspotSAAttach", "true");
    }

    @Test
    void stripeFieldsArePaddedOnBothSides() {
        assertPadded(SmrPool.Stripe.class, "StripeFields");
    }

    @Test
    void ownedCacheFieldsArePaddedOnBothSides() {
        assertPadded(SmrPool.Owned.class, "OwnedFields");
    }

    private static void assertPadded(final Class<?> cls, final String fieldsClass) {
        final ClassLayout layout = ClassLayout.parseClass(cls);
        long first = Long.MAX_VALUE;
        long last = 0;
        for (final FieldLayout f : layout.fields()) {
            if (f.hostClass().endsWith(fieldsClass)) {
                first = Math.min(first, f.offset());
                last = Math.max(last, f.offset() + f.size());
            }
        }
        System.out.println(layout.toPrintable());
        assertThat(first).as("padding before the fields of " + cls.getSimpleName()).isGreaterThanOrEqualTo(128);
        assertThat(layout.instanceSize() - last).as("padding after the fields of " + cls.getSimpleName())
                .isGreaterThanOrEqualTo(128);
    }
}
