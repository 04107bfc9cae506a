package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.FieldLayout;

/**
 * The padding of {@link SmrLayout} as the running JVM lays it out, read with JOL: the write and
 * read sequences of {@link SmrShared} and the published sequence of {@link Smr.Reader} each
 * have at least {@link SmrLayout#PAD_BYTES} bytes between them and any other hot word, and
 * between them and the object's ends (beyond which lie other objects' fields). The header is
 * not counted as padding. The surefire execution {@code compact-headers} runs this class again
 * with {@code -XX:+UseCompactObjectHeaders}, where the header is 8 bytes instead of 12.
 */
class SmrLayoutTest {
    private static final int PAD = SmrLayout.PAD_BYTES;

    static {
        // JOL computes field offsets without the Serviceability Agent; attaching it costs
        // seconds and fails here anyway. Must be set before JOL's VM support initialises.
        System.setProperty("jol.skipHotspotSAAttach", "true");
    }

    private static FieldLayout field(final ClassLayout layout, final String name) {
        return layout.fields().stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no field " + name + " in\n" + layout.toPrintable()));
    }

    @Test
    void sharedSequencesSitOnTheirOwnCacheLinePairs() {
        final ClassLayout layout = ClassLayout.parseClass(SmrShared.class);
        final String printable = layout.toPrintable();
        final FieldLayout wr = field(layout, "wrSeq");
        final FieldLayout rd = field(layout, "rdSeq");
        final FieldLayout barrier = field(layout, "barrierSeq");
        final long header = layout.headerSize();
        final long size = layout.instanceSize();
        System.out.println(headerMode() + "\n" + printable);
        assertThat(wr.offset() - header).as("padding between the header and wrSeq\n%s", printable).isGreaterThanOrEqualTo(PAD);
        assertThat(rd.offset() - (wr.offset() + wr.size())).as("padding between wrSeq and rdSeq\n%s", printable)
                .isGreaterThanOrEqualTo(PAD);
        assertThat(barrier.offset() - (rd.offset() + rd.size())).as("padding between rdSeq and the cold tail\n%s", printable)
                .isGreaterThanOrEqualTo(PAD);
        assertThat(size - (rd.offset() + rd.size())).as("rdSeq to the object's end\n%s", printable).isGreaterThanOrEqualTo(PAD);
        for (final FieldLayout f : layout.fields()) {
            if (!f.equals(wr) && !f.equals(rd)) {
                assertThat(Math.abs(f.offset() - wr.offset()) >= PAD || f.name().startsWith("p") || f.name().equals("q0"))
                        .as("only padding within %d bytes of wrSeq: %s", PAD, f).isTrue();
                assertThat(Math.abs(f.offset() - rd.offset()) >= PAD || f.name().startsWith("p"))
                        .as("only padding within %d bytes of rdSeq: %s", PAD, f).isTrue();
            }
        }
    }

    @Test
    void aReadersPublishedSequenceIsPaddedOnBothSides() {
        final ClassLayout layout = ClassLayout.parseClass(Smr.Reader.class);
        final String printable = layout.toPrintable();
        final FieldLayout seq = field(layout, "seq");
        final long header = layout.headerSize();
        System.out.println(headerMode() + "\n" + printable);
        assertThat(seq.offset() - header).as("padding before seq\n%s", printable).isGreaterThanOrEqualTo(PAD);
        assertThat(layout.instanceSize() - (seq.offset() + seq.size())).as("padding after seq\n%s", printable).isGreaterThanOrEqualTo(PAD);
        // What lies between the padding and seq is the record's own fields (written by its
        // owner only) - never padding of another level reordered around it.
        final long padBefore = layout.fields().stream().filter(f -> f.classShortName().equals("ReaderPad0"))
                .mapToLong(f -> f.offset() + f.size()).max().orElseThrow();
        final long padAfter = layout.fields().stream().filter(f -> f.classShortName().equals("ReaderPad1"))
                .mapToLong(FieldLayout::offset).min().orElseThrow();
        assertThat(padBefore - header).as("ReaderPad0 covers %d bytes\n%s", PAD, printable).isGreaterThanOrEqualTo(PAD);
        assertThat(layout.instanceSize() - padAfter).as("ReaderPad1 covers %d bytes\n%s", PAD, printable).isGreaterThanOrEqualTo(PAD);
        assertThat(seq.offset()).isBetween(padBefore, padAfter);
    }

    private static String headerMode() {
        return "compact headers: " + ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:+UseCompactObjectHeaders");
    }
}
