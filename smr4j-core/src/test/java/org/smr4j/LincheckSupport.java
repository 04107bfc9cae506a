package org.smr4j;

/**
 * Helpers of the Lincheck tests ({@link SmrLincheckTest}, {@link SmrPoolLincheckTest}).
 * Validation functions there are plain Java: Lincheck's model checker calls {@code equals} on
 * the objects a validation function creates, which AssertJ's assertion objects refuse
 * ("'equals' is not supported"), so {@link DomainValidation} cannot be called from them.
 */
final class LincheckSupport {
    private LincheckSupport() {
    }

    /**
     * {@link DomainValidation#check}'s invariants in plain Java; throws {@link AssertionError}
     * naming the broken invariant. Call only while no operation runs.
     */
    static void checkDomain(final Smr smr) {
        final Smr.Stats s = smr.stats();
        final long wr = s.writeSequence();
        final long rd = s.readSequence();
        require((wr & 1) == 1 && (rd & 1) == 1, "wrSeq and rdSeq odd", smr);
        require(SmrSeq.leq(rd, wr), "rdSeq <= wrSeq", smr);
        final Object[] records = smr.registry().snapshot();
        final int count = smr.registry().size();
        final long wrAfter = smr.current();
        require(count >= 0 && count <= records.length, "record count within the array", smr);
        for (int i = 0; i < records.length; i++) {
            final Smr.Reader r = (Smr.Reader) ReaderRegistry.recordAcquire(records, i);
            if (i >= count) {
                require(r == null, "no record past the count", smr);
                continue;
            }
            require(r != null && r.smr() == smr, "record " + i + " present and of this domain", smr);
            final long seq = r.seqOpaque();
            if (seq != SmrSeq.INVALID) {
                require(SmrSeq.leq(seq, wrAfter), "published sequence not ahead of wrSeq", smr);
                require(!r.ownerAlive(), "no live thread left inside a section", smr);
            }
        }
        require(SmrSeq.leq(smr.barrierSequence(), wrAfter), "barrierSeq <= wrSeq", smr);
        if (smr.fenceFreeReaders()) {
            require(SmrSeq.leq(rd, smr.barrierSequence()), "rdSeq <= barrierSeq", smr);
        }
    }

    static void require(final boolean ok, final String what, final Object subject) {
        if (!ok) {
            throw new AssertionError("invariant violated: " + what + ": " + subject);
        }
    }
}
