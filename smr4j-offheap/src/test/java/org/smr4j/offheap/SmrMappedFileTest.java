package org.smr4j.offheap;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.smr4j.Smr;
import org.smr4j.SmrRetireQueue;

/** SmrMappedFile: read-only mapping; the unmap waits for readers that entered before close, and only for them. */
@Timeout(60)
class SmrMappedFileTest {
    @Test
    void readsTheFileAndUnmapsOnlyAfterTheReadersThatCouldSeeItLeft(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("seg.bin");
        final ByteBuffer b = ByteBuffer.allocate(3 * 4096 + 100).order(ByteOrder.nativeOrder());
        for (int i = 0; i < b.capacity() / 8; i++) {
            b.putLong(i * 8, i * 3L);
        }
        Files.write(file, b.array());
        final Smr smr = Smr.create("mapped");
        final SmrRetireQueue q = SmrRetireQueue.builder("mapped", smr).batchSize(1).build();
        final SmrMappedFile whole = SmrMappedFile.open(file, q);
        assertThat(whole.segment().byteSize()).isEqualTo(b.capacity());
        assertThat(whole.segment().isReadOnly()).isTrue();
        assertThat(whole.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 800)).isEqualTo(300L);
        final SmrMappedFile region = SmrMappedFile.open(file, 4096 + 8, 64, q); // an unaligned offset
        assertThat(region.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0)).isEqualTo(((4096 + 8) / 8) * 3L);
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch leave = new CountDownLatch(1);
        final long[] readAfterClose = new long[1];
        final Thread reader = Thread.ofPlatform().name("mapped-reader").start(() -> {
            smr.enter();
            try {
                final var seg = whole.segment();
                inside.countDown();
                leave.await(20, TimeUnit.SECONDS);
                readAfterClose[0] = seg.get(ValueLayout.JAVA_LONG_UNALIGNED, 8 * 1000); // still mapped
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                smr.exit();
            }
        });
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
        whole.close();
        region.close();
        assertThat(whole.isClosed()).isTrue();
        assertThat(q.poll()).as("nothing unmapped while the reader is inside").isZero();
        assertThat(q.stats().pending()).isEqualTo(2);
        leave.countDown();
        reader.join(10_000);
        assertThat(readAfterClose[0]).isEqualTo(3000L);
        TestSupport.await("both unmaps ran", () -> q.poll() >= 0 && q.stats().pending() == 0);
        assertThat(q.stats().ran()).isEqualTo(2);
        assertThat(q.stats().failed()).isZero();
        q.close();
    }

    @Test
    void anEmptyRegionMapsNothing(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("empty.bin");
        Files.write(file, new byte[0]);
        try (SmrRetireQueue q = SmrRetireQueue.create("empty", Smr.create("empty"))) {
            final SmrMappedFile f = SmrMappedFile.open(file, q);
            assertThat(f.segment().byteSize()).isZero();
            f.close();
            assertThat(q.stats().retired()).isZero();
        }
    }
}
