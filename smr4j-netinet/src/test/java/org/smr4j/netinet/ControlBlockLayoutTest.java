package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.FieldLayout;

/**
 * {@link ControlBlock}'s layout as the running JVM lays it out, read with JOL: every field a
 * lookup reads (the ports word with the FREED bit, the four address words, both chain links
 * and the attachment) ends within the object's first 64 bytes, header included, so that a
 * lock-free read that finds its block touches one line of it (when the object starts on a
 * line; objects are 8-byte aligned, so it may straddle two). The surefire execution
 * {@code compact-headers} runs this class again with {@code -XX:+UseCompactObjectHeaders}.
 *
 * <p>Negative control: the same check on the layout before issue 11 (the tuple after the hot
 * class, {@link OldLayout}) must fail, so the check can fail.
 */
class ControlBlockLayoutTest {

    static {
        // JOL computes field offsets without the Serviceability Agent (see SmrLayoutTest).
        System.setProperty("jol.skipHotspotSAAttach", "true");
    }

    static final int LINE = 64;
    static final List<String> HOT = List.of("ports", "localHi", "localLo", "foreignHi", "foreignLo", "link0",
            "link1", "attachment");

    /** The fields of {@code names} that end beyond the first line of {@code layout}. */
    static List<String> beyondTheFirstLine(final ClassLayout layout, final List<String> names) {
        return names.stream().filter(n -> {
            final FieldLayout f = layout.fields().stream().filter(x -> x.name().equals(n)).findFirst()
                    .orElseThrow(() -> new AssertionError("no field " + n + " in\n" + layout.toPrintable()));
            return f.offset() + f.size() > LINE;
        }).toList();
    }

    @Test
    void theFieldsALookupReadsFitTheFirst64Bytes() {
        final ClassLayout layout = ClassLayout.parseClass(ControlBlock.class);
        System.out.println(headerMode() + "\n" + layout.toPrintable());
        assertThat(beyondTheFirstLine(layout, HOT)).as("hot fields beyond byte %d\n%s", LINE, layout.toPrintable())
                .isEmpty();
        assertThat(layout.fields().stream().filter(f -> HOT.contains(f.name())).count()).isEqualTo(HOT.size());
    }

    /** The pre-issue-11 shape: hot class with hash, flags, generation, links, key, attachment, lock; tuple after. */
    abstract static class OldHot {
        int hash;
        int flags;
        long generation;
        Object link0;
        Object link1;
        Object key;
        Object attachment;
        Object lock;
    }

    static final class OldLayout extends OldHot {
        int protocol;
        long localHi;
        long localLo;
        int localPort;
        long foreignHi;
        long foreignLo;
        int foreignPort;
        Object owner;
    }

    @Test
    void controlTheOldLayoutFailsTheCheck() {
        final ClassLayout layout = ClassLayout.parseClass(OldLayout.class);
        assertThat(beyondTheFirstLine(layout, List.of("localHi", "localLo", "foreignHi", "foreignLo", "link0",
                "link1", "attachment"))).as("the old tuple lay beyond the first line\n%s", layout.toPrintable())
                .isNotEmpty();
    }

    private static String headerMode() {
        return "compact headers: "
                + ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:+UseCompactObjectHeaders");
    }
}
