package org.smr4j.demo.offheap;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The readers' check, on its own: an intact block passes, and every way a reused block can look
 * is caught (each a negative control of the detector the scenario relies on).
 */
class SessionBlockTest {

    @Test
    void anIntactBlockIsOkAndEveryChangedFieldIsCaught() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment b = arena.allocate(SessionBlock.BYTES, SessionBlock.ALIGN);
            final long id = SessionBlock.sessionId(7, 3);
            for (long version = 0; version < 3; version++) {
                SessionBlock.write(b, id, version);
                assertThat(SessionBlock.check(b, id)).as("version " + version).isEqualTo(SessionBlock.OK);
            }
            for (long off = 0; off < SessionBlock.BYTES; off += 8) {
                SessionBlock.write(b, id, 5);
                b.set(ValueLayout.JAVA_LONG, off, b.get(ValueLayout.JAVA_LONG, off) ^ 1);
                assertThat(SessionBlock.check(b, id)).as("a bit flipped at offset " + off)
                        .isEqualTo(off == SessionBlock.ID ? SessionBlock.FOREIGN : SessionBlock.TORN);
            }
            // Reused for another session: foreign; half rewritten for it: still caught.
            final long other = SessionBlock.sessionId(7, 4);
            SessionBlock.write(b, other, 0);
            assertThat(SessionBlock.check(b, id)).isEqualTo(SessionBlock.FOREIGN);
            SessionBlock.write(b, id, 9);
            b.set(ValueLayout.JAVA_LONG, SessionBlock.TRAILER, other);
            assertThat(SessionBlock.check(b, id)).isEqualTo(SessionBlock.TORN);
            // Reused for a newer version of the same session, caught between two stores of the write.
            SessionBlock.write(b, id, 9);
            b.set(ValueLayout.JAVA_LONG, SessionBlock.VERSION, 10L);
            assertThat(SessionBlock.check(b, id)).isEqualTo(SessionBlock.TORN);
        }
    }

    @Test
    void sessionIdsAreDistinctAndNeverZero() {
        final Set<Long> ids = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            final long id = SessionBlock.sessionId(0x5EED, i);
            assertThat(id).isNotZero();
            ids.add(id);
        }
        assertThat(ids).hasSize(100_000);
    }
}
