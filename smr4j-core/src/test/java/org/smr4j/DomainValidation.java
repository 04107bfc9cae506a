package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Structural validation after every passing test (STYLE rule 21), for every domain the test
 * built through {@link ModeCase#build} or {@link #track}:
 * <ol>
 *   <li>wrSeq, rdSeq are odd (never INVALID) and rdSeq &lt;= wrSeq, barrierSeq &lt;= wrSeq
 *       (SmrSeq order, so right across the wrap);</li>
 *   <li>the registry's array holds exactly {@code size()} identity-distinct records in
 *       [0, size) and nulls after, each record belonging to this domain;</li>
 *   <li>no published sequence is ahead of wrSeq;</li>
 *   <li>no live thread was left inside a section (threads that died inside one are allowed:
 *       the tests that kill readers do it on purpose).</li>
 * </ol>
 * Only after a test that passed: a failing test may leave anything behind.
 */
final class DomainValidation implements AfterEachCallback {
    private static final ConcurrentLinkedQueue<Smr> DOMAINS = new ConcurrentLinkedQueue<>();

    static Smr track(final Smr smr) {
        DOMAINS.add(smr);
        return smr;
    }

    @Override
    public void afterEach(final ExtensionContext context) {
        try {
            if (context.getExecutionException().isEmpty()) {
                for (final Smr smr : DOMAINS) {
                    check(smr);
                }
            }
        } finally {
            DOMAINS.clear();
        }
    }

    static void check(final Smr smr) {
        final Smr.Stats s = smr.stats();
        final long wr = s.writeSequence();
        final long rd = s.readSequence();
        assertThat(wr & 1).as("wrSeq odd: %s", smr).isEqualTo(1);
        assertThat(rd & 1).as("rdSeq odd: %s", smr).isEqualTo(1);
        assertThat(SmrSeq.leq(rd, wr)).as("rdSeq <= wrSeq: %s", smr).isTrue();
        // Read the write sequence again after the records: it only moves forward.
        final ReaderRegistry<Smr.Reader> registry = smr.registry();
        final Object[] records = registry.snapshot();
        final int count = registry.size();
        final long wrAfter = smr.current();
        assertThat(count).as("record count within the array: %s", smr).isBetween(0, records.length);
        final Set<Smr.Reader> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < records.length; i++) {
            final Smr.Reader r = (Smr.Reader) ReaderRegistry.recordAcquire(records, i);
            if (i >= count) {
                assertThat(r).as("slot %d past the count %d of %s", i, count, smr).isNull();
                continue;
            }
            assertThat(r).as("slot %d of %s", i, smr).isNotNull();
            assertThat(seen.add(r)).as("record %s listed twice in %s", r, smr).isTrue();
            assertThat(r.smr()).isSameAs(smr);
            final long seq = r.seqOpaque();
            if (seq != SmrSeq.INVALID) {
                assertThat(SmrSeq.leq(seq, wrAfter)).as("published %d ahead of wrSeq %d: %s", seq, wrAfter, r).isTrue();
                assertThat(r.ownerAlive()).as("a live thread left a section open: %s", r).isFalse();
            }
        }
        final long barrier = smr.barrierSequence();
        assertThat(SmrSeq.leq(barrier, wrAfter)).as("barrierSeq %d <= wrSeq %d: %s", barrier, wrAfter, smr).isTrue();
        if (smr.fenceFreeReaders()) {
            // A published rdSeq answers polls without a scan: a barrier must cover it.
            assertThat(SmrSeq.leq(rd, barrier)).as("rdSeq %d <= barrierSeq %d: %s", rd, barrier, smr).isTrue();
        }
    }
}
